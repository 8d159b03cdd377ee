"""Fixtures for the practice-server tests: a private data dir, running servers, a raw client."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpshell.server import PracticeServer


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Never touch the real home: the generated certificate goes to a temp dir (made once)."""
    directory = tmp_path_factory.mktemp("smtpshell-data")
    previous = os.environ.get("SMTPSHELL_DATA_DIR")
    os.environ["SMTPSHELL_DATA_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["SMTPSHELL_DATA_DIR"]
    else:
        os.environ["SMTPSHELL_DATA_DIR"] = previous


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: Unix socket paths are limited to about 100 bytes."""
    with tempfile.TemporaryDirectory(prefix="smtpsh-") as name:
        yield Path(name)


@pytest.fixture
def server() -> Iterator[PracticeServer]:
    """A default practice server: loopback, free port, account demo/demo."""
    with PracticeServer() as srv:
        yield srv


class RawClient:
    """A line-level SMTP client, to see every reply line exactly as the server sent it."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def reply(self) -> list[str]:
        """Read one (possibly multi-line) reply; its lines without CRLF."""
        lines: list[str] = []
        while True:
            raw = self.file.readline()
            if not raw:
                raise ConnectionError(f"connection closed after {lines!r}")
            line = raw.decode("utf-8").rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def command(self, line: str) -> list[str]:
        self.send(line)
        return self.reply()

    def at_eof(self) -> bool:
        """True when the server closed the connection (nothing more to read)."""
        return self.file.readline() == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw_client(server: PracticeServer) -> Iterator[RawClient]:
    client = RawClient(server.host, server.port)
    yield client
    client.close()
