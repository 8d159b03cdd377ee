"""The SMTP verbs: connecting, sending command lines, and one method per command."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterable, Sequence
from typing import Self

from smtpshell import auth as sasl
from smtpshell.client._io import _Connection, net
from smtpshell.client._lines import ASCII_SUPERSETS, PLAIN_LINES, command_line, redaction_for
from smtpshell.errors import (
    SMTPBadGreeting,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPInvalidPort,
    SMTPNotSupportedError,
    SMTPProtocolError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPUTF8RequiredError,
    connect_error,
)
from smtpshell.protocol import (
    CRLF,
    addr_only,
    check_no_control,
    dot_stuffed_chunks,
    encode_line,
    encode_message,
    envelope_address,
    format_command,
)
from smtpshell.protocol.capabilities import Capabilities, parse_capabilities
from smtpshell.protocol.data import CHUNK_SIZE
from smtpshell.protocol.session import AUTH_RESPONSE, DATA_END
from smtpshell.transcript import PIPELINED, REDACTED, Event, EventKind, body_summary

SMTP_PORT = 25
#: How much of the start of a message body a summary keeps to pick its first lines from.
_BODY_PREVIEW = 4096
# MAIL/RCPT argument prefixes as the running interpreter's smtplib sends them: 3.13 sends
# "mail from:" / "rcpt to:", earlier versions "mail FROM:" / "rcpt TO:" (issue 14).
_MAIL_FROM, _RCPT_TO = ("from:", "to:") if sys.version_info >= (3, 13) else ("FROM:", "TO:")


def _set_nodelay(sock: socket.socket) -> None:
    """Turn Nagle's algorithm off on a TCP socket (no-op for Unix sockets and the like).

    SMTP writes a command or a DATA piece and then waits for a reply.  With Nagle on, a
    write that leaves a partial segment behind an unacknowledged one (the second 64 KiB
    DATA piece, a message of 64 KiB to ~130 KB) waits for the peer's ACK, and a peer
    using delayed ACKs holds that ACK for up to 40 ms (Linux) or 200 ms: each such message
    took ~44 ms instead of ~1 ms.  Our writes are already whole commands or big pieces,
    so there is nothing for Nagle to coalesce.  Failure is harmless (odd socket types).
    """
    module = net()
    if sock.family in (module.AF_INET, module.AF_INET6):
        try:
            sock.setsockopt(module.IPPROTO_TCP, module.TCP_NODELAY, 1)
        except OSError:
            pass


def _body_chunks(payload: bytes) -> Iterable[bytes]:
    """The dot-stuffed message with its end marker: one piece made now when it is small (one
    write), else pieces made as they are written (a big message is never copied whole)."""
    if len(payload) <= CHUNK_SIZE:
        return (b"".join(dot_stuffed_chunks(payload)),)
    return dot_stuffed_chunks(payload)


class _Commands(_Connection):
    """Connecting, command lines, and the verbs that map to one command each."""

    ehlo_msg = "ehlo"
    default_port = SMTP_PORT
    #: ``socket.AF_INET`` or ``socket.AF_INET6`` to connect over that family only (the
    #: ``-4``/``-6`` of the faces); 0 for whatever the name resolves to first.
    address_family: int = 0
    source_address: tuple[str, int] | None
    local_hostname: str
    _capabilities: tuple[bytes | None, Capabilities] | None = None
    #: The payload sendmail() already encoded, while it calls data() with it: data() then
    #: skips encode_message(), three passes over the whole message (issue 15).
    _encoded: bytes | None = None

    # ------------------------------------------------------------------ context and repr

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *args: object) -> None:
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

    # ------------------------------------------------------------------ connecting

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        if timeout is not None and not timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        if self.debuglevel > 0:
            self._print_debug("connect: to", (host, port), self.source_address)
        address: tuple[str, int] = (host, port)
        if self.address_family:
            address = self._address_in_family(host, port)
        sock: socket.socket = net().create_connection(address, timeout, self.source_address)
        _set_nodelay(sock)  # before any TLS handshake (SMTP_SSL); STARTTLS keeps it
        self._announce_connect(sock, host, port)
        return sock

    def _address_in_family(self, host: str, port: int) -> tuple[str, int]:
        """The first address of ``host`` in ``address_family`` (OSError when it has none)."""
        family = self.address_family
        try:
            infos = net().getaddrinfo(host, port, family, net().SOCK_STREAM)
        except OSError as exc:
            kind = "IPv6" if family == net().AF_INET6 else "IPv4"
            raise OSError(
                exc.errno, f"{host} has no {kind} address ({exc.strerror or exc})"
            ) from exc
        return infos[0][4][0], port

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

    # ------------------------------------------------------------------ command lines

    def _redaction_for(self, line: str) -> bytes | None:
        return redaction_for(line, self._auth_pending)

    def putcmd(self, cmd: str, args: str = "") -> None:
        """Send one command line; CR, LF and NUL anywhere in it are a ValueError."""
        line = cmd if args == "" else f"{cmd} {args}"
        known = None if self._auth_pending else PLAIN_LINES.get(line)
        if known is not None and self.command_encoding in ASCII_SUPERSETS:
            data, verb = known  # sent before: checked then (issue 15)
            auth = False
            redacted = None
        else:  # a bad line is a ValueError before anything else, as in smtplib
            data, verb, auth = command_line(cmd, line, self.command_encoding, self._auth_pending)
            redacted = redaction_for(line, self._auth_pending) if auth else None
        if self.sock is None:
            raise SMTPServerDisconnected("please run connect() first")
        after = False  # check for desync after the write (off the round trip), not before
        if not self._awaiting:
            if self._stamped is self.sock and not self._rbuf:
                after = True  # the common case: a plain socket that time-stamps its input
            elif (
                # _ensure_in_step()'s common case inline: a plain, watched socket, nothing
                # buffered, and poll() says nothing arrived.  Anything else asks it.
                self._polled is not self.sock
                or self._tls_info is not None
                or self._rbuf
                or self._poll(0)
            ):
                self._ensure_in_step()
        # Positional: a call with keywords costs more, and this is on the round trip.
        self._write(data, redacted, line + CRLF if self.debuglevel else None, True, True, after)
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
        elif verb == AUTH_RESPONSE and self._auth_user is None and line.strip() != "*":
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
        texts = [line.decode("latin-1").rstrip("\r\n") for line in lines]
        secret = [self._redaction_for(text) for text in texts]
        self._judge_raw_continuation(lines, texts, secret)
        redacted = None
        if any(r is not None for r in secret):
            redacted = b"".join(
                r if r is not None else line for r, line in zip(secret, lines, strict=True)
            )
        self._ensure_in_step()
        self._write(data, redacted=redacted)
        if self._state.in_data:
            if data.startswith(b".\r\n") or b"\r\n.\r\n" in data:
                self._awaiting.append((DATA_END, DATA_END))
            return
        for line, text, was_secret in zip(lines, texts, secret, strict=True):
            if not line.endswith(b"\n"):
                continue
            verb = AUTH_RESPONSE if self._auth_pending else text.split(" ", 1)[0].upper()
            self._awaiting.append((verb, verb if was_secret is not None else text))
            self._note_auth_identity(verb, text)

    def _judge_raw_continuation(
        self, lines: list[bytes], texts: list[str], secret: list[bytes | None]
    ) -> None:
        """A line split over several raw writes is judged whole: an AUTH line stays secret,
        and its reply is tracked as the whole line's (``texts[0]`` becomes the whole line)."""
        if lines and self._raw_partial and not self._state.in_data:
            # The first line finishes one an earlier write began ("AUTH PLAIN " then the
            # payload): judged whole, and when it is secret, this part of it is all secret.
            whole = (self._raw_partial + lines[0]).decode("latin-1").rstrip("\r\n")
            texts[0] = whole
            if self.raw_line_open_secret or self._redaction_for(whole) is not None:
                body = lines[0].rstrip(b"\r\n")
                secret[0] = REDACTED + lines[0][len(body) :]
        last = lines[-1] if lines else b""
        if self._state.in_data or not lines or last.endswith(b"\n"):
            self._raw_partial = b""
        else:
            start = self._raw_partial if len(lines) == 1 else b""
            self._raw_partial = (start + last)[:512]

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
            self.transcript.emit(Event(EventKind.SENT, data, flags=PIPELINED))
            self._awaiting.append((line.split(" ", 1)[0].upper(), line))
        if tail:
            self._record_chunk(tail)

    def _record_chunk(self, chunk: bytes) -> None:
        """A BDAT chunk already written: recorded whole or as a summary (``bodies``)."""
        if self.transcript.bodies:
            self.transcript.emit(Event(EventKind.SENT, chunk))
        elif chunk:
            lines = chunk.count(b"\n")
            self.transcript.emit(body_summary(chunk, len(chunk), lines, self.transcript.body_lines))

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

    @property
    def capabilities(self) -> Capabilities:
        """What the last successful EHLO (LHLO) offered, as the shared capabilities model
        (keywords, SIZE with RFC 1870 semantics, AUTH mechanisms, ``diff()`` across
        STARTTLS), for faces and tools.  Empty after HELO, STARTTLS, QUIT or a failed EHLO.
        Read-only; ``esmtp_features`` stays smtplib's dict."""
        resp = self.ehlo_resp if self.does_esmtp and self.esmtp_features else None
        cached = self._capabilities
        if cached is None or cached[0] is not resp:
            cached = self._capabilities = (resp, parse_capabilities(resp))
        return cached[1]

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
        wants_utf8 = "smtputf8" in map(str.lower, options)  # no generator: per message
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
        payload = msg if msg is self._encoded else encode_message(msg)
        self.putcmd("data")
        chunks = _body_chunks(payload)  # stuffed while the server answers DATA (issue 15)
        (code, repl) = self.getreply()
        if self.debuglevel > 0:
            self._print_debug("data:", (code, repl))
        if code != 354:
            raise SMTPDataError(code, repl)
        (code, msg) = self._send_payload(payload, chunks)
        if self.debuglevel > 0:
            self._print_debug("data:", (code, msg))
        return (code, msg)

    def send_payload(self, msg: str | bytes) -> tuple[int, bytes]:
        """Send a message body after a ``354`` obtained by hand (``docmd("DATA")``).

        The same normalisation, dot-stuffing and end-of-data marker as ``data()``; for
        shells that step through DATA one command at a time.
        """
        return self._send_payload(encode_message(msg))

    def _send_payload(
        self, payload: bytes, chunks: Iterable[bytes] | None = None
    ) -> tuple[int, bytes]:
        """Upload the stuffed message (``chunks``: ``_body_chunks(payload)``, if already made);
        a reply the server sends early is returned, not lost."""
        self._awaiting.append((DATA_END, DATA_END))
        if chunks is None:
            chunks = _body_chunks(payload)
        try:
            if not self._write_body(chunks):
                return self._early_reply()
        except SMTPServerDisconnected:
            if self._rbuf:
                return self._early_reply()
            raise
        return self._read_data_replies(self.getreply())

    def _write_body(self, chunks: Iterable[bytes]) -> bool:
        """Write a message body; False if the server replied early (before the end).

        Recorded as one summary event (``Transcript.bodies`` off, the default) or one
        event per chunk; the summary is recorded however the upload ends.
        """
        bodies = self.transcript.bodies
        start, size, lines = b"", 0, 0
        try:
            for chunk in chunks:
                if self._readable_now():
                    return False
                self._write(chunk, record=bodies)
                if not bodies:
                    if len(start) < _BODY_PREVIEW:
                        start += chunk[:_BODY_PREVIEW]
                    size += len(chunk)
                    lines += chunk.count(b"\n")
            return True
        finally:
            if not bodies and size:
                summary = body_summary(start, size, lines, self.transcript.body_lines)
                self.transcript.emit(summary)

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

    def quit(self) -> tuple[int, bytes]:
        """QUIT, then close."""
        res = self.docmd("quit")
        self.ehlo_resp = self.helo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self.close()
        return res
