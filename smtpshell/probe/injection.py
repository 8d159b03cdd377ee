"""The STARTTLS command injection check (CVE-2011-0411 and its many siblings).

A client writes ``STARTTLS\\r\\nNOOP\\r\\n`` in one write.  A correct server answers
STARTTLS with 220, starts the handshake and throws away whatever plaintext it had buffered
(RFC 3207 §4.2).  A vulnerable one keeps the buffered ``NOOP`` and answers it *inside* TLS,
where the client takes it for the reply to its first encrypted command: an attacker on the
path can inject commands that run in the encrypted session.

The smtpshell client refuses to do this on purpose (it sends STARTTLS alone and treats
early plaintext as an attack), so the check drives its own socket.  Replies are still
parsed by the protocol layer, and the exchange is recorded as transcript events.

After the handshake the probe sends ``QUIT``.  A 250 before the 221 is the injected NOOP
answered inside TLS; 221 first means the buffer was discarded.
"""

from __future__ import annotations

import socket
import ssl
import time
import warnings

from smtpshell.errors import SMTPProtocolError
from smtpshell.probe.report import EarlyClient, Injection, Reply
from smtpshell.protocol.display import display
from smtpshell.protocol.replies import DEFAULT_LIMITS, ReplyAssembler
from smtpshell.transcript import INJECTED, Event, EventKind, Transcript

__all__ = ["check_early_client", "check_injection", "scan_context"]

PAYLOAD = b"STARTTLS\r\nNOOP\r\n"


def scan_context() -> ssl.SSLContext:
    """An unverified client context that also accepts old protocols and weak suites.

    ``@SECLEVEL=0`` lets OpenSSL 3 offer what the check must be able to see; the context
    authenticates nothing and carries no secrets, so its weakness costs nothing here.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    except (ssl.SSLError, ValueError):  # a build without the old suites: use its defaults
        pass
    return context


class _Wire:
    """One plain socket, read reply by reply, every byte recorded."""

    def __init__(self, sock: socket.socket, transcript: Transcript, timeout: float):
        self.sock: socket.socket = sock
        self.transcript = transcript
        self.timeout = timeout
        self.buffer = bytearray()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)
        self.transcript.emit(Event(EventKind.SENT, data))

    def pending(self) -> bytes:
        """Bytes already received but not read, without waiting for more."""
        data = bytes(self.buffer)
        self.buffer.clear()
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return data

    def reply(self) -> Reply:
        assembler = ReplyAssembler(DEFAULT_LIMITS)
        deadline = time.monotonic() + self.timeout
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > DEFAULT_LIMITS.max_line:
                    raise SMTPProtocolError(-1, b"reply line too long")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no complete reply")
                self.sock.settimeout(remaining)
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                self.buffer += chunk
                continue
            line = bytes(self.buffer[: end + 1])
            del self.buffer[: end + 1]
            self.transcript.emit(Event(EventKind.RECEIVED, line))
            parsed = assembler.feed_line(line)
            if parsed is not None:
                lines = parsed.message.split(b"\n")
                return Reply(parsed.code, "\n".join(display(line) for line in lines))


def _connect(
    host: str,
    port: int,
    timeout: float,
    family: int = 0,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """A TCP connection as the probe's options say: ``family`` (``socket.AF_INET`` or
    ``AF_INET6``; 0 for either) and the local ``source_address``."""
    address: tuple[str, int] = (host, port)
    if family:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4][:2]
    return socket.create_connection(address, timeout=timeout, source_address=source_address)


def check_injection(
    host: str,
    port: int,
    *,
    helo: str,
    timeout: float,
    transcript: Transcript,
    family: int = 0,
    source_address: tuple[str, int] | None = None,
    sni: str | None = None,
    cert: str | None = None,
    key: str | None = None,
) -> Injection:
    """Run the check on a new connection; never raises (the outcome says what happened).
    ``family``, ``source_address``, ``sni`` (the name sent in the handshake) and ``cert``
    / ``key`` (a client certificate) are the probe's ``-4``/``-6``, ``--source-address``,
    ``--sni`` and ``--cert``/``--key``."""
    try:
        sock = _connect(host, port, timeout, family, source_address)
    except OSError as exc:
        return Injection(None, f"could not connect: {exc}")
    transcript.note(f"connected to {host}:{port} (STARTTLS injection check)")
    wire = _Wire(sock, transcript, timeout)
    try:
        context = scan_context()
        if cert:
            context.load_cert_chain(cert, key)
        return _run(wire, sni or host, helo, context)
    except (OSError, SMTPProtocolError, ssl.SSLError, ValueError) as exc:
        return Injection(None, f"check did not complete: {type(exc).__name__}: {exc}")
    finally:
        wire.sock.close()


def _run(wire: _Wire, host: str, helo: str, context: ssl.SSLContext) -> Injection:
    banner = wire.reply()
    if banner.code != 220:
        return Injection(None, "no 220 greeting", banner)
    wire.send(f"EHLO {helo}\r\n".encode("ascii", "replace"))
    ehlo = wire.reply()
    if ehlo.code != 250:
        return Injection(None, "EHLO refused", ehlo)
    wire.send(PAYLOAD)
    started = wire.reply()
    if started.code != 220:
        return Injection(False, "STARTTLS refused", started)
    early = wire.pending()
    if early:
        wire.transcript.note("plaintext after 220, before the handshake")
        wire.transcript.emit(Event(EventKind.RECEIVED, early, flags=INJECTED))
        return Injection(
            False,
            "the NOOP was answered in plaintext before the handshake",
            Reply(int(early[:3]) if early[:3].isdigit() else 0, display(early.strip())),
        )
    tls = context.wrap_socket(wire.sock, server_hostname=host or None)
    wire.sock = tls
    version = tls.version()
    wire.transcript.note(f"TLS established: {version} (not verified: a check only)")
    wire.send(b"QUIT\r\n")
    first = wire.reply()
    if first.code == 221:
        return Injection(False, "the buffered NOOP was discarded (QUIT got 221)", first)
    return Injection(True, "the NOOP sent before the handshake was answered inside TLS", first)


def check_early_client(
    host: str,
    port: int,
    *,
    timeout: float,
    transcript: Transcript,
    family: int = 0,
    source_address: tuple[str, int] | None = None,
) -> EarlyClient:
    """``NOOP`` at once on connect, before the greeting; never raises.

    A server that waits before greeting sees the NOOP arrive early; one that then refuses
    (or hangs up) guards against bots, one that greets and answers it does not.
    """
    try:
        sock = _connect(host, port, timeout, family, source_address)
    except OSError as exc:
        return EarlyClient(None, f"could not connect: {exc}")
    transcript.note(f"connected to {host}:{port} (early talker check: NOOP before the greeting)")
    wire = _Wire(sock, transcript, timeout)
    try:
        wire.send(b"NOOP\r\n")
        greeting = wire.reply()
        if greeting.code != 220:
            return EarlyClient(False, "the early client was refused at the greeting", greeting)
        try:
            answer = wire.reply()
        except (OSError, ConnectionError):
            return EarlyClient(False, "the server hung up on the early client", None)
        if 200 <= answer.code < 300:
            wire.send(b"QUIT\r\n")
            return EarlyClient(True, "NOOP sent before the greeting was answered", answer)
        return EarlyClient(False, "the early NOOP was refused", answer)
    except (OSError, SMTPProtocolError, ValueError) as exc:
        return EarlyClient(None, f"check did not complete: {type(exc).__name__}: {exc}")
    finally:
        wire.sock.close()
