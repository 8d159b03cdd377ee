"""Socket I/O under the client: buffered reads within a deadline, writes, desync detection.

Over ``_session`` (the session each reply advances), under the verbs: it knows nothing of
SMTP verbs beyond which replies the session tracks.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from smtpshell.client._session import _Session
from smtpshell.client._watch import arrived_before, no_poll, poller, time_stamp
from smtpshell.errors import (
    SMTPProtocolError,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)
from smtpshell.protocol import (
    CRLF,
    Limits,
    Reply,
    ReplyAssembler,
    encode_line,
)
from smtpshell.protocol.replies import parse_final_line
from smtpshell.protocol.session import (
    TRANSITIONS,
    SessionState,
)
from smtpshell.transcript import (
    INCOMPLETE,
    MALFORMED,
    REDACTED,
    UNSOLICITED,
    ConnectFacts,
    Event,
    EventKind,
    TLSFacts,
    Transcript,
    received_event,
    sent_event,
)

#: socket's "no timeout given" sentinel (typed Any: it stands in a ``float | None`` slot).
_GLOBAL_DEFAULT_TIMEOUT: Any = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
_time_ns = time.time_ns
_RECV_SIZE = 1 << 16
#: Replies whose bookkeeping sendmail() may defer until its next command is written.
_DEFERRABLE = frozenset({"MAIL", "RCPT", "DATA"})


def net() -> Any:
    """The ``socket`` module, looked up as ``smtpshell.client.socket`` at each use.

    smtplib is one module, and code written for it replaces ``smtplib.socket`` to fake the
    network (CPython's own test_smtplib does): so every call into ``socket`` goes through
    the package's attribute, as it did when the client was one module.
    """
    return sys.modules["smtpshell.client"].socket


class _Connection(_Session):
    """Socket, buffer and transcript of one connection, over the session it tracks."""

    debuglevel = 0
    sock: socket.socket | None = None
    #: smtplib keeps a makefile() here; smtpshell reads the socket itself, so it stays None.
    file = None
    timeout: float | None
    command_encoding: str
    limits: Limits
    password: str
    pipelining: bool
    chunking: bool

    def _init_connection(self, transcript: Transcript | None, limits: Limits) -> None:
        self.esmtp_features = {}
        self.command_encoding = "ascii"
        self._auth_challenge_count = 0
        self.transcript = transcript if transcript is not None else Transcript()
        self.limits = limits
        self._rbuf = bytearray()
        self._eof = False
        self._io_timeout: float | None = None
        self._sock_timeout: float | None = None
        self._auth_mechanism = ""
        self._auth_user: str | None = None
        self._aborted = False
        self._connect_announced = False
        #: Commands sent whose replies are still to be read: (verb, line shown).
        self._awaiting: deque[tuple[str, str]] = deque()
        self._auth_pending = False
        #: The unfinished last line of earlier send_raw() calls (its start, bounded).
        self._raw_partial = b""
        self._sent_at: float | None = None
        #: The socket ``_poll`` watches (replaced by connect and STARTTLS).
        self._polled: socket.socket | None = None
        self._poll: Callable[[int], list[tuple[int, int]]] = no_poll
        #: ``_polled`` again if the kernel time-stamps what it receives (a plain socket on
        #: Linux): commands are then checked for desync after they are written.
        self._stamped: socket.socket | None = None
        self._tls_info: dict[str, Any] | None = None
        self._state = SessionState()
        #: The recipients of the transaction whose data was just sent (LMTP replies to each).
        self._data_recipients: Sequence[str] = ()

    # ------------------------------------------------------------------ debug output

    def set_debuglevel(self, debuglevel: int) -> None:
        """1: each line sent and received on stderr, as smtplib prints it; 2: with times."""
        self.debuglevel = debuglevel

    def _print_debug(self, *args: Any) -> None:
        if self.debuglevel > 1:
            print(datetime.datetime.now().time(), *args, file=sys.stderr)
        else:
            print(*args, file=sys.stderr)

    def _reset_session(self) -> None:
        self._settle()
        self.helo_resp = None
        self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self.command_encoding = "ascii"
        self._rbuf = bytearray()
        self._eof = False
        self._auth_pending = False
        self._raw_partial = b""
        self._auth_user = None
        self._aborted = False
        self._connect_announced = False
        self._awaiting.clear()
        self._tls_info = None
        self._state = SessionState()

    def _announce_connect(self, sock: socket.socket, host: str, port: int) -> None:
        """The CONNECT event, as soon as the transport is up (before any TLS handshake, so
        the handshake's cost shows as the gap to the TLS event)."""
        try:
            peer = sock.getpeername()
        except OSError:
            peer = None
        where = f"{host}:{port}" if port else host
        self._connect_announced = True
        self.transcript.emit(
            Event(
                EventKind.CONNECT,
                text=f"connected to {where}",
                facts=ConnectFacts(host, port, peer),
            )
        )

    def _emit_tls_event(self) -> None:
        info = self._tls_info or {}
        verified = info.get("verified")
        how = "certificate verified" if verified else "certificate NOT verified"
        text = f"TLS established: {info.get('version')} {info.get('cipher')} ({how})"
        self._update(tls=True, tls_verified=verified)
        self.transcript.emit(
            Event(
                EventKind.TLS,
                text=text,
                facts=TLSFacts(info.get("version"), info.get("cipher"), bool(verified)),
            )
        )
        if self.debuglevel > 0 and not verified:
            self._print_debug("tls: certificate NOT verified")

    def _discard(self, sock: socket.socket, reason: str) -> None:
        """Close a socket that failed before or during the handshake, and say why."""
        if self.sock is sock:
            self.sock = None
        sock.close()
        self._tls_info = None
        self._after_close(reason)

    # ------------------------------------------------------------------ writing

    def _set_sock_timeout(self, value: float | None) -> None:
        if value != self._sock_timeout and self.sock is not None:
            self.sock.settimeout(value)
            self._sock_timeout = value

    def _write(
        self,
        data: bytes,
        redacted: bytes | None = None,
        shown: Any = None,
        emit: bool = True,
        record: bool = True,
        in_step: bool = False,
    ) -> None:
        """Send ``data`` and record it; ``shown`` is what debug output prints (smtplib's repr).

        ``emit=False``: neither printed nor recorded (the caller does both);
        ``record=False``: printed but not recorded (message bodies, summarised by the caller).
        ``in_step=True``: a command sent with no reply owed, on a time-stamped socket: bytes
        that arrived before it are looked for after it is written (``_stale_after_send``).
        """
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        if self.debuglevel > 0 and emit:
            printable = shown if shown is not None else data
            if redacted is not None:
                printable = (
                    redacted.decode("ascii", "replace") if isinstance(printable, str) else redacted
                )
            self._print_debug("send:", repr(printable))
        sys.audit("smtplib.send", self, data if redacted is None else redacted)
        if self._sock_timeout != self._io_timeout:
            self._set_sock_timeout(self._io_timeout)
        sent = _time_ns() if in_step else 0
        try:
            self.sock.sendall(data)
        except TimeoutError as exc:
            self.close()
            raise SMTPTimeoutError("server stopped accepting data") from exc
        except OSError as exc:
            self._readable_now()  # keep a reply the server sent before it hung up
            self.close()
            raise SMTPServerDisconnected("Server not connected") from exc
        stale = self._stale_after_send(sent) if in_step else None
        if self._deferred is not None:
            self._settle()
        if stale is not None:  # recorded where it arrived: before the command
            self.transcript.emit(Event(EventKind.RECEIVED, stale, flags=UNSOLICITED))
        if emit and record:
            event = sent_event(data, redacted)
            self._sent_at = event[3]  # its monotonic time: one clock read, not two
            self.transcript.emit(event)
        else:
            self._sent_at = time.monotonic()
        if stale is not None:
            self._out_of_step(stale, b"the command went out, then the connection was closed")

    def send(self, s: str | bytes) -> None:
        """Send ``s`` as it is (str is encoded with ``command_encoding``)."""
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        data = encode_line(s, self.command_encoding) if isinstance(s, str) else bytes(s)
        redacted = REDACTED + CRLF.encode() if self._auth_pending else None
        self._write(data, redacted=redacted, shown=s)

    # ------------------------------------------------------------------ reading

    def _readable_now(self) -> bool:
        """True if bytes are waiting; reads them into the buffer.  Never blocks."""
        sock = self.sock
        if sock is None or self._eof:
            return bool(self._rbuf)
        if self._rbuf:
            return True
        if not (self._tls_info is not None and sock.pending()):  # type: ignore[attr-defined]
            try:
                if self._polled is not sock:
                    self._watch(sock)
                if not self._poll(0):
                    return False
            except (OSError, ValueError):
                return False
        self._set_sock_timeout(0.0)
        try:
            chunk = sock.recv(_RECV_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        except OSError:
            self._eof = True
            return False
        finally:
            self._set_sock_timeout(self._io_timeout)
        if not chunk:
            self._eof = True
            return False
        self._rbuf += chunk
        return True

    def _watch(self, sock: socket.socket) -> None:
        """Poll ``sock`` from now on (and have it time-stamp what it receives, if it can)."""
        self._poll, self._polled = poller(sock), sock
        self._stamped = sock if self._tls_info is None and time_stamp(sock) else None

    def _ensure_in_step(self) -> None:
        """Before a command: bytes that arrived while no reply was owed mean desync."""
        if self._awaiting:
            return
        if self._polled is self.sock and self._tls_info is None and not self._rbuf:
            # The common case inline: a plain socket already watched, nothing buffered; one
            # poll() says whether anything arrived.  The rest (TLS's own buffer, a socket not
            # yet watched, bytes to read) goes through _readable_now().
            try:
                if not self._poll(0):
                    return
            except (OSError, ValueError):
                return
        if not self._readable_now():
            return
        self._settle()
        stale = self._take_stale()
        self.transcript.emit(Event(EventKind.RECEIVED, stale, flags=UNSOLICITED))
        self._out_of_step(stale, b"connection closed")

    def _stale_after_send(self, sent: int) -> bytes | None:
        """The desync check off the round trip (issue 15): after a command was written at
        ``sent`` (ns since the epoch) with no reply owed, on a time-stamped socket, the
        bytes that arrived before it, or None (see ``_watch.arrived_before``)."""
        early = arrived_before(self.sock, self._poll, sent)
        if not early:
            if early is None:  # no timestamps after all: look before each write
                self._stamped = None
            return None
        self._readable_now()
        return self._take_stale()

    def _take_stale(self) -> bytes:
        stale = bytes(self._rbuf)
        self._rbuf.clear()
        return stale

    def _out_of_step(self, stale: bytes, after: bytes) -> None:
        """Close, and raise the error for ``stale`` bytes (already recorded as such)."""
        code = int(stale[:3]) if stale[:3].isdigit() else -1
        self.close()
        raise SMTPProtocolError(
            code,
            b"unsolicited data from server before the command was sent "
            b"(session out of step; " + after + b"): " + stale[:200],
        )

    def _timed_out(self) -> None:
        self.close()
        raise SMTPTimeoutError(f"no complete reply within the {self._io_timeout} s timeout")

    def _lost(self, text: str) -> None:
        if self._aborted:
            text = "cancelled: the connection was closed to stop the command"
        if self._rbuf:
            self.transcript.emit(Event(EventKind.RECEIVED, bytes(self._rbuf), flags=INCOMPLETE))
            self._rbuf.clear()
        self.close()
        raise SMTPServerDisconnected(text)

    def _readline(self, deadline: float | None) -> bytes:
        """The next line, LF included (or ``max_line + 1`` bytes, for the assembler to refuse),
        reading within ``deadline``; a lost connection or the deadline raises."""
        rbuf = self._rbuf
        while True:
            if rbuf:
                end = rbuf.find(b"\n")
                if end >= 0:
                    line = bytes(rbuf[: end + 1])
                    del rbuf[: end + 1]
                    return line
                max_line = self.limits.max_line
                if len(rbuf) > max_line:
                    line = bytes(rbuf[: max_line + 1])
                    rbuf.clear()
                    return line
            sock = self.sock
            if sock is None or self._eof:
                self._lost("Connection unexpectedly closed")
            if deadline is not None:
                self._time_left(deadline)
            try:
                chunk = sock.recv(_RECV_SIZE)  # type: ignore[union-attr]
            except TimeoutError:
                self._timed_out()
            except OSError as exc:
                self._lost(f"Connection unexpectedly closed: {exc}")
            if not chunk:
                self._eof = True
                self._lost("Connection unexpectedly closed")
            if not rbuf and chunk.find(b"\n") == len(chunk) - 1:
                return chunk  # the common case: one recv() brought exactly one line
            rbuf += chunk

    def _time_left(self, deadline: float) -> None:
        """Before a read: time out if the deadline has passed, else set the socket's timeout
        to what is left (only when that matters: settimeout costs system calls)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            self._timed_out()
        current = self._sock_timeout
        if current is None or current > remaining + 0.01 or current < remaining * 0.9:
            self._set_sock_timeout(remaining)

    def _read_reply(self) -> Reply:
        if self._deferred is not None:
            self._settle()
        if self.sock is None and not self._rbuf:
            raise SMTPServerDisconnected("please run connect() first")
        assembler: ReplyAssembler | None = None
        deadline = time.monotonic() + self._io_timeout if self._io_timeout else None
        while True:
            line = self._readline(deadline)
            if self.debuglevel > 0:
                self._print_debug("reply:", repr(line))
            try:
                if assembler is None and (reply := parse_final_line(line, self.limits)):
                    pass  # the common case: a one-line reply
                else:
                    assembler = assembler or ReplyAssembler(self.limits)
                    reply = assembler.feed_line(line)
            except SMTPProtocolError:
                self.transcript.emit(Event(EventKind.RECEIVED, line, flags=MALFORMED))
                self.close()
                raise
            if reply is None:
                self.transcript.emit(received_event(line))
                continue
            now = time.monotonic()
            latency = now - self._sent_at if self._sent_at is not None else None
            verb, command = self._awaiting.popleft() if self._awaiting else ("", "")
            code = reply[0]
            if self._defer_replies and verb in _DEFERRABLE and 200 <= code < 400:
                event = received_event(line, code, latency, command, now)
                self._deferred = (event, reply, latency, verb, command)
                return reply
            self.transcript.emit_reply(line, code, latency, command, now)
            if verb in TRANSITIONS or code == 421 or code == 334 or self._auth_pending:
                self._after_reply(reply, latency, verb, command)
            else:  # _after_reply() for a reply that changes nothing but the last reply
                self._last_reply = (code, latency)
            return reply

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply: ``(code, message)`` with the lines joined by LF, as smtplib."""
        reply = self._read_reply()
        if self.debuglevel > 0:
            self._print_debug(f"reply: retcode ({reply.code}); Msg: {reply.message!a}")
        return reply.code, reply.message

    # ------------------------------------------------------------------ ending

    def _after_close(self, reason: str) -> None:
        self.transcript.emit(Event(EventKind.CLOSE, text=reason))
        self._update(connected=False, tls=False, tls_verified=None, in_data=False)

    def abort(self) -> None:
        """Break the connection from another thread: a call blocked in it fails promptly
        with SMTPServerDisconnected.  For faces that cancel the command in flight."""
        sock = self.sock
        if sock is not None:
            self._aborted = True
            try:
                sock.shutdown(net().SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        """Close the connection (no QUIT; see quit())."""
        self._settle()
        sock, self.sock = self.sock, None
        self.file = None
        self._tls_info = None
        self._polled, self._poll, self._stamped = None, no_poll, None
        if sock is not None:
            try:
                sock.close()
            finally:
                self._after_close("connection closed")
