"""The practice server as the rest of smtpshell sees it: one options table, and a handle.

``OPTIONS`` is the one declarative table of practice-server options.  It feeds both
``smtpshell serve``'s argparse (:func:`add_arguments` + :func:`options_from_namespace`) and the
``server:`` header of a lesson (:func:`parse_option_text`), so the two accept the same names,
the same values and fail with the same messages.  Each row says where it applies: listening
addresses, certificates and the Maildir are for ``serve`` only, ``--lmtp`` (a private LMTP
socket) for lessons only.

:class:`PracticeHandle` is what the engine holds of a running server, and
:data:`PracticeFactory` how it gets one: the cli wires the real server in
(:func:`smtpshell.server.start_practice_server`), so the shell and the lesson core never
import :mod:`smtpshell.server` (nor aiosmtpd).  Pure and stdlib-only.
"""

from __future__ import annotations

import argparse
import enum
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    import ssl

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "EOM",
    "FAULT_POINTS",
    "FAULT_WORDS",
    "OPTIONS",
    "FaultSettings",
    "Option",
    "PracticeFactory",
    "PracticeHandle",
    "PracticeOptions",
    "Scope",
    "Voice",
    "Words",
    "add_arguments",
    "auth_failure_delay",
    "describe_faults",
    "fault_point",
    "lesson_flags",
    "options_from_namespace",
    "parse_option_text",
    "parse_user",
    "with_free_ports",
]

DEFAULT_USER = "demo"
DEFAULT_PASSWORD = "demo"
MIB = 1024 * 1024
_DEFAULT_SIZE = 10 * MIB

#: The end of the message body (the lone dot after DATA, or BDAT LAST's chunk).
EOM = "EOM"
#: Moments a fault may be attached to: the SMTP command it answers, or EOM.
FAULT_POINTS = frozenset(
    {
        "HELO",
        "EHLO",
        "LHLO",
        "STARTTLS",
        "AUTH",
        "MAIL",
        "RCPT",
        "DATA",
        "BDAT",
        EOM,
        "RSET",
        "NOOP",
        "VRFY",
        "EXPN",
        "HELP",
        "QUIT",
    }
)


def fault_point(name: str) -> str:
    """``name`` normalised to upper case, or ValueError naming the moments that exist."""
    point = name.strip().upper()
    if point not in FAULT_POINTS:
        raise ValueError(
            f"unknown command {name!r} for a fault; use one of {', '.join(sorted(FAULT_POINTS))}"
        )
    return point


def parse_user(spec: str) -> tuple[str, str]:
    """``NAME:PASSWORD`` -> (name, password); the password may itself contain colons."""
    name, sep, password = spec.partition(":")
    if not sep or not name or not password:
        raise ValueError("--user wants NAME:PASSWORD, both non-empty")
    if any(c.isspace() for c in name) or "@" in name:
        raise ValueError(f"account name {name!r} must not contain spaces or '@'")
    return name, password


def auth_failure_delay(base: float, failures: int) -> float:
    """Seconds to wait before answering the ``failures``-th failed AUTH of a connection.

    The first mistake costs nothing (a typo, or smtplib's login() trying the next
    mechanism); each one after it waits ``base`` longer than the one before.
    """
    return max(0.0, base) * max(0, failures - 1)


@dataclass(frozen=True, slots=True)
class PracticeOptions:
    """Everything a practice server can be asked to be.  The defaults are a plain server
    on a free loopback port; ``serve`` overrides a few (port 2525)."""

    # listening (serve only, except hostname)
    host: str = "127.0.0.1"
    port: int = 0
    allow_remote: bool = False
    tls_port: int | None = None
    lmtp_socket: str | None = None
    hostname: str = "localhost"
    # TLS (serve only)
    cert: str | None = None
    key: str | None = None
    # AUTH
    users: tuple[tuple[str, str], ...] = ()
    auth_require_tls: bool = False
    # mail
    size: int = _DEFAULT_SIZE
    pipelining: bool = True
    chunking: bool = True
    dsn: bool = True
    maildir: str | None = None
    lmtp: bool = False  # lessons: LMTP on a private Unix socket
    dns: bool = False  # the in-process DNS server with the lesson zone, and DKIM signing
    refuse_relay: bool = False
    # faults
    delay: tuple[tuple[str, float], ...] = ()
    reject_rcpt: str | None = None
    reject_code: int = 550
    reply_421_on: str | None = None
    drop_on: str | None = None
    slow_greeting: float = 0.0
    accept_bare_lf_dot: bool = False
    # bounds
    max_messages: int = 1000
    max_stored_bytes: int = 64 * MIB
    max_auth_failures: int = 10
    auth_failure_delay: float = 0.2
    max_connections: int = 100
    idle_timeout: float = 300.0

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ValueError("--cert and --key go together: give both or neither")
        if not 400 <= self.reject_code <= 599:
            raise ValueError(f"reject_code must be a 4xx or 5xx code, not {self.reject_code}")

    @property
    def accounts(self) -> dict[str, str]:
        """The accounts AUTH accepts (``demo``/``demo`` unless ``--user`` gave some)."""
        return dict(self.users) if self.users else {DEFAULT_USER: DEFAULT_PASSWORD}

    def describe(self) -> list[str]:
        """One line per lesson-relevant setting that differs from a plain practice server."""
        out = []
        if self.users:
            out.append("accounts: " + ", ".join(name for name, _ in self.users))
        if self.auth_require_tls:
            out.append("AUTH only after STARTTLS")
        if self.lmtp:
            out.append("LMTP on a Unix socket")
        for name in ("pipelining", "chunking", "dsn"):
            if not getattr(self, name):
                out.append(f"no {name.upper()}")
        if self.size != _DEFAULT_SIZE:
            out.append(f"SIZE {self.size}")
        faults = describe_faults(self, Voice.LESSON)
        unsafe = faults[-1:] if self.accept_bare_lf_dot else []  # the warning comes last
        out += faults[: len(faults) - len(unsafe)]
        if self.dns:
            out.append("DNS for example.test (MX, SPF, DKIM, DMARC); DKIM signing")
        if self.refuse_relay:
            out.append("no relaying for clients that have not logged in")
        return out + unsafe


# --------------------------------------------------------------------------- faults in words


class Voice(enum.IntEnum):
    """Who reads a fault's description: a lesson's set-up sentence, or ``serve``'s banner."""

    LESSON = 0
    SERVE = 1


class Words(NamedTuple):
    """One fault in each voice (indexed by :class:`Voice`); ``{}`` fields take its values."""

    lesson: str
    serve: str


#: Each fault in words, by the field that switches it on.
FAULT_WORDS: dict[str, Words] = {
    "delay": Words(
        lesson="delay {seconds:g}s on {point}",
        serve="delay {seconds:g}s before replying to {point}",
    ),
    "reject_rcpt": Words(
        lesson="recipients matching /{pattern}/ get {code}",
        serve="reject recipients matching /{pattern}/ with {code}",
    ),
    "reply_421_on": Words("421 and hang up on {point}", "reply 421 and disconnect on {point}"),
    "drop_on": Words(
        lesson="drop the connection on {point}",
        serve="drop the connection without a reply on {point}",
    ),
    "slow_greeting": Words("greeting after {seconds:g}s", "wait {seconds:g}s before the greeting"),
    "accept_bare_lf_dot": Words(
        lesson="UNSAFE: a '.' line with bare LF endings ends DATA",
        serve="UNSAFE: end DATA at a '.' line with bare LF endings too",
    ),
}


class FaultSettings(Protocol):
    """The fault fields :class:`PracticeOptions` and the server's ``Faults`` share."""

    @property
    def delay(self) -> Iterable[tuple[str, float]] | dict[str, float]: ...
    @property
    def reject_rcpt(self) -> str | re.Pattern[str] | None: ...
    @property
    def reject_code(self) -> int: ...
    @property
    def reply_421_on(self) -> str | None: ...
    @property
    def drop_on(self) -> str | None: ...
    @property
    def slow_greeting(self) -> float: ...
    @property
    def accept_bare_lf_dot(self) -> bool: ...


def describe_faults(faults: FaultSettings, voice: Voice) -> list[str]:
    """One line per fault that ``faults`` switches on, in ``voice``; the UNSAFE one last."""
    words = {name: both[voice] for name, both in FAULT_WORDS.items()}
    delays = faults.delay.items() if isinstance(faults.delay, dict) else faults.delay
    lines = [words["delay"].format(seconds=seconds, point=point) for point, seconds in delays]
    if faults.reject_rcpt is not None:
        pattern = getattr(faults.reject_rcpt, "pattern", faults.reject_rcpt)
        lines.append(words["reject_rcpt"].format(pattern=pattern, code=faults.reject_code))
    for name in ("reply_421_on", "drop_on"):
        point = getattr(faults, name)
        if point:
            lines.append(words[name].format(point=point))
    if faults.slow_greeting:
        lines.append(words["slow_greeting"].format(seconds=faults.slow_greeting))
    if faults.accept_bare_lf_dot:
        lines.append(words["accept_bare_lf_dot"])
    return lines


# --------------------------------------------------------------------------- the table


class Scope(enum.Flag):
    SERVE = enum.auto()
    LESSON = enum.auto()
    BOTH = SERVE | LESSON


class Kind(enum.Enum):
    ON = "on"  # a flag that sets the field True
    OFF = "off"  # a flag that sets the field False (--no-...)
    VALUE = "value"  # one value, converted
    APPEND = "append"  # repeatable; the converted values are added to a tuple


@dataclass(frozen=True, slots=True)
class Option:
    """One row: ``flag`` sets ``field`` of :class:`PracticeOptions`."""

    flag: str
    field: str
    group: str
    help: str
    kind: Kind = Kind.VALUE
    convert: Callable[[str, str], Any] | None = None
    metavar: str | None = None
    scope: Scope = Scope.BOTH
    #: ``serve``'s default when it differs from the dataclass default.
    serve_default: Any = None


def _int(flag: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{flag} wants a whole number, not {text!r}") from None


def _count(flag: str, text: str) -> int:
    value = _int(flag, text)
    if value < 0:
        raise ValueError(f"{flag} must not be negative")
    return value


def _positive(flag: str, text: str) -> int:
    value = _int(flag, text)
    if value < 1:
        raise ValueError(f"{flag} must be at least 1")
    return value


def _port(flag: str, text: str) -> int:
    value = _int(flag, text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{flag} must be a port number 0-65535, not {value}")
    return value


def _seconds(flag: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{flag} wants a number of seconds, not {text!r}") from None
    if not value >= 0 or value == float("inf"):  # also refuses nan
        raise ValueError(f"{flag} must be a finite number of seconds, not negative")
    return value


def _text(flag: str, text: str) -> str:
    if not text:
        raise ValueError(f"{flag} needs a value")
    return text


def _user(flag: str, text: str) -> tuple[str, str]:
    return parse_user(text)


def _delay(flag: str, text: str) -> tuple[str, float]:
    point, sep, seconds = text.partition("=")
    if not sep:
        raise ValueError(f"{flag} wants CMD=SECONDS, not {text!r}")
    return fault_point(point), _seconds(flag, seconds)


def _regex(flag: str, text: str) -> str:
    try:
        re.compile(text)
    except re.error as error:
        raise ValueError(f"{flag}: {error}") from None
    return text


def _point(flag: str, text: str) -> str:
    return fault_point(text)


_FAULT_GROUP = (
    "fault injection (CMD: HELO EHLO LHLO STARTTLS AUTH MAIL RCPT DATA BDAT EOM RSET NOOP "
    "VRFY EXPN HELP QUIT; EOM is the end of the message: the dot, or BDAT LAST)"
)
_BOUNDS_GROUP = "bounds (what one client, or many, may cost the server)"

OPTIONS: tuple[Option, ...] = (
    Option("--host", "host", "listening", "address to bind", convert=_text, scope=Scope.SERVE),
    Option(
        "--port",
        "port",
        "listening",
        "SMTP port, 0 = any free port",
        convert=_port,
        scope=Scope.SERVE,
        serve_default=2525,
    ),
    Option(
        "--allow-remote",
        "allow_remote",
        "listening",
        "allow a --host that is not loopback: anyone who can reach it can send mail here",
        Kind.ON,
        scope=Scope.SERVE,
    ),
    Option(
        "--tls-port",
        "tls_port",
        "listening",
        "also listen with implicit TLS (like port 465) on PORT",
        convert=_port,
        metavar="PORT",
        scope=Scope.SERVE,
    ),
    Option(
        "--lmtp-socket",
        "lmtp_socket",
        "listening",
        "also speak LMTP on this Unix socket",
        convert=_text,
        metavar="PATH",
        scope=Scope.SERVE,
    ),
    Option(
        "--hostname",
        "hostname",
        "listening",
        "name the server gives itself in replies",
        convert=_text,
    ),
    Option(
        "--cert",
        "cert",
        "TLS (STARTTLS is always offered)",
        "certificate chain to present instead of the generated self-signed one (needs --key)",
        convert=_text,
        metavar="PEM",
        scope=Scope.SERVE,
    ),
    Option(
        "--key",
        "key",
        "TLS (STARTTLS is always offered)",
        "private key for --cert",
        convert=_text,
        metavar="PEM",
        scope=Scope.SERVE,
    ),
    Option(
        "--user",
        "users",
        "AUTH",
        "an account AUTH accepts; repeatable (default: demo:demo)",
        Kind.APPEND,
        _user,
        "NAME:PASSWORD",
    ),
    Option(
        "--auth-require-tls",
        "auth_require_tls",
        "AUTH",
        "offer AUTH only after STARTTLS (or on --tls-port)",
        Kind.ON,
    ),
    Option(
        "--size",
        "size",
        "mail",
        "largest message accepted, advertised as SIZE; 0 = no limit",
        convert=_count,
        metavar="BYTES",
    ),
    Option(
        "--no-pipelining",
        "pipelining",
        "mail",
        "do not advertise PIPELINING (RFC 2920), like an old server",
        Kind.OFF,
    ),
    Option(
        "--no-chunking",
        "chunking",
        "mail",
        "do not offer BDAT (CHUNKING, BINARYMIME; RFC 3030)",
        Kind.OFF,
    ),
    Option(
        "--no-dsn",
        "dsn",
        "mail",
        "do not accept DSN parameters (RET ENVID NOTIFY ORCPT; RFC 3461)",
        Kind.OFF,
    ),
    Option(
        "--maildir",
        "maildir",
        "mail",
        "also store every message in this Maildir (default: memory only)",
        convert=_text,
        metavar="DIR",
        scope=Scope.SERVE,
    ),
    Option(
        "--lmtp",
        "lmtp",
        "mail",
        "speak LMTP on a private Unix socket ({lmtp} in the lesson)",
        Kind.ON,
        scope=Scope.LESSON,
    ),
    Option(
        "--delay",
        "delay",
        _FAULT_GROUP,
        "wait before replying to CMD; repeatable",
        Kind.APPEND,
        _delay,
        "CMD=SECONDS",
    ),
    Option(
        "--reject-rcpt",
        "reject_rcpt",
        _FAULT_GROUP,
        "refuse recipients matching REGEX",
        convert=_regex,
        metavar="REGEX",
    ),
    Option(
        "--reject-code",
        "reject_code",
        _FAULT_GROUP,
        "reply code for --reject-rcpt: 5xx permanent, 4xx temporary",
        convert=_int,
        metavar="CODE",
    ),
    Option(
        "--reply-421-on",
        "reply_421_on",
        _FAULT_GROUP,
        "answer CMD with 421 and close the connection",
        convert=_point,
        metavar="CMD",
    ),
    Option(
        "--drop-on",
        "drop_on",
        _FAULT_GROUP,
        "close the connection without replying when CMD arrives",
        convert=_point,
        metavar="CMD",
    ),
    Option(
        "--slow-greeting",
        "slow_greeting",
        _FAULT_GROUP,
        "wait before sending the 220 greeting",
        convert=_seconds,
        metavar="SECONDS",
    ),
    Option(
        "--dns",
        "dns",
        "mail",
        "serve the lesson zone example.test (MX, SPF, DKIM, DMARC) on an in-process DNS "
        "server, and DKIM-sign mail that authenticated users send from @example.test",
        Kind.ON,
    ),
    Option(
        "--refuse-relay",
        "refuse_relay",
        "mail",
        "refuse recipients outside this server's own domains (554 5.7.1) unless the client "
        "has logged in, as every mail server must",
        Kind.ON,
    ),
    Option(
        "--accept-bare-lf-dot",
        "accept_bare_lf_dot",
        _FAULT_GROUP,
        "UNSAFE, for the SMTP smuggling lesson: end DATA at a '.' line however its line "
        "endings are written (a bare LF too), as vulnerable servers did",
        Kind.ON,
    ),
    Option(
        "--max-messages",
        "max_messages",
        _BOUNDS_GROUP,
        "messages kept in memory; once full, new mail gets 452 4.3.1 (nothing is dropped)",
        convert=_positive,
        metavar="N",
    ),
    Option(
        "--max-stored-bytes",
        "max_stored_bytes",
        _BOUNDS_GROUP,
        "bytes of message data kept in memory; a message that would pass it gets 452 4.3.1",
        convert=_positive,
        metavar="BYTES",
    ),
    Option(
        "--max-auth-failures",
        "max_auth_failures",
        _BOUNDS_GROUP,
        "failed AUTH attempts one connection may make; the last is answered 421 and the "
        "connection closed",
        convert=_positive,
        metavar="N",
    ),
    Option(
        "--auth-failure-delay",
        "auth_failure_delay",
        _BOUNDS_GROUP,
        "each failed AUTH after the first waits this much longer before its 535",
        convert=_seconds,
        metavar="SECONDS",
    ),
    Option(
        "--max-connections",
        "max_connections",
        _BOUNDS_GROUP,
        "clients connected at once; one more is greeted with 421 4.3.2 and closed",
        convert=_positive,
        metavar="N",
    ),
    Option(
        "--idle-timeout",
        "idle_timeout",
        _BOUNDS_GROUP,
        "seconds of client silence before the server says 421 and hangs up",
        convert=_seconds,
        metavar="SECONDS",
    ),
)

_BY_FLAG = {option.flag: option for option in OPTIONS}
_FIELDS = {f.name: f for f in fields(PracticeOptions)}


def _default(option: Option) -> Any:
    return _FIELDS[option.field].default


def _apply(values: dict[str, Any], option: Option, raw: str | None) -> None:
    """Set ``option`` in ``values`` from its raw text (None for a flag)."""
    if option.kind is Kind.ON:
        values[option.field] = True
    elif option.kind is Kind.OFF:
        values[option.field] = False
    else:
        assert option.convert is not None and raw is not None
        value = option.convert(option.flag, raw)
        if option.kind is Kind.APPEND:
            values[option.field] = (*values[option.field], value)
        else:
            values[option.field] = value


def _build(values: dict[str, Any]) -> PracticeOptions:
    return PracticeOptions(**values)


# --------------------------------------------------------------------------- argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every ``serve`` option of the table to ``parser``, in groups.

    Values stay text here and are converted by :func:`options_from_namespace`, through the
    same converters the lesson header uses, so both fail with the same message.
    """
    groups: dict[str, Any] = {}
    for option in OPTIONS:
        if Scope.SERVE not in option.scope:
            continue
        if option.group not in groups:
            groups[option.group] = parser.add_argument_group(option.group)
        group = groups[option.group]
        dest = f"practice_{option.field}"
        if option.kind is Kind.ON or option.kind is Kind.OFF:
            group.add_argument(option.flag, dest=dest, action="store_true", help=option.help)
        elif option.kind is Kind.APPEND:
            group.add_argument(
                option.flag,
                dest=dest,
                action="append",
                default=[],
                metavar=option.metavar,
                help=option.help,
            )
        else:
            default = option.serve_default if option.serve_default is not None else None
            shown = default if default is not None else _default(option)
            suffix = f" (default {shown})" if shown not in (None, "") else ""
            group.add_argument(
                option.flag,
                dest=dest,
                default=None,
                metavar=option.metavar,
                help=option.help.replace("%", "%%") + suffix,
            )


def options_from_namespace(args: argparse.Namespace) -> PracticeOptions:
    """The options ``add_arguments`` parsed; ValueError with the flag named if one is bad."""
    values = {name: f.default for name, f in _FIELDS.items()}
    for option in OPTIONS:
        if Scope.SERVE not in option.scope:
            continue
        raw = getattr(args, f"practice_{option.field}")
        if option.kind in (Kind.ON, Kind.OFF):
            if raw:
                _apply(values, option, None)
        elif option.kind is Kind.APPEND:
            for item in raw:
                _apply(values, option, item)
        elif raw is not None:
            _apply(values, option, raw)
        elif option.serve_default is not None:
            values[option.field] = option.serve_default
    return _build(values)


# --------------------------------------------------------------------------- lesson header


def parse_option_text(text: str, base: PracticeOptions | None = None) -> PracticeOptions:
    """``serve``-style options in one line (a lesson's ``server:``) -> PracticeOptions,
    added to ``base``; ValueError naming the option if one is unknown or bad."""
    values = {name: getattr(base or PracticeOptions(), name) for name in _FIELDS}
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""  # a backslash belongs to the value: --reject-rcpt @busy\.example$
    try:
        words = list(lexer)
    except ValueError as error:
        raise ValueError(f"cannot split the options: {error}") from None
    index = 0
    while index < len(words):
        word = words[index]
        name, sep, inline = word.partition("=")
        option = _BY_FLAG.get(name)
        if option is None or Scope.LESSON not in option.scope:
            known = ", ".join(o.flag for o in OPTIONS if Scope.LESSON in o.scope)
            raise ValueError(f"unknown server option {word!r}; known: {known}")
        if option.kind in (Kind.ON, Kind.OFF):
            if sep:
                raise ValueError(f"{name} takes no value")
            _apply(values, option, None)
            index += 1
            continue
        if sep:
            argument, index = inline, index + 1
        elif index + 1 < len(words):
            argument, index = words[index + 1], index + 2
        else:
            raise ValueError(f"{name} needs a value")
        _apply(values, option, argument)
    return _build(values)


def lesson_flags() -> Iterable[str]:
    """The options a lesson's ``server:`` line may use (for docs and error messages)."""
    return (o.flag for o in OPTIONS if Scope.LESSON in o.scope)


# --------------------------------------------------------------------------- the handle


class PracticeHandle(Protocol):
    """What the engine and the lesson runner use of a running practice server."""

    host: str
    port: int
    tls_port: int | None
    users: dict[str, str]

    #: The in-process DNS server's port (``--dns``), else None.
    dns_port: int | None

    @property
    def cert_path(self) -> Path: ...

    @property
    def messages(self) -> Sequence[Any]: ...

    def client_ssl_context(self) -> ssl.SSLContext: ...

    def stop(self) -> None: ...


#: Starts a practice server configured as asked and returns it running.
PracticeFactory = Callable[[PracticeOptions], PracticeHandle]


def with_free_ports(options: PracticeOptions) -> PracticeOptions:
    """``options`` on any free port, with implicit TLS on another: what the engine starts."""
    return replace(options, port=0, tls_port=0)
