"""Renderers are pure functions of reports: table-tested on hand-made reports."""

from __future__ import annotations

import json

import pytest

from smtpshell.probe.render import (
    CapabilityRow,
    _abbreviated,
    capability_rows,
    render_json,
    render_report,
    render_summary,
    render_text,
)
from smtpshell.probe.report import (
    SCHEMA_VERSION,
    Greeting,
    MXOrigin,
    ProbeIssue,
    ProbeReport,
    Reply,
    SizeInfo,
    TLSReport,
)
from smtpshell.protocol.capabilities import Capability as C
from smtpshell.protocol.capabilities import diff_capabilities

BEFORE = [C("SIZE", "1000"), C("STARTTLS"), C("8BITMIME")]
AFTER = [C("SIZE", "2000"), C("8BITMIME"), C("AUTH", "PLAIN LOGIN")]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            BEFORE,
            AFTER,
            [
                CapabilityRow("SIZE", "1000", "2000", "changed"),
                CapabilityRow("STARTTLS", "", None, "removed"),
                CapabilityRow("8BITMIME", "", "", ""),
                CapabilityRow("AUTH", None, "PLAIN LOGIN", "added"),
            ],
        ),
        (BEFORE[:1], None, [CapabilityRow("SIZE", "1000", None, "")]),
        (None, AFTER[2:], [CapabilityRow("AUTH", None, "PLAIN LOGIN", "")]),
        ([], [], []),
    ],
)
def test_capability_rows(before, after, expected):
    diff = diff_capabilities(before, after) if before is not None and after is not None else None
    assert capability_rows(before, after, diff) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], ""),
        (["PLAIN"], "PLAIN"),
        (["PLAIN", "LOGIN"], "PLAIN LOGIN"),
        (
            ["CRAM-MD5", "LOGIN", "OAUTHBEARER", "PLAIN", "SCRAM-SHA-1"],
            "CRAM-MD5 LOGIN OAUTHBEARER +2",
        ),
        (["A" * 40], "A" * 40),  # one long word is shown whole
    ],
)
def test_abbreviated(words, expected):
    assert _abbreviated(words) == expected


def good_report() -> ProbeReport:
    return ProbeReport(
        input="example.test",
        host="mx.example.test",
        port=25,
        implicit_tls=False,
        mx=MXOrigin("example.test", 10),
        address="192.0.2.1",
        banner=Reply(220, "mx.example.test ESMTP\nsecond line"),
        greeting=Greeting("EHLO", Reply(250, "mx.example.test")),
        capabilities_before_tls=BEFORE,
        capabilities_after_tls=AFTER,
        capability_diff=diff_capabilities(BEFORE, AFTER),
        starttls_offered=True,
        starttls=Reply(220, "2.0.0 go ahead"),
        tls=TLSReport(
            mode="starttls",
            verification="verified",
            version="TLSv1.3",
            cipher="TLS_AES_256_GCM_SHA384",
            bits=256,
            server_hostname="mx.example.test",
            hostname_checked=True,
            hostname_matches=True,
        ),
        auth_before_tls=[],
        auth_after_tls=["PLAIN", "LOGIN"],
        size=SizeInfo(2000, "2000 bytes"),
        timings_ms={"connect": 1.25, "banner": 150.0},
        total_ms=151.25,
    )


def test_full_report_text():
    text = render_report(good_report())
    assert text.splitlines()[0] == "mx.example.test:25  OK"
    for expected in (
        "found via      example.test: MX preference 10",
        "address        192.0.2.1",
        "banner         220 mx.example.test ESMTP",
        "               220 second line",
        "STARTTLS       offered, 220 2.0.0 go ahead",
        "TLS            TLSv1.3, TLS_AES_256_GCM_SHA384, 256 bits (STARTTLS)",
        "verified: the chain is trusted and mx.example.test matches",
        "AUTH           before TLS: none",
        "after TLS:  PLAIN LOGIN",
        "SIZE           2000 bytes (2000 bytes)",
        "1000 -> 2000 (changed after TLS)",
        "(removed after TLS)",
        "PLAIN LOGIN (added after TLS)",
        "timings        connect 1.2 ms, banner 150 ms; total 151 ms",
    ):
        assert expected in text, expected
    assert "\x1b" not in text


def test_colour_only_when_asked():
    assert "\x1b[32mOK\x1b[0m" in render_report(good_report(), colour=True)


def test_hostile_text_is_escaped():
    report = ProbeReport("evil", "evil.test", 25, False)
    report.banner = Reply(554, "\x1b]0;pwned\x07 go away \x9b31m")
    report.error = ProbeIssue("banner", "SMTPConnectError", "\x1b[2J", 554)
    text = render_report(report, colour=False)
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b]0;pwned\\x07" in text
    assert "FAILED         at banner: SMTPConnectError: 554 \\x1b[2J" in text
    output = render_json([report])
    assert json.loads(output)["reports"][0]["banner"]["text"] == report.banner.text  # exact
    assert output.isascii()  # ... but no raw control byte reaches the terminal


def test_failed_report_shows_stage_and_hint():
    report = ProbeReport("h:2", "h", 2, False, timings_ms={"connect": 0.5}, total_ms=0.6)
    report.error = ProbeIssue("banner", "SMTPTimeoutError", "no reply", hint="try smtps://")
    text = render_report(report)
    assert text.splitlines()[0] == "h:2  FAILED"
    assert "FAILED         at banner: SMTPTimeoutError: no reply" in text
    assert "hint           try smtps://" in text


def test_verification_failure_is_loud():
    report = good_report()
    report.tls.verification = "failed"
    report.tls.verify_error = "self-signed certificate"
    report.tls.unverified_retry = True
    report.tls.hostname_matches = False
    text = render_report(report)
    assert text.splitlines()[0].endswith("CERTIFICATE NOT VERIFIED")
    assert "FAILED: self-signed certificate" in text
    assert "mx.example.test is NOT among the certificate's names" in text
    assert "second connection made WITHOUT verification" in text


def test_ehlo_refused_and_helo():
    report = ProbeReport("h", "h", 25, False)
    report.greeting = Greeting("HELO", Reply(250, "old.test"), Reply(502, "no EHLO here"))
    text = render_report(report)
    assert "EHLO           refused: 502 no EHLO here" in text
    assert "HELO           250 old.test" in text


def test_summary_table_and_text():
    failed = ProbeReport("x", "[::1]", 1, False, total_ms=0.2)
    failed.error = ProbeIssue("connect", "SMTPConnectionRefused", "refused")
    failed.host = "::1"
    reports = [good_report(), failed]
    summary = render_summary(reports).splitlines()
    assert summary[0].split() == [
        "TARGET",
        "STATUS",
        "BANNER",
        "TLS",
        "CERT",
        "AUTH",
        "SIZE",
        "TIME",
        "GRADE",
    ]
    assert summary[1].split()[:5] == ["mx.example.test:25", "ok", "220", "TLSv1.3", "verified"]
    assert summary[2].split()[:4] == ["[::1]:1", "failed", "at", "connect"]
    assert summary[-1] == "2 target(s): 1 ok, 1 failed"
    assert render_text(reports).endswith(summary[-1])
    assert "TARGET" not in render_text(reports[:1])  # one target: no summary table


def test_json_document_shape():
    data = json.loads(render_json([good_report()]))
    assert data["schema_version"] == SCHEMA_VERSION and data["summary"] == {
        "targets": 1,
        "ok": 1,
        "failed": 0,
    }
    report = data["reports"][0]
    assert report["target"] == "mx.example.test:25" and report["ok"] is True
    assert report["capability_diff"]["added"] == [{"keyword": "AUTH", "params": "PLAIN LOGIN"}]
    assert report["tls"]["chain_length"] is None and report["tls"]["chain_source"] == "leaf-only"
    assert list(report["timings_ms"]) == ["connect", "banner"]
