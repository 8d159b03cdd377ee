"""Small scripted socket servers: one behaviour each, run in a thread, everything recorded.

A script is a function that receives a :class:`Peer` (the accepted connection) and plays the
server's side.  The test asserts on the client's error, on ``server.received`` (every byte
that reached the wire) and, through ``server.finished``, that nothing hung.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable

Script = Callable[["Peer"], None]

#: How long a script waits for the client before it gives up (a bound, not a sleep).
PEER_TIMEOUT = 10.0


class Peer:
    """The server end of one connection."""

    def __init__(self, sock: socket.socket, record: bytearray):
        self.sock = sock
        self.record = record
        self._buffer = b""
        sock.settimeout(PEER_TIMEOUT)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _recv(self) -> bytes:
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionError, ssl.SSLError):
            return b""
        self.record.extend(chunk)
        return chunk

    def readline(self) -> bytes:
        """One line up to LF (b'' at EOF)."""
        while b"\n" not in self._buffer:
            chunk = self._recv()
            if not chunk:
                line, self._buffer = self._buffer, b""
                return line
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            chunk = self._recv()
            if not chunk:
                data, self._buffer = self._buffer, b""
                return data
            self._buffer += chunk
        data, _, self._buffer = self._buffer.partition(marker)
        return data + marker

    def read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self._recv()
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def read_to_eof(self) -> bytes:
        data = self._buffer
        self._buffer = b""
        while chunk := self._recv():
            data += chunk
        return data

    def starttls(self, context: ssl.SSLContext) -> None:
        self.sock = context.wrap_socket(self.sock, server_side=True)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ScriptedServer:
    """Accepts connections on loopback and runs ``script(peer)`` for each, in turn."""

    def __init__(self, script: Script, *, connections: int = 1):
        self.script = script
        self.connections = connections
        self.received: list[bytearray] = []
        self.errors: list[BaseException] = []
        self.finished = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(PEER_TIMEOUT)
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def wire(self) -> bytes:
        """Every byte the client sent on the first connection."""
        return bytes(self.received[0]) if self.received else b""

    def _serve(self) -> None:
        try:
            for _ in range(self.connections):
                try:
                    sock, _ = self._listener.accept()
                except OSError:
                    return
                record = bytearray()
                self.received.append(record)
                peer = Peer(sock, record)
                try:
                    self.script(peer)
                except (OSError, ssl.SSLError):
                    pass
                except BaseException as exc:  # surfaced by stop()
                    self.errors.append(exc)
                finally:
                    peer.close()
        finally:
            self.finished.set()

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._listener.close()
        self._thread.join(PEER_TIMEOUT)
        if self.errors:
            raise self.errors[0]
