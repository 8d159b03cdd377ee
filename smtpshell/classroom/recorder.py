"""The grader's recording SMTP server: every byte a student's client sends, kept as sent.

It is not the practice server.  aiosmtpd normalises what it reads (it waits for CRLF, it
un-stuffs dots, it answers a pipelined burst as if it had arrived line by line), which is
exactly what a grader must see.  This server reads raw bytes in a thread per connection,
splits them on LF only, and records for each line whether it ended in CRLF and whether the
client had already sent it before the previous reply was written.  It is lenient on
purpose (a bare-LF line, a bare-LF end of data) so that grading goes on after a mistake and
reports it, instead of hanging the student's program.

It never delivers anything.  Pure stdlib; no aiosmtpd, no client code.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from smtpshell.protocol.display import display

__all__ = ["ClientLine", "RecordedSession", "RecordingServer", "ServerLine"]

#: How much one session may send before the server stops reading (a flooding client).
MAX_SESSION_BYTES = 4 * 1024 * 1024
#: Longest line kept whole; longer ones are cut (and the session is marked flooding).
MAX_LINE = 64 * 1024


@dataclass(frozen=True)
class ClientLine:
    """One line the client sent: its bytes as sent (line ending included)."""

    raw: bytes
    #: "command" or "data" (a line of the message after 354), or "early" (before the 220).
    kind: str
    #: It was already waiting in the socket when the server answered the line before it.
    before_reply: bool = False

    @property
    def crlf(self) -> bool:
        return self.raw.endswith(b"\r\n")

    @property
    def text(self) -> str:
        return self.raw.rstrip(b"\r\n").decode("utf-8", "replace")

    @property
    def verb(self) -> str:
        if self.kind == "data":
            return ""
        return self.text.split(" ", 1)[0].split(":", 1)[0].upper()


@dataclass(frozen=True)
class ServerLine:
    raw: bytes
    #: The verb it answered ("" for the greeting, "EOM" for the end of the message).
    answers: str

    @property
    def code(self) -> int:
        return int(self.raw[:3])


@dataclass
class RecordedSession:
    """One connection: what crossed the wire in order, and what the server made of it."""

    peer: str = ""
    events: list[ClientLine | ServerLine] = field(default_factory=list)
    #: The client spoke before the greeting was sent.
    spoke_early: bool = False
    #: Bytes received in all.
    received: int = 0
    #: Stopped reading: more than MAX_SESSION_BYTES, or a line longer than MAX_LINE.
    flooded: bool = False
    #: The client closed (or the server gave up) without a QUIT.
    closed_without_quit: bool = True
    #: The end-of-data line as sent (b".\r\n", or b".\n" for a bare-LF end), per message.
    data_ends: list[bytes] = field(default_factory=list)
    #: The data lines of each message, as sent (still dot-stuffed).
    messages: list[list[bytes]] = field(default_factory=list)
    #: Extensions advertised in the EHLO reply.
    advertised: tuple[str, ...] = ()

    @property
    def client_lines(self) -> list[ClientLine]:
        return [event for event in self.events if isinstance(event, ClientLine)]

    @property
    def commands(self) -> list[ClientLine]:
        return [line for line in self.client_lines if line.kind != "data"]

    def transcript(self, limit: int = 200) -> list[str]:
        """``C: ...`` / ``S: ...`` lines with line endings shown, for reports."""
        out = []
        for event in self.events[:limit]:
            if isinstance(event, ClientLine):
                ending = "" if event.crlf else "  [bare LF]" if event.raw.endswith(b"\n") else ""
                mark = "  [before the reply]" if event.before_reply else ""
                out.append(f"C: {_show(event.raw)}{ending}{mark}")
            else:
                out.append(f"S: {_show(event.raw)}")
        if len(self.events) > limit:
            out.append(f"... {len(self.events) - limit} more lines")
        return out


def _show(raw: bytes) -> str:
    return str(display(raw.rstrip(b"\r\n")[:200]))


class RecordingServer:
    """A lenient, recording SMTP server on loopback for one graded run.

    ``inject`` maps a verb (``MAIL``, ``RCPT``, ``DATA``, ``EOM`` ...) to the reply the server
    gives the first time that verb arrives (``"451 4.3.0 Try again later"``).
    ``greeting_delay``: seconds the server listens before sending its 220, so a client that
    does not wait for it is seen.  ``reply_hold``: seconds before each reply, so a client
    that does not wait for replies has sent its next line by then.
    """

    def __init__(
        self,
        *,
        hostname: str = "grade.test",
        pipelining: bool = False,
        inject: Mapping[str, str] | None = None,
        greeting_delay: float = 0.3,
        reply_hold: float = 0.05,
        idle_timeout: float = 30.0,
    ) -> None:
        self.hostname = hostname
        self.pipelining = pipelining
        self.inject = {verb.upper(): reply for verb, reply in (inject or {}).items()}
        self.greeting_delay = greeting_delay
        self.reply_hold = reply_hold
        self.idle_timeout = idle_timeout
        self.sessions: list[RecordedSession] = []
        self.host = "127.0.0.1"
        self.port = 0
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._injected: set[str] = set()
        self._lock = threading.Lock()

    # --- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> RecordingServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.create_server((self.host, 0))
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="grade-recorder", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        for thread in list(self._threads):
            thread.join(5.0)

    # --- serving ----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                readable, _, _ = select.select([self._listener], [], [], 0.1)
                if not readable:
                    continue
                conn, peer = self._listener.accept()
            except OSError:
                return
            session = RecordedSession(peer=f"{peer[0]}:{peer[1]}")
            with self._lock:
                self.sessions.append(session)
            thread = threading.Thread(
                target=self._serve, args=(conn, session), name="grade-session", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, session: RecordedSession) -> None:
        with conn:
            try:
                _Conversation(self, conn, session).run()
            except OSError:
                pass

    def injected_reply(self, verb: str) -> str | None:
        with self._lock:
            if verb in self.inject and verb not in self._injected:
                self._injected.add(verb)
                return self.inject[verb]
        return None


class _Conversation:
    def __init__(self, server: RecordingServer, conn: socket.socket, session: RecordedSession):
        self.server = server
        self.conn = conn
        self.session = session
        self.buffer = b""
        self.eof = False
        #: The next line was already there when the last reply was written.
        self.next_before_reply = False

    # reading ------------------------------------------------------------------------------

    def _fill(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False on EOF, timeout, or flood."""
        deadline = time.monotonic() + timeout
        while True:
            if self.eof or self.server._stopping.is_set():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            readable, _, _ = select.select([self.conn], [], [], min(left, 0.2))
            if readable:
                break
        chunk = self.conn.recv(65536)
        if not chunk:
            self.eof = True
            return False
        self.session.received += len(chunk)
        if self.session.received > MAX_SESSION_BYTES:
            self.session.flooded = True
            return False
        self.buffer += chunk
        return True

    def _pending(self) -> bool:
        """Has the client sent more than we have read (without waiting)?"""
        if self.buffer:
            return True
        readable, _, _ = select.select([self.conn], [], [], 0)
        return bool(readable)

    def _line(self) -> bytes | None:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                self.session.flooded = True
                return None
            if not self._fill(self.server.idle_timeout):
                return self._take_rest()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def _take_rest(self) -> bytes | None:
        rest, self.buffer = self.buffer, b""
        return rest or None

    # writing ------------------------------------------------------------------------------

    def _reply(self, text: str, answers: str) -> None:
        hold = self.server.reply_hold
        if hold and not self.buffer:
            select.select([self.conn], [], [], hold)  # give a non-waiting client time to show
        self.next_before_reply = bool(answers) and self._pending()
        lines = text.split("\n")
        for index, line in enumerate(lines):
            sep = "-" if index < len(lines) - 1 else " "
            raw = f"{line[:3]}{sep}{line[4:]}\r\n".encode()
            self.session.events.append(ServerLine(raw, answers))
        self.conn.sendall(
            b"".join(e.raw for e in self.session.events[-len(lines) :])  # type: ignore[union-attr]
        )

    def _client(self, raw: bytes, kind: str) -> ClientLine:
        line = ClientLine(raw, kind, self.next_before_reply)
        self.next_before_reply = False
        self.session.events.append(line)
        return line

    # the conversation ---------------------------------------------------------------------

    def run(self) -> None:
        server, session = self.server, self.session
        if server.greeting_delay and self._fill(server.greeting_delay):
            session.spoke_early = True
            while b"\n" in self.buffer:
                raw, _, self.buffer = self.buffer.partition(b"\n")
                self._client(raw + b"\n", "early")
            # what was sent early is answered below as commands too, so grading goes on
        self._reply(f"220 {server.hostname} ESMTP smtpshell grader (mail stays here)", "")
        pending_early = [line for line in session.client_lines if line.kind == "early"]
        replayed = [line.raw for line in pending_early]
        while True:
            if replayed:
                raw: bytes | None = replayed.pop(0)
            else:
                raw = self._line()
                if raw is None:
                    return
                self._client(raw, "command")
            assert raw is not None
            verb = raw.rstrip(b"\r\n").decode("utf-8", "replace").split(" ", 1)[0]
            verb = verb.split(":", 1)[0].upper()
            if not self._answer(verb, raw):
                return

    def _answer(self, verb: str, raw: bytes) -> bool:
        server, session = self.server, self.session
        injected = server.injected_reply(verb)
        if injected is not None:
            self._reply(injected, verb)
            return not injected.startswith("421")
        if verb == "EHLO":
            extensions = ["8BITMIME", "SIZE 10485760", "ENHANCEDSTATUSCODES"]
            if server.pipelining:
                extensions.insert(0, "PIPELINING")
            session.advertised = tuple(extensions)
            self._reply(
                "\n".join([f"250 {server.hostname}", *(f"250 {e}" for e in extensions)]), verb
            )
        elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
            self._reply("250 2.0.0 OK", verb)
        elif verb == "DATA":
            self._reply("354 End data with <CR><LF>.<CR><LF>", verb)
            return self._data()
        elif verb == "QUIT":
            session.closed_without_quit = False
            self._reply("221 2.0.0 Bye", verb)
            return False
        else:
            self._reply("500 5.5.2 Command not recognised", verb)
        return True

    def _data(self) -> bool:
        lines: list[bytes] = []
        self.session.messages.append(lines)
        while True:
            raw = self._line()
            if raw is None:
                return False
            self._client(raw, "data")
            if raw.rstrip(b"\r\n") == b"." and raw.endswith(b"\n"):
                self.session.data_ends.append(raw)
                break
            lines.append(raw)
        reply = self.server.injected_reply("EOM") or "250 2.0.0 OK: message recorded"
        self._reply(reply, "EOM")
        return not reply.startswith("421")
