"""Fixtures for the practice-server tests: a private data dir, running servers, a raw client."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpshell.server import PracticeServer


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
