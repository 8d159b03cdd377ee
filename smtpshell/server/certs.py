"""The practice server's TLS identity: a self-signed certificate for localhost, made once.

STARTTLS is the part of SMTP people most want to try, so the server must offer it with no
setup.  The certificate is generated on first use with ``cryptography`` and cached in the
user's data directory (``SMTPSHELL_DATA_DIR`` overrides it, which is what tests do), so
students can pin or trust the same file across runs.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Environment variable that replaces the platform data directory (tests, containers).
DATA_DIR_ENV = "SMTPSHELL_DATA_DIR"
CERT_FILENAME = "practice-server-cert.pem"
KEY_FILENAME = "practice-server-key.pem"
#: Names every client on this machine may use for the practice server.
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")
VALIDITY = datetime.timedelta(days=365)
#: Regenerate a cached certificate this long before it expires, not at the last second.
RENEW_MARGIN = datetime.timedelta(days=7)


@dataclass(frozen=True)
class CertificatePair:
    """Paths of a PEM certificate (chain) and its private key."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """A server-side context presenting this certificate; clients are not asked for one."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts exactly this certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def data_dir() -> Path:
    """Where smtpshell keeps generated files: ``$SMTPSHELL_DATA_DIR`` or the platform's."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("smtpshell"))


def default_certificate() -> CertificatePair:
    """The cached self-signed localhost certificate, generated now if missing or stale."""
    directory = data_dir()
    pair = CertificatePair(directory / CERT_FILENAME, directory / KEY_FILENAME)
    if not _usable(pair):
        directory.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem = generate_self_signed()
        # Key first: a reader that sees the new certificate must find its key beside it.
        _write_atomically(pair.key_path, key_pem, mode=0o600)
        _write_atomically(pair.cert_path, cert_pem, mode=0o644)
    return pair


def generate_self_signed(
    now: datetime.datetime | None = None,
) -> tuple[bytes, bytes]:
    """A fresh EC P-256 key and a self-signed certificate for localhost, both PEM.

    The SANs hold ``localhost``, ``127.0.0.1`` and ``::1`` so a verifying client succeeds
    whichever of them it dials.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "smtpshell practice server"),
        ]
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem


def _usable(pair: CertificatePair) -> bool:
    """True when both files exist, parse, and the certificate is not about to expire."""
    if not (pair.cert_path.is_file() and pair.key_path.is_file()):
        return False
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pair.cert_path.read_bytes())
    except ValueError:
        return False
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return remaining > RENEW_MARGIN


def _write_atomically(path: Path, content: bytes, *, mode: int) -> None:
    """Write via a private temp file and rename, so concurrent starts never see half a file."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if hasattr(os, "fchmod"):  # mkstemp made it 0600; widen only the certificate
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
