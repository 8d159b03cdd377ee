"""Certificate summaries (cryptography, lazily) and RFC 6125 host name matching."""

from __future__ import annotations

import datetime
import ssl

import pytest
import trustme

from smtpshell.probe.certificate import hostname_matches, summarize_certificate


@pytest.mark.parametrize(
    ("hostname", "dns_names", "ips", "expected"),
    [
        ("mx.example.com", ("mx.example.com",), (), True),
        ("MX.Example.COM.", ("mx.example.com",), (), True),
        ("mx.example.com", ("*.example.com",), (), True),
        ("a.mx.example.com", ("*.example.com",), (), False),  # one label only
        ("example.com", ("*.example.com",), (), False),
        ("mx.example.com", ("*.com",), (), False),  # no wildcard over a public suffix-ish
        ("mx.example.com", ("m*.example.com",), (), False),  # partial wildcards unsupported
        ("other.example.com", ("mx.example.com",), (), False),
        ("127.0.0.1", ("127.0.0.1",), (), False),  # an IP matches IP entries only
        ("127.0.0.1", (), ("127.0.0.1",), True),
        ("::1", (), ("0:0:0:0:0:0:0:1",), True),
        ("[::1]", (), ("::1",), True),
        ("mx.example.com", (), ("127.0.0.1",), False),
        ("mx.example.com", (), (), False),
    ],
)
def test_hostname_matches(hostname, dns_names, ips, expected):
    assert hostname_matches(hostname, dns_names, ips) is expected


def leaf_der(ca: trustme.CA, *names: str) -> bytes:
    cert = ca.issue_cert(*names)
    return ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())


def test_summary_of_a_ca_issued_certificate():
    ca = trustme.CA(organization_name="Probe Test CA")
    summary = summarize_certificate(leaf_der(ca, "mx.example.test", "127.0.0.1"))
    assert summary.dns_names == ("mx.example.test",)
    assert summary.ip_addresses == ("127.0.0.1",)
    assert "Probe Test CA" in summary.issuer
    assert summary.self_signed is False
    assert summary.not_before.endswith("Z") and summary.not_after.endswith("Z")
    assert summary.days_to_expiry > 300
    assert len(summary.sha256_fingerprint.split(":")) == 32
    assert summary.public_key  # e.g. "EC secp256r1" or "RSA 2048 bits"


def test_days_to_expiry_counts_down_and_goes_negative():
    der = leaf_der(trustme.CA(), "mx.example.test")
    not_after = datetime.datetime.fromisoformat(summarize_certificate(der).not_after)
    later = not_after + datetime.timedelta(days=3, hours=1)
    assert summarize_certificate(der, now=later).days_to_expiry == -4
    earlier = not_after - datetime.timedelta(days=10, hours=1)
    assert summarize_certificate(der, now=earlier).days_to_expiry == 10


def test_self_signed_is_recognised():
    ca = trustme.CA()
    der = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    assert summarize_certificate(der).self_signed is True


def test_garbage_is_a_value_error():
    with pytest.raises(ValueError):
        summarize_certificate(b"\x30\x03\x02\x01\x00")
