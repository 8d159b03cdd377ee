"""What a server's certificate says, read from its DER bytes with ``cryptography``.

Kept out of the client core on purpose: the core hands over ``peer_cert_der`` and pays for
nothing else; only a probe imports ``cryptography``, and only when it has a certificate.
Host name matching is done here too, so a probe can say "the name matches" even when the
chain did not verify (a self-signed certificate for the right name is a different finding
from a valid certificate for the wrong name).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from smtpshell.protocol.display import display

__all__ = ["CertificateSummary", "hostname_matches", "summarize_certificate"]


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    """The parts of a certificate a person checks first, as plain values."""

    subject: str
    subject_cn: str | None
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    issuer: str
    issuer_cn: str | None
    self_signed: bool
    not_before: str
    not_after: str
    days_to_expiry: int
    serial: str
    signature_algorithm: str | None
    public_key: str
    sha256_fingerprint: str


def _common_name(name) -> str | None:
    from cryptography.x509.oid import NameOID

    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return display(str(values[0].value)) if values else None


def _public_key_text(key) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size} bits"
    return type(key).__name__


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def summarize_certificate(der: bytes, now: datetime.datetime | None = None) -> CertificateSummary:
    """Summarise a DER certificate.  Raises ``ValueError`` when it cannot be parsed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(display(name) for name in san.get_values_for_type(x509.DNSName))
        ip_addresses = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ip_addresses = (), ()
    not_before = _utc(cert.not_valid_before_utc)
    not_after = _utc(cert.not_valid_after_utc)
    now = now or datetime.datetime.now(datetime.UTC)
    try:
        public_key = _public_key_text(cert.public_key())
    except ValueError:  # an algorithm this build of OpenSSL does not know
        public_key = "unknown"
    algorithm = cert.signature_hash_algorithm
    return CertificateSummary(
        subject=display(cert.subject.rfc4514_string()),  # names are server text: escaped
        subject_cn=_common_name(cert.subject),
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        issuer=display(cert.issuer.rfc4514_string()),
        issuer_cn=_common_name(cert.issuer),
        self_signed=cert.issuer == cert.subject,
        not_before=not_before.isoformat().replace("+00:00", "Z"),
        not_after=not_after.isoformat().replace("+00:00", "Z"),
        days_to_expiry=(not_after - now).days,
        serial=format(cert.serial_number, "x"),
        signature_algorithm=algorithm.name if algorithm is not None else None,
        public_key=public_key,
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def _dns_name_matches(hostname: str, pattern: str) -> bool:
    """RFC 6125 §6.4.3: case-insensitive; a wildcard only as the whole leftmost label."""
    hostname = hostname.rstrip(".").lower()
    pattern = pattern.rstrip(".").lower()
    if not pattern.startswith("*."):
        return hostname == pattern
    host_first, _, host_rest = hostname.partition(".")
    return bool(host_first) and host_rest == pattern[2:] and "." in pattern[2:]


def hostname_matches(
    hostname: str, dns_names: tuple[str, ...], ip_addresses: tuple[str, ...]
) -> bool:
    """Whether ``hostname`` is covered by the certificate's subjectAltName entries.

    An IP address matches only IP entries; a name only DNS entries.  The subject CN is not
    consulted: browsers and Python's ``ssl`` stopped doing that (RFC 6125 §6.4.4).
    """
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return any(_dns_name_matches(hostname, pattern) for pattern in dns_names)
    return any(ipaddress.ip_address(entry) == address for entry in ip_addresses)
