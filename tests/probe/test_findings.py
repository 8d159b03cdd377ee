"""The findings model: registry, severities, verdicts and grades (pure, no I/O)."""

from __future__ import annotations

import re

import pytest

from smtpshell.probe.findings import (
    REGISTRY,
    Finding,
    Grade,
    PortRole,
    Severity,
    TransportVerdict,
    grade,
    make_finding,
    port_role,
    sort_findings,
    worst_severity,
)
from smtpshell.protocol.display import SafeText

ISSUE_16_IDS = {
    "auth.plaintext_before_tls",
    "starttls.not_offered",
    "starttls.handshake_failed",
    "cert.expires_14d",
    "cert.expires_30d",
    "cert.expired",
    "cert.name_mismatch",
    "cert.self_signed",
    "cert.untrusted",
    "tls.version.tls1_0",
    "tls.version.tls1_1",
    "tls.cipher.no_forward_secrecy",
    "tls.cipher.cbc_sha1",
    "tls.cipher.rc4",
    "tls.cipher.3des",
    "tls.cipher.null",
    "tls.cipher.export",
    "smtp.vrfy.confirms_user",
    "smtp.expn.confirms_user",
    "smtp.banner.software_version",
    "smtp.pre_greeting_talker",
    "smtp.reply_421",
    "smtp.size.below_10mb",
    "submission.mail_before_tls",
    "submission.auth_before_tls",
    "starttls.command_injection",
}


def test_registry_covers_every_finding_the_issue_lists():
    assert not ISSUE_16_IDS - set(REGISTRY)


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda spec: spec.id)
def test_every_registry_row_is_complete(spec):
    assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", spec.id)
    assert spec.title and "\n" not in spec.title and not spec.title.endswith(".")
    assert re.search(r"\b(RFC|BCP) \d+", spec.reference), spec.reference
    assert "§" in spec.reference, "a reference names its section"
    assert spec.remedy
    assert spec.to_dict()["severity"] == spec.severity.label


def test_severities_are_ordered_and_parse():
    assert Severity.INFO < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert Severity.parse(" High ") is Severity.HIGH
    assert str(Severity.CRITICAL) == "critical"
    with pytest.raises(ValueError, match="one of: info, low, medium, high, critical"):
        Severity.parse("severe")


def test_make_finding_takes_the_registry_row_and_escapes_evidence():
    finding = make_finding(
        "smtp.banner.software_version",
        b"220 mx ESMTP Postfix 3.4.1\x1b]52;c;AAAA\x07",
        target="mx:25",
        stage="banner",
    )
    assert isinstance(finding.evidence, SafeText)
    assert "\x1b" not in finding.evidence and "\\x1b" in finding.evidence
    assert finding.severity is Severity.LOW
    assert finding.title == REGISTRY["smtp.banner.software_version"].title
    assert finding.to_dict()["severity"] == "low"
    with pytest.raises(KeyError):
        make_finding("no.such.finding", "x")


def test_submission_ports_weigh_plaintext_more():
    relay = make_finding("auth.plaintext_before_tls", "AUTH PLAIN", role=PortRole.RELAY)
    submission = make_finding("auth.plaintext_before_tls", "AUTH PLAIN", role=PortRole.SUBMISSION)
    assert relay.severity is Severity.MEDIUM
    assert submission.severity is Severity.HIGH
    explicit = make_finding("auth.plaintext_before_tls", "x", severity=Severity.INFO)
    assert explicit.severity is Severity.INFO


def test_finding_round_trips_through_json_form():
    finding = make_finding("cert.expired", "notAfter 2020-01-01", target="a:25", stage="starttls")
    assert Finding.from_dict(finding.to_dict()) == finding
    with pytest.raises(ValueError):
        Finding.from_dict({"severity": "high"})
    with pytest.raises(ValueError):
        Finding.from_dict({"id": "x", "severity": "dire"})


def test_sorting_and_worst():
    low = make_finding("smtp.size.below_10mb", "SIZE 1000")
    high = make_finding("cert.expired", "x")
    info = make_finding("tls.version.no_tls1_3", "x")
    assert sort_findings([low, info, high]) == [high, low, info]
    assert worst_severity([low, info, high]) is Severity.HIGH
    assert worst_severity([]) is None


@pytest.mark.parametrize(
    ("port", "implicit", "submission", "role"),
    [
        (25, False, False, PortRole.RELAY),
        (587, False, False, PortRole.SUBMISSION),
        (2525, False, True, PortRole.SUBMISSION),
        (465, True, False, PortRole.SUBMISSIONS),
    ],
)
def test_port_role(port, implicit, submission, role):
    assert port_role(port, implicit_tls=implicit, submission=submission) is role


def test_verdicts_are_ordered_with_room_for_dns_policy():
    order = list(TransportVerdict)
    assert order.index(TransportVerdict.PLAINTEXT) < order.index(TransportVerdict.ENCRYPTED)
    assert TransportVerdict.ENCRYPTED.encrypted and not TransportVerdict.ENCRYPTED.authenticated
    assert TransportVerdict.PKIX.authenticated
    assert TransportVerdict.DANE.authenticated and TransportVerdict.MTA_STS.authenticated
    assert not TransportVerdict.PLAINTEXT.encrypted
    assert TransportVerdict.PLAINTEXT.value == "plaintext only"


RELAY, SUB = PortRole.RELAY, PortRole.SUBMISSION


@pytest.mark.parametrize(
    ("verdict", "ids", "role", "tls13", "expected"),
    [
        (TransportVerdict.PKIX, [], RELAY, True, Grade.A_PLUS),
        (TransportVerdict.PKIX, [], RELAY, False, Grade.A),
        (TransportVerdict.PKIX, ["tls.version.no_tls1_3"], RELAY, True, Grade.A_PLUS),
        (TransportVerdict.PKIX, ["smtp.size.below_10mb"], RELAY, True, Grade.A),
        (TransportVerdict.PKIX, ["tls.version.tls1_0"], RELAY, True, Grade.B),
        (TransportVerdict.PKIX, ["cert.expired"], RELAY, True, Grade.C),
        (TransportVerdict.PKIX, ["tls.cipher.null"], RELAY, True, Grade.F),
        (TransportVerdict.ENCRYPTED, [], RELAY, True, Grade.B),
        (TransportVerdict.ENCRYPTED, [], SUB, True, Grade.C),
        (TransportVerdict.PLAINTEXT, [], RELAY, False, Grade.D),
        (TransportVerdict.PLAINTEXT, [], SUB, False, Grade.F),
        (TransportVerdict.DANE, [], RELAY, False, Grade.A),
        (TransportVerdict.UNKNOWN, ["cert.expired"], RELAY, False, Grade.UNKNOWN),
    ],
)
def test_grade_rules(verdict, ids, role, tls13, expected):
    findings = [make_finding(finding_id, "e") for finding_id in ids]
    assert grade(verdict, findings, role, tls13=tls13) is expected
