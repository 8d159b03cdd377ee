"""TARGET strings -> :class:`Target`: where to connect and how to secure it.  Pure.

Accepted forms (all case-insensitive in the scheme)::

    (nothing) | practice              the embedded practice server, started in-process
    host  host:port  [v6]:port  ::1    plain SMTP (port 25); port 465 means implicit TLS
    smtp://host[:port][?starttls]     plain SMTP, optionally upgraded with STARTTLS
    submission://host[:port]          port 587 with STARTTLS
    smtps://host[:port]               implicit TLS (RFC 8314), port 465
    lmtp://host[:port]                LMTP over TCP, port 2003
    lmtp:/path/to/socket  /path/sock  LMTP over a Unix socket

Query parameters on URLs: ``starttls``, ``tls``, ``plain``, ``verify=no`` (or
``insecure``), ``helo=NAME``, ``source=HOST[:PORT]``.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from smtpshell.shell.registry import UsageError
from smtpshell.tls_settings import TLSSettings

__all__ = ["Security", "Target", "parse_source", "parse_target"]

SMTP_PORT, SUBMISSION_PORT, SMTPS_PORT, LMTP_PORT = 25, 587, 465, 2003


class Security(enum.StrEnum):
    PLAIN = "plain"
    STARTTLS = "starttls"  # connect in plain text, then upgrade before anything else
    TLS = "tls"  # implicit TLS from the first byte


@dataclass(frozen=True, slots=True)
class Target:
    """Where to connect; ``practice`` means "start the embedded server and use it"."""

    host: str = ""
    port: int = 0
    security: Security = Security.PLAIN
    lmtp: bool = False
    verify: bool = True
    helo: str | None = None
    source: tuple[str, int] | None = None
    practice: bool = False
    #: Opt-in client extensions (RFC 2920, RFC 3030): sendmail batches / uses BDAT.
    pipelining: bool = False
    chunking: bool = False
    #: The CA certificates to trust (``--ca-file``, an absolute path), beside the system's.
    ca_file: str | None = None
    #: What the client offers in the handshake (smtpshell.shell.options fills it).
    tls: TLSSettings = field(default_factory=TLSSettings)
    #: 4 or 6 to force the address family; 0 for either.
    family: int = 0

    @property
    def unix(self) -> bool:
        return self.lmtp and self.host.startswith("/")

    @property
    def effective_port(self) -> int:
        if self.port or self.unix:
            return self.port
        if self.lmtp:
            return LMTP_PORT
        return SMTPS_PORT if self.security is Security.TLS else SMTP_PORT

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 in brackets) or the socket path."""
        if self.unix:
            return self.host
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.effective_port}"

    @property
    def label(self) -> str:
        """Short, for prompts: ``smtps://mail.example:465``, ``lmtp:/run/sock``."""
        if self.unix:
            return f"lmtp:{self.host}"
        scheme = "lmtp" if self.lmtp else ("smtps" if self.security is Security.TLS else "smtp")
        suffix = "?starttls" if self.security is Security.STARTTLS else ""
        return f"{scheme}://{self.address}{suffix}"

    def replace(self, **changes: object) -> Target:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def parse_source(text: str) -> tuple[str, int]:
    """``HOST[:PORT]`` for the local end of the connection (port 0 = any)."""
    host, port = _host_port(text, 0)
    return host, port


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise UsageError(f"not a port number: {text!r}")
    return int(text)


def _host_port(text: str, default: int) -> tuple[str, int]:
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise UsageError(f"unclosed '[' in {text!r}")
        if rest and not rest.startswith(":"):
            raise UsageError(f"unexpected {rest!r} after ']' in {text!r}")
        return host, _port(rest[1:]) if rest else default
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, _port(port)
    return text, default  # a name, an IPv4 address, or a bare IPv6 address


_TRUE = {"", "1", "yes", "on", "true"}
_FALSE = {"0", "no", "off", "false"}


def _flag(name: str, value: str) -> bool:
    value = value.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"{name}={value!r}: use yes or no")


def parse_target(text: str | None) -> Target:
    """Parse a TARGET; UsageError (a ValueError) says what is wrong with a bad one."""
    text = (text or "").strip()
    if text.lower() in ("", "practice"):
        return Target(practice=True)
    if text.startswith("/"):
        return Target(host=text, lmtp=True)
    lowered = text.lower()
    if lowered.startswith(("unix:", "lmtp:")) and not lowered.startswith("lmtp://"):
        path = text.split(":", 1)[1]
        if not path.startswith("/"):
            raise UsageError(f"a Unix socket path must be absolute: {text!r}")
        return Target(host=path, lmtp=True)
    if "://" not in text:
        host, port = _host_port(text, 0)
        if not host:
            raise UsageError(f"no host in {text!r}")
        security = Security.TLS if port == SMTPS_PORT else Security.PLAIN
        return Target(host=host, port=port, security=security)
    return _parse_url(text)


_SCHEMES = {
    "smtp": (Security.PLAIN, 0, False),
    "submission": (Security.STARTTLS, SUBMISSION_PORT, False),
    "smtps": (Security.TLS, 0, False),
    "submissions": (Security.TLS, SMTPS_PORT, False),
    "lmtp": (Security.PLAIN, 0, True),
}


def _parse_url(text: str) -> Target:
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise UsageError(f"unknown scheme {scheme!r}: use one of {', '.join(_SCHEMES)}")
    security, port, lmtp = _SCHEMES[scheme]
    netloc = parts.netloc
    if not netloc:
        raise UsageError(f"no host in {text!r}")
    if "@" in netloc:
        raise UsageError("credentials do not belong in the TARGET: use /login")
    host, explicit_port = _host_port(netloc, 0)
    target = Target(host=host, port=explicit_port or port, security=security, lmtp=lmtp)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        key = key.lower()
        if key in ("starttls", "tls", "plain") and _flag(key, value):
            target = target.replace(security=Security(key))
        elif key == "verify":
            target = target.replace(verify=_flag(key, value))
        elif key in ("insecure", "no-verify"):
            target = target.replace(verify=not _flag(key, value))
        elif key == "helo":
            target = target.replace(helo=value or None)
        elif key == "source":
            target = target.replace(source=parse_source(value))
        else:
            raise UsageError(f"unknown TARGET parameter {key!r}")
    return target
