"""``--tls-scan``: which TLS versions, cipher suites and groups a server accepts.

Python's ``ssl`` does the handshakes (no hand-written TLS): each test is one SMTP session
through the smtpshell client (STARTTLS, or implicit TLS) with a client context pinned to
one version and a cipher string.  The context is unverified and at ``@SECLEVEL=0`` so
OpenSSL 3 offers the old protocols and weak suites the scan must be able to see.

* Versions: TLS 1.0, 1.1, 1.2 and 1.3, one handshake each (SSL 3 only if this OpenSSL
  still has it; otherwise it is listed as untestable).
* Suites (TLS 1.2 and older): offer every suite, note the one the server picks, take it
  out, repeat until the handshake fails.  TLS 1.3 suites cannot be chosen through Python's
  ``ssl``: the negotiated one is reported, marked not enumerated.
* Order: with two or more suites, offer them in one order and then reversed; the same
  pick both times means the server's order decides.
* Groups: each curve alone, over TLS 1.2 ECDHE.

Suites this OpenSSL lacks (RC4, EXPORT in OpenSSL 3) cannot be offered, so the scan cannot
see a server accept them; docs/probe.md says so, and ``untestable`` lists them.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Callable
from typing import Protocol

from smtpshell.client import SMTP, SMTP_SSL
from smtpshell.probe.injection import scan_context
from smtpshell.probe.report import CipherResult, TLSScan, VersionResult
from smtpshell.shell.options import TLS_VERSIONS
from smtpshell.tls_settings import TLSSettings

__all__ = ["GROUPS", "VERSIONS", "scan_tls"]

#: (report name, ssl.TLSVersion name, whether this OpenSSL can speak it).
VERSIONS = (
    ("SSLv3", "SSLv3", getattr(ssl, "HAS_SSLv3", False)),
    ("TLSv1", "TLSv1", getattr(ssl, "HAS_TLSv1", False)),
    ("TLSv1.1", "TLSv1_1", getattr(ssl, "HAS_TLSv1_1", False)),
    ("TLSv1.2", "TLSv1_2", getattr(ssl, "HAS_TLSv1_2", True)),
    ("TLSv1.3", "TLSv1_3", getattr(ssl, "HAS_TLSv1_3", False)),
)
GROUPS = ("X25519", "prime256v1", "secp384r1", "secp521r1", "X448")
#: A bound on handshakes per version, whatever the server does.
MAX_SUITES = 80

Handshake = Callable[[ssl.SSLContext], tuple[str | None, str | None, int | None]]


class Limits(Protocol):
    """What the probe's options say about TLS (a ProbeOptions has it all)."""

    tls: TLSSettings
    address_family: int
    source_address: tuple[str, int] | None


def _in_range(member: str, limits: Limits | None) -> bool:
    """Whether ``--tls-min``/``--tls-max`` let the scan try this version."""
    if limits is None:
        return True
    version = ssl.TLSVersion[member]
    low, high = limits.tls.tls_min, limits.tls.tls_max
    return not (low and version < TLS_VERSIONS[low]) and not (high and version > TLS_VERSIONS[high])


def _context(
    version: str, ciphers: str | None = None, limits: Limits | None = None
) -> ssl.SSLContext:
    context = scan_context()
    if limits is not None and limits.tls.cert:
        context.load_cert_chain(limits.tls.cert, limits.tls.key)
    pinned = ssl.TLSVersion[version]
    with warnings.catch_warnings():  # deprecated versions are what a scan must try
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = pinned
        context.maximum_version = pinned
    if ciphers is None and limits is not None and limits.tls.ciphers:
        ciphers = limits.tls.ciphers
    if ciphers is not None:
        context.set_ciphers(ciphers + ":@SECLEVEL=0")
    return context


def _handshake_with(
    host: str,
    port: int,
    *,
    implicit: bool,
    helo: str,
    timeout: float,
    track: Callable[[SMTP], None] | None = None,
    limits: Limits | None = None,
) -> Handshake:
    def handshake(context: ssl.SSLContext) -> tuple[str | None, str | None, int | None]:
        client: SMTP
        if implicit:
            client = SMTP_SSL(local_hostname=helo, timeout=timeout, context=context)
        else:
            client = SMTP(local_hostname=helo, timeout=timeout)
        if limits is not None:
            if limits.tls.sni:
                client.server_hostname = limits.tls.sni
            client.address_family = limits.address_family
            client.source_address = limits.source_address
        if track is not None:
            track(client)
        try:
            client.connect(host, port)
            if not implicit:
                client.ehlo()
                client.starttls(context=context)
            info = client.tls_info() or {}
            try:
                client.quit()
            except Exception:
                pass
            return info.get("version"), info.get("cipher"), info.get("bits")
        finally:
            client.close()

    return handshake


def scan_tls(
    host: str,
    port: int,
    *,
    implicit: bool,
    helo: str,
    timeout: float,
    track: Callable[[SMTP], None] | None = None,
    handshake: Handshake | None = None,
    limits: Limits | None = None,
) -> TLSScan:
    """Scan one server; a failed handshake is a result, not an error.

    ``limits`` (the probe's options) narrow the scan: versions outside ``--tls-min`` /
    ``--tls-max`` are not tried (nor listed), ``--ciphers`` is the list suites are picked
    from, and every handshake carries the client certificate, SNI name, address family
    and local address."""
    handshake = handshake or _handshake_with(
        host, port, implicit=implicit, helo=helo, timeout=timeout, track=track, limits=limits
    )
    scan = TLSScan(mode="implicit" if implicit else "starttls")
    for name, member, available in VERSIONS:
        if not available:
            scan.untestable.append(name)
            continue
        if not _in_range(member, limits):
            continue
        try:
            context = _context(member, limits=limits)
        except (ValueError, ssl.SSLError):
            scan.untestable.append(name)
            continue
        result = VersionResult(name, accepted=False)
        try:
            negotiated, cipher, bits = handshake(context)
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            scan.versions.append(result)
            continue
        result.accepted = negotiated == name
        if not result.accepted:
            result.error = f"negotiated {negotiated}"
        elif name == "TLSv1.3":
            result.ciphers_enumerated = False
            if cipher:
                result.ciphers.append(CipherResult(cipher, name, bits))
        else:
            _enumerate(result, member, handshake, limits)
        scan.versions.append(result)
    scan.untestable += [n for n in ("RC4", "EXPORT") if not _client_has(n)]
    _groups(scan, handshake, limits)
    return scan


def _client_has(fragment: str) -> bool:
    context = scan_context()
    return any(fragment in cipher["name"] for cipher in context.get_ciphers())


def _suite_names(member: str, limits: Limits | None = None) -> list[str]:
    wanted = limits.tls.ciphers if limits is not None and limits.tls.ciphers else None
    context = _context(member, wanted or "ALL:COMPLEMENTOFALL")
    return [c["name"] for c in context.get_ciphers() if c.get("protocol") != "TLSv1.3"]


def _enumerate(
    result: VersionResult, member: str, handshake: Handshake, limits: Limits | None = None
) -> None:
    remaining = _suite_names(member, limits)
    accepted: list[str] = []
    for _ in range(MAX_SUITES):
        if not remaining:
            break
        try:
            context = _context(member, ":".join(remaining), limits)
            _, cipher, bits = handshake(context)
        except Exception:
            break
        if cipher is None or cipher not in remaining:
            break
        accepted.append(cipher)
        result.ciphers.append(CipherResult(cipher, result.version, bits, _kx(cipher)))
        remaining.remove(cipher)
    if len(accepted) >= 2:
        result.cipher_order = _order(accepted, member, handshake, limits)


def _order(
    accepted: list[str], member: str, handshake: Handshake, limits: Limits | None = None
) -> str | None:
    try:
        _, forward, _ = handshake(_context(member, ":".join(accepted), limits))
        _, backward, _ = handshake(_context(member, ":".join(reversed(accepted)), limits))
    except Exception:
        return None
    if forward == backward:
        return "server"
    if forward == accepted[0] and backward == accepted[-1]:
        return "client"
    return None


def _kx(cipher: str) -> str:
    upper = cipher.upper()
    for prefix, name in (("ECDHE", "ECDHE"), ("DHE", "DHE"), ("EDH", "DHE"), ("AECDH", "ECDH")):
        if upper.startswith(prefix):
            return name
    return "RSA"


def _groups(scan: TLSScan, handshake: Handshake, limits: Limits | None = None) -> None:
    if not scan.accepted("TLSv1.2"):
        return
    for group in GROUPS:
        try:
            context = _context("TLSv1_2", "ECDHE", limits)
            context.set_ecdh_curve(group)
        except (ValueError, ssl.SSLError):
            continue
        scan.groups_tested.append(group)
        try:
            negotiated, cipher, _ = handshake(context)
        except Exception:
            continue
        if negotiated == "TLSv1.2" and cipher and cipher.startswith("ECDHE"):
            scan.groups.append(group)
