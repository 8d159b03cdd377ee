"""The generated self-signed certificate: where it lives, what it says, that clients verify it."""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509

from smtpshell.server import PracticeServer
from smtpshell.server.certs import data_dir, default_certificate


@pytest.fixture
def fresh_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SMTPSHELL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_data_dir_honours_the_environment(fresh_data_dir: Path) -> None:
    assert data_dir() == fresh_data_dir


def test_generated_once_then_reused(fresh_data_dir: Path) -> None:
    first = default_certificate()
    assert first.cert_path.parent == fresh_data_dir
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    before = first.cert_path.read_bytes()
    second = default_certificate()
    assert second == first
    assert second.cert_path.read_bytes() == before


def test_certificate_names_localhost_and_both_loopbacks(fresh_data_dir: Path) -> None:
    pair = default_certificate()
    cert = x509.load_pem_x509_certificate(pair.cert_path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 364 <= lifetime.days <= 366


def test_a_corrupt_cached_certificate_is_regenerated(fresh_data_dir: Path) -> None:
    pair = default_certificate()
    pair.cert_path.write_text("not a certificate")
    assert b"BEGIN CERTIFICATE" in default_certificate().cert_path.read_bytes()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_verifying_client_accepts_localhost_and_ip(server: PracticeServer, host: str) -> None:
    with smtplib.SMTP(host, server.port, timeout=10) as client:
        assert client.starttls(context=server.client_ssl_context())[0] == 220


def test_verifying_client_accepts_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        srv = PracticeServer(host="::1")
        srv.start()
    except OSError:
        pytest.skip("cannot bind ::1 here")
    try:
        with smtplib.SMTP("::1", srv.port, timeout=10) as client:
            assert client.starttls(context=srv.client_ssl_context())[0] == 220
    finally:
        srv.stop()


def test_a_client_that_trusts_nothing_rejects_it(server: PracticeServer) -> None:
    with smtplib.SMTP("localhost", server.port, timeout=10) as client:
        client.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
