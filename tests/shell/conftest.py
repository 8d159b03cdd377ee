"""Fixtures for the engine tests: a private data dir, scripted servers, a practice server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smtpshell.shell.engine import Engine
from smtpshell.shell.target import Target
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Certificates and history go to a temp dir, never the real home."""
    directory = tmp_path_factory.mktemp("smtpshell-data")
    previous = os.environ.get("SMTPSHELL_DATA_DIR")
    os.environ["SMTPSHELL_DATA_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["SMTPSHELL_DATA_DIR"]
    else:
        os.environ["SMTPSHELL_DATA_DIR"] = previous


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
    with Engine(timeout=10, helo_name="client.test") as eng:
        yield eng


def connect(engine: Engine, server: ScriptedServer) -> None:
    result = engine.connect(Target(host=server.host, port=server.port))
    assert result.ok, result.items


@pytest.fixture
def practice_engine() -> Iterator[Engine]:
    """An engine connected to its own embedded practice server."""
    with Engine(timeout=10, helo_name="client.test") as eng:
        result = eng.connect(None)
        assert result.ok, result.items
        yield eng
