"""DNS for the policy checks: one resolver for the whole probe, lookups with DNSSEC status.

The DNSSEC status comes from the AD (authenticated data) bit of the configured resolver's
answer, as Postfix does with a validating local resolver (RFC 7672 §1.3, RFC 6840 §5.7):

* ``secure``: the answer (or the proof that the name or type does not exist) validated;
* ``insecure``: the resolver answered without AD: no DNSSEC, or no validation;
* ``bogus``: the resolver answered SERVFAIL, which is what a validating resolver does when
  validation fails (it can also mean a broken zone: either way, DANE cannot be decided);
* ``indeterminate``: no answer at all (timeout, unreachable resolver).

Only as trustworthy as the path to the resolver: run a validating resolver on the same host
(or point ``--nameserver`` at one you trust).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "NAMESERVER_ENV",
    "Lookup",
    "SharedLookups",
    "lookup",
    "make_resolver",
    "parse_nameserver",
]

NAMESERVER_ENV = "SMTPSHELL_NAMESERVER"
DNSSECStatus = Literal["secure", "insecure", "bogus", "indeterminate"]


def parse_nameserver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address; ``ValueError`` if not."""
    text = text.strip()
    port = 53
    host = text
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"nameserver {text!r}: write IPv6 with a port as [ADDRESS]:PORT")
        if rest:
            port = _port(rest[1:], text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"nameserver {text!r}: {host!r} is not an IP address") from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"nameserver {whole!r}: port must be a number from 1 to 65535")
    return int(text)


def make_resolver(nameserver: str | None = None, *, environ: Any = None) -> Any:
    """A ``dns.resolver.Resolver`` asking for DNSSEC (DO and AD bits) for every query.

    ``nameserver`` (``--nameserver``), else ``$SMTPSHELL_NAMESERVER``, else the system's
    configuration; None when there is none.  ``ValueError`` for a malformed nameserver.
    """
    import dns.resolver

    environ = os.environ if environ is None else environ
    chosen = nameserver or environ.get(NAMESERVER_ENV) or None
    if chosen:
        host, port = parse_nameserver(chosen)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            return None
    enable_dnssec(resolver)
    return resolver


def enable_dnssec(resolver: Any) -> Any:
    """Ask for DNSSEC records (EDNS0 DO) and for the AD bit (RFC 6840 §5.7)."""
    import dns.flags

    resolver.use_edns(0, dns.flags.DO, 1232)
    resolver.flags = dns.flags.RD | dns.flags.AD
    return resolver


@dataclass(frozen=True, slots=True)
class Lookup:
    """One DNS question and what came back.

    ``records`` are dnspython rdata objects of the asked type (CNAMEs followed by the
    resolver); ``canonical`` is the name at the end of the CNAME chain; ``error`` says why
    there are no records when that is not simply "none exist" (``nxdomain`` says that).
    """

    name: str
    rdtype: str
    dnssec: DNSSECStatus
    records: tuple[Any, ...] = ()
    canonical: str | None = None
    nxdomain: bool = False
    error: str | None = None
    cnames: tuple[str, ...] = field(default=())

    @property
    def secure(self) -> bool:
        return self.dnssec == "secure"


def _ad(response: Any) -> bool:
    import dns.flags

    return response is not None and bool(response.flags & dns.flags.AD)


def lookup(resolver: Any, name: str, rdtype: str, *, timeout: float = 10.0) -> Lookup:
    """Ask ``resolver`` for ``name``/``rdtype``; never raises (failures are in the result)."""
    import dns.exception
    import dns.name
    import dns.rdatatype
    import dns.resolver

    try:
        qname = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        return Lookup(name, rdtype, "indeterminate", error=f"bad name: {exc}")
    try:
        answer = resolver.resolve(
            qname, rdtype, lifetime=timeout, raise_on_no_answer=False, search=False
        )
    except dns.resolver.NXDOMAIN as exc:
        responses = list(exc.responses().values()) if hasattr(exc, "responses") else []
        secure = bool(responses) and all(_ad(r) for r in responses)
        return Lookup(name, rdtype, "secure" if secure else "insecure", nxdomain=True)
    except dns.resolver.NoNameservers as exc:
        return Lookup(name, rdtype, "bogus", error=f"SERVFAIL: {_short(exc)}")
    except dns.exception.Timeout:
        return Lookup(name, rdtype, "indeterminate", error=f"no answer within {timeout:g} s")
    except dns.exception.DNSException as exc:
        return Lookup(name, rdtype, "indeterminate", error=_short(exc))
    response = answer.response
    records = tuple(answer.rrset) if answer.rrset is not None else ()
    cnames = tuple(
        rrset.name.to_text().rstrip(".")
        for rrset in response.answer
        if rrset.rdtype == dns.rdatatype.CNAME
    )
    canonical = answer.canonical_name.to_text().rstrip(".") or "."
    return Lookup(
        name,
        rdtype,
        "secure" if _ad(response) else "insecure",
        records,
        canonical=canonical,
        cnames=cnames,
    )


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class SharedLookups:
    """``ask(name, rdtype)``: each question goes to the resolver once per run.

    Many targets share names (every address of one MX host has the same TLSA name, the
    PTR's forward lookup is often the MX host's own A query).  Threads asking a question
    already in flight wait for that answer instead of sending it again, so a name that
    never answers costs one timeout, not one per target.
    """

    def __init__(self, resolver: Any, timeout: float):
        import threading

        self.resolver = resolver
        self.timeout = timeout
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], Any] = {}

    def __call__(self, name: str, rdtype: str) -> Lookup:
        from concurrent.futures import Future

        key = (name.rstrip(".").lower(), rdtype.upper())
        with self._lock:
            future = self._answers.get(key)
            owner = future is None
            if owner:
                future = self._answers[key] = Future()
        if owner:
            try:
                future.set_result(lookup(self.resolver, name, rdtype, timeout=self.timeout))
            except BaseException as exc:  # lookup() does not raise; a bug must not hang others
                future.set_exception(exc)
                raise
        return future.result()
