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

    @classmethod
    def over_unix(cls, path: str, timeout: float = 10.0) -> RawClient:
        """The same client on a Unix socket, for LMTP."""
        client = cls.__new__(cls)
        client.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.sock.settimeout(timeout)
        client.sock.connect(path)
        client.file = client.sock.makefile("rb")
        return client

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

    def send_raw(self, data: bytes) -> None:
        """Exactly ``data``, in one write: pipelined batches, BDAT chunks."""
        self.sock.sendall(data)

    def replies(self, count: int) -> list[str]:
        """The next ``count`` replies, each reduced to its last line."""
        return [self.reply()[-1] for _ in range(count)]

    def greet(self, verb: str = "EHLO") -> list[str]:
        """Read the banner and say EHLO (or LHLO); the EHLO reply's lines."""
        assert self.reply()[0].startswith("220 ")
        return self.command(f"{verb} client.test")

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
