"""From what the user typed to the host:port pairs a probe connects to.

The rule (docs/probe.md, "Targets"):

* ``host:port``, ``[ipv6]:port``, ``smtp://host[:port]``, ``smtps://host[:port]`` and IP
  literals name one server: it is probed as written, no DNS lookup by smtpshell.
* A bare name is a mail domain when ``--mx`` is given, or when it has a dot and neither
  ``--port`` nor a port in the target was given.  Its MX records are looked up and every
  exchanger is probed, lowest preference first (ties by name, so runs are repeatable).
* A domain with no MX records is its own mail server (RFC 5321 §5.1, the "implicit MX").
  A null MX (RFC 7505) means the domain accepts no mail: a failure.  NXDOMAIN is a failure.
* When the lookup itself fails (timeout, no nameserver) the name is probed as a host with a
  warning; with ``--mx`` it is a failure, because MX resolution was what you asked for.

Port: the target's own, else ``--port``, else 465 with implicit TLS, else 25.  Port 465
always means implicit TLS (RFC 8314).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpshell.probe.report import MXOrigin, ProbeIssue

if TYPE_CHECKING:
    import dns.resolver

    from smtpshell.probe.core import ProbeOptions

__all__ = [
    "Target",
    "TargetSpec",
    "TargetSyntaxError",
    "parse_target",
    "resolve_spec",
    "resolve_targets",
    "system_resolver",
]

SMTP_PORT = 25
SMTPS_PORT = 465
LMTP_PORT = 2003
_SCHEMES = {"smtp": False, "smtps": True}
#: Letters, digits, hyphens, underscores (seen in real MX names) and dots; no empty labels.
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?$"
)


class TargetSyntaxError(ValueError):
    """A TARGET that cannot be understood: a usage error (exit status 2)."""


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A parsed TARGET, before any DNS."""

    text: str
    host: str
    port: int | None = None
    scheme: str | None = None

    @property
    def implicit_tls(self) -> bool:
        return self.scheme == "smtps"

    @property
    def is_socket(self) -> bool:
        """A Unix socket path (only an LMTP server is found there, as with ``--lmtp``)."""
        return self.scheme == "unix"

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def names_one_server(self) -> bool:
        """A port, a scheme or an address literal: the user named a server, not a domain."""
        return self.port is not None or self.scheme is not None or self.is_ip


@dataclass(frozen=True, slots=True)
class Target:
    """One host:port to probe, with how it was found and any resolution failure."""

    input: str
    host: str
    port: int
    implicit_tls: bool
    mx: MXOrigin | None = None
    error: ProbeIssue | None = None
    warnings: tuple[ProbeIssue, ...] = ()
    #: The one address to connect to (one target per A/AAAA of an MX host); None: by name.
    address: str | None = None


def _port(text: str, spec: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetSyntaxError(f"{spec!r}: port must be a number from 1 to 65535, not {text!r}")
    return int(text)


def _check_host(host: str, spec: str) -> str:
    if not host:
        raise TargetSyntaxError(f"{spec!r}: no host name")
    if _HOSTNAME.match(host) is None:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise TargetSyntaxError(f"{spec!r}: {host!r} is not a host name or address") from None
    return host


def parse_target(text: str) -> TargetSpec:
    """Parse ``host``, ``host:port``, ``[v6]:port``, a bare IPv6 address, an smtp(s) URL,
    or an absolute path (a Unix socket, for ``--lmtp``)."""
    rest = text.strip()
    if rest.startswith("/"):
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in rest):
            raise TargetSyntaxError(f"{text!r}: control characters in a socket path")
        return TargetSpec(text, rest, None, "unix")
    scheme = None
    if "://" in rest:
        scheme, _, rest = rest.partition("://")
        scheme = scheme.lower()
        if scheme not in _SCHEMES:
            raise TargetSyntaxError(
                f"{text!r}: unknown scheme {scheme!r} (use smtp:// or smtps://)"
            )
        rest = rest.rstrip("/")
    port: int | None = None
    if rest.startswith("["):
        host, bracket, after = rest[1:].partition("]")
        if not bracket:
            raise TargetSyntaxError(f"{text!r}: missing ']' after the IPv6 address")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TargetSyntaxError(f"{text!r}: {host!r} is not an IPv6 address") from None
        if after:
            if not after.startswith(":"):
                raise TargetSyntaxError(f"{text!r}: expected ':PORT' after ']'")
            port = _port(after[1:], text)
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
        port = _port(port_text, text)
    elif rest.count(":") > 1:
        host = rest  # a bare IPv6 address: it has no room for a port
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TargetSyntaxError(
                f"{text!r}: write an IPv6 address with a port as [ADDRESS]:PORT"
            ) from None
    else:
        host = rest
    return TargetSpec(text, _check_host(host, text), port, scheme)


def system_resolver() -> dns.resolver.Resolver | None:
    """The resolver from the system configuration, or None when there is none."""
    import dns.resolver

    try:
        return dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        return None


def _lookup_mx(domain: str, resolver: Any, timeout: float) -> list[tuple[int, str]]:
    """(preference, exchange) pairs in the order to try them; [] when there are none."""
    import dns.name

    answer = resolver.resolve(
        dns.name.from_text(domain), "MX", lifetime=timeout, raise_on_no_answer=False, search=False
    )
    # The root name "." is a null MX (RFC 7505); every other exchange loses its final dot.
    records = {(rr.preference, rr.exchange.to_text().removesuffix(".") or ".") for rr in answer}
    return sorted(records, key=lambda record: (record[0], record[1].lower()))


def resolve_spec(
    spec: TargetSpec, options: ProbeOptions, resolver: Any | None = None
) -> list[Target]:
    """The targets ``spec`` stands for.  Never raises: DNS failures become failed Targets."""
    implicit = spec.implicit_tls or options.implicit_tls
    default = LMTP_PORT if options.lmtp else SMTPS_PORT if implicit else SMTP_PORT
    port = 0 if spec.is_socket else spec.port or options.port or default

    def target(host: str, mx: MXOrigin | None = None, **extra: Any) -> Target:
        return Target(spec.text, host, port, implicit or port == SMTPS_PORT, mx, **extra)

    if not needs_dns(spec, options):
        return [target(spec.host)]

    import dns.exception
    import dns.resolver

    domain = spec.host.rstrip(".")
    try:
        if resolver is None:
            raise dns.resolver.NoResolverConfiguration("no DNS resolver is configured")
        records = _lookup_mx(domain, resolver, options.timeout)
    except dns.resolver.NXDOMAIN:
        issue = ProbeIssue("resolve", "NXDOMAIN", f"{domain} does not exist (NXDOMAIN)")
        return [target(domain, error=issue)]
    except dns.exception.DNSException as exc:
        kind = type(exc).__name__
        if options.mx:
            issue = ProbeIssue("resolve", kind, f"MX lookup for {domain} failed: {exc}")
            return [target(domain, error=issue)]
        warning = ProbeIssue(
            "resolve", kind, f"MX lookup for {domain} failed ({exc}); probing it as a host"
        )
        return [target(domain, warnings=(warning,))]
    if not records:
        return [target(domain, MXOrigin(domain, 0, implicit=True))]
    if any(exchange == "." for _, exchange in records):
        issue = ProbeIssue(
            "resolve", "NullMX", f"{domain} publishes a null MX (RFC 7505): it accepts no mail"
        )
        return [target(domain, error=issue)]
    return [target(exchange, MXOrigin(domain, preference)) for preference, exchange in records]


def resolve_targets(
    texts: Iterable[str], options: ProbeOptions, resolver: Any | None = None
) -> list[Target]:
    """Parse and resolve every TARGET, in order (``TargetSyntaxError`` on bad syntax).

    ``resolver`` is a ``dns.resolver.Resolver``; by default the system's.  The runner does
    the same work concurrently; this is the sequential form for library use and tests.
    """
    specs = [parse_target(text) for text in texts]
    if resolver is None and any(needs_dns(spec, options) for spec in specs):
        resolver = system_resolver()
    return [target for spec in specs for target in resolve_spec(spec, options, resolver)]


def needs_dns(spec: TargetSpec, options: ProbeOptions) -> bool:
    """Whether resolving ``spec`` will query DNS (so a resolver must be set up)."""
    if spec.names_one_server or options.lmtp:  # LMTP servers are never found through MX
        return False
    return options.mx or (options.port is None and "." in spec.host.strip("."))
