"""One SMTP or LMTP conversation: aiosmtpd's protocol, taught to be a good practice partner.

On top of aiosmtpd this adds what a learner should be able to see: enhanced status codes on
every reply, CRAM-MD5 / XOAUTH2 / OAUTHBEARER / SCRAM next to PLAIN and LOGIN, VRFY and EXPN
that answer for the accounts the server knows, a HELP text, one LMTP reply per recipient,
PIPELINING (RFC 2920), CHUNKING and BINARYMIME (BDAT, RFC 3030), the DSN parameters of
RFC 3461 (recorded, not acted on), and the deliberate faults of
:class:`~smtpshell.server.faults.Faults`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import re
import secrets
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, auth_mechanism, syntax

from smtpshell.practice import auth_failure_delay
from smtpshell.server import sasl
from smtpshell.server.faults import EOM, Faults
from smtpshell.server.messages import MessageStore, ReceivedMessage, StoreFull
from smtpshell.server.params import take_mail_params, take_rcpt_params
from smtpshell.server.replies import enhanced_code_for, with_enhanced_code

#: Every SASL mechanism offered, in the order a teacher would introduce them.
MECHANISMS = (
    "PLAIN",
    "LOGIN",
    "CRAM-MD5",
    "XOAUTH2",
    "OAUTHBEARER",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
)
#: Seconds of client silence before the server hangs up (RFC 5321 suggests 5 minutes).
IDLE_TIMEOUT = 300.0
#: RFC 3463 X.3.1: mail system full; 452 is the temporary "insufficient storage" reply.
STORE_FULL = "452 4.3.1 Too much mail kept here ({why}); restart the practice server"
#: Longest command lines (RFC 5321 §4.5.3.1.4: 512) plus what each extension adds to them:
#: SIZE 26 (RFC 1870), SMTPUTF8 10 (RFC 6531), BODY 16 (RFC 1652), DSN 100 on MAIL and
#: 500 on RCPT (RFC 3461 §5).
MAIL_LINE_LIMIT = 512 + 26 + 10 + 16 + 100
RCPT_LINE_LIMIT = 512 + 500
#: ``BDAT <size> [LAST]`` (RFC 3030 §2); the size is at most 20 digits, like a uint64.
_BDAT_ARGUMENT = re.compile(r"(?P<size>[0-9]{1,20})(?:[ \t]+(?P<last>LAST))?", re.IGNORECASE)
#: Bytes read from the socket at a time when a BDAT chunk is discarded rather than kept.
_DISCARD_BLOCK = 64 * 1024


#: How a failed AUTH waits (tests replace it to see the delays without waiting them).
auth_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


class ConnectionGate:
    """Counts the connections open at once, against ``limit``.

    Changed in the server's loop thread, read from others (``wait_until``), hence the
    condition variable.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.open = 0
        self._changed = threading.Condition()

    def enter(self) -> bool:
        """Admit one more connection; False when the limit is reached."""
        with self._changed:
            if self.limit is not None and self.open >= self.limit:
                return False
            self.open += 1
            self._changed.notify_all()
            return True

    def leave(self) -> None:
        with self._changed:
            self.open -= 1
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[int], bool], timeout: float) -> int:
        """Block until ``predicate(open connections)``; TimeoutError after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.open), timeout):
                raise TimeoutError(f"{self.open} connections open after {timeout}s")
            return self.open


@dataclass(frozen=True)
class SessionConfig:
    """Everything a conversation needs from the server, shared by all connections."""

    hostname: str
    users: Mapping[str, str]
    store: MessageStore
    faults: Faults
    size_limit: int | None
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Advertise PIPELINING (LMTP always does: RFC 2033 §5 requires it).
    pipelining: bool = True
    #: Offer BDAT, advertised as CHUNKING and BINARYMIME (RFC 3030).
    chunking: bool = True
    #: Accept the DSN parameters of RFC 3461, advertised as DSN.
    dsn: bool = True
    #: Failed AUTH attempts per connection; the last one is answered 421 and the
    #: connection closed.  None: no cap.
    max_auth_failures: int | None = None
    #: Each failed AUTH after the first waits this many seconds longer before its 535.
    auth_failure_delay: float = 0.0
    #: Seconds of client silence before the server says 421 and hangs up.
    idle_timeout: float = IDLE_TIMEOUT
    #: Connections open at once across the server.
    gate: ConnectionGate = field(default_factory=lambda: ConnectionGate(None))
    #: Refuse recipients outside ``local_domains`` unless the client logged in.
    refuse_relay: bool = False
    local_domains: frozenset[str] = frozenset()
    #: (selector, domain, private key PEM): DKIM-sign mail that logged-in users send
    #: from ``domain``, as a submission server does.
    dkim: tuple[str, str, bytes] | None = None
    #: Refuse everything but EHLO/HELO, NOOP, QUIT and STARTTLS with 530 5.7.0 until TLS.
    require_tls: bool = False
    #: The greeting text after the host name, instead of the class's ``greeting_ident``.
    banner: str | None = None


class PracticeEnvelope(Envelope):
    """aiosmtpd's envelope plus what BDAT and per-recipient DSN options need to remember.

    A new one is made on RSET, EHLO and after each message, so chunks never leak from one
    transaction into the next.
    """

    def __init__(self) -> None:
        super().__init__()
        #: One list of parameters per entry of ``rcpt_tos``, as the client sent them.
        self.per_recipient_options: list[list[str]] = []
        #: MAIL carried BODY=BINARYMIME: only BDAT may carry this message (RFC 3030 §3).
        self.binarymime = False
        #: The BDAT chunks so far; None while no BDAT was given in this transaction.
        self.chunks: bytearray | None = None
        #: A BDAT of this transaction failed: later chunks are read and thrown away.
        self.bdat_failed = False


class PracticeSMTP(SMTP):
    """aiosmtpd's SMTP with enhanced codes, more SASL mechanisms, VRFY/EXPN/HELP and faults."""

    protocol_name = "SMTP"
    greeting_ident = "ESMTP smtpshell practice server (mail sent here stays here)"
    # LOGIN's prompts as draft-murchison-sasl-login §2.1 and lesson 8 give them (aiosmtpd's
    # own are "User Name\0" and "Password\0").
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(
        self,
        config: SessionConfig,
        *,
        tls_context: ssl.SSLContext | None,
        auth_require_tls: bool,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config = config
        self._verb: str | None = None  # the command being answered, for enhanced codes
        self._greeted = False
        self._silenced = False  # after a deliberate drop or 421: write nothing more
        self._auth_failures = 0
        self._admitted: bool | None = None  # None until the first connection_made
        super().__init__(
            _Hooks(config),
            data_size_limit=config.size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=config.hostname,
            ident=config.banner or self.greeting_ident,
            tls_context=tls_context,
            require_starttls=config.require_tls and tls_context is not None,
            auth_require_tls=auth_require_tls,
            authenticator=self._check_login_password,
            timeout=config.idle_timeout,
            loop=loop,
        )
        if not config.chunking:
            del self._smtp_methods["BDAT"]  # unknown, like on a server without CHUNKING
        self._smtp_methods = {
            verb: self._with_faults(verb, method) for verb, method in self._smtp_methods.items()
        }
        # aiosmtpd keeps these limits in a class attribute shared by every connection and
        # grows them on each EHLO; one dict per connection, set to fixed values, instead.
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)

    envelope: PracticeEnvelope | None  # type: ignore[assignment]

    def _create_envelope(self) -> PracticeEnvelope:
        return PracticeEnvelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Multi-line replies (EHLO, EXPN, HELP, LMTP) are written line by line.  Without
        # TCP_NODELAY, Nagle's algorithm holds every line after the first until the client
        # ACKs it, and clients delay ACKs by ~40 ms: each EHLO took 40 ms on loopback.
        # (asyncio sets TCP_NODELAY itself only on sockets whose proto is IPPROTO_TCP, and
        # socket.create_server() makes proto-0 sockets.)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._admitted is None:  # not again after STARTTLS: same connection
            self._admitted = self.config.gate.enter()
            if not self._admitted:
                self._refuse(transport)
                return
        super().connection_made(transport)

    def _refuse(self, transport: asyncio.BaseTransport) -> None:
        """Over ``max_connections``: 421 instead of the greeting (RFC 5321 §3.1), then close."""
        assert isinstance(transport, asyncio.WriteTransport)
        self._silenced = True
        transport.write(
            f"421 4.3.2 {self.hostname} Too many connections, try again later\r\n".encode()
        )
        transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if not self._admitted:
            return  # refused: aiosmtpd never set this connection up
        self._admitted = False
        self.config.gate.leave()
        super().connection_lost(error)

    def eof_received(self) -> bool | None:
        if not self._admitted:
            return False
        return super().eof_received()

    def _timeout_cb(self) -> None:
        """Idle too long: say so with 421 (RFC 5321 §4.5.3.2 allows the server to close)."""
        if self.transport is not None and not self._silenced:
            self._silenced = True
            assert isinstance(self.transport, asyncio.WriteTransport)
            self.transport.write(
                f"421 4.4.2 {self.hostname} Idle for too long, closing\r\n".encode()
            )
        super()._timeout_cb()

    # --- replies and faults -----------------------------------------------------------------

    async def push(self, status: str | bytes) -> None:
        if self._silenced:
            return
        if not self._greeted:  # the 220 banner: the only reply RFC 2034 leaves bare
            self._greeted = True
            if self.config.faults.slow_greeting:
                await asyncio.sleep(self.config.faults.slow_greeting)
        elif isinstance(status, str):
            if self._verb == "AUTH" and status.startswith("535"):
                await self._auth_failed(status)
                return
            status = with_enhanced_code(status, self._verb)
        await super().push(status)

    async def _auth_failed(self, status: str) -> None:
        """A failed AUTH: wait a little longer each time; at the cap, 421 and close."""
        self._auth_failures += 1
        cap = self.config.max_auth_failures
        if cap is not None and self._auth_failures >= cap:
            await super().push(f"421 4.7.0 {self.hostname} Too many failed AUTH attempts, closing")
            self._silenced = True
            if self.transport is not None:
                self.transport.close()
            return
        delay = auth_failure_delay(self.config.auth_failure_delay, self._auth_failures)
        if delay:
            await auth_sleep(delay)
        await super().push(with_enhanced_code(status, "AUTH"))

    def _with_faults(
        self, verb: str, method: Callable[[str | None], Awaitable[None]]
    ) -> Callable[[str | None], Awaitable[None]]:
        async def answer(arg: str | None) -> None:
            self._verb = verb
            try:
                if not await self.apply_faults(verb):
                    await method(arg)
            finally:
                self._verb = None

        return answer

    async def apply_faults(self, point: str) -> bool:
        """Delay, 421 or drop as configured for ``point``; True when the session is over."""
        faults = self.config.faults
        if delay := faults.delay_for(point):
            await asyncio.sleep(delay)
        if faults.drop_on == point:
            self._silenced = True
            if self.transport is not None:
                self.transport.abort()
            return True
        if faults.reply_421_on == point:
            await self.push(f"421 4.3.2 {self.hostname} Service shutting down (practice fault)")
            self._silenced = True
            if self.transport is not None:
                self.transport.close()
            return True
        return False

    @property
    def is_encrypted(self) -> bool:
        return (
            self.transport is not None and self.transport.get_extra_info("ssl_object") is not None
        )

    # --- AUTH -------------------------------------------------------------------------------

    def _check_login_password(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """aiosmtpd's authenticator for its built-in PLAIN and LOGIN."""
        assert isinstance(data, LoginPassword)
        name = data.login.decode("utf-8", "replace")
        ok = sasl.check_password(self.config.users, name, data.password.decode("utf-8", "replace"))
        return AuthResult(success=ok, handled=False, auth_data=name if ok else None)

    async def _initial_or_challenge(self, args: list[str], challenge: bytes = b"") -> bytes | None:
        """The client's first SASL message: the initial response, or the answer to a 334."""
        if len(args) > 1:
            if args[1] == "=":  # RFC 4954: an empty initial response
                return b""
            return await self._decode_b64(args[1])
        return await self._challenge(challenge)

    async def _challenge(self, challenge: bytes) -> bytes | None:
        answer = await self.challenge_auth(challenge)
        return None if not isinstance(answer, bytes) else answer

    async def _decode_b64(self, text: str) -> bytes | None:
        try:
            return base64.b64decode(text, validate=True)
        except binascii.Error:
            await self.push("501 5.5.2 Can't decode base64")
            return None

    @staticmethod
    def _granted(name: str | None) -> AuthResult:
        if name is None:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=name)

    async def auth_CRAM__MD5(self, _: SMTP, args: list[str]) -> AuthResult:
        """CRAM-MD5 (RFC 2195): the password never crosses the wire, only an HMAC of it."""
        if len(args) > 1:
            await self.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = sasl.cram_md5_challenge(self.hostname)
        response = await self._challenge(challenge)
        if response is None:
            return AuthResult(success=False, handled=True)
        return self._granted(sasl.cram_md5_verify(self.config.users, challenge, response))

    async def auth_XOAUTH2(self, _: SMTP, args: list[str]) -> AuthResult:
        """XOAUTH2 (Google, Microsoft): the account's password serves as its bearer token."""
        return await self._bearer_auth(args, sasl.parse_xoauth2)

    async def auth_OAUTHBEARER(self, _: SMTP, args: list[str]) -> AuthResult:
        """OAUTHBEARER (RFC 7628): the account's password serves as its bearer token."""
        return await self._bearer_auth(args, sasl.parse_oauthbearer)

    async def _bearer_auth(
        self, args: list[str], parse: Callable[[bytes], sasl.BearerCredentials | None]
    ) -> AuthResult:
        response = await self._initial_or_challenge(args)
        if response is None:
            return AuthResult(success=False, handled=True)
        credentials = parse(response)
        if credentials is None:
            await self.push("501 5.5.2 Malformed bearer-token response")
            return AuthResult(success=False, handled=True)
        if sasl.check_password(self.config.users, credentials.user, credentials.token):
            return AuthResult(success=True, auth_data=credentials.user)
        # Both mechanisms report a bad token as a JSON 334 challenge, then the client sends
        # an empty line (OAUTHBEARER: ^A) and the server refuses with 535.
        if await self._challenge(sasl.oauth_error_challenge()) is None:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)

    @auth_mechanism("SCRAM-SHA-1")
    async def auth_SCRAM_SHA_1(self, _: SMTP, args: list[str]) -> AuthResult:
        """SCRAM-SHA-1 (RFC 5802): mutual proof of the password; the server proves itself too."""
        return await self._scram_auth("SCRAM-SHA-1", args)

    @auth_mechanism("SCRAM-SHA-256")
    async def auth_SCRAM_SHA_256(self, _: SMTP, args: list[str]) -> AuthResult:
        """SCRAM-SHA-256 (RFC 7677)."""
        return await self._scram_auth("SCRAM-SHA-256", args)

    async def _scram_auth(self, mechanism: str, args: list[str]) -> AuthResult:
        scram = sasl.ScramServer(mechanism, self.config.users)
        client_first = await self._initial_or_challenge(args)
        if client_first is None:
            return AuthResult(success=False, handled=True)
        try:
            client_final = await self._challenge(scram.first(client_first))
            if client_final is None:
                return AuthResult(success=False, handled=True)
            server_final = scram.final(client_final)
        except (sasl.ScramError, UnicodeDecodeError) as error:
            await self.push(f"501 5.5.2 {mechanism}: {error}")
            return AuthResult(success=False, handled=True)
        if server_final is None:
            return AuthResult(success=False, handled=False)
        # RFC 4954: the server's proof travels as a last 334, answered by an empty line.
        if await self._challenge(server_final) is None:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=True, auth_data=scram.user)

    # --- teaching commands ------------------------------------------------------------------

    def _mailbox(self, name: str) -> str:
        return f"{name} <{name}@{self.hostname}>"

    def _local_name(self, arg: str) -> str:
        """``demo``, ``<demo@localhost>`` or ``demo@localhost`` -> ``demo`` (others unchanged)."""
        text = arg.strip().strip("<>")
        local, at, domain = text.rpartition("@")
        if at and domain.lower() in {self.hostname.lower(), "localhost"}:
            return local
        return text

    @syntax("VRFY <user or address>")
    async def smtp_VRFY(self, arg: str | None) -> None:
        if not arg:
            await self.push("501 Syntax: VRFY <user or address>")
            return
        name = self._local_name(arg)
        if name in self.config.users:
            await self.push(f"250 {self._mailbox(name)}")
        else:
            await self.push("252 Cannot VRFY user, but will accept message and attempt delivery")

    @syntax("EXPN <list>")
    async def smtp_EXPN(self, arg: str | None) -> None:
        if not arg:
            await self.push("501 Syntax: EXPN <list>")
            return
        name = self._local_name(arg)
        members = self.config.lists.get(name.lower())
        if members is None and name in self.config.users:
            members = (name,)
        if not members:
            await self.push(f"550 <{arg.strip()}>: no such mailing list")
            return
        for index, member in enumerate(members):
            separator = " " if index == len(members) - 1 else "-"
            await self.push(f"250{separator}{self._mailbox(member)}")

    @syntax("HELP [command]")
    async def smtp_HELP(self, arg: str | None) -> None:
        if arg:
            method = getattr(type(self), f"smtp_{arg.strip().upper()}", None)
            text = getattr(method, "__smtp_syntax__", None)
            if text is None:
                await self.push(f"504 HELP topic unknown: {arg.strip()}")
                return
            extended = getattr(method, "__smtp_syntax_extended__", None) or ""
            await self.push(f"214 {text}{extended}")
            return
        commands = sorted(
            verb
            for verb in self._smtp_methods
            if hasattr(getattr(type(self), f"smtp_{verb}", None), "__smtp_syntax__")
            and (verb != "STARTTLS" or self.tls_context)
        )
        lines = [
            f"This is the smtpshell practice server on {self.hostname}.",
            "Mail sent here is kept here; nothing is relayed.",
            "Commands: " + " ".join(commands),
            "Try VRFY demo, EXPN staff, or HELP <command> for its syntax.",
        ]
        for line in lines[:-1]:
            await self.push(f"214-{line}")
        await self.push(f"214 {lines[-1]}")

    # --- transactions: MAIL/RCPT parameters, DATA and BDAT --------------------------------

    def _path_and_params(self, keyword: str, arg: str | None) -> tuple[str, list[str]] | None:
        """``FROM:<a@b> X=1 Y`` -> (``<a@b>``, [``X=1``, ``Y``]); None when aiosmtpd should
        produce the syntax error itself."""
        rest = self._strip_command_keyword(keyword, arg) if arg else None
        if not rest:
            return None
        address, params = self._getaddr(rest)
        if address is None or params is None:
            return None
        return rest[: len(rest) - len(params)].strip(), params.split()

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        """aiosmtpd's MAIL, plus BODY=BINARYMIME and DSN's RET/ENVID; options kept as sent."""
        assert self.session is not None and self.envelope is not None
        split = self._path_and_params("FROM:", arg)
        if (
            split is None
            or not self.session.host_name
            or not self.session.extended_smtp
            or self.envelope.mail_from
        ):
            await super().smtp_MAIL(arg)  # its own error replies for these cases
            return
        path, params = split
        if (why := self.config.store.full()) is not None:
            self.config.store.refused(why, self.session.peer)
            await self.push(STORE_FULL.format(why=why))
            return
        taken = take_mail_params(params, dsn=self.config.dsn, binarymime=self.config.chunking)
        if taken.error is not None:
            await self.push(taken.error)
            return
        await super().smtp_MAIL(" ".join(["FROM:" + path, *taken.rest]))
        if self.envelope.mail_from:  # accepted: record what the client really sent
            self.envelope.mail_options = params
            self.envelope.binarymime = taken.binarymime

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        """aiosmtpd's RCPT, plus DSN's NOTIFY/ORCPT, kept per recipient as sent."""
        assert self.session is not None and self.envelope is not None
        split = self._path_and_params("TO:", arg)
        if (
            split is None
            or not self.session.host_name
            or not self.session.extended_smtp
            or not self.envelope.mail_from
        ):
            await super().smtp_RCPT(arg)
            return
        path, params = split
        if self.config.refuse_relay and not self.session.authenticated:
            domain = path.strip("<>").rpartition("@")[2].lower()
            if domain and domain not in self.config.local_domains | {self.hostname.lower()}:
                await self.push(f"554 5.7.1 {path}: Relay access denied (log in to send elsewhere)")
                return
        taken = take_rcpt_params(params, dsn=self.config.dsn)
        if taken.error is not None:
            await self.push(taken.error)
            return
        accepted_before = len(self.envelope.rcpt_tos)
        await super().smtp_RCPT(" ".join(["TO:" + path, *taken.rest]))
        if len(self.envelope.rcpt_tos) > accepted_before:
            self.envelope.rcpt_options.extend(params)
            self.envelope.per_recipient_options.append(params)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:
        """aiosmtpd's DATA, refused where RFC 3030 §3 says only BDAT may follow."""
        envelope = self.envelope
        assert envelope is not None
        if envelope.rcpt_tos and (envelope.chunks is not None or envelope.bdat_failed):
            await self.push("503 5.5.1 DATA after BDAT in the same transaction (RFC 3030)")
            return
        if envelope.rcpt_tos and envelope.binarymime:
            await self.push("503 5.5.1 BODY=BINARYMIME needs BDAT, not DATA (RFC 3030)")
            return
        if self.config.faults.accept_bare_lf_dot and envelope.rcpt_tos and not arg:
            await self._lenient_data(envelope)
            return
        await super().smtp_DATA(arg)

    async def _lenient_data(self, envelope: PracticeEnvelope) -> None:
        """The smuggling fault: DATA ends at any "." line, ``\n.\n`` included.

        Whatever follows that line in the same write is left in the buffer and read as the
        next commands: exactly how a second, smuggled message gets in.
        """
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        lines: list[bytes] = []
        size = 0
        limit = self.data_size_limit
        while True:
            try:
                line = await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                if self.transport is not None:
                    self.transport.close()
                return
            except asyncio.LimitOverrunError:
                await self.push("500 5.5.2 Line too long")
                return
            if line.rstrip(b"\r\n") == b".":
                break
            size += len(line)
            if not limit or size <= limit:
                lines.append(line[1:] if line.startswith(b".") else line)
        if limit and size > limit:
            self._set_post_data_state()
            await self.push("552 5.3.4 Error: Too much mail data")
            return
        envelope.original_content = envelope.content = b"".join(lines)
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(status)

    @syntax("BDAT <size> [LAST]")
    async def smtp_BDAT(self, arg: str | None) -> None:
        """CHUNKING (RFC 3030): exactly ``size`` bytes follow the line, no dot-stuffing.

        The chunk is always read, even when the command is refused, so the bytes are never
        mistaken for commands.  On LAST the message takes the same path as after DATA.
        """
        match = _BDAT_ARGUMENT.fullmatch((arg or "").strip())
        if match is None:
            # Without a size nobody knows where the chunk ends; RFC 3030 leaves it there.
            await self.push("501 5.5.4 Syntax: BDAT <size> [LAST]")
            return
        size, last = int(match["size"]), match["last"] is not None
        envelope = self.envelope
        assert self.session is not None and envelope is not None
        refusal = self._bdat_refusal(envelope, size)
        if refusal is None:
            assert envelope.chunks is not None
            if not await self._read_chunk(size, into=envelope.chunks):
                return
        else:
            if not await self._read_chunk(size, into=None):
                return
            if envelope.mail_from and envelope.rcpt_tos:
                envelope.bdat_failed = True
                envelope.chunks = None
                if last:
                    self._set_post_data_state()  # the failed transaction ends here
            await self.push(refusal)
            return
        if not last:
            await self.push(f"250 2.0.0 {size} octets received")
            return
        envelope.original_content = envelope.content = bytes(envelope.chunks)
        envelope.chunks = None
        status = await self._call_handler_hook("DATA")  # the same delivery as after DATA
        self._set_post_data_state()
        await self.push(status)

    def _bdat_refusal(self, envelope: PracticeEnvelope, size: int) -> str | None:
        """The error reply for this BDAT chunk, or None (then ``envelope.chunks`` is ready)."""
        assert self.session is not None
        if not self.session.host_name or not self.session.extended_smtp:
            return "503 5.5.1 Error: send EHLO first"  # an extension: never after HELO
        if not envelope.mail_from:
            return "503 5.5.1 Error: need MAIL command"
        if not envelope.rcpt_tos:
            return "503 5.5.1 Error: need RCPT command"
        if envelope.bdat_failed:
            # RFC 3030 §2: chunks already in the pipeline after a failed one are discarded.
            return "554 5.5.0 An earlier BDAT of this transaction failed; chunk discarded"
        received = len(envelope.chunks) if envelope.chunks is not None else 0
        if self.data_size_limit and received + size > self.data_size_limit:
            return "552 5.3.4 Error: message size exceeds fixed maximum message size"
        if envelope.chunks is None:
            envelope.chunks = bytearray()
        return None

    async def _read_chunk(self, size: int, *, into: bytearray | None) -> bool:
        """Read exactly ``size`` bytes, kept in ``into`` or thrown away; False on hang-up."""
        remaining = size
        try:
            while remaining:
                block = await self._reader.readexactly(min(remaining, _DISCARD_BLOCK))
                remaining -= len(block)
                if into is not None:
                    into += block
        except asyncio.IncompleteReadError:
            if self.transport is not None:
                self.transport.close()
            return False
        return True

    # --- delivery ---------------------------------------------------------------------------

    async def deliver(self, session: Session, envelope: Envelope) -> str:
        """Keep the message; the final reply (LMTP: the replies) to the end of DATA."""
        if await self.apply_faults(EOM):
            return "421 4.3.2 closed"  # never sent: the session is silenced
        assert envelope.mail_from is not None and isinstance(envelope, PracticeEnvelope)
        data = bytes(envelope.original_content or b"")
        if self.config.dkim is not None and session.authenticated:
            data = _dkim_signed(data, envelope.mail_from, self.config.dkim)
        message = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            mail_options=list(envelope.mail_options),
            rcpt_options=list(envelope.rcpt_options),
            per_recipient_options=[list(options) for options in envelope.per_recipient_options],
            peer=session.peer,
            protocol=self.protocol_name,
            tls=self.is_encrypted,
            authenticated_as=session.auth_data if session.authenticated else None,
        )
        try:
            self.config.store.add(message)
        except StoreFull as full:
            self.config.store.refused(str(full), session.peer)
            return STORE_FULL.format(why=full)
        except OSError as error:
            return f"451 4.3.0 Could not store the message: {error.strerror or error}"
        return f"250 2.0.0 OK: message {secrets.token_hex(5).upper()} accepted and kept here"


def _dkim_signed(data: bytes, mail_from: str, dkim_setup: tuple[str, str, bytes]) -> bytes:
    """``data`` with a DKIM-Signature (RFC 6376) when it is sent from the signing domain."""
    selector, domain, private_pem = dkim_setup
    if mail_from.rpartition("@")[2].lower() != domain:
        return data
    import dkim

    try:
        signature = dkim.sign(
            data,
            selector.encode(),
            domain.encode(),
            private_pem,
            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        )
    except Exception:  # a practice server sees deliberately broken mail: store it unsigned
        return data
    return signature + data


class PracticeLMTP(PracticeSMTP, LMTP):
    """LMTP (RFC 2033): LHLO instead of EHLO, and one reply per recipient after DATA."""

    protocol_name = "LMTP"
    greeting_ident = "LMTP smtpshell practice server (mail sent here stays here)"

    async def deliver(self, session: Session, envelope: Envelope) -> str:
        reply = await super().deliver(session, envelope)
        if self._silenced:
            return reply
        if reply.startswith("250"):
            replies = [f"250 2.1.5 <{rcpt}> delivered" for rcpt in envelope.rcpt_tos]
        else:
            replies = [reply] * len(envelope.rcpt_tos)
        for line in replies[:-1]:
            await self.push(line)
        return replies[-1]


class _Hooks:
    """aiosmtpd handler hooks: advertise extensions, refuse recipients, hand over DATA."""

    def __init__(self, config: SessionConfig) -> None:
        self._config = config

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        config = self._config
        extensions = []
        if config.pipelining or isinstance(server, LMTP):
            extensions.append("250-PIPELINING")
        if config.chunking:
            extensions += ["250-CHUNKING", "250-BINARYMIME"]
        if config.dsn:
            extensions.append("250-DSN")
        server.command_size_limits["MAIL"] = MAIL_LINE_LIMIT
        server.command_size_limits["RCPT"] = RCPT_LINE_LIMIT
        return [*responses[:-1], *extensions, "250-ENHANCEDSTATUSCODES", responses[-1]]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        faults = self._config.faults
        if faults.rejects(address):
            code = faults.reject_code
            why = "try again later" if code < 500 else "recipient rejected"
            return f"{code} {enhanced_code_for(code, 'RCPT')} <{address}>: {why} (practice fault)"
        envelope.rcpt_tos.append(address)  # its options: PracticeSMTP.smtp_RCPT keeps them
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(server, PracticeSMTP)
        return await server.deliver(session, envelope)
