"""The command engine: one line in, one :class:`Result` out, for every face.

A line is one of:

* a shell command (``/connect``, ``/login`` ...), looked up in the registry;
* in DATA mode (after a hand-typed ``DATA`` got 354) or compose mode (``/send`` without a
  file): a line of the message, until a lone ``.``;
* while the server waits for an answer to a 334 challenge: that answer, a secret;
* in raw mode: bytes sent exactly as given;
* anything else: an SMTP command, sent through ``docmd`` as typed.

The engine holds no terminal code.  Wire traffic reaches faces live through
``engine.subscribe`` (the transcript); results carry everything else as data.  Blocking
calls happen in ``run_line``, so faces call it from a worker thread and may ``cancel()``
from another.  See docs/shell.md for the API as faces use it.
"""

from __future__ import annotations

import dataclasses
import email.parser
import email.policy
import email.utils
import enum
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpshell.client import LMTP, SMTP, SMTP_SSL, default_context, unverified_context
from smtpshell.errors import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)
from smtpshell.practice import (
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    PracticeFactory,
    PracticeHandle,
    PracticeOptions,
    with_free_ports,
)
from smtpshell.shell.completion import Candidate, CompletionContext, complete
from smtpshell.shell.exports import ContextArg, Joined, MessageArg, SecretArg, Step, env_word
from smtpshell.shell.history import HistoryFile, history_entry, shown_line
from smtpshell.shell.options import VERIFY_HINT, tls_context_for, tune_context
from smtpshell.shell.registry import PREFIX, Registry, UsageError
from smtpshell.shell.results import Level, Note, Outcome, ReplyRecord, Result, plural
from smtpshell.shell.target import Security, Target, parse_target
from smtpshell.shell.views import Views
from smtpshell.tls_settings import TLSSettings
from smtpshell.transcript import (
    INCOMPLETE,
    INJECTED,
    REDACTED,
    UNSOLICITED,
    Event,
    EventKind,
    Transcript,
    escape_bytes,
)

if TYPE_CHECKING:
    from smtpshell.shell.expect import Expectation
    from smtpshell.shell.replay import Replay

__all__ = ["DEFAULT_TIMEOUT", "Asker", "Engine", "Mode", "Status", "describe_error"]

#: Seconds a blocking call may take before the client gives up (Ctrl-C is quicker).
DEFAULT_TIMEOUT = 60.0

#: ``asker(prompt, secret) -> answer``: how the engine asks the person for a value (a
#: password).  Raise EOFError or KeyboardInterrupt to decline.  None: never ask (scripts).
Asker = Callable[[str, bool], str]


class Mode(enum.StrEnum):
    """What the next line means; faces change the prompt (and hide input) by it."""

    COMMAND = "command"
    DATA = "data"  # after 354: message lines until a lone "."
    COMPOSE = "compose"  # /send without a file: message lines until a lone "."
    SECRET = "secret"  # the server waits for an answer to a 334: hide it, never store it
    RAW = "raw"  # plain lines are sent as raw bytes


#: What to type next, by mode: the faces show it at an empty prompt.
MODE_HINTS: Mapping[Mode, str] = {
    Mode.COMMAND: "/help · EHLO · MAIL FROM:<you@example.com> · Tab completes",
    Mode.DATA: "message: headers, a blank line, the body · a line with only . ends it",
    Mode.COMPOSE: "message (headers optional) · a line with only . sends it",
    Mode.SECRET: "the answer to the 334 (hidden, never stored) · * cancels",
    Mode.RAW: "raw (unsafe): sent exactly, no line ending added · \\r \\n \\xHH · /raw leaves",
}


@dataclass(frozen=True, slots=True)
class Status:
    """A snapshot for prompts, status bars and inspectors."""

    target: str | None
    connected: bool
    tls: bool
    tls_verified: bool | None
    user: str | None
    stage: str
    mode: Mode
    reveal: bool
    lmtp: bool
    practice: bool
    busy: bool
    last_code: int | None
    last_latency: float | None
    recipients: int
    #: ``(step, steps)`` while ``/replay`` steps through a script, else None.
    replay: tuple[int, int] | None = None


@dataclass(slots=True)
class _Compose:
    from_addr: str
    to_addrs: list[str]
    subject: str | None
    mail_options: list[str]
    rcpt_options: list[str]
    lines: list[str]


class Cancelled(Exception):
    """The person declined to answer a question (a password prompt)."""


def _reply_text(message: bytes | str) -> str:
    raw = message if isinstance(message, bytes) else message.encode("utf-8", "replace")
    return " / ".join(escape_bytes(line) for line in raw.split(b"\n") if line) or ""


def describe_error(exc: BaseException) -> str:
    """One clear line for any error a command can raise; server text escaped."""
    if isinstance(exc, SMTPRecipientsRefused):
        refused = "; ".join(
            f"{escape_bytes(r.encode('utf-8', 'replace'))}: {code} {_reply_text(msg)}"
            for r, (code, msg) in exc.recipients.items()
        )
        return f"all recipients refused: {refused}" if refused else "all recipients refused"
    if isinstance(exc, SMTPSenderRefused):
        sender = exc.sender if isinstance(exc.sender, str) else repr(exc.sender)
        return f"sender {escape_bytes(sender.encode())} refused: {exc.smtp_code} " + _reply_text(
            exc.smtp_error
        )
    if isinstance(exc, SMTPResponseException):
        text = _reply_text(exc.smtp_error)
        prefix = "authentication failed: " if isinstance(exc, SMTPAuthenticationError) else ""
        if isinstance(exc.smtp_code, int) and exc.smtp_code > 0:
            return f"{prefix}{exc.smtp_code} {text}".rstrip()
        return prefix + (text or type(exc).__name__)
    if isinstance(exc, SMTPException | ValueError | TypeError):
        text = str(exc) or type(exc).__name__
        return escape_bytes(text.encode("utf-8", "replace"))
    if isinstance(exc, OSError):
        return escape_bytes(str(exc.strerror or exc).encode("utf-8", "replace"))
    return escape_bytes(f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))


def _outcome_of(exc: BaseException) -> Outcome:
    if isinstance(exc, SMTPServerDisconnected | SMTPConnectError):
        return Outcome.CONNECTION
    if isinstance(exc, SMTPException):
        return Outcome.SMTP
    if isinstance(exc, ValueError | TypeError):
        return Outcome.USAGE
    if isinstance(exc, Cancelled):
        return Outcome.CANCELLED
    return Outcome.CONNECTION  # OSError


_HEADER_LINE = re.compile(r"^[A-Za-z0-9-]+:")
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|[rnt0\\])")
_ESCAPES = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}


def decode_raw(text: str) -> bytes:
    """``/raw`` text -> bytes: ``\\r \\n \\t \\0 \\\\ \\xHH`` escapes; the rest as UTF-8."""

    def replace(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        return bytes([int(code[1:], 16)]) if code.startswith(b"x") else _ESCAPES[code]

    return _ESCAPE.sub(replace, text.encode("utf-8"))


class Engine:
    """A session behind a line-oriented interface; see docs/shell.md.

    ``transcript`` is shared across reconnects; ``asker`` asks for hidden values (None in
    scripts: a missing password is then a usage error); ``scripted`` accepts bare
    ``expect`` lines; ``history`` receives each line, filtered so no secret is stored.

    Injected, so the engine knows neither its commands nor the server: ``registry`` holds
    the commands it dispatches (``smtpshell.shell.commands.REGISTRY`` for the built-in
    ones), and ``practice_factory`` starts a practice server when one is asked for (the
    cli wires ``smtpshell.server.start_practice_server``; without one, ``/connect
    practice`` says there is none).  ``smtpshell.wiring.new_engine`` does both.
    """

    def __init__(
        self,
        *,
        transcript: Transcript | None = None,
        asker: Asker | None = None,
        scripted: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        helo_name: str | None = None,
        history: HistoryFile | None = None,
        environ: Mapping[str, str] | None = None,
        registry: Registry,
        practice_factory: PracticeFactory | None = None,
    ) -> None:
        self.registry = registry
        self.practice_factory = practice_factory
        self.transcript = transcript if transcript is not None else Transcript()
        self.asker = asker
        self.scripted = scripted
        self.timeout = timeout
        self.helo_name = helo_name
        self.history_file = history
        self.environ = os.environ if environ is None else environ
        #: This session's lines, already filtered (what /history shows).
        self.history: list[str] = []
        self.client: SMTP | None = None
        self.target: Target | None = None
        #: TLS settings given on the command line (``--ca-file``, ``--cert``...): every
        #: ``/connect`` in this session that does not set its own inherits them.
        self.connection_defaults: Target | None = None
        self.practice: PracticeHandle | None = None
        self.reveal = False
        self.raw_mode = False
        self.debuglevel = 0
        #: The last complete reply the server sent (for expect and /explain).
        self.last_reply: ReplyRecord | None = None
        #: After the end of an LMTP message: each accepted recipient with its own reply,
        #: in RCPT order (RFC 2033 §4.2), until the next command.  ``expect`` judges every
        #: one of them (or the one ``expect for RCPT`` names), not only the last reply.
        self.last_delivery: tuple[tuple[str, ReplyRecord], ...] = ()
        #: The session as smtplib calls, for the Python export.
        self.steps: list[Step] = []
        self.finished = False
        self._compose: _Compose | None = None
        self._data_lines: list[str] = []
        self._reply_lines: list[str] = []
        self._cancelled = False
        self._busy = False
        #: Re-entrant: a command (``/replay``) may run lines through ``run_line``.
        self._run_lock = threading.RLock()
        #: The script ``/replay`` is stepping through (faces offer ``replay.next_line``).
        self.replay: Replay | None = None
        #: The last chunk this engine's client sent: its ``redacted`` field says which
        #: bytes carried AUTH data (the client marks them; the export reads the mark).
        self._last_sent: Event | None = None
        self.transcript.subscribe(self._track_reply)

    # ------------------------------------------------------------------ state for faces

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Live transcript events (called on the engine's thread); returns unsubscribe."""
        return self.transcript.subscribe(callback)

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.session.connected

    @property
    def mode(self) -> Mode:
        if self._compose is not None:
            return Mode.COMPOSE
        client = self.client
        if client is not None and client.session.in_data:
            # Raw DATA (unsafe, /raw): lines go out exactly as typed, for experiments.
            return Mode.RAW if self.raw_mode else Mode.DATA
        if client is not None and client.expecting_auth_response:
            return Mode.SECRET
        return Mode.RAW if self.raw_mode else Mode.COMMAND

    @property
    def views(self) -> Views:
        """The session as data (status, TLS, features) for every face."""
        return Views(self)

    @property
    def features(self) -> dict[str, str]:
        return dict(self.client.esmtp_features) if self.client is not None else {}

    def status(self) -> Status:
        client = self.client
        session = client.session if client is not None else None
        target = self.target
        replay = self.replay  # once: a worker may end the replay meanwhile
        return Status(
            target=target.label if target is not None else None,
            connected=bool(session and session.connected),
            tls=bool(session and session.tls),
            tls_verified=session.tls_verified if session else None,
            user=session.authenticated_as if session else None,
            stage=session.stage if session else "disconnected",
            mode=self.mode,
            reveal=self.reveal,
            lmtp=isinstance(client, LMTP),
            practice=bool(target and target.practice),
            busy=self._busy,
            last_code=session.last_code if session else None,
            last_latency=session.last_latency if session else None,
            recipients=len(session.recipients) if session else 0,
            replay=replay.progress if replay is not None else None,
        )

    def completion_context(self) -> CompletionContext:
        client = self.client
        features = client.esmtp_features if client is not None and client.does_esmtp else None
        return CompletionContext(
            registry=self.registry,
            features=dict(features) if features is not None else None,
            lmtp=isinstance(client, LMTP),
            collecting=self.mode in (Mode.DATA, Mode.COMPOSE, Mode.SECRET),
            scripted=self.scripted,
        )

    def complete(self, text_before_cursor: str) -> list[Candidate]:
        return complete(text_before_cursor, self.completion_context())

    def history_entry(self, line: str) -> str | None:
        """What may be remembered of ``line`` if it were run now (None: nothing)."""
        mode = self.mode
        return history_entry(
            line,
            self.registry,
            secret_input=mode is Mode.SECRET or self._continues_raw_secret(line),
            collecting=mode in (Mode.DATA, Mode.COMPOSE),
        )

    def shown_line(self, line: str) -> str:
        """``line`` as a face or an error message may show it if it were run now: secret
        arguments, AUTH payloads and answers to a 334 become ``<redacted>``."""
        secret = self.mode is Mode.SECRET or self._continues_raw_secret(line)
        return shown_line(line, self.registry, secret_input=secret)

    def _continues_raw_secret(self, line: str) -> bool:
        """``line`` sends raw bytes that finish an AUTH line an earlier ``/raw`` began."""
        client = self.client
        if client is None or not client.raw_line_open_secret:
            return False
        text = line.strip()
        if not text.startswith(PREFIX):
            return self.raw_mode
        spec = self.registry.get(text.split(None, 1)[0])
        return spec is not None and spec.name == "raw"

    # ------------------------------------------------------------------ running lines

    def run_line(self, line: str) -> Result:
        """Run one line; never raises for anything the session or the line can do wrong."""
        line = line.rstrip("\r\n")
        with self._run_lock:
            replay = self.replay
            if replay is not None and replay.owns(line):
                # The pending step of /replay (perhaps edited): the replay runs it through
                # this method again (the lock is re-entrant), so history sees it once.
                return self._guarded(replay.submit, line)
            busy, self._busy, self._cancelled = self._busy, True, False
            try:
                entry = self.history_entry(line)
                if entry is not None:
                    self.history.append(entry)
                    if self.history_file is not None:
                        self.history_file.append(entry)
                return self._guarded(self._dispatch, line)
            finally:
                self._busy = busy

    def cancel(self) -> None:
        """Cancel the command in flight (from another thread): the connection is broken,
        because SMTP has no way to take a command back."""
        if self._busy:
            self._cancelled = True
            client = self.client
            if client is not None:
                client.abort()

    def abandon_message(self) -> Result:
        """Give up the message being typed.  Compose mode: nothing was sent, nothing lost.
        DATA mode: the server takes any line as message text, so the connection is closed."""
        result = Result()
        if self._compose is not None:
            self._compose = None
            return result.add("message discarded (nothing was sent)", Level.WARN)
        if self.mode is Mode.DATA and self.client is not None:
            self._data_lines = []
            self.transcript.note("message abandoned during DATA: connection closed")
            self.client.close()
            return result.add(
                "message abandoned: the connection was closed (the server would have taken "
                "any further line as message text)",
                Level.WARN,
            )
        return result

    def _guarded(self, action: Callable[..., Result | None], *args: Any) -> Result:
        try:
            return action(*args) or Result()
        except (SMTPException, OSError, ValueError, TypeError, Cancelled) as exc:
            if self._cancelled:
                self._data_lines = []
                return Result(
                    [
                        Note(
                            "cancelled: connection closed (SMTP cannot take a command back)",
                            Level.ERROR,
                        )
                    ],
                    Outcome.CANCELLED,
                )
            result = Result([Note(describe_error(exc), Level.ERROR)], _outcome_of(exc))
            if isinstance(exc, ssl.SSLCertVerificationError):
                result.add(VERIFY_HINT, Level.HINT)
            return result

    def _dispatch(self, line: str) -> Result | None:
        mode = self.mode
        if mode is Mode.COMPOSE:
            return self._compose_line(line)
        if mode is Mode.DATA:
            if line.strip() == f"{PREFIX}raw":
                return self.raw_data()  # the rest of the message goes out raw (unsafe)
            if not line.startswith(PREFIX + "raw "):
                return self._data_line(line)
            # "/raw BYTES" inside a message writes BYTES as they are (the SMTP smuggling
            # lesson needs a bare LF there); every other line is message text.
            if self._data_lines:
                return Result(
                    [
                        Note(
                            f"/raw inside a message goes before any typed line: "
                            f"{plural(len(self._data_lines), 'typed line is', 'typed lines are')} "
                            "waiting for the "
                            "final '.'; end the message first, or put them in the /raw text",
                            Level.ERROR,
                        )
                    ],
                    Outcome.USAGE,
                )
        if mode is Mode.SECRET:
            return self._secret_line(line)
        stripped = line.strip()
        if not stripped:
            return None
        if stripped.startswith(PREFIX):
            invocation = self.registry.parse(stripped)
            if invocation.spec.needs_connection:
                self.require_client()
            return invocation.spec.handler(self, invocation)
        if self.scripted and stripped.split(None, 1)[0].lower() == "expect":
            return self.expect(stripped.split(None, 1)[1] if " " in stripped else "")
        if self.raw_mode:
            return self.send_raw(line, read=None)
        return self.smtp_line(line)

    # ------------------------------------------------------------------ building blocks
    # (the commands module calls these; faces may too)

    def require_client(self) -> SMTP:
        client = self.client
        if client is None or not client.session.connected:
            raise SMTPServerDisconnected("not connected: /connect [TARGET] first")
        return client

    def record(self, method: str, *args: Any, comment: str = "", **kwargs: Any) -> None:
        self.steps.append(Step(method, args, tuple(kwargs.items()), comment))

    def _track_reply(self, event: Event) -> None:
        """Keep the last complete reply (for expect and /explain), from the transcript."""
        if event.kind is EventKind.SENT:
            self.last_delivery = ()
            self._last_sent = event
            return
        if event.kind is not EventKind.RECEIVED:
            return
        if event.flags & (UNSOLICITED | INJECTED | INCOMPLETE):
            self._reply_lines = []
            return
        line = event.data.rstrip(b"\r\n")
        self._reply_lines.append(escape_bytes(line[4:]))
        if event.code is not None:
            self.last_reply = ReplyRecord(event.code, tuple(self._reply_lines))
            self._reply_lines = []

    def _note_delivery(self, client: SMTP, before: list[tuple[str, int, bytes]]) -> None:
        """After an LMTP end of data: pair each recipient with the reply it got.

        ``before`` is ``client.lmtp_replies`` as it was before the data went out: the client
        puts a new list there when it reads the replies, so an unchanged one is stale.
        """
        replies = client.lmtp_replies
        if not isinstance(client, LMTP) or not replies or replies is before:
            return
        self.last_delivery = tuple(
            (recipient, ReplyRecord(code, tuple(escape_bytes(line) for line in text.split(b"\n"))))
            for recipient, code, text in replies
        )

    def secret(
        self, value: str | None, prompt: str, label: str, var: str | None = None
    ) -> SecretArg:
        """A secret from an argument (``$VAR`` reads the environment) or by asking.

        ``var`` is the environment variable the Python export suggests for it."""
        if value is not None and value.startswith("$") and len(value) > 1:
            name = value[1:]
            if name not in self.environ:
                raise UsageError(f"environment variable {name} is not set")
            return SecretArg(self.environ[name], label, env=name, var=var)
        if value is not None:
            return SecretArg(value, label, var=var)
        if self.asker is None:
            raise UsageError(f"{label} needed: give it as an argument or as $VARIABLE")
        try:
            return SecretArg(self.asker(prompt, True), label, var=var)
        except (EOFError, KeyboardInterrupt):
            raise Cancelled(f"no {label} given") from None

    def _replace_placeholder(self, payload: str, what: str) -> str:
        """A ``<redacted>`` payload came from history, where the secret was left out: ask
        for the real one (hidden), or refuse.  The placeholder itself is never sent."""
        if payload.strip() != REDACTED.decode():
            return payload
        if self.asker is None:
            raise UsageError(
                f"{REDACTED.decode()} stands for a secret history did not keep: type the "
                f"{what} itself, or use /login or /auth"
            )
        try:
            answer = self.asker(f"{what} (hidden; history did not keep it): ", True).strip()
        except (EOFError, KeyboardInterrupt):
            raise Cancelled(f"no {what} given: nothing was sent") from None
        if not answer or answer == REDACTED.decode():
            raise Cancelled(f"no {what} given: nothing was sent")
        return answer

    def tls_context(self, verify: bool | None = None) -> tuple[ssl.SSLContext, ContextArg]:
        """The context for this target: unverified if asked, the practice server's own
        certificate for the practice server, else ``--ca-file`` or the system's trust
        store; client certificate, TLS versions and ciphers as the target says."""
        target = self.target if self.target is not None else Target()
        verify = target.verify if verify is None else verify
        if not verify:
            return tune_context(unverified_context(), target.tls), ContextArg("unverified")
        if target.ca_file:
            return tls_context_for(target), ContextArg(cafile=target.ca_file)
        if target.practice and self.practice is not None:
            context = tune_context(self.practice.client_ssl_context(), target.tls)
            return context, ContextArg(cafile=str(self.practice.cert_path))
        return tls_context_for(target, default_context()), ContextArg()

    # ------------------------------------------------------------------ connecting

    def start_practice(self, options: PracticeOptions | None = None) -> PracticeHandle:
        """This engine's practice server, started through the factory (on free ports, with
        implicit TLS beside) the first time; ``options`` configure it then."""
        if self.practice is None:
            if self.practice_factory is None:
                raise UsageError("no practice server in this session: connect to a server")
            self.practice = self.practice_factory(with_free_ports(options or PracticeOptions()))
        return self.practice

    def connect(self, target: Target | str | None = None) -> Result:
        """Connect (politely leaving any current session) and return the greeting's result."""
        return self._guarded(self._connect, target)

    def _connect(self, target: Target | str | None) -> Result:
        if not isinstance(target, Target):
            target = parse_target(target)
        result = Result()
        if target.practice:
            server = self.start_practice()
            port = server.tls_port if target.security is Security.TLS else server.port
            fresh = self.target is None or not self.target.practice
            target = target.replace(host=server.host, port=port)
            if fresh:
                users = ", ".join(_account_hint(u, p) for u, p in server.users.items())
                result.add(
                    f"practice server running on {server.host}:{server.port} "
                    f"(implicit TLS on {server.tls_port}); log in with {users}",
                    Level.HINT,
                )
        target = self._with_defaults(target)
        self.leave()
        self.target = target
        if target.security is Security.TLS:
            context, context_arg = self.tls_context()
            cls, kwargs = SMTP_SSL, {"context": context}
        else:
            context_arg = None
            cls, kwargs = (LMTP if target.lmtp else SMTP), {}
        helo = target.helo or self.helo_name
        if target.pipelining:
            kwargs["pipelining"] = True
        if target.chunking:
            kwargs["chunking"] = True
        client = cls(
            local_hostname=helo or _default_helo_name(),
            timeout=self.timeout,
            source_address=target.source,
            transcript=self.transcript,
            **kwargs,
        )
        client.set_debuglevel(self.debuglevel)
        if target.tls.sni:
            client.server_hostname = target.tls.sni
        if target.family:
            client.address_family = socket.AF_INET6 if target.family == 6 else socket.AF_INET
        self.client = client
        step_kwargs: dict[str, Any] = {"cls": cls.__name__, "host": target.host}
        if not target.unix:
            step_kwargs["port"] = target.effective_port
        if context_arg is not None:
            step_kwargs["context"] = context_arg
        step_kwargs["local_hostname"] = helo
        step_kwargs["timeout"] = self.timeout
        if target.source:
            step_kwargs["source_address"] = target.source
        for flag in ("pipelining", "chunking"):
            if getattr(target, flag):
                step_kwargs[flag] = True
        comment = (
            "the embedded practice server (smtpshell serve starts one)" if target.practice else ""
        )
        self.steps.append(Step("connect", (), tuple(step_kwargs.items()), comment))
        code, _message = client.connect(target.host, 0 if target.unix else target.effective_port)
        if code != 220:
            result.add(
                f"the server greeted with {code}, not 220: it will not take mail", Level.WARN
            )
            return result
        if target.security is Security.STARTTLS:
            self.starttls(verify=None, result=result, hint=False)
            client.ehlo()
            self.record("ehlo")
        return result

    def _with_defaults(self, target: Target) -> Target:
        defaults = self.connection_defaults
        if defaults is None:
            return target
        changes: dict[str, object] = _unset(target, defaults, ("ca_file", "family"))
        tls = _unset(target.tls, defaults.tls, [f.name for f in dataclasses.fields(TLSSettings)])
        if tls:
            changes["tls"] = dataclasses.replace(target.tls, **tls)
        if defaults.source and target.source is None:
            changes["source"] = defaults.source
        return target.replace(**changes) if changes else target

    def starttls(
        self, verify: bool | None, result: Result | None = None, *, hint: bool = True
    ) -> Result:
        client = self.require_client()
        result = result if result is not None else Result()
        context, context_arg = self.tls_context(verify)
        if client.helo_resp is None and client.ehlo_resp is None:
            client.ehlo_or_helo_if_needed()
            self.record("ehlo")
        client.starttls(context=context)
        self.record("starttls", context=context_arg)
        if context_arg.kind == "unverified":
            result.add(
                "TLS without certificate verification: anyone in between could read this",
                Level.WARN,
            )
        if hint:
            result.add("TLS is up; the server forgot the EHLO: send EHLO again", Level.HINT)
        return result

    def leave(self) -> None:
        """End the current session politely (QUIT), whatever state it is in."""
        client, self.client = self.client, None
        self._compose = None
        self._data_lines = []
        if client is None:
            return
        try:
            if client.session.connected and not client.session.in_data:
                client.quit()
        except (SMTPException, OSError):
            pass
        finally:
            client.close()

    def shutdown(self) -> None:
        """Leave politely and stop the practice server: what Ctrl-D and /exit do."""
        with self._run_lock:
            self.leave()
            self.replay = None
            if self.practice is not None:
                self.practice.stop()
                self.practice = None
            self.finished = True

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # ------------------------------------------------------------------ SMTP lines

    def smtp_line(self, line: str) -> Result:
        """Send a typed SMTP command as it is, and keep the client's view of the session."""
        client = self.require_client()
        command = line.strip()
        verb = command.split(None, 1)[0].upper()
        result = Result()
        if command.upper() == "STARTTLS":
            return self.starttls(verify=None)
        parts = command.split(None, 2)
        if verb == "AUTH" and len(parts) == 3:
            payload = self._replace_placeholder(parts[2], f"AUTH {parts[1]} initial response")
            command = f"{parts[0]} {parts[1]} {payload}"
        code, _ = client.docmd(command)  # the client tracks EHLO/HELO replies itself
        if verb in ("EHLO", "LHLO"):
            if code == 250:
                self.record("ehlo", _argument(command))
                count = len(client.esmtp_features)
                result.add(
                    f"{plural(count, 'extension')} advertised: /features explains them", Level.HINT
                )
            else:
                self.record("docmd", command)
        elif verb == "HELO":
            self.record("helo", _argument(command))
        elif verb == "QUIT":
            client.close()
            self.record("quit")
        elif verb == "DATA" and code == 354:
            self._data_lines = []  # recorded as s.data(...) when the message is sent
            result.add(
                "type the message (headers, blank line, body); end with a line holding only '.'",
                Level.HINT,
            )
        elif self._sent_secret():
            self.record("docmd", self._secret_pieces(command, "initial response"))
        else:
            self.steps.append(_step_for(command))
        if code == 334:
            result.add(
                "the server waits for a base64 answer: the next line is hidden and never stored",
                Level.HINT,
            )
        return result

    def _secret_line(self, line: str) -> Result:
        client = self.require_client()
        answer = self._replace_placeholder(line.strip(), "answer to the AUTH challenge")
        client.docmd(answer)
        if self._sent_secret():
            self.record("docmd", self._secret_pieces(answer, "answer"))
        else:
            self.record("docmd", answer)  # "*" cancels the exchange: no secret in it
        return None

    def _sent_secret(self) -> bool:
        event = self._last_sent
        return event is not None and event.secret

    def _secret_pieces(self, line: str, what: str) -> Joined:
        """``line`` as the export writes it: the bytes the client marked secret in the last
        chunk it sent become a :class:`SecretArg`, the rest stays literal."""
        event = self._last_sent
        assert event is not None and event.redacted is not None
        pieces = _split_secrets(event.data, event.redacted, self._secret_label(what))
        text: list[str | SecretArg] = []
        for piece in pieces:
            text.append(piece if isinstance(piece, SecretArg) else piece.decode("utf-8"))
        text = [p for p in text if p != ""]
        if text and isinstance(text[-1], str):  # docmd adds the line ending itself
            text[-1] = text[-1].removesuffix("\r\n")
            if not text[-1]:
                text.pop()
        return Joined(tuple(text))

    def _secret_label(self, what: str) -> tuple[str, str]:
        """(label, suggested variable) for a hand-typed AUTH payload."""
        client = self.client
        mechanism = getattr(client, "_auth_mechanism", "") or "AUTH"
        if what == "answer":
            return f"{mechanism} answer to a 334 challenge (base64)", (
                f"SMTPSHELL_{env_word(mechanism)}_ANSWER"
            )
        return f"{mechanism} initial response (base64)", f"SMTPSHELL_{env_word(mechanism)}_RESPONSE"

    def _data_line(self, line: str) -> Result:
        result = Result()
        if line != ".":
            self._data_lines.append(line)
            if line.startswith("."):
                result.add(
                    f"dot-stuffing: this line goes out as {'.' + line!r} so it cannot end the "
                    "data; the server removes the extra dot (RFC 5321 §4.5.2)",
                    Level.HINT,
                )
            return result
        client = self.require_client()
        lines, self._data_lines = self._data_lines, []
        body = "".join(f"{text}\r\n" for text in lines).encode("utf-8")
        before = client.lmtp_replies
        client.send_payload(body)  # LMTP: the client reads one reply per recipient
        self._note_delivery(client, before)
        self.record("data", body)
        stuffed = sum(1 for text in lines if text.startswith("."))
        if stuffed:
            result.add(
                f"{plural(stuffed, 'line was', 'lines were')} dot-stuffed on the wire", Level.HINT
            )
        return result

    def send_data(self, message: bytes) -> Result:
        """After a 354: send a whole message at once (normalised to CRLF, dot-stuffed and
        ended with ``<CRLF>.<CRLF>`` as ``data()`` does) and read the reply."""
        return self._guarded(self._send_data, message)

    def _send_data(self, message: bytes) -> Result:
        client = self.require_client()
        self._data_lines = []
        before = client.lmtp_replies
        client.send_payload(message)  # LMTP: one reply per recipient
        self._note_delivery(client, before)
        self.record("data", message)
        return Result()

    def _compose_line(self, line: str) -> Result:
        compose = self._compose
        assert compose is not None
        if line != ".":
            compose.lines.append(line)
            return Result()
        self._compose = None
        body = compose.lines
        if not body or not _HEADER_LINE.match(body[0]):
            headers = [
                f"From: <{compose.from_addr}>",
                "To: " + ", ".join(f"<{a}>" for a in compose.to_addrs),
                f"Subject: {compose.subject or 'smtpshell test message'}",
                f"Date: {_email_date()}",
                f"Message-ID: {_message_id()}",
                "",
            ]
            body = headers + body
        message = "".join(f"{text}\r\n" for text in body).encode("utf-8")
        return self.sendmail(
            compose.from_addr, compose.to_addrs, message, compose.mail_options, compose.rcpt_options
        )

    def begin_compose(
        self,
        from_addr: str,
        to_addrs: list[str],
        *,
        subject: str | None = None,
        mail_options: list[str] | None = None,
        rcpt_options: list[str] | None = None,
    ) -> Result:
        self.require_client()
        self._compose = _Compose(
            from_addr, to_addrs, subject, list(mail_options or ()), list(rcpt_options or ()), []
        )
        hint = (
            "compose the message: headers (or just the body: From/To/Subject/Date are added), "
            "a blank line, the body; end with a line holding only '.'"
        )
        return Result([Note(hint, Level.HINT)])

    def sendmail(
        self,
        from_addr: str,
        to_addrs: list[str],
        message: bytes,
        mail_options: list[str],
        rcpt_options: list[str],
    ) -> Result:
        client = self.require_client()
        before = client.lmtp_replies
        try:
            refused = client.sendmail(from_addr, to_addrs, message, mail_options, rcpt_options)
        finally:
            self._note_delivery(client, before)  # also when every delivery failed (then RSET)
        self.record("sendmail", from_addr, to_addrs, message, mail_options, rcpt_options)
        return self._sent(len(to_addrs), refused)

    def send_message(
        self,
        data: bytes,
        mail_options: list[str] | None = None,
        rcpt_options: list[str] | None = None,
    ) -> Result:
        """Send a whole RFC 5322 message as smtplib's ``send_message()`` does: the envelope
        from its headers (From/Sender; To, Cc, Bcc), Bcc stripped.  Guarded: a Result."""
        return self._guarded(self._send_message, data, mail_options or [], rcpt_options or [])

    def _send_message(self, data: bytes, mail_options: list[str], rcpt_options: list[str]):
        client = self.require_client()
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(data)
        refused = client.send_message(message, mail_options=mail_options, rcpt_options=rcpt_options)
        fields = [str(v) for k in ("To", "Cc", "Bcc") for v in message.get_all(k, [])]
        count = len(email.utils.getaddresses(fields))
        options: dict[str, Any] = {"mail_options": mail_options} if mail_options else {}
        if rcpt_options:
            options["rcpt_options"] = rcpt_options
        self.record("send_message", MessageArg(data), **options)
        return self._sent(max(count, len(refused)), refused)

    def _sent(self, count: int, refused: Mapping[str, tuple[int, bytes]]) -> Result:
        result = Result()
        accepted = count - len(refused)
        result.add(f"message accepted for {accepted} of {plural(count, 'recipient')}", Level.OK)
        for rcpt, (code, msg) in refused.items():
            result.add(f"refused {rcpt}: {code} {_reply_text(msg)}", Level.WARN)
        return result

    # ------------------------------------------------------------------ raw

    RAW_DATA_WARNING = (
        "raw DATA ON (unsafe, for experiments): each line goes out exactly as typed, with "
        "\\r \\n \\xHH escapes and WITHOUT a line ending: no dot-stuffing, bare LF and "
        "un-stuffed dots pass, and nothing ends the message but what you send "
        "(\\r\\n.\\r\\n reads the reply; after a custom end-of-data, /reply reads it); "
        "/raw returns to safe DATA"
    )

    def raw_data(self) -> Result:
        """Switch the message being typed (DATA mode) to raw, unsafe sending.  The lines
        typed so far go out first, dot-stuffed as in safe DATA."""
        client = self.require_client()
        lines, self._data_lines = self._data_lines, []
        if lines:
            stuffed = "".join(("." + t if t.startswith(".") else t) + "\r\n" for t in lines)
            client.send_raw(stuffed.encode("utf-8"))
            self.record("send", stuffed.encode("utf-8"))
        self.raw_mode = True
        return Result([Note(self.RAW_DATA_WARNING, Level.WARN)])

    def send_raw(self, text: str, read: bool | None) -> Result:
        """Send ``text`` (with ``\\r \\n \\xHH`` escapes) exactly; read a reply when it ends
        in a line feed (or as ``read`` says).  Unsafe on purpose: nothing is checked."""
        client = self.require_client()
        answering = client.expecting_auth_response
        in_message = client.session.in_data  # DATA, or raw DATA (Mode.RAW in a message)
        data = self._raw_without_placeholders(decode_raw(text), answering)
        client.send_raw(data)  # tracked by the client: replies, stage, AUTH redaction
        event = self._last_sent
        if event is not None and event.secret and event.data == data:
            label = self._secret_label("answer" if answering else "")
            pieces = _split_secrets(data, event.redacted or b"", label)
            self.record("send", Joined(tuple(p for p in pieces if p != b"")))
        else:
            self.record("send", data)
        result = Result(
            [
                Note(
                    f"raw: sent {plural(len(data), 'byte')} exactly as given (unsafe: no checks)",
                    Level.WARN,
                )
            ]
        )
        if read is None:
            # Inside a message only the end of data gets a reply (RFC 5321 §4.1.1.4).
            ends = data.startswith(b".\r\n") or b"\r\n.\r\n" in data
            read = ends if in_message else data.endswith(b"\n")
        if read:
            client.getreply()
            self.record("getreply")
        else:
            result.add("no reply read: /reply reads one", Level.HINT)
        return result

    def _raw_without_placeholders(self, data: bytes, answering: bool) -> bytes:
        """Raw lines whose AUTH payload is the history placeholder get the real secret."""
        placeholder = REDACTED.decode()
        out = []
        for line in data.splitlines(keepends=True):
            body = line.rstrip(b"\r\n")
            ending = line[len(body) :]
            text = body.decode("utf-8", "replace")
            parts = text.split(None, 2)
            if len(parts) == 3 and parts[0].upper() == "AUTH" and parts[2].strip() == placeholder:
                payload = self._replace_placeholder(parts[2], f"AUTH {parts[1]} initial response")
                line = f"{parts[0]} {parts[1]} {payload}".encode() + ending
            elif answering and text.strip() == placeholder:
                line = self._replace_placeholder(text, "answer to the AUTH challenge").encode()
                line += ending
            out.append(line)
        return b"".join(out)

    # ------------------------------------------------------------------ expectations

    def expect(self, spec: str) -> Result:
        """Check the last reply (``expect 250``) or the session (``expect tls``)."""
        from smtpshell.shell.expect import StateExpectation, parse_check

        expectation = parse_check(spec)
        if isinstance(expectation, StateExpectation):
            failure = expectation.check(self.status(), self.features)
            if failure is None:
                return Result([Note(f"ok: {expectation}", Level.OK)])
            return Result([Note(failure, Level.ERROR)], Outcome.EXPECTATION)
        if self.last_delivery or expectation.recipient is not None:
            return self._expect_delivery(expectation)
        failure = expectation.check(self.last_reply)
        if failure is None:
            reply = self.last_reply
            assert reply is not None
            more = f" (+{len(reply.lines) - 1} more lines)" if len(reply.lines) > 1 else ""
            return Result([Note(f"ok: {reply.code} {reply.first_line}{more}", Level.OK)])
        return Result([Note(failure, Level.ERROR)], Outcome.EXPECTATION)

    def _expect_delivery(self, expectation: Expectation) -> Result:
        """After an LMTP end of data: every recipient's reply must hold (or the named one's)."""
        if not self.last_delivery:
            return Result(
                [
                    Note(
                        f"expected {expectation} for {expectation.recipient}, but the last "
                        "command was not the end of an LMTP message",
                        Level.ERROR,
                    )
                ],
                Outcome.EXPECTATION,
            )
        failure = expectation.check_delivery(self.last_delivery)
        if failure is not None:
            return Result([Note(failure, Level.ERROR)], Outcome.EXPECTATION)
        return Result(
            [
                Note(f"ok: {reply.code} {reply.first_line} (for {recipient})", Level.OK)
                for recipient, reply in expectation.select(self.last_delivery)
            ]
        )


_PATH_COMMAND = re.compile(r"^(MAIL FROM|RCPT TO):<([^<>]*)>((?: +\S+)*)$", re.IGNORECASE)
_SIMPLE = {"RSET": "rset", "NOOP": "noop", "VRFY": "verify", "EXPN": "expn", "HELP": "help"}


def _unset(target: object, defaults: object, names: Iterable[str]) -> dict[str, Any]:
    """The ``defaults`` among ``names`` that ``target`` leaves unset, by name."""
    return {
        name: getattr(defaults, name)
        for name in names
        if getattr(defaults, name) and not getattr(target, name)
    }


def _step_for(command: str) -> Step:
    """The smtplib call a typed command corresponds to (docmd when there is no neater one)."""
    match = _PATH_COMMAND.match(command)
    if match:
        method = "mail" if match.group(1).upper().startswith("MAIL") else "rcpt"
        options = match.group(3).split()
        return Step(method, (match.group(2), options) if options else (match.group(2),))
    verb, _, argument = command.partition(" ")
    method = _SIMPLE.get(verb.upper())
    if method in ("rset", "noop") and not argument:
        return Step(method)
    if method in ("verify", "expn") and argument and " " not in argument:
        return Step(method, (argument,))
    if method == "help":
        return Step(method, (argument,) if argument else ())
    return Step("docmd", (command,))


def _account_hint(user: str, password: str) -> str:
    """The practice account to log in with: the built-in demo password is a teaching aid
    and is shown; a password someone chose for the server is a secret and is not."""
    if (user, password) == (DEFAULT_USER, DEFAULT_PASSWORD):
        return f"user {user!r} password {password!r}"
    return f"user {user!r} (with the password the server was given)"


def _split_secrets(data: bytes, redacted: bytes, label: tuple[str, str]) -> list[bytes | SecretArg]:
    """Pieces of ``data``, the lines the client redacted split into what stays (``AUTH PLAIN ``,
    the line ending) and the secret itself.  ``redacted`` is the client's mark: the same
    lines, each secret part replaced by the placeholder."""
    marker = REDACTED
    pieces: list[bytes | SecretArg] = []
    lines = data.splitlines(keepends=True)
    shown = redacted.splitlines(keepends=True)
    if len(lines) != len(shown):  # never expected: keep the whole chunk secret
        return [SecretArg(data.decode("utf-8", "replace"), label[0], var=label[1])]
    for line, mask in zip(lines, shown, strict=True):
        if line == mask or marker not in mask:
            pieces.append(line)
            continue
        head, _, tail = mask.partition(marker)
        tail = tail if line.endswith(tail) else b""
        if not line.startswith(head):
            head = b""
        secret = line[len(head) : len(line) - len(tail)]
        if not tail:  # the client adds CRLF to its mark; keep this line's own ending
            body = secret.rstrip(b"\r\n")
            tail, secret = secret[len(body) :], body
        pieces += [head, SecretArg(secret.decode("utf-8", "replace"), label[0], var=label[1]), tail]
    return pieces


def _argument(command: str) -> str:
    parts = command.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _default_helo_name() -> str:
    """RFC 5321 §4.1.4: our FQDN, else an address literal (what smtplib does)."""
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except OSError:
        return "[127.0.0.1]"


def _email_date() -> str:
    import email.utils

    return email.utils.formatdate(localtime=True)


def _message_id() -> str:
    import email.utils

    return email.utils.make_msgid(domain="smtpshell.invalid")
