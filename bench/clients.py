"""The clients under test, each behind one small interface: open, send n messages, close.

All of them use one connection for all their messages and send the same bytes.  smtpshell
always records into its (bounded) transcript; ``face=True`` adds a subscriber that does a
little work per event, standing in for a REPL or TUI that is watching.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
from typing import Any

import smtpshell

SENDER = "bench@example.com"
RECIPIENTS = ["sink@example.com"]


def sample_message(size: int = 2048) -> bytes:
    """A plain message of about ``size`` bytes with CRLF lines and one dot-leading line."""
    head = (
        b"From: Bench <bench@example.com>\r\nTo: <sink@example.com>\r\n"
        b"Subject: smtpshell benchmark\r\nMessage-ID: <bench@example.com>\r\n\r\n"
        b".a line that needs dot-stuffing\r\n"
    )
    line = b"The quick brown fox jumps over the lazy dog, then checks its mail again.\r\n"
    return head + line * max(1, (size - len(head)) // len(line))


class Face:
    """A stand-in for a watching face: counts events and bytes, like a status bar would."""

    def __init__(self) -> None:
        self.events = 0
        self.bytes = 0

    def __call__(self, event: smtpshell.Event) -> None:
        self.events += 1
        self.bytes += len(event.data)


class _BlockingSender:
    """The timed loops, shared by the two smtplib-API clients so both run the same code."""

    client: smtplib.SMTP

    def send(self, message: bytes, count: int) -> int:
        client = self.client
        for _ in range(count):
            client.sendmail(SENDER, RECIPIENTS, message)
        return count

    def noop(self, count: int) -> int:
        for _ in range(count):
            self.client.noop()
        return count

    def close(self) -> None:
        self.client.quit()


class SmtpshellSender(_BlockingSender):
    def __init__(
        self, port: int, *, pipelining: bool = False, chunking: bool = False, face: bool = True
    ):
        self.client = smtpshell.SMTP("127.0.0.1", port, pipelining=pipelining, chunking=chunking)
        if face:
            self.client.transcript.subscribe(Face())
        self.client.ehlo()


class SmtplibSender(_BlockingSender):
    def __init__(self, port: int):
        self.client = smtplib.SMTP("127.0.0.1", port)
        self.client.ehlo()


class AiosmtplibSender:
    """aiosmtplib on its own event loop, driven one batch at a time."""

    def __init__(self, port: int):
        import aiosmtplib

        self.loop = asyncio.new_event_loop()
        self.client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, use_tls=False, start_tls=False
        )
        self.loop.run_until_complete(self.client.connect())
        self.loop.run_until_complete(self.client.ehlo())

    def send(self, message: bytes, count: int) -> int:
        async def batch() -> None:
            for _ in range(count):
                await self.client.sendmail(SENDER, RECIPIENTS, message)

        self.loop.run_until_complete(batch())
        return count

    def noop(self, count: int) -> int:
        async def batch() -> None:
            for _ in range(count):
                await self.client.noop()

        self.loop.run_until_complete(batch())
        return count

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.client.quit())
        finally:
            self.loop.close()


class RawSocket:
    """The floor for a command round trip: write the line, read until the reply's CRLF."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self._exchange(None)  # greeting
        self._exchange(b"EHLO bench.example.com\r\n")

    def _exchange(self, line: bytes | None) -> bytes:
        if line is not None:
            self.sock.sendall(line)
        reply = b""
        # A complete reply ends with a line whose fourth byte is a space.
        while True:
            reply += self.sock.recv(65536)
            if reply.endswith(b"\r\n"):
                start = reply.rfind(b"\r\n", 0, len(reply) - 2)
                start = 0 if start < 0 else start + 2
                if reply[start + 3 : start + 4] in (b" ", b"\r"):
                    return reply

    def noop(self, count: int) -> int:
        for _ in range(count):
            self._exchange(b"NOOP\r\n")
        return count

    def close(self) -> None:
        self._exchange(b"QUIT\r\n")
        self.sock.close()


def open_sender(kind: str, port: int, **options: Any):
    if kind == "smtpshell":
        return SmtpshellSender(port, **options)
    if kind == "smtplib":
        return SmtplibSender(port)
    if kind == "aiosmtplib":
        return AiosmtplibSender(port)
    if kind == "raw":
        return RawSocket(port)
    raise ValueError(kind)


def aiosmtplib_available() -> bool:
    try:
        import aiosmtplib  # noqa: F401
    except ImportError:
        return False
    return True
