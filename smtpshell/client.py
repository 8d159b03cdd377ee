"""SMTP, SMTP_SSL and LMTP: smtplib's API and wire behaviour, hardened, with a transcript.

The class layout, method names, return values and debug output follow ``smtplib`` so that
``import smtpshell as smtplib`` keeps working code working.  Where smtplib is unsafe
(unbounded or lenient reads, unverified TLS, silent address rewriting, LF smuggling in bytes
messages, a password retried through weaker mechanisms...) this module is strict instead;
every such difference is listed with its reason in docs/differences.md.

All parsing lives in :mod:`smtpshell.protocol`; this module only moves bytes between it and
the socket, and reports each byte to :attr:`SMTP.transcript`.
"""

from __future__ import annotations

import copy
import datetime
import io
import select
import socket
import ssl
import sys
import time
from collections import deque, namedtuple
from collections.abc import Callable, Iterable, Sequence

from smtpshell import auth as sasl
from smtpshell.errors import (
    SMTPAuthenticationError,
    SMTPAuthLoopError,
    SMTPBadGreeting,
    SMTPCertificateError,
    SMTPConnectError,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPInvalidPort,
    SMTPMessageTooLarge,
    SMTPNotSupportedError,
    SMTPProtocolError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
    SMTPTLSError,
    SMTPUTF8RequiredError,
    connect_error,
)
from smtpshell.protocol import (
    CRLF,
    DEFAULT_LIMITS,
    Limits,
    Reply,
    ReplyAssembler,
    addr_only,
    check_no_control,
    dot_stuffed_chunks,
    encode_line,
    encode_message,
    envelope_address,
    format_command,
    parse_ehlo,
    quoteaddr,
    quotedata,
)
from smtpshell.protocol.data import CHUNK_SIZE
from smtpshell.protocol.replies import parse_final_line
from smtpshell.transcript import REDACTED, Event, EventKind, Transcript

TYPE_CHECKING = False  # typing costs import time, and annotations here are only strings
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "LMTP",
    "LMTP_PORT",
    "SMTP",
    "SMTP_PORT",
    "SMTP_SSL",
    "SMTP_SSL_PORT",
    "SessionState",
    "default_context",
    "quoteaddr",
    "quotedata",
    "unverified_context",
]

SMTP_PORT = 25
SMTP_SSL_PORT = 465
LMTP_PORT = 2003

# smtplib's other module-level names (issue 14): code ported from smtplib, and CPython's own
# test_smtplib, read them from the module that stands in for smtplib.  Our bounds live in
# Limits; these mirror the defaults (smtplib's _MAXLINE is 8192, _MAXCHALLENGE 5).
_MAXLINE = DEFAULT_LIMITS.max_line
_MAXCHALLENGE = DEFAULT_LIMITS.max_auth_rounds
bCRLF = CRLF.encode("ascii")
# MAIL/RCPT argument prefixes as the running interpreter's smtplib sends them: 3.13 sends
# "mail from:" / "rcpt to:", earlier versions "mail FROM:" / "rcpt TO:" (issue 14).
_MAIL_FROM, _RCPT_TO = ("from:", "to:") if sys.version_info >= (3, 13) else ("FROM:", "TO:")

_GLOBAL_DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
_RECV_SIZE = 1 << 16
#: The pseudo-verb recorded for a line sent in answer to a 334 challenge.
_AUTH_RESPONSE = "<auth-response>"
#: RFC 4954 §6: 504 means "mechanism not supported": the credentials were never judged, so
#: login() may try the next mechanism.  Any other failure is final.
_MECHANISM_UNSUPPORTED = 504


def default_context() -> ssl.SSLContext:
    """The TLS context used when none is given: verifies the certificate and the host name."""
    return ssl.create_default_context()


def unverified_context() -> ssl.SSLContext:
    """A context that accepts any certificate.  Saying so is the only way to get one.

    Connections made with it are marked unverified in the transcript and in ``tls_info()``.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_SESSION_FIELDS = {
    "host": "",
    "port": 0,
    "connected": False,
    "greeted": False,
    "esmtp": False,
    "tls": False,
    "tls_verified": None,
    "authenticated_as": None,
    "mail_from": None,
    "recipients": (),
    "in_data": False,
    "last_code": None,
    "last_latency": None,
}


class SessionState(
    namedtuple("SessionState", _SESSION_FIELDS, defaults=tuple(_SESSION_FIELDS.values()))
):
    """What the faces show about a session: where it is, how it is secured, what it did.

    Immutable.  A named tuple rather than a dataclass, so that ``import smtpshell`` does
    not pay for the dataclasses module.
    """

    __slots__ = ()

    @property
    def stage(self) -> str:
        """A short name for the transaction stage, for prompts and status bars."""
        if not self.connected:
            return "disconnected"
        if self.in_data:
            return "data"
        if self.recipients:
            return "rcpt"
        if self.mail_from is not None:
            return "mail"
        return "ready" if self.greeted else "connected"


#: Size of a BDAT chunk: big enough that headers are noise, small enough to stay streamed.
BDAT_CHUNK_SIZE = 1 << 20


def _bdat_chunks(payload: bytes) -> Iterable[tuple[str, bytes]]:
    """``("BDAT n [LAST]", chunk)`` pairs; an empty message is a single ``BDAT 0 LAST``."""
    view = memoryview(payload)
    total = len(payload)
    start = 0
    while True:
        stop = min(start + BDAT_CHUNK_SIZE, total)
        last = " LAST" if stop == total else ""
        yield f"BDAT {stop - start}{last}", bytes(view[start:stop])
        if last:
            return
        start = stop


def _verified_chain(tls_sock: ssl.SSLSocket) -> list[bytes] | None:
    get_chain = getattr(tls_sock, "get_verified_chain", None)
    if get_chain is None:
        return None
    try:
        return [
            bytes(cert) if isinstance(cert, bytes) else cert.public_bytes(ssl.ENCODING_DER)
            for cert in get_chain()
        ]
    except (ssl.SSLError, ValueError, AttributeError):
        return None


def _first_of_each(recipients: Sequence[str], paths: Sequence[str]) -> list[str]:
    """Recipients with duplicates (by the path actually sent) dropped, first spelling kept."""
    seen: set[str] = set()
    unique = []
    for each, path in zip(recipients, paths, strict=True):
        if path not in seen:
            seen.add(path)
            unique.append(each)
    return unique


def _binary_payload(msg: str | bytes) -> bytes:
    """BODY=BINARYMIME content goes as is: no line-ending changes (RFC 3030 §3)."""
    if isinstance(msg, str):
        raise TypeError("a BODY=BINARYMIME message must be bytes")
    return bytes(msg)


#: The verbs whose replies change the session state (the rest only update the last reply).
_TRACKED_VERBS = frozenset(
    {
        "EHLO",
        "LHLO",
        "HELO",
        "RSET",
        "AUTH",
        _AUTH_RESPONSE,
        "MAIL",
        "RCPT",
        "DATA",
        "<data>",
        "BDAT",
    }
)


def _poll_readable(sock: socket.socket) -> bool:
    """Readable (or closed) right now?  poll(), not select(): no FD_SETSIZE limit, so a
    process with many open files (a probe of many targets) still works."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _set_nodelay(sock: socket.socket) -> None:
    """Turn Nagle's algorithm off on a TCP socket (no-op for Unix sockets and the like).

    SMTP writes a command or a DATA piece and then waits for a reply.  With Nagle on, a
    write that leaves a partial segment behind an unacknowledged one (the second 64 KiB
    DATA piece, a message of 64 KiB to ~130 KB) waits for the peer's ACK, and a peer
    using delayed ACKs holds that ACK for up to 40 ms (Linux) or 200 ms: each such message
    took ~44 ms instead of ~1 ms.  Our writes are already whole commands or big pieces,
    so there is nothing for Nagle to coalesce.  Failure is harmless (odd socket types).
    """
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _path_argument(line: str) -> str:
    """The address of a MAIL FROM:/RCPT TO: line, as typed (angle brackets dropped)."""
    _, _, rest = line.partition(":")
    path = rest.strip().split(" ", 1)[0] if rest.strip() else ""
    return path.removeprefix("<").removesuffix(">")


#: The changes that end a transaction (RSET, EHLO, a new MAIL, the end of the data).
_SESSION_RESET = {"mail_from": None, "recipients": (), "in_data": False}


class SMTP:
    """An SMTP connection, as :class:`smtplib.SMTP`.

    Extra keyword-only arguments: ``transcript`` (a :class:`Transcript` to record into;
    one bounded transcript per instance by default) and ``limits`` (read bounds).
    """

    debuglevel = 0
    sock: socket.socket | None = None
    #: smtplib keeps a makefile() here; smtpshell reads the socket itself, so it stays None.
    file = None
    helo_resp: bytes | None = None
    ehlo_msg = "ehlo"
    ehlo_resp: bytes | None = None
    does_esmtp = False
    default_port = SMTP_PORT

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        *,
        transcript: Transcript | None = None,
        limits: Limits = DEFAULT_LIMITS,
        pipelining: bool = False,
        chunking: bool = False,
    ):
        self._host = host
        #: Opt-in (RFC 2920): sendmail() sends MAIL, RCPTs and DATA/BDAT in one batch when
        #: the server advertises PIPELINING.  Off by default: the wire stays smtplib's.
        self.pipelining = pipelining
        #: Opt-in (RFC 3030): sendmail() uses BDAT instead of DATA when CHUNKING is offered.
        self.chunking = chunking
        self.timeout = timeout
        self.esmtp_features: dict[str, str] = {}
        self.command_encoding = "ascii"
        self.source_address = source_address
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
        self._tls_info: dict[str, Any] | None = None
        self._state = SessionState()
        self.lmtp_replies: list[tuple[str, int, bytes]] = []
        #: The recipients of the transaction whose data was just sent (LMTP replies to each).
        self._data_recipients: tuple[str, ...] = ()
        if host:
            (code, msg) = self.connect(host, port)
            if code != 220:
                self.close()
                raise SMTPConnectError(code, msg)
        if local_hostname is not None:
            self.local_hostname = local_hostname
        else:
            # RFC 5321 §4.1.4: the FQDN, else an address literal (smtplib's algorithm).
            fqdn = socket.getfqdn()
            if "." in fqdn:
                self.local_hostname = fqdn
            else:
                addr = "127.0.0.1"
                try:
                    addr = socket.gethostbyname(socket.gethostname())
                except OSError:
                    pass
                self.local_hostname = f"[{addr}]"

    # ------------------------------------------------------------------ context and repr

    def __enter__(self):
        return self

    def __exit__(self, *args):
        try:
            code, message = self.docmd("QUIT")
            if code != 221:
                raise SMTPResponseException(code, message)
        except SMTPServerDisconnected:
            pass
        finally:
            self.close()

    def __repr__(self) -> str:
        state = self._state
        where = f"{state.host}:{state.port}" if state.connected else "not connected"
        extras = [" tls" if state.tls else ""]
        if state.authenticated_as:
            extras.append(f" user={state.authenticated_as!r}")
        return f"<{type(self).__module__}.{type(self).__qualname__} {where}{''.join(extras)}>"

    # ------------------------------------------------------------------ debug output

    def set_debuglevel(self, debuglevel: int) -> None:
        """1: each line sent and received on stderr, as smtplib prints it; 2: with times."""
        self.debuglevel = debuglevel

    def _print_debug(self, *args: Any) -> None:
        if self.debuglevel > 1:
            print(datetime.datetime.now().time(), *args, file=sys.stderr)
        else:
            print(*args, file=sys.stderr)

    # ------------------------------------------------------------------ session state

    @property
    def expecting_auth_response(self) -> bool:
        """True while the server waits for an answer to a 334 challenge (a secret line)."""
        return self._auth_pending

    @property
    def raw_line_open_secret(self) -> bool:
        """True when an earlier send_raw() left an AUTH line, or an answer to a 334,
        unfinished: the next raw bytes continue a secret."""
        partial = self._raw_partial
        if not partial:
            return False
        if self._auth_pending:
            return partial.strip() != b"*"
        return partial.lstrip()[:5].upper() == b"AUTH "

    @property
    def session(self) -> SessionState:
        """An immutable snapshot of the session, for prompts, status bars and inspectors."""
        return self._state

    def tls_info(self) -> dict[str, Any] | None:
        """Protocol, cipher, verification and peer certificate of the TLS layer, if any."""
        return dict(self._tls_info) if self._tls_info is not None else None

    # Every reply changes the session, but faces read it far less often, and building a
    # frozen dataclass costs ~5 us.  So changes are recorded as a (snapshot, changes) pair
    # and the new snapshot is built when read.  Only the client's thread writes; a reader on
    # any thread builds from one consistent pair and caches the result by that pair.

    @property
    def _state(self) -> SessionState:
        live, last = self._live, self._last_reply
        cached = self._built
        if cached is not None and cached[0] is live and cached[1] is last:
            return cached[2]
        state = live[0]._replace(**live[1], last_code=last[0], last_latency=last[1])
        self._built = (live, last, state)
        return state

    @_state.setter
    def _state(self, state: SessionState) -> None:
        self._live: tuple[SessionState, dict[str, Any]] = (state, {})
        #: (code, latency) of the last reply: set on every reply, so kept out of ``_live``.
        self._last_reply: tuple[int | None, float | None] = (state.last_code, state.last_latency)
        self._built: tuple[object, object, SessionState] | None = None

    def _current(self, name: str) -> Any:
        """One field of the session, without building a snapshot."""
        state, changes = self._live
        return changes[name] if name in changes else getattr(state, name)

    def _update(self, **changes: Any) -> None:
        state, pending = self._live
        self._live = (state, {**pending, **changes})

    def _reset_session(self) -> None:
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

    # ------------------------------------------------------------------ connecting

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        if timeout is not None and not timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        if self.debuglevel > 0:
            self._print_debug("connect: to", (host, port), self.source_address)
        sock = socket.create_connection((host, port), timeout, self.source_address)
        _set_nodelay(sock)  # before any TLS handshake (SMTP_SSL); STARTTLS keeps it
        self._announce_connect(sock, host, port)
        return sock

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
                detail={"text": f"connected to {where}", "host": host, "port": port, "peer": peer},
            )
        )

    @staticmethod
    def _split_host_port(host: str, port: int) -> tuple[str, int]:
        if not port and (host.find(":") == host.rfind(":")):
            i = host.rfind(":")
            if i >= 0:
                host, port_text = host[:i], host[i + 1 :]
                try:
                    port = int(port_text)
                except ValueError:
                    # smtplib raises OSError here; SMTPInvalidPort is an OSError and a ValueError.
                    raise SMTPInvalidPort(f"nonnumeric port: {port_text!r}") from None
        return host, port

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: tuple[str, int] | None = None
    ) -> tuple[int, bytes]:
        """Connect to ``host`` (``host:port`` accepted) and return the greeting reply."""
        if source_address:
            self.source_address = source_address
        host, port = self._split_host_port(host, port)
        if not port:
            port = self.default_port
        sys.audit("smtplib.connect", self, host, port)
        if self.sock is not None:
            self.close()
        self._reset_session()
        try:
            sock = self._get_socket(host, port, self.timeout)
        except SMTPException:
            raise
        except OSError as exc:
            raise connect_error(exc, f"{host}:{port}") from exc
        return self._start_session(sock, host, port)

    def _start_session(self, sock: socket.socket, host: str, port: int) -> tuple[int, bytes]:
        self.sock = sock
        self.file = None
        self._io_timeout = self._sock_timeout = sock.gettimeout()
        self._update(host=host, port=port, connected=True, tls=self._tls_info is not None)
        if not self._connect_announced:  # a subclass's own _get_socket()
            _set_nodelay(sock)
            self._announce_connect(sock, host, port)
        if self._tls_info is not None:
            self._emit_tls_event()
        try:
            (code, msg) = self.getreply()
        except SMTPProtocolError as exc:  # smtplib: any greeting but 220 is SMTPConnectError
            raise SMTPBadGreeting(exc.smtp_code, exc.smtp_error) from None
        if self.debuglevel > 0:
            self._print_debug("connect:", repr(msg))
        return (code, msg)

    def _wrap_tls(self, context: ssl.SSLContext, sock: socket.socket, host: str) -> ssl.SSLSocket:
        """Handshake, mapping every failure to an SMTP error and closing the connection."""
        hostname = host or None
        try:
            tls_sock = context.wrap_socket(sock, server_hostname=hostname)
        except ssl.SSLCertVerificationError as exc:
            self._discard(sock, "TLS certificate verification failed")
            error = SMTPCertificateError(
                f"certificate verification failed for {host}: {exc.verify_message or exc}"
            )
            error.verify_code, error.verify_message = exc.verify_code, exc.verify_message
            raise error from exc
        except ssl.SSLError as exc:
            self._discard(sock, "TLS handshake failed")
            raise SMTPTLSError(f"TLS handshake with {host} failed: {exc}") from exc
        except TimeoutError as exc:
            self._discard(sock, "TLS handshake timed out")
            raise SMTPTimeoutError(f"TLS handshake with {host} timed out") from exc
        except OSError as exc:
            self._discard(sock, "connection lost during TLS handshake")
            raise SMTPServerDisconnected(f"connection lost during TLS handshake: {exc}") from exc
        cipher = tls_sock.cipher()
        verified = context.verify_mode != ssl.CERT_NONE
        self._tls_info = {
            "version": tls_sock.version(),
            "cipher": cipher[0] if cipher else None,
            "bits": cipher[2] if cipher else None,
            "verified": verified,
            "hostname_checked": context.check_hostname,
            "server_hostname": hostname,
            "peer_cert": tls_sock.getpeercert() if verified else None,
            "peer_cert_der": tls_sock.getpeercert(binary_form=True),
            # Python 3.13+: the chain as validated (leaf first), DER; None before 3.13.
            "verified_chain_der": _verified_chain(tls_sock) if verified else None,
        }
        return tls_sock

    def _discard(self, sock: socket.socket, reason: str) -> None:
        """Close a socket that failed before or during the handshake, and say why."""
        if self.sock is sock:
            self.sock = None
        sock.close()
        self._tls_info = None
        self._after_close(reason)

    def _emit_tls_event(self) -> None:
        info = self._tls_info or {}
        verified = info.get("verified")
        how = "certificate verified" if verified else "certificate NOT verified"
        text = f"TLS established: {info.get('version')} {info.get('cipher')} ({how})"
        self._update(tls=True, tls_verified=verified)
        self.transcript.emit(
            Event(
                EventKind.TLS,
                detail={
                    "text": text,
                    "version": info.get("version"),
                    "cipher": info.get("cipher"),
                    "verified": verified,
                },
            )
        )
        if self.debuglevel > 0 and not verified:
            self._print_debug("tls: certificate NOT verified")

    # ------------------------------------------------------------------ writing

    def _set_sock_timeout(self, value: float | None) -> None:
        if value != self._sock_timeout and self.sock is not None:
            self.sock.settimeout(value)
            self._sock_timeout = value

    def _write(
        self, data: bytes, *, redacted: bytes | None = None, shown: Any = None, emit: bool = True
    ) -> None:
        """Send ``data`` and record it; ``shown`` is what debug output prints (smtplib's repr)."""
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
        self._set_sock_timeout(self._io_timeout)
        try:
            self.sock.sendall(data)
        except TimeoutError as exc:
            self.close()
            raise SMTPTimeoutError("server stopped accepting data") from exc
        except OSError as exc:
            self._readable_now()  # keep a reply the server sent before it hung up
            self.close()
            raise SMTPServerDisconnected("Server not connected") from exc
        self._sent_at = time.monotonic()
        if emit:
            self.transcript.emit(Event(EventKind.SENT, data, redacted=redacted))

    def send(self, s: str | bytes) -> None:
        """Send ``s`` as it is (str is encoded with ``command_encoding``)."""
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        data = encode_line(s, self.command_encoding) if isinstance(s, str) else bytes(s)
        redacted = REDACTED + CRLF.encode() if self._auth_pending else None
        self._write(data, redacted=redacted, shown=s)

    def _redaction_for(self, line: str) -> bytes | None:
        """Mark the bytes that carry AUTH data: an initial response, or any answer to a 334."""
        if self._auth_pending:
            if line.strip() == "*":
                return None
            return REDACTED + b"\r\n"
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].upper() == "AUTH":
            return f"{parts[0]} {parts[1]} ".encode("ascii", "replace") + REDACTED + b"\r\n"
        return None

    def putcmd(self, cmd: str, args: str = "") -> None:
        """Send one command line; CR, LF and NUL anywhere in it are a ValueError."""
        try:
            line = format_command(cmd, args)
            data = encode_line(line + CRLF, self.command_encoding)
        except ValueError:
            if self._auth_pending or cmd.lstrip()[:4].upper() == "AUTH":
                # The usual message quotes the line: never an AUTH payload.
                raise ValueError(
                    "AUTH data contains a CR, LF or NUL character, or one the connection "
                    "cannot encode (not shown: it is secret)"
                ) from None
            raise
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        auth = self._auth_pending or line.lstrip()[:4].upper() == "AUTH"
        redacted = self._redaction_for(line) if auth else None
        verb = _AUTH_RESPONSE if self._auth_pending else line.split(" ", 1)[0].upper()
        self._ensure_in_step()
        self._write(data, redacted=redacted, shown=line + CRLF)
        self._awaiting.append((verb, line if redacted is None else verb))
        if auth:
            self._note_auth_identity(verb, line)

    def _note_auth_identity(self, verb: str, line: str) -> None:
        """Remember who an AUTH exchange is for (never the password), typed or not."""
        if verb == "AUTH":
            parts = line.split(None, 2)
            self._auth_mechanism = parts[1].upper() if len(parts) > 1 else ""
            self._auth_user = (
                sasl.user_from_response(self._auth_mechanism, parts[2]) if len(parts) == 3 else None
            )
        elif verb == _AUTH_RESPONSE and self._auth_user is None and line.strip() != "*":
            self._auth_user = sasl.user_from_response(self._auth_mechanism, line)

    def send_raw(self, data: bytes) -> None:
        """Write exactly ``data``: raw mode, for testing servers with malformed input.

        Nothing is checked or added.  It is still tracked: outside a message, each complete
        line is a command awaiting its reply; inside one (after 354) the data is message
        text and ``.CRLF`` ends it.  AUTH payloads are marked secret as for putcmd().
        """
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        data = bytes(data)
        lines = data.splitlines(keepends=True)
        secret = [self._redaction_for(line.decode("latin-1").rstrip("\r\n")) for line in lines]
        if lines and self._raw_partial and not self._state.in_data:
            # The first line finishes one an earlier write began ("AUTH PLAIN " then the
            # payload): judged whole, and when it is secret, this part of it is all secret.
            whole = (self._raw_partial + lines[0]).decode("latin-1").rstrip("\r\n")
            if self.raw_line_open_secret or self._redaction_for(whole) is not None:
                body = lines[0].rstrip(b"\r\n")
                secret[0] = REDACTED + lines[0][len(body) :]
        last = lines[-1] if lines else b""
        if self._state.in_data or not lines or last.endswith(b"\n"):
            self._raw_partial = b""
        else:
            start = self._raw_partial if len(lines) == 1 else b""
            self._raw_partial = (start + last)[:512]
        redacted = None
        if any(r is not None for r in secret):
            redacted = b"".join(
                r if r is not None else line for r, line in zip(secret, lines, strict=True)
            )
        self._ensure_in_step()
        self._write(data, redacted=redacted)
        if self._state.in_data:
            if data.startswith(b".\r\n") or b"\r\n.\r\n" in data:
                self._awaiting.append(("<data>", "<data>"))
            return
        for line, was_secret in zip(lines, secret, strict=True):
            if not line.endswith(b"\n"):
                continue
            text = line.decode("latin-1").rstrip("\r\n")
            verb = _AUTH_RESPONSE if self._auth_pending else text.split(" ", 1)[0].upper()
            self._awaiting.append((verb, verb if was_secret is not None else text))
            self._note_auth_identity(verb, text)

    def _put_batch(self, lines: Sequence[str], tail: bytes = b"") -> None:
        """Several commands (and the data of a final BDAT) in one write: RFC 2920 pipelining.

        One write, not one per command: with Nagle's algorithm, a second small write would
        wait for the first one's ACK and cost the round trip pipelining exists to save.
        """
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        encoded = []
        for line in lines:
            line = format_command(line)
            encoded.append((line, encode_line(line + CRLF, self.command_encoding)))
        self._ensure_in_step()
        if self.debuglevel > 0:
            for line, _ in encoded:
                self._print_debug("send:", repr(line + CRLF))
        self._write(b"".join(data for _, data in encoded) + tail, emit=False)
        for line, data in encoded:
            self.transcript.emit(Event(EventKind.SENT, data, detail={"pipelined": True}))
            self._awaiting.append((line.split(" ", 1)[0].upper(), line))
        if tail:
            self.transcript.emit(Event(EventKind.SENT, tail))

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
                if not _poll_readable(sock):
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

    def _ensure_in_step(self) -> None:
        """Before a command: bytes that arrived while no reply was owed mean desync."""
        if self._awaiting or not self._readable_now():
            return
        stale = bytes(self._rbuf)
        self._rbuf.clear()
        self.transcript.emit(Event(EventKind.RECEIVED, stale, detail={"unsolicited": True}))
        code = int(stale[:3]) if stale[:3].isdigit() else -1
        self.close()
        raise SMTPProtocolError(
            code,
            b"unsolicited data from server before the command was sent "
            b"(session out of step; connection closed): " + stale[:200],
        )

    def _fill(self, deadline: float | None) -> None:
        self._rbuf += self._recv(deadline)

    def _recv(self, deadline: float | None) -> bytes:
        """One recv() within the deadline; never returns b"" (that is a lost connection)."""
        sock = self.sock
        if sock is None or self._eof:
            self._lost("Connection unexpectedly closed")
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._timed_out()
            # Adjust only when it matters: settimeout costs system calls on every read.
            current = self._sock_timeout
            if current is None or current > remaining + 0.01 or current < remaining * 0.9:
                self._set_sock_timeout(remaining)
        try:
            chunk = sock.recv(_RECV_SIZE)  # type: ignore[union-attr]
        except TimeoutError:
            self._timed_out()
        except OSError as exc:
            self._lost(f"Connection unexpectedly closed: {exc}")
        if not chunk:
            self._eof = True
            self._lost("Connection unexpectedly closed")
        return chunk

    def _timed_out(self) -> None:
        self.close()
        raise SMTPTimeoutError(f"no complete reply within the {self._io_timeout} s timeout")

    def _lost(self, text: str) -> None:
        if self._aborted:
            text = "cancelled: the connection was closed to stop the command"
        if self._rbuf:
            self.transcript.emit(
                Event(EventKind.RECEIVED, bytes(self._rbuf), detail={"incomplete": True})
            )
            self._rbuf.clear()
        self.close()
        raise SMTPServerDisconnected(text)

    def _readline(self, deadline: float | None) -> bytes:
        if not self._rbuf:
            # The common case: one recv() brings exactly one line; hand it over as it is.
            chunk = self._recv(deadline)
            if chunk.find(b"\n") == len(chunk) - 1:
                return chunk
            self._rbuf += chunk
        max_line = self.limits.max_line
        while True:
            end = self._rbuf.find(b"\n")
            if end >= 0:
                line = bytes(self._rbuf[: end + 1])
                del self._rbuf[: end + 1]
                return line
            if len(self._rbuf) > max_line:
                line = bytes(self._rbuf[: max_line + 1])
                self._rbuf.clear()
                return line  # the assembler rejects it as too long
            self._fill(deadline)

    def _read_reply(self) -> Reply:
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
                self.transcript.emit(Event(EventKind.RECEIVED, line, detail={"malformed": True}))
                self.close()
                raise
            if reply is None:
                self.transcript.emit(Event(EventKind.RECEIVED, line))
                continue
            latency = time.monotonic() - self._sent_at if self._sent_at is not None else None
            verb, command = self._awaiting.popleft() if self._awaiting else ("", "")
            self.transcript.emit(
                Event(
                    EventKind.RECEIVED,
                    line,
                    detail={
                        "code": reply.code,
                        "final": True,
                        "latency": latency,
                        "command": command,
                    },
                )
            )
            self._after_reply(reply, latency, verb, command)
            return reply

    def getreply(self) -> tuple[int, bytes]:
        """Read one reply: ``(code, message)`` with the lines joined by LF, as smtplib."""
        reply = self._read_reply()
        if self.debuglevel > 0:
            self._print_debug(f"reply: retcode ({reply.code}); Msg: {reply.message!a}")
        return reply.as_tuple()

    def _after_reply(self, reply: Reply, latency: float | None, verb: str, command: str) -> None:
        """Track the session from each reply, whichever method or raw command caused it."""
        code = reply.code
        self._auth_pending = code == 334 and (verb == "AUTH" or verb == _AUTH_RESPONSE)
        self._last_reply = (code, latency)
        if verb not in _TRACKED_VERBS:
            if code == 421:
                self._server_closing()
            return
        changes: dict[str, Any] = {}
        positive = 200 <= code < 300
        if verb in ("EHLO", "LHLO"):
            # Typed by hand through docmd() or through ehlo(): the features follow either way.
            self.ehlo_resp = reply.message
            self.esmtp_features = parse_ehlo(reply.message) if code == 250 else {}
            if code == 250:
                self.does_esmtp = True
        elif verb == "HELO":
            self.helo_resp = reply.message
            if positive:
                # RFC 5321 §4.1.4: a new greeting resets the session; after HELO it is plain
                # SMTP, and extensions an earlier EHLO listed no longer apply.
                self.esmtp_features = {}
                self.does_esmtp = False
        if verb in ("EHLO", "HELO", "LHLO") and positive:
            changes.update(_SESSION_RESET, greeted=True, esmtp=verb != "HELO")
        elif verb in ("RSET",) and positive:
            changes.update(_SESSION_RESET)
        elif verb in ("AUTH", _AUTH_RESPONSE) and code == 235:
            changes["authenticated_as"] = (
                self._auth_user or getattr(self, "user", None) or "(unknown)"
            )
        elif verb == "MAIL" and code == 250:
            changes.update(_SESSION_RESET, mail_from=_path_argument(command))
        elif verb == "RCPT" and code in (250, 251):
            recipient = _path_argument(command)
            changes["recipients"] = (*self._current("recipients"), recipient)
        elif verb == "DATA" and code == 354:
            changes["in_data"] = True
        elif verb == "<data>" or (verb == "BDAT" and command.upper().endswith(" LAST")):
            self._data_recipients = self._current("recipients")
            changes.update(_SESSION_RESET)
        if changes:
            self._update(**changes)
        if code == 421:
            self._server_closing()

    def _server_closing(self) -> None:
        # RFC 5321 §3.8: the server is closing the channel; nothing more may be sent.
        self.transcript.note("server replied 421: connection closed")
        self.close()

    # ------------------------------------------------------------------ commands

    def docmd(self, cmd: str, args: str = "") -> tuple[int, bytes]:
        """Send a command and return its reply."""
        self.putcmd(cmd, args)
        return self.getreply()

    def helo(self, name: str = "") -> tuple[int, bytes]:
        """HELO; sets ``helo_resp`` (as every HELO reply does, see _after_reply)."""
        self.putcmd("helo", name or self.local_hostname)
        return self.getreply()

    def ehlo(self, name: str = "") -> tuple[int, bytes]:
        """EHLO (LHLO for LMTP); sets ``ehlo_resp``, ``does_esmtp``, ``esmtp_features``."""
        self.esmtp_features = {}
        self.putcmd(self.ehlo_msg, name or self.local_hostname)
        return self.getreply()

    def has_extn(self, opt: str) -> bool:
        return opt.lower() in self.esmtp_features

    def help(self, args: str = "") -> bytes:
        self.putcmd("help", args)
        return self.getreply()[1]

    def rset(self) -> tuple[int, bytes]:
        self.command_encoding = "ascii"
        return self.docmd("rset")

    def _rset(self) -> None:
        """RSET after a failed transaction; a disconnect surfaces at the next command."""
        try:
            self.rset()
        except SMTPServerDisconnected:
            pass

    def noop(self) -> tuple[int, bytes]:
        return self.docmd("noop")

    @staticmethod
    def _check_options(options: Iterable[str], what: str) -> list[str]:
        options = [options] if isinstance(options, str) else list(options)
        # Checked joined, as smtplib shows them: the error text names every injected option.
        check_no_control(" ".join(options), what)
        return options

    def _check_address_encoding(self, address: str, utf8_requested: bool) -> None:
        """Refuse a non-ASCII address the server cannot take, before MAIL is sent."""
        if address.isascii() or utf8_requested or self.command_encoding == "utf-8":
            return
        # smtplib raises UnicodeEncodeError here (when the line is encoded); so do we, early.
        if not self.has_extn("smtputf8"):
            raise SMTPUTF8RequiredError.for_text(
                address,
                f"address {address!r} is not ASCII and the server does not advertise SMTPUTF8",
            )
        raise SMTPUTF8RequiredError.for_text(
            address, f"address {address!r} is not ASCII: pass the SMTPUTF8 mail option (RFC 6531)"
        )

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        """MAIL FROM.  SMTPNotSupportedError if the SMTPUTF8 option is given but not offered;
        SMTPUTF8RequiredError (a UnicodeEncodeError) for a non-ASCII address without it."""
        self.putcmd("mail", self._mail_args(sender, options))
        return self.getreply()

    def _mail_args(self, sender: str, options: Sequence[str]) -> str:
        options = self._check_options(options, "mail option")
        path = envelope_address(sender)
        wants_utf8 = any(x.lower() == "smtputf8" for x in options)
        optionlist = ""
        if options and self.does_esmtp:
            if wants_utf8:
                if self.has_extn("smtputf8"):
                    self.command_encoding = "utf-8"
                else:
                    raise SMTPNotSupportedError("SMTPUTF8 not supported by server")
            optionlist = " " + " ".join(options)
        self._check_address_encoding(sender, wants_utf8 and self.does_esmtp)
        return f"{_MAIL_FROM}{path}{optionlist}"

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        """RCPT TO for one recipient."""
        self.putcmd("rcpt", self._rcpt_args(recip, options))
        return self.getreply()

    def _rcpt_args(self, recip: str, options: Sequence[str]) -> str:
        options = self._check_options(options, "rcpt option")
        path = envelope_address(recip)
        self._check_address_encoding(recip, False)
        optionlist = ""
        if options and self.does_esmtp:
            optionlist = " " + " ".join(options)
        return f"{_RCPT_TO}{path}{optionlist}"

    def data(self, msg: str | bytes) -> tuple[int, bytes]:
        """DATA and the message.  Line endings are normalised and leading dots doubled for
        bytes as for str; the message is encoded before DATA is sent."""
        payload = encode_message(msg)
        self.putcmd("data")
        (code, repl) = self.getreply()
        if self.debuglevel > 0:
            self._print_debug("data:", (code, repl))
        if code != 354:
            raise SMTPDataError(code, repl)
        (code, msg) = self._send_payload(payload)
        if self.debuglevel > 0:
            self._print_debug("data:", (code, msg))
        return (code, msg)

    def send_payload(self, msg: str | bytes) -> tuple[int, bytes]:
        """Send a message body after a ``354`` obtained by hand (``docmd("DATA")``).

        The same normalisation, dot-stuffing and end-of-data marker as ``data()``; for
        shells that step through DATA one command at a time.
        """
        return self._send_payload(encode_message(msg))

    def _send_payload(self, payload: bytes) -> tuple[int, bytes]:
        """Upload the stuffed message; a reply the server sends early is returned, not lost."""
        self._awaiting.append(("<data>", "<data>"))
        if len(payload) <= CHUNK_SIZE:
            chunks: Iterable[bytes] = (b"".join(dot_stuffed_chunks(payload)),)
        else:
            chunks = dot_stuffed_chunks(payload)
        try:
            for chunk in chunks:
                if self._readable_now():
                    return self._early_reply()
                self._write(chunk)
        except SMTPServerDisconnected:
            if self._rbuf:
                return self._early_reply()
            raise
        return self._read_data_replies(self.getreply())

    def _read_data_replies(self, first: tuple[int, bytes]) -> tuple[int, bytes]:
        """The reply to the end of the data; LMTP reads one more per extra recipient."""
        return first

    def _data_outcome(
        self, reply: tuple[int, bytes], accepted: list[str], senderrs: dict[str, tuple[int, bytes]]
    ) -> tuple[int, bytes]:
        """What sendmail() makes of the end of data; LMTP spreads it over the recipients."""
        return reply

    def _early_reply(self) -> tuple[int, bytes]:
        """The server answered in the middle of the upload: report it and end the session."""
        self._eof = True
        try:
            reply = self._read_reply()
        finally:
            self.close()
        self.transcript.note(f"server replied {reply.code} before the end of the data")
        return reply.as_tuple()

    def verify(self, address: str) -> tuple[int, bytes]:
        check_no_control(address, "address")
        self.putcmd("vrfy", addr_only(address))
        return self.getreply()

    vrfy = verify

    def expn(self, address: str) -> tuple[int, bytes]:
        check_no_control(address, "address")
        self.putcmd("expn", addr_only(address))
        return self.getreply()

    def ehlo_or_helo_if_needed(self) -> None:
        """EHLO, falling back to HELO, unless the session already greeted."""
        if self.helo_resp is None and self.ehlo_resp is None:
            (code, resp) = self.ehlo()
            if code == 421:
                raise SMTPHeloError(code, resp)
            if not (200 <= code <= 299):
                (code, resp) = self.helo()
                if not (200 <= code <= 299):
                    raise SMTPHeloError(code, resp)

    # ------------------------------------------------------------------ AUTH

    def _cancel_auth(self) -> tuple[int, bytes]:
        """RFC 4954 §4: a lone ``*`` cancels the exchange."""
        try:
            return self.docmd("*")
        except SMTPServerDisconnected:
            return (-1, b"")

    def auth(
        self,
        mechanism: str,
        authobject: Callable[..., str | bytes | None],
        *,
        initial_response_ok: bool = True,
    ) -> tuple[int, bytes]:
        """Run one SASL exchange; ``authobject(challenge)`` answers each 334 challenge.

        Only 235 is success.  Any other final reply raises SMTPAuthenticationError; a
        malformed challenge, or more than ``limits.max_auth_rounds`` of them, cancels the
        exchange first.
        """
        mechanism = mechanism.upper()
        check_no_control(mechanism, "mechanism")
        if " " in mechanism or not mechanism:
            raise ValueError(f"invalid SASL mechanism name: {mechanism!r}")
        initial_response = authobject() if initial_response_ok else None
        if initial_response is not None:
            response = sasl.encode_response(initial_response) or "="
            (code, resp) = self.docmd("AUTH", f"{mechanism} {response}")
            self._auth_challenge_count = 1
        else:
            (code, resp) = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            if self._auth_challenge_count > self.limits.max_auth_rounds:
                self._cancel_auth()
                raise SMTPAuthLoopError(code, resp[:100])  # str() is smtplib's loop-guard text
            try:
                challenge = sasl.decode_challenge(resp)
            except ValueError as exc:
                cancel_code, cancel_resp = self._cancel_auth()
                raise SMTPAuthenticationError(
                    cancel_code, f"{exc}; exchange cancelled".encode() + b" " + cancel_resp
                ) from None
            try:
                answer = authobject(challenge)
            except ValueError as exc:  # the mechanism refuses what the server sent
                cancel_code, _ = self._cancel_auth()
                raise SMTPAuthenticationError(
                    cancel_code, f"{exc}; exchange cancelled".encode()
                ) from None
            except BaseException:
                self._cancel_auth()
                raise
            (code, resp) = self.docmd(sasl.encode_response(answer or ""))
        if code == 235:
            if isinstance(authobject, sasl.ScramClient) and not authobject.verified:
                # RFC 5802 §5: success without the server's proof proves nothing.
                raise SMTPAuthenticationError(
                    code, b"server accepted SCRAM without proving it knows the password"
                )
            return (code, resp)
        raise SMTPAuthenticationError(code, resp)

    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:
        """Authobject for CRAM-MD5 (RFC 2195); uses ``self.user`` and ``self.password``."""
        if challenge is None:
            return None
        return sasl.cram_md5_response(self.user, self.password, challenge)

    def auth_plain(self, challenge: bytes | None = None) -> str:
        """Authobject for PLAIN (RFC 4616)."""
        return sasl.plain_response(self.user, self.password)

    def auth_login(self, challenge: bytes | None = None) -> str:
        """Authobject for LOGIN: the user name first, then the password."""
        if challenge is None or self._auth_challenge_count < 2:
            return self.user
        return self.password

    def scram_authobject(self, mechanism: str = "SCRAM-SHA-256") -> sasl.ScramClient:
        """A fresh SCRAM exchange for ``self.user`` / ``self.password``."""
        hash_name = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-1": "sha1"}[mechanism.upper()]
        return sasl.ScramClient(hash_name, self.user, self.password)

    def _authobject(self, mechanism: str) -> Callable[..., str | bytes | None]:
        if mechanism.startswith("SCRAM-"):
            return self.scram_authobject(mechanism)
        return getattr(self, "auth_" + mechanism.lower().replace("-", "_"))

    def login(
        self,
        user: str,
        password: str,
        *,
        initial_response_ok: bool = True,
        mechanisms: Sequence[str] | None = None,
    ):
        """Authenticate with the best mechanism the server offers.

        smtplib's preference (CRAM-MD5, PLAIN, LOGIN) unless ``mechanisms`` names others, in
        order, from ``auth.PASSWORD_MECHANISMS`` (SCRAM-SHA-256 and SCRAM-SHA-1 too).
        A rejection ends the attempt: the password is not offered again through a weaker
        mechanism.  Only a 504 (mechanism not supported) moves on to the next one.
        """
        preference = tuple(m.upper() for m in (mechanisms or sasl.LOGIN_PREFERENCE))
        unknown = [m for m in preference if m not in sasl.PASSWORD_MECHANISMS]
        if unknown:
            raise ValueError(f"login() cannot run {', '.join(unknown)}")
        if not isinstance(user, str) or not isinstance(password, str):
            raise TypeError("user and password must be str")
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        advertised = [m.upper() for m in self.esmtp_features["auth"].split()]
        authlist = [m for m in preference if m in advertised]
        if not authlist:
            raise SMTPException("No suitable authentication method found.")
        self.user, self.password = user, sasl.Secret(password)
        last_exception: SMTPAuthenticationError | None = None
        for authmethod in authlist:
            self.transcript.note(
                f"AUTH {authmethod} as {user!r} (password hidden)", mechanism=authmethod, user=user
            )
            try:
                return self.auth(
                    authmethod,
                    self._authobject(authmethod),
                    initial_response_ok=initial_response_ok,
                )
            except SMTPAuthenticationError as exc:
                last_exception = exc
                if exc.smtp_code != _MECHANISM_UNSUPPORTED:
                    raise
        assert last_exception is not None
        raise last_exception

    def login_oauth2(
        self, user: str, token: str, *, mechanism: str | None = None
    ) -> tuple[int, bytes]:
        """Authenticate with an OAuth 2.0 bearer token (OAUTHBEARER, RFC 7628, or XOAUTH2).

        Without ``mechanism``, OAUTHBEARER is preferred when both are offered.  Getting the
        token is the caller's business; it is a secret like a password.
        """
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        advertised = [m.upper() for m in self.esmtp_features["auth"].split()]
        choices = [mechanism.upper()] if mechanism else list(sasl.TOKEN_MECHANISMS)
        chosen = next((m for m in choices if m in advertised), None)
        if chosen is None:
            raise SMTPException(f"server offers none of {', '.join(choices)}")
        self.user, secret = user, sasl.Secret(token)
        host = self._state.host if not self._state.host.startswith("/") else ""
        if chosen == "OAUTHBEARER":
            first = sasl.oauthbearer_response(user, secret, host, self._state.port)
            error_answer = "\x01"  # RFC 7628 §3.2.3: acknowledge the error, then 535 follows
        else:
            first = sasl.xoauth2_response(user, secret)
            error_answer = ""

        def authobject(challenge: bytes | None = None) -> str:
            return first if challenge is None else error_answer

        self.transcript.note(
            f"AUTH {chosen} as {user!r} (token hidden)", mechanism=chosen, user=user
        )
        return self.auth(chosen, authobject)

    # ------------------------------------------------------------------ STARTTLS

    def starttls(self, *, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
        """Upgrade to TLS (RFC 3207), verifying the certificate unless told otherwise.

        All EHLO knowledge is forgotten afterwards: call ``ehlo()`` again.
        """
        if self._tls_info is not None:
            raise SMTPNotSupportedError("STARTTLS refused: the connection already uses TLS")
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("starttls"):
            raise SMTPNotSupportedError("STARTTLS extension not supported by server.")
        (resp, reply) = self.docmd("STARTTLS")
        if resp != 220:
            raise SMTPResponseException(resp, reply)
        if self._readable_now():
            injected = bytes(self._rbuf)
            self._rbuf.clear()
            self.transcript.emit(Event(EventKind.RECEIVED, injected, detail={"injected": True}))
            self.close()
            raise SMTPProtocolError(
                -1,
                b"plaintext arrived after the 220 reply to STARTTLS and before the TLS "
                b"handshake (STARTTLS injection); connection closed",
            )
        if context is None:
            context = default_context()
        assert self.sock is not None
        self.sock = self._wrap_tls(context, self.sock, self._state.host)
        self._sock_timeout = self.sock.gettimeout()
        self.file = None
        self.helo_resp = None
        self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self._update(greeted=False, esmtp=False)
        self._emit_tls_event()
        return (resp, reply)

    # ------------------------------------------------------------------ transactions

    def _check_size(self, payload: bytes, from_addr: str) -> None:
        limit_text = self.esmtp_features.get("size", "")
        if limit_text.isdigit() and 0 < int(limit_text) < len(payload):
            raise SMTPMessageTooLarge(
                552,
                f"not sent: the message is {len(payload)} bytes and the server's SIZE limit "
                f"is {int(limit_text)} (RFC 1870)".encode(),
                from_addr,
            )

    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: str | bytes,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """One whole transaction; returns the refused recipients, as smtplib.

        Everything that can be checked locally is checked before the first byte: addresses,
        options, the message's encoding, and (after EHLO) SIZE and SMTPUTF8.  Duplicate
        recipients are sent once; DATA is never sent when no recipient was accepted.
        """
        recipients = [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
        if not recipients:
            raise ValueError("sendmail() needs at least one recipient")
        envelope_address(from_addr)
        paths = [envelope_address(r) for r in recipients]
        mail_options = self._check_options(mail_options, "mail option")
        rcpt_options = self._check_options(rcpt_options, "rcpt option")
        binary = any(o.upper() == "BODY=BINARYMIME" for o in mail_options)
        payload = _binary_payload(msg) if binary else encode_message(msg)
        self.ehlo_or_helo_if_needed()
        esmtp_opts = []
        if self.does_esmtp:
            if self.has_extn("size"):
                self._check_size(payload, from_addr)
                esmtp_opts.append(f"size={len(payload)}")
            esmtp_opts.extend(mail_options)
        utf8 = self.does_esmtp and any(o.lower() == "smtputf8" for o in mail_options)
        for address in (from_addr, *recipients):
            self._check_address_encoding(address, utf8)
        use_bdat = self._use_chunking(binary)
        unique = _first_of_each(recipients, paths)
        if self.pipelining and self.does_esmtp and self.has_extn("pipelining"):
            mail_reply, rcpt_replies, first = self._pipelined_envelope(
                from_addr, esmtp_opts, unique, rcpt_options, payload, use_bdat
            )
        else:
            mail_reply, rcpt_replies, first = self.mail(from_addr, esmtp_opts), [], None
        if mail_reply[0] != 250:
            self._finish_refused(first, mail_reply[0])
            raise SMTPSenderRefused(mail_reply[0], mail_reply[1], from_addr)
        senderrs: dict[str, tuple[int, bytes]] = {}
        accepted: list[str] = []
        for index, each in enumerate(unique):
            if first is None:
                (code, resp) = self.rcpt(each, rcpt_options)
            else:
                (code, resp) = rcpt_replies[index]
            if code in (250, 251):
                accepted.append(each)
            else:
                senderrs[each] = (code, resp)
            if code == 421:
                raise SMTPRecipientsRefused(senderrs)
        if not accepted:
            self._finish_refused(first, 0)
            raise SMTPRecipientsRefused(senderrs)
        if use_bdat:
            (code, resp) = self._bdat(payload, first)
        elif first is not None:
            if first[0] != 354:
                raise SMTPDataError(*first)
            (code, resp) = self._send_payload(payload)
        else:
            (code, resp) = self.data(payload)
        (code, resp) = self._data_outcome((code, resp), accepted, senderrs)
        if code != 250:
            if self.sock is not None and code != 421:
                self._rset()
            raise SMTPDataError(code, resp)
        return senderrs

    def _use_chunking(self, binary: bool) -> bool:
        available = self.chunking and self.does_esmtp and self.has_extn("chunking")
        if binary and not (available and self.has_extn("binarymime")):
            raise SMTPNotSupportedError(
                "BODY=BINARYMIME needs chunking=True and a server that advertises CHUNKING "
                "and BINARYMIME (RFC 3030)"
            )
        return available

    def _pipelined_envelope(
        self,
        from_addr: str,
        mail_options: Sequence[str],
        recipients: Sequence[str],
        rcpt_options: Sequence[str],
        payload: bytes,
        use_bdat: bool,
    ) -> tuple[tuple[int, bytes], list[tuple[int, bytes]], tuple[int, bytes]]:
        """MAIL, every RCPT and DATA (or the first BDAT chunk) in one write (RFC 2920 §3.1).

        Returns the replies in command order: MAIL, each RCPT, then DATA's or BDAT's.
        """
        lines = ["mail " + self._mail_args(from_addr, mail_options)]
        lines += ["rcpt " + self._rcpt_args(each, rcpt_options) for each in recipients]
        tail = b""
        if use_bdat:
            header, chunk = next(_bdat_chunks(payload))
            lines.append(header)
            tail = chunk
        else:
            lines.append("data")
        self._put_batch(lines, tail)
        replies = [self._read_reply().as_tuple()]
        if replies[0][0] == 421:
            return replies[0], [], (421, b"")
        for _ in recipients:
            replies.append(self._read_reply().as_tuple())
            if replies[-1][0] == 421:
                padding = [(421, b"")] * (len(recipients) + 1 - len(replies))
                return replies[0], replies[1:] + padding, (421, b"")
        first = self._read_reply().as_tuple()
        return replies[0], replies[1:], first

    def _finish_refused(self, first: tuple[int, bytes] | None, code: int) -> None:
        """After a refused MAIL or no accepted RCPT: close a pipelined DATA, then RSET."""
        if self.sock is None or code == 421:
            return
        if first is not None and first[0] == 354:
            # RFC 2920 §3.1: the server said go ahead anyway; send an empty message's end.
            self._awaiting.append(("<data>", "<data>"))
            self._write(b".\r\n")
            self._read_reply()
        self._rset()

    def _bdat(self, payload: bytes, first: tuple[int, bytes] | None) -> tuple[int, bytes]:
        """The message as BDAT chunks (RFC 3030): no dot-stuffing, no end-of-data marker.

        ``first`` is the reply to the first chunk when the pipelined batch carried it.
        """
        reply = (250, b"")
        for index, (header, chunk) in enumerate(_bdat_chunks(payload)):
            if index == 0 and first is not None:
                reply = first
            else:
                if reply[0] != 250:
                    return reply
                self._awaiting.append(("BDAT", header))
                self._write(format_command(header).encode("ascii") + b"\r\n" + chunk)
                reply = self._read_reply().as_tuple()
            if header.endswith(" LAST"):
                reply = self._read_data_replies(reply)
        return reply

    def send_message(
        self,
        msg: Any,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """Send an :class:`email.message.Message`, with smtplib's header rules.

        Envelope from Sender/From and To/Cc/Bcc (or the single Resent-* block); Bcc and
        Resent-Bcc are never transmitted; SMTPUTF8 and BODY=8BITMIME when an address needs it.
        """
        import email.generator
        import email.utils

        self.ehlo_or_helo_if_needed()
        resent = msg.get_all("Resent-Date")
        if resent is None:
            header_prefix = ""
        elif len(resent) == 1:
            header_prefix = "Resent-"
        else:
            raise ValueError("message has more than one 'Resent-' header block")
        if from_addr is None:
            from_header = (
                msg[header_prefix + "Sender"]
                if (header_prefix + "Sender") in msg
                else msg[header_prefix + "From"]
            )
            if from_header is None:
                raise ValueError(f"message has no {header_prefix}From or Sender header")
            from_addr = email.utils.getaddresses([from_header])[0][1]
        if to_addrs is None:
            addr_fields = [
                f
                for f in (
                    msg[header_prefix + "To"],
                    msg[header_prefix + "Bcc"],
                    msg[header_prefix + "Cc"],
                )
                if f is not None
            ]
            to_addrs = [a[1] for a in email.utils.getaddresses(addr_fields)]
        elif isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        msg_copy = copy.copy(msg)
        del msg_copy["Bcc"]
        del msg_copy["Resent-Bcc"]
        international = not "".join([from_addr, *to_addrs]).isascii()
        if international and not self.has_extn("smtputf8"):
            raise SMTPNotSupportedError(
                "One or more source or delivery addresses require internationalized email "
                "support, but the server does not advertise the required SMTPUTF8 capability"
            )
        with io.BytesIO() as bytesmsg:
            if international:
                generator = email.generator.BytesGenerator(
                    bytesmsg, policy=msg.policy.clone(utf8=True)
                )
                mail_options = (*mail_options, "SMTPUTF8", "BODY=8BITMIME")
            else:
                generator = email.generator.BytesGenerator(bytesmsg)
            generator.flatten(msg_copy, linesep="\r\n")
            flatmsg = bytesmsg.getvalue()
        return self.sendmail(from_addr, to_addrs, flatmsg, mail_options, rcpt_options)

    # ------------------------------------------------------------------ ending

    def _after_close(self, reason: str) -> None:
        self.transcript.emit(Event(EventKind.CLOSE, detail={"text": reason}))
        self._update(connected=False, tls=False, tls_verified=None, in_data=False)

    def abort(self) -> None:
        """Break the connection from another thread: a call blocked in it fails promptly
        with SMTPServerDisconnected.  For faces that cancel the command in flight."""
        sock = self.sock
        if sock is not None:
            self._aborted = True
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        """Close the connection (no QUIT; see quit())."""
        sock, self.sock = self.sock, None
        self.file = None
        self._tls_info = None
        if sock is not None:
            try:
                sock.close()
            finally:
                self._after_close("connection closed")

    def quit(self) -> tuple[int, bytes]:
        """QUIT, then close."""
        res = self.docmd("quit")
        self.ehlo_resp = self.helo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self.close()
        return res


class SMTP_SSL(SMTP):
    """SMTP over implicit TLS (RFC 8314), port 465, verifying the certificate by default."""

    default_port = SMTP_SSL_PORT

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        *,
        timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        context: ssl.SSLContext | None = None,
        transcript: Transcript | None = None,
        limits: Limits = DEFAULT_LIMITS,
        pipelining: bool = False,
        chunking: bool = False,
    ):
        self.context = context if context is not None else default_context()
        super().__init__(
            host,
            port,
            local_hostname,
            timeout,
            source_address,
            transcript=transcript,
            limits=limits,
            pipelining=pipelining,
            chunking=chunking,
        )

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        if self.debuglevel > 0:
            self._print_debug("connect:", (host, port))
        new_socket = super()._get_socket(host, port, timeout)
        return self._wrap_tls(self.context, new_socket, host)


class LMTP(SMTP):
    """LMTP (RFC 2033) over TCP or, when ``host`` is an absolute path, a Unix socket.

    After the data, LMTP answers once per accepted recipient; all those replies are read
    (smtplib reads one and leaves the rest to poison the next command).  ``data()`` returns
    the first; ``lmtp_replies`` holds ``(recipient, code, message)`` for each.
    """

    ehlo_msg = "lhlo"

    def __init__(
        self,
        host: str = "",
        port: int = LMTP_PORT,
        local_hostname: str | None = None,
        source_address: tuple[str, int] | None = None,
        timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
        *,
        transcript: Transcript | None = None,
        limits: Limits = DEFAULT_LIMITS,
        pipelining: bool = False,
        chunking: bool = False,
    ):
        super().__init__(
            host,
            port,
            local_hostname=local_hostname,
            source_address=source_address,
            timeout=timeout,
            transcript=transcript,
            limits=limits,
            pipelining=pipelining,
            chunking=chunking,
        )

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: tuple[str, int] | None = None
    ) -> tuple[int, bytes]:
        if not host.startswith("/"):
            return super().connect(host, port, source_address=source_address)
        if self.timeout is not None and not self.timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        if self.sock is not None:
            self.close()
        self._reset_session()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(self.timeout)
            else:
                sock.settimeout(socket.getdefaulttimeout())
            sock.connect(host)
        except OSError as exc:
            if self.debuglevel > 0:
                self._print_debug("connect fail:", host)
            sock.close()
            raise connect_error(exc, host) from exc
        (code, msg) = self._start_session(sock, host, 0)
        return (code, msg)

    def _read_data_replies(self, first: tuple[int, bytes]) -> tuple[int, bytes]:
        """RFC 2033 §4.2: after the data, one reply per accepted recipient, in RCPT order."""
        recipients = self._data_recipients or ("",)
        self.lmtp_replies = [(recipients[0], *first)]
        for recipient in recipients[1:]:
            if self.sock is None:
                break
            self._awaiting.append(("<lmtp-data>", f"<data for {recipient}>"))
            self.lmtp_replies.append((recipient, *self._read_reply().as_tuple()))
        return first

    def _data_outcome(
        self, reply: tuple[int, bytes], accepted: list[str], senderrs: dict[str, tuple[int, bytes]]
    ) -> tuple[int, bytes]:
        """Per-recipient failures go to the refused dict; success if anyone got the message."""
        for spelled, (_, code, message) in zip(accepted, self.lmtp_replies, strict=False):
            if code != 250:
                senderrs[spelled] = (code, message)
        delivered = [r for r in self.lmtp_replies if r[1] == 250]
        if delivered:
            return (250, delivered[0][2])
        return reply
