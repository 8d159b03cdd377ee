"""The rules that turn facts into findings, verdicts and grades: pure, table-tested."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from smtpshell.probe.certificate import CertificateSummary
from smtpshell.probe.checks import (
    assess,
    banner_software,
    cipher_weaknesses,
    mangled_starttls,
    transport_verdict,
)
from smtpshell.probe.findings import REGISTRY, TransportVerdict
from smtpshell.probe.gates import unmet_requirement
from smtpshell.probe.report import (
    Enforcement,
    Greeting,
    ProbeIssue,
    ProbeReport,
    Reply,
    TLSReport,
    TLSScan,
    VersionResult,
)
from smtpshell.protocol.capabilities import Capability as C

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "smtpshell" / "probe" / "schema.json").read_text()
)
DOCS = (Path(__file__).resolve().parents[2] / "docs" / "probe.md").read_text()


@pytest.mark.parametrize(
    ("banner", "software"),
    [
        ("mx.example ESMTP Postfix 3.4.1 (Debian/GNU)", "Postfix 3.4.1"),
        ("mx ESMTP Exim 4.94.2 Mon, 30 Nov 2026 12:00:00 +0000", "Exim 4.94.2"),
        ("mx ESMTP Sendmail 8.15.2/8.15.2; Mon, 30 Nov 2026", "Sendmail 8.15.2/8.15.2;"),
        (
            "mx Microsoft ESMTP MAIL Service, Version: 10.0.17763.1697 ready",
            "Version: 10.0.17763.1697",
        ),
        ("mx ESMTP Postfix (3.7.11)", "Postfix (3.7.11"),
        ("mx ESMTP Postfix", None),
        ("mx ESMTP ready at 12:00:00 on 30.11.2026", None),
        ("mx.example.com ESMTP", None),
    ],
)
def test_banner_software(banner, software):
    found = banner_software(banner)
    if software is None:
        assert found is None
    else:
        assert found is not None and software.split()[0].lower() in found.lower()
        assert any(ch.isdigit() for ch in found)


def test_mangled_starttls():
    assert mangled_starttls(["SIZE", "XXXXXXXA"]) == "XXXXXXXA"
    assert mangled_starttls(["STARTTLZ"]) == "STARTTLZ"
    assert mangled_starttls(["STARTTLS", "PIPELINING", "8BITMIME", "XXXX"]) is None


@pytest.mark.parametrize(
    ("cipher", "expected"),
    [
        ("ECDHE-RSA-AES128-GCM-SHA256", set()),
        ("TLS_AES_256_GCM_SHA384", set()),
        ("AES128-SHA", {"tls.cipher.cbc_sha1", "tls.cipher.no_forward_secrecy"}),
        ("ECDHE-RSA-AES128-SHA", {"tls.cipher.cbc_sha1"}),
        (
            "DES-CBC3-SHA",
            {"tls.cipher.3des", "tls.cipher.cbc_sha1", "tls.cipher.no_forward_secrecy"},
        ),
        ("RC4-MD5", {"tls.cipher.rc4", "tls.cipher.no_forward_secrecy"}),
        ("NULL-SHA256", {"tls.cipher.null"}),
        ("EXP-RC4-MD5", {"tls.cipher.export", "tls.cipher.rc4", "tls.cipher.no_forward_secrecy"}),
        ("ADH-AES256-GCM-SHA384", {"tls.cipher.anonymous"}),
        ("AES256-GCM-SHA384", {"tls.cipher.no_forward_secrecy"}),
    ],
)
def test_cipher_weaknesses(cipher, expected):
    assert set(cipher_weaknesses(cipher, "TLSv1.2")) == expected


def cert(days_left: int, **changes) -> CertificateSummary:
    not_after = NOW + datetime.timedelta(days=days_left)
    values = dict(
        subject="CN=mx.example",
        subject_cn="mx.example",
        dns_names=("mx.example",),
        ip_addresses=(),
        issuer="CN=Example CA",
        issuer_cn="Example CA",
        self_signed=False,
        not_before="2026-01-01T00:00:00Z",
        not_after=not_after.isoformat().replace("+00:00", "Z"),
        days_to_expiry=days_left,
        serial="1",
        signature_algorithm="sha256",
        public_key="EC secp256r1",
        sha256_fingerprint="AA",
    )
    values.update(changes)
    return CertificateSummary(**values)


def tls_report(**changes) -> TLSReport:
    values = dict(mode="starttls", verification="verified", version="TLSv1.3",
                  cipher="TLS_AES_256_GCM_SHA384", bits=256, server_hostname="mx.example",
                  hostname_checked=True, hostname_matches=True, certificate=cert(200))  # fmt: skip
    values.update(changes)
    return TLSReport(**values)


def relay(**changes) -> ProbeReport:
    report = ProbeReport("mx.example", "mx.example", 25, False)
    report.banner = Reply(220, "mx.example ESMTP")
    report.greeting = Greeting("EHLO", Reply(250, "mx.example"))
    report.capabilities_before_tls = [C("STARTTLS"), C("SIZE", "52428800")]
    report.auth_before_tls = []
    report.starttls_offered = True
    report.tls = tls_report()
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def ids(report: ProbeReport) -> set[str]:
    return {f.id for f in assess(report, now=NOW).findings}


def test_a_good_relay():
    report = assess(relay(), now=NOW)
    assert report.findings == [] and report.verdict == TransportVerdict.PKIX.value
    assert report.grade == "A+"


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        (tls_report(certificate=cert(-1), verification="failed", verify_code=10), {"cert.expired"}),
        (tls_report(certificate=cert(3)), {"cert.expires_14d"}),
        (tls_report(certificate=cert(14)), {"cert.expires_14d"}),
        (tls_report(certificate=cert(15)), {"cert.expires_30d"}),
        (tls_report(certificate=cert(31)), set()),
        (
            tls_report(certificate=cert(90, not_before="2026-07-01T00:00:00Z")),
            {"cert.not_yet_valid"},
        ),
        (
            tls_report(hostname_matches=False, verification="failed", verify_code=62),
            {"cert.name_mismatch"},
        ),
        (
            tls_report(
                certificate=cert(90, self_signed=True), verification="failed", verify_code=18
            ),
            {"cert.self_signed"},
        ),
        (
            tls_report(verification="failed", verify_code=20, verify_error="unable"),
            {"cert.untrusted"},
        ),
        (tls_report(verification="skipped"), set()),
        (tls_report(certificate_error="ValueError: bad", certificate=None), {"cert.unreadable"}),
        (tls_report(version="TLSv1", cipher="AES128-SHA"), {
            "tls.version.tls1_0", "tls.cipher.cbc_sha1", "tls.cipher.no_forward_secrecy"}),
    ],
)  # fmt: skip
def test_certificate_and_negotiated_tls_rules(tls, expected):
    assert ids(relay(tls=tls)) == expected


def test_verdicts():
    assert transport_verdict(relay()) is TransportVerdict.PKIX
    assert transport_verdict(relay(tls=tls_report(verification="skipped"))) is (
        TransportVerdict.ENCRYPTED
    )
    plain = relay(tls=None, starttls_offered=False, capabilities_before_tls=[C("SIZE")])
    assert transport_verdict(plain) is TransportVerdict.PLAINTEXT
    failed = relay(tls=None, error=ProbeIssue("starttls", "SMTPTLSError", "handshake failed"))
    assert transport_verdict(failed) is TransportVerdict.PLAINTEXT
    assert "starttls.handshake_failed" in ids(failed)
    refused = relay(tls=None, error=ProbeIssue("starttls", "SMTPResponseException", "no", 454))
    assert "starttls.refused" in ids(refused)
    early = relay(tls=None, greeting=None, error=ProbeIssue("connect", "SMTPConnectError", "x"))
    assert transport_verdict(early) is TransportVerdict.UNKNOWN


def test_port_aware_weighting_and_grades():
    plain_auth = dict(auth_before_tls=["PLAIN", "LOGIN"])
    on_25 = assess(relay(**plain_auth), now=NOW)
    on_587 = assess(relay(role="submission", **plain_auth), now=NOW)
    assert [f.severity.label for f in on_25.findings] == ["medium"]
    assert [f.severity.label for f in on_587.findings] == ["high"]
    assert (on_25.grade, on_587.grade) == ("B", "C")
    plaintext = dict(tls=None, starttls_offered=False, capabilities_before_tls=[C("SIZE")])
    assert assess(relay(**plaintext), now=NOW).grade == "D"
    assert assess(relay(role="submission", **plaintext), now=NOW).grade == "F"


def test_enforcement_rules():
    ok = Enforcement(Reply(530, "5.7.0 Must issue a STARTTLS command first"), "PLAIN",
                     Reply(530, "5.7.0 Must issue a STARTTLS command first"))  # fmt: skip
    assert ids(relay(role="submission", enforcement=ok)) == set()
    lax = Enforcement(Reply(250, "2.1.0 Ok"), "PLAIN", Reply(334, ""))
    assert ids(relay(role="submission", enforcement=lax)) == {
        "submission.mail_before_tls",
        "submission.auth_before_tls",
    }
    unavailable = Enforcement(Reply(530, "5.7.0"), "PLAIN", Reply(503, "5.5.1 not enabled"))
    assert ids(relay(role="submission", enforcement=unavailable)) == set()


def test_scan_rules_and_tls12_requirement():
    scan = TLSScan("starttls", versions=[
        VersionResult("TLSv1", True), VersionResult("TLSv1.1", False),
        VersionResult("TLSv1.2", True, cipher_order="client"), VersionResult("TLSv1.3", False),
    ])  # fmt: skip
    report = assess(relay(tls_scan=scan, tls=tls_report(version="TLSv1.2",
                          cipher="ECDHE-RSA-AES128-GCM-SHA256")), now=NOW)  # fmt: skip
    assert {f.id for f in report.findings} == {
        "tls.version.tls1_0",
        "tls.version.no_tls1_3",
        "tls.cipher_order.client",
    }
    assert unmet_requirement(report, "tls1.2") == "also accepts TLSv1"
    assert unmet_requirement(report, "verified") is None
    assert unmet_requirement(assess(relay(), now=NOW), "tls1.2") is None


def test_evidence_is_escaped():
    report = relay(banner=Reply(220, "mx ESMTP Postfix 3.1\x1b]0;pwned\x07"))
    finding = assess(report, now=NOW).findings[0]
    assert "\x1b" not in finding.evidence and "\\x1b" in finding.evidence


def test_schema_and_docs_document_every_id():
    documented = [item["const"] for item in SCHEMA["$defs"]["finding_id"]["oneOf"]]
    assert documented == list(REGISTRY)
    for item in SCHEMA["$defs"]["finding_id"]["oneOf"]:  # the schema's text, likewise
        spec = REGISTRY[item["const"]]
        severity = spec.severity.label
        if spec.submission_severity is not None:
            severity += f"; {spec.submission_severity.label} on submission ports"
        assert item["description"] == f"{spec.title} [{severity}] ({spec.reference})"
    for spec in REGISTRY.values():  # docs/probe.md's table row, as the registry says
        severity = spec.severity.label
        if spec.submission_severity is not None:
            severity += f" ({spec.submission_severity.label} on submission ports)"
        script = "yes" if spec.replayable else ""
        row = f"| `{spec.id}` | {severity} | {spec.title} | {spec.reference} | {script} |"
        assert row in DOCS, row
