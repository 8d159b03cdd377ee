"""Fixtures for the engine tests: a private data dir, scripted servers, a practice server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from smtpshell.shell.engine import Engine
from smtpshell.shell.target import Target
from smtpshell.wiring import new_engine
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    """Start a well-behaved scripted SMTP server: ``scripted(**SmtpBehaviour fields)``."""
    servers: list[ScriptedServer] = []

    def start(**behaviour: object) -> ScriptedServer:
        server = ScriptedServer(smtp_script(SmtpBehaviour(**behaviour)))  # type: ignore[arg-type]
        server.__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def engine(scripted: Callable[..., ScriptedServer]) -> Iterator[Engine]:
    """An engine, closed before the scripted servers stop (so they never wait for it)."""
    with new_engine(timeout=10, helo_name="client.test") as eng:
        yield eng


def connect(engine: Engine, server: ScriptedServer) -> None:
    result = engine.connect(Target(host=server.host, port=server.port))
    assert result.ok, result.items


@pytest.fixture
def practice_engine() -> Iterator[Engine]:
    """An engine connected to its own embedded practice server."""
    with new_engine(timeout=10, helo_name="client.test") as eng:
        result = eng.connect(None)
        assert result.ok, result.items
        yield eng
