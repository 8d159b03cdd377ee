"""Findings from real servers on loopback: the practice server configured per finding, and
scripted hostile servers, one behaviour each."""

from __future__ import annotations

import dataclasses
import datetime
import ssl
import warnings

import pytest
import trustme

from smtpshell.probe.core import ProbeOptions, probe_target
from smtpshell.probe.findings import Grade, Severity, TransportVerdict
from smtpshell.probe.render import render_report
from smtpshell.probe.report import ProbeReport
from smtpshell.probe.targets import Target
from smtpshell.server import PracticeServer
from smtpshell.server.faults import Faults
from tests.probe.conftest import smtp_script
from tests.support.scripted import Peer, ScriptedServer

NOW = datetime.datetime.now(datetime.UTC)


def ids(report: ProbeReport) -> set[str]:
    return {finding.id for finding in report.findings}


def finding(report: ProbeReport, finding_id: str):
    return next(f for f in report.findings if f.id == finding_id)


def run(server_host: str, port: int, options: ProbeOptions, implicit: bool = False):
    return probe_target(Target("t", server_host, port, implicit), options)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_path(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def context_for(leaf: trustme.LeafCert, *, weak: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    if weak:  # old protocols and every suite, as a badly configured server would
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("ALL:@SECLEVEL=0")
    return context


@pytest.fixture
def opts(ca_path) -> ProbeOptions:
    return ProbeOptions(timeout=5.0, helo="probe.test", ca_file=ca_path)


def serve(**kwargs) -> PracticeServer:
    return PracticeServer(**kwargs)


# ------------------------------------------------------------------ SMTP-level findings


def test_a_leaky_relay(ca, opts):
    context = context_for(ca.issue_cert("127.0.0.1"))
    banner = "ESMTP Postfix 3.4.1 (Debian/GNU)"
    with serve(tls_context=context, banner=banner, size_limit=5_000_000) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, vrfy="demo", expn="staff"))
    assert report.error is None
    assert report.role == "relay"
    found = ids(report)
    assert {
        "smtp.banner.software_version",
        "smtp.size.below_10mb",
        "smtp.vrfy.confirms_user",
        "smtp.expn.confirms_user",
        "auth.plaintext_before_tls",
    } <= found
    assert not any(f.startswith(("cert.", "submission.", "starttls.")) for f in found)
    assert "Postfix 3.4.1" in finding(report, "smtp.banner.software_version").evidence
    assert finding(report, "auth.plaintext_before_tls").severity is Severity.MEDIUM  # port 25
    assert report.verdict == TransportVerdict.PKIX.value
    assert report.grade == Grade.B.value  # PKIX, capped by the medium finding


def test_a_clean_relay_gets_no_findings(ca, opts):
    context = context_for(ca.issue_cert("127.0.0.1"))
    with serve(tls_context=context, auth_require_tls=True) as server:
        report = run(server.host, server.port, opts)
    assert report.findings == []
    assert report.verdict == TransportVerdict.PKIX.value
    assert report.grade == Grade.A_PLUS.value  # TLS 1.3, nothing found


def test_421_at_ehlo(opts):
    with serve(faults=Faults(reply_421_on="EHLO")) as server:
        report = run(server.host, server.port, opts)
    found = finding(report, "smtp.reply_421")
    assert found.stage == "ehlo" and found.evidence.startswith("421")
    assert report.verdict == TransportVerdict.UNKNOWN.value and report.grade == "-"


# ------------------------------------------------------------------ submission


def test_submission_that_enforces_tls_has_no_enforcement_findings(ca, opts):
    context = context_for(ca.issue_cert("127.0.0.1"))
    with serve(tls_context=context, require_tls=True, auth_require_tls=True) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, submission=True))
    assert report.role == "submission"
    enforcement = report.enforcement
    assert enforcement.mail_from.code == 530 and enforcement.mail_from.text.startswith("5.7.0")
    assert enforcement.auth.code == 530
    assert enforcement.injection.answered_inside_tls is False
    assert not ids(report) & {"submission.mail_before_tls", "submission.auth_before_tls"}
    assert "starttls.command_injection" not in ids(report)
    assert report.verdict == TransportVerdict.PKIX.value
    # The verb's case follows the running interpreter's smtplib (3.13 sends "mail from:").
    assert "C: MAIL FROM:<>" in [line.upper() for line in report.transcript["submission"]]
    assert "injection" in report.transcript


def test_submission_that_takes_mail_and_auth_in_plaintext(ca, opts):
    context = context_for(ca.issue_cert("127.0.0.1"))
    with serve(tls_context=context) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, submission=True))
    assert {"submission.mail_before_tls", "submission.auth_before_tls"} <= ids(report)
    assert finding(report, "auth.plaintext_before_tls").severity is Severity.HIGH
    assert report.grade == Grade.C.value
    wire = "\n".join(report.transcript["submission"])
    assert "C: *" in wire  # the 334 was cancelled: no credentials were ever sent
    text = render_report(report)
    assert "  before TLS     MAIL FROM:<> -> 250 2.1.0 OK" in text
    assert "                 AUTH PLAIN -> 334" in text
    assert "  injection      the buffered NOOP was discarded (QUIT got 221)" in text
    assert "HIGH\n    auth.plaintext_before_tls" in text
    assert "DATA" not in "\n".join(line for lines in report.transcript.values() for line in lines)


# ------------------------------------------------------------------ certificates


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(-2, "cert.expired"), (10, "cert.expires_14d"), (20, "cert.expires_30d")],
)
def test_certificate_expiry(ca, opts, days_left, expected):
    leaf = ca.issue_cert(
        "127.0.0.1",
        not_before=NOW - datetime.timedelta(days=60),
        not_after=NOW + datetime.timedelta(days=days_left, hours=1),
    )
    with serve(tls_context=context_for(leaf)) as server:
        report = run(server.host, server.port, opts)
    cert_ids = {i for i in ids(report) if i.startswith("cert.")}
    assert cert_ids == {expected}
    expired = days_left < 0
    assert report.verdict == (
        TransportVerdict.ENCRYPTED.value if expired else TransportVerdict.PKIX.value
    )


def test_name_mismatch_untrusted_and_self_signed(ca, opts):
    wrong_name = context_for(ca.issue_cert("other.test"))
    with serve(tls_context=wrong_name) as server:
        report = run(server.host, server.port, opts)
    assert {i for i in ids(report) if i.startswith("cert.")} == {"cert.name_mismatch"}
    stranger = context_for(trustme.CA().issue_cert("127.0.0.1"))
    with serve(tls_context=stranger) as server:
        report = run(server.host, server.port, opts)
    assert {i for i in ids(report) if i.startswith("cert.")} == {"cert.untrusted"}
    assert report.verdict == TransportVerdict.ENCRYPTED.value and report.grade == "B"
    with serve() as server:  # the practice server's own self-signed certificate
        report = run(server.host, server.port, opts)
    assert {i for i in ids(report) if i.startswith("cert.")} == {"cert.self_signed"}


# ------------------------------------------------------------------ TLS versions and suites


def test_tls_scan_finds_old_protocols_and_weak_suites(opts):
    rsa_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    leaf = rsa_ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA)
    with serve(tls_context=context_for(leaf, weak=True)) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, tls_scan=True))
    scan = report.tls_scan
    accepted = {v.version: v.accepted for v in scan.versions}
    assert accepted["TLSv1"] and accepted["TLSv1.1"] and accepted["TLSv1.2"]
    assert not accepted["TLSv1.3"]
    text = render_report(report)
    assert "  TLS scan       TLSv1: " in text and "suite(s)" in text
    assert "TLSv1.3: refused" in text and "not testable here" in text
    tls12 = next(v for v in scan.versions if v.version == "TLSv1.2")
    names = {c.name for c in tls12.ciphers}
    assert "AES128-SHA" in names and any(n.startswith("ECDHE-RSA") for n in names)
    assert tls12.cipher_order in ("server", "client")
    assert "prime256v1" in scan.groups
    found = ids(report)
    assert {
        "tls.version.tls1_0",
        "tls.version.tls1_1",
        "tls.version.no_tls1_3",
        "tls.cipher.no_forward_secrecy",
        "tls.cipher.cbc_sha1",
    } <= found
    if any("DES-CBC3" in n for n in names):
        assert "tls.cipher.3des" in found


def test_tls_scan_over_implicit_tls(ca, opts):
    context = context_for(ca.issue_cert("127.0.0.1"))
    with serve(tls_context=context, tls_port=0) as server:
        report = run(server.host, server.tls_port, dataclasses.replace(opts, tls_scan=True), True)
    assert report.tls_scan.mode == "implicit"
    accepted = {v.version for v in report.tls_scan.versions if v.accepted}
    assert accepted == {"TLSv1.2", "TLSv1.3"}
    assert not any(i.startswith("tls.version") for i in ids(report))
    assert report.role == "submissions"


# ------------------------------------------------------------------ hostile servers


@pytest.fixture
def scripted_tls(ca) -> ssl.SSLContext:
    return context_for(ca.issue_cert("127.0.0.1"))


def test_server_that_answers_pre_tls_bytes_inside_tls(scripted_tls, opts):
    # The scripted server keeps what it buffered before the handshake (like CVE-2011-0411).
    with ScriptedServer(smtp_script(tls=scripted_tls), connections=2) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, submission=True))
    injection = report.enforcement.injection
    assert injection.answered_inside_tls is True
    assert injection.reply.code != 221
    assert finding(report, "starttls.command_injection").severity is Severity.HIGH
    assert b"STARTTLS\r\nNOOP\r\n" in bytes(server.received[1])


def test_server_that_mangles_starttls(opts):
    script = smtp_script(ehlo=("scripted.test", "XXXXXXXA", "SIZE 20000000"))
    with ScriptedServer(script) as server:
        report = run(server.host, server.port, opts)
    assert {"starttls.mangled_keyword", "starttls.not_offered"} <= ids(report)
    assert report.verdict == TransportVerdict.PLAINTEXT.value and report.grade == "D"
    with ScriptedServer(script, connections=2) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, submission=True))
    assert finding(report, "starttls.not_offered").severity is Severity.HIGH
    assert report.grade == "F"  # plaintext only on a submission port


def _early_then_greeting(peer: Peer) -> None:
    peer.send(b"Hello! I talk first\r\n220 scripted.test ESMTP\r\n")
    peer.readline()


def _greeting_then_more(peer: Peer) -> None:
    peer.send(b"220 scripted.test ESMTP\r\n250 nobody asked\r\n")
    peer.readline()


@pytest.mark.parametrize("script", [_early_then_greeting, _greeting_then_more])
def test_server_that_talks_out_of_turn(opts, script):
    with ScriptedServer(script) as server:
        report = run(server.host, server.port, opts)
    talker = finding(report, "smtp.pre_greeting_talker")
    assert "I talk first" in talker.evidence or "nobody asked" in talker.evidence
    assert report.error is not None  # and the probe said where it stopped, without hanging


def test_server_that_says_421_at_once(opts):
    with ScriptedServer(smtp_script(banner="421 4.3.2 too busy, try later")) as server:
        report = run(server.host, server.port, opts)
    found = [f for f in report.findings if f.id == "smtp.reply_421"]
    assert len(found) == 1 and found[0].stage == "banner"
    assert "too busy" in found[0].evidence


def test_starttls_refused_and_handshake_failure(opts):
    refused = smtp_script(
        replies={"STARTTLS": "454 4.7.0 TLS not available"}, ehlo=("s", "STARTTLS")
    )
    with ScriptedServer(refused) as server:
        report = run(server.host, server.port, opts)
    assert "starttls.refused" in ids(report)
    assert report.verdict == TransportVerdict.PLAINTEXT.value

    def broken_tls(peer: Peer) -> None:
        peer.send(b"220 s ESMTP\r\n")
        peer.readline()
        peer.send(b"250-s\r\n250 STARTTLS\r\n")
        peer.readline()
        peer.send(b"220 go ahead\r\n")
        peer.send(b"this is not a TLS record\r\n")
        peer.read_exactly(10)

    with ScriptedServer(broken_tls) as server:
        report = run(server.host, server.port, opts)
    assert "starttls.handshake_failed" in ids(report)
    assert finding(report, "starttls.handshake_failed").severity is Severity.HIGH


def test_early_client_answered_or_refused(opts):
    with serve() as server:  # greets at once and answers whatever comes
        report = run(server.host, server.port, dataclasses.replace(opts, early_talk=True))
    assert report.early_client.answered is True
    assert "smtp.early_client_answered" in ids(report)
    assert report.transcript["early-talk"][1] == "C: NOOP"  # sent before any S: line

    def guarded(peer: Peer) -> None:  # reads before greeting, like a postscreen
        early = peer.readline()
        peer.send(b"220 guarded.test ESMTP\r\n" if not early else b"")
        if early:
            peer.send(b"554 5.5.1 Error: you talked too early\r\n")

    with ScriptedServer(guarded) as server:
        from smtpshell.probe.injection import check_early_client
        from smtpshell.transcript import Transcript

        result = check_early_client(server.host, server.port, timeout=5, transcript=Transcript())
    assert result.answered is False and result.reply.code == 554


def test_421_during_the_submission_checks_ends_the_probe_there(opts):
    with serve(faults=Faults(reply_421_on="MAIL")) as server:
        report = run(server.host, server.port, dataclasses.replace(opts, submission=True))
    assert report.error.stage == "submission" and report.error.code == 421
    assert [f.stage for f in report.findings if f.id == "smtp.reply_421"] == ["submission"]
    assert not ids(report) & {"starttls.handshake_failed", "starttls.refused"}


def _plaintext_only(peer: Peer) -> None:
    peer.send(b"220 plain.test ESMTP\r\n")
    peer.read_exactly(5)  # the start of a ClientHello, which it does not understand
    peer.send(b"500 what?\r\n")


def test_implicit_tls_port_that_does_not_speak_tls(opts):
    with ScriptedServer(_plaintext_only) as server:
        report = run(server.host, server.port, opts, implicit=True)
    assert report.error.stage == "connect"
    assert "tls.handshake_failed" in ids(report)
    assert report.verdict == TransportVerdict.UNKNOWN.value
