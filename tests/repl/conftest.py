"""REPL fixtures: the engine tests' private data dir and scripted servers, plus a runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smtpshell.repl.app import Repl
from smtpshell.shell.history import HistoryFile
from smtpshell.wiring import new_engine
from tests.shell.conftest import scripted  # noqa: F401  (a fixture)


class Session:
    """A finished REPL run: what it printed (plain text per line) and the objects used."""

    def __init__(self, repl: Repl, printed: list[list[tuple[str, str]]], code: int) -> None:
        self.repl = repl
        self.engine = repl.engine
        self.printed = printed
        self.code = code

    @property
    def lines(self) -> list[str]:
        return ["".join(text for _, text in fragments) for fragments in self.printed]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def run_repl(tmp_path) -> Iterator[Callable[..., Session]]:
    """``run_repl(keys, target)``: type ``keys`` into a REPL connected to ``target``."""

    def run(keys: str, target: object, **engine_args: object) -> Session:
        printed: list[list[tuple[str, str]]] = []
        history = HistoryFile(tmp_path / "history")
        with create_pipe_input() as pipe:
            pipe.send_text(keys)
            engine = new_engine(timeout=10, helo_name="client.test", history=history, **engine_args)  # type: ignore[arg-type]
            repl = Repl(
                engine, history=history, input=pipe, output=DummyOutput(), printer=printed.append
            )
            code = repl.run(target)
        return Session(repl, printed, code)

    yield run
