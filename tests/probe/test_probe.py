"""probe_target against real servers: the practice server and one-behaviour scripts."""

from __future__ import annotations

import dataclasses

import pytest

from smtpshell.probe.core import probe_target
from smtpshell.probe.targets import Target
from tests.probe.conftest import server_context, smtp_script
from tests.support.scripted import ScriptedServer


def target(host: str, port: int, implicit_tls: bool = False) -> Target:
    return Target(f"{host}:{port}", host, port, implicit_tls)


def trusting(options, server):
    return dataclasses.replace(options, ca_file=str(server.cert_path))


# ------------------------------------------------------------------------------ practice server


def test_verified_starttls_session(practice, options):
    report = probe_target(target(practice.host, practice.port), trusting(options, practice))
    assert report.ok and report.error is None
    assert report.banner.code == 220 and "practice server" in report.banner.text
    assert report.greeting.command == "EHLO" and report.greeting.ehlo_refused is None
    assert report.starttls_offered and report.starttls.code == 220
    tls = report.tls
    assert (tls.mode, tls.verification, tls.unverified_retry) == ("starttls", "verified", False)
    assert tls.version and tls.version.startswith("TLS") and tls.cipher and tls.bits
    assert tls.hostname_checked and tls.hostname_matches
    assert tls.certificate.subject_cn == "localhost"
    assert "127.0.0.1" in tls.certificate.ip_addresses
    assert tls.chain_source in ("leaf-only", "verified")
    assert report.size.limit == 10485760 and report.size.human == "10 MiB"
    assert [c.keyword for c in report.capability_diff.removed] == ["STARTTLS"]
    assert report.address == "127.0.0.1"
    expected_stages = ["connect", "banner", "ehlo", "starttls", "ehlo-after-tls", "quit"]
    assert list(report.timings_ms) == expected_stages
    assert all(ms >= 0 for ms in report.timings_ms.values()) and report.total_ms > 0


def test_self_signed_fails_verification_but_details_come_from_a_retry(practice, options):
    report = probe_target(target(practice.host, practice.port), options)
    assert not report.ok and report.error is None  # a finding, not a crash
    tls = report.tls
    assert tls.verification == "failed" and tls.unverified_retry
    assert "self-signed" in tls.verify_error and tls.verify_code
    assert tls.version and tls.certificate.self_signed
    assert tls.hostname_matches is True  # the right name, just not a trusted chain
    assert report.capabilities_after_tls  # the session went on over the retry
    assert "unverified-retry" in report.timings_ms


def test_insecure_skips_verification_and_is_ok(practice, options):
    options = dataclasses.replace(options, verify=False)
    report = probe_target(target(practice.host, practice.port), options)
    assert report.ok and report.tls.verification == "skipped"
    assert report.tls.certificate is not None and not report.tls.unverified_retry


def test_auth_appears_only_after_tls(tls_only_auth, options):
    report = probe_target(
        target(tls_only_auth.host, tls_only_auth.port), trusting(options, tls_only_auth)
    )
    assert report.ok
    assert report.auth_before_tls == []
    assert "PLAIN" in report.auth_after_tls
    added = {c.keyword for c in report.capability_diff.added}
    assert added == {"AUTH"}


def test_implicit_tls_port(practice, options):
    report = probe_target(
        target(practice.host, practice.tls_port, implicit_tls=True), trusting(options, practice)
    )
    assert report.ok, report.error
    assert report.tls.mode == "implicit" and report.tls.verification == "verified"
    assert report.capabilities_before_tls is None and report.auth_before_tls is None
    assert report.starttls_offered is None and report.capability_diff is None
    assert "PLAIN" in report.auth_after_tls
    assert list(report.timings_ms) == ["connect", "banner", "ehlo", "quit"]


def test_implicit_tls_unverified_retry(practice, options):
    report = probe_target(target(practice.host, practice.tls_port, implicit_tls=True), options)
    assert report.error is None and report.tls.verification == "failed"
    assert report.tls.unverified_retry and report.banner.code == 220


def test_vrfy(practice, options):
    options = dataclasses.replace(trusting(options, practice), vrfy="demo")
    report = probe_target(target(practice.host, practice.port), options)
    assert report.vrfy.code == 250 and "demo@localhost" in report.vrfy.text
    assert report.vrfy.meaning
    assert "vrfy" in report.timings_ms


def test_no_starttls_stays_plain(practice, options):
    options = dataclasses.replace(options, starttls=False)
    report = probe_target(target(practice.host, practice.port), options)
    assert report.ok and report.tls is None and report.starttls_offered
    assert report.capabilities_after_tls is None and report.auth_after_tls is None
    assert report.size.limit == 10485760


def test_plain_connection_to_an_implicit_tls_port_hints(practice, options):
    options = dataclasses.replace(options, timeout=0.5)
    report = probe_target(target(practice.host, practice.tls_port), options)
    assert report.error.stage == "banner"
    assert "smtps://" in report.error.hint


def test_implicit_tls_to_a_plain_port_hints(practice, options):
    report = probe_target(target(practice.host, practice.port, implicit_tls=True), options)
    assert (report.error.stage, report.error.type) == ("connect", "SMTPTLSError")
    assert not report.error.message.startswith("(")  # a message, not an args tuple
    assert "drop --implicit-tls" in report.error.hint


# ------------------------------------------------------------------------------ broken servers


def test_closed_port(options, closed_port):
    report = probe_target(target("127.0.0.1", closed_port), options)
    assert (report.error.stage, report.error.type) == ("connect", "SMTPConnectionRefused")
    assert report.banner is None and list(report.timings_ms) == ["connect"]


def test_unknown_host(options):
    report = probe_target(target("no-such-host.invalid", 25), options)
    assert (report.error.stage, report.error.type) == ("connect", "SMTPHostNotFound")


def test_banner_554_is_recorded_and_quit_sent(options):
    with ScriptedServer(smtp_script(banner="554 5.3.2 not accepting mail")) as server:
        report = probe_target(target(server.host, server.port), options)
        assert server.finished.wait(5)
    assert report.banner.code == 554
    assert (report.error.stage, report.error.code) == ("banner", 554)
    assert "not accepting mail" in report.error.message
    assert server.wire.upper().startswith(b"QUIT")  # RFC 5321 §3.1: QUIT after a 554


def test_ehlo_refused_falls_back_to_helo(options):
    script = smtp_script(replies={"EHLO": "502 5.5.1 what is EHLO"})
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert report.ok
    assert report.greeting.command == "HELO" and report.greeting.ehlo_refused.code == 502
    assert report.capabilities_before_tls == [] and report.starttls_offered is False
    assert report.tls is None and report.size is None
    assert b"helo probe.test" in server.wire.lower()


def test_helo_refused_too(options):
    script = smtp_script(replies={"EHLO": "502 no", "HELO": "550 go away"})
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert (report.error.stage, report.error.code, report.error.type) == (
        "helo",
        550,
        "SMTPHeloError",
    )


def test_server_drops_after_ehlo(options):
    with ScriptedServer(smtp_script(replies={"EHLO": "<drop>"})) as server:
        report = probe_target(target(server.host, server.port), options)
    assert (report.error.stage, report.error.type) == ("ehlo", "SMTPServerDisconnected")
    assert report.banner.code == 220 and report.greeting is None


def test_malformed_ehlo_reply(options):
    script = smtp_script(replies={"EHLO": "250-scripted.test\nthis is not a reply line"})
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert (report.error.stage, report.error.type) == ("ehlo", "SMTPProtocolError")


def test_malformed_banner(options):
    with ScriptedServer(smtp_script(banner="hello there")) as server:
        report = probe_target(target(server.host, server.port), options)
    assert (report.error.stage, report.error.type) == ("banner", "SMTPBadGreeting")
    assert "connect" in report.timings_ms and "banner" in report.timings_ms


def test_starttls_refused(options):
    script = smtp_script(
        ehlo=("scripted.test", "STARTTLS"), replies={"STARTTLS": "454 4.7.0 TLS not available"}
    )
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
        assert server.finished.wait(5)
    assert (report.error.stage, report.error.code) == ("starttls", 454)
    assert report.capabilities_before_tls and report.tls is None
    assert server.wire.upper().endswith(b"QUIT\r\n")  # still said goodbye


def test_hostname_mismatch_is_reported(options, probe_ca, ca_file):
    tls = server_context(probe_ca, "other.example")
    script = smtp_script(tls=tls, ehlo_after_tls=("scripted.test", "AUTH PLAIN"))
    options = dataclasses.replace(options, ca_file=str(ca_file))
    with ScriptedServer(script, connections=2) as server:
        report = probe_target(target(server.host, server.port), options)
    tls_report = report.tls
    assert tls_report.verification == "failed" and tls_report.unverified_retry
    assert "mismatch" in tls_report.verify_error.lower()
    assert tls_report.hostname_matches is False
    assert tls_report.certificate.dns_names == ("other.example",)
    assert report.auth_before_tls == [] and report.auth_after_tls == ["PLAIN"]


def test_trusted_private_ca(options, probe_ca, ca_file):
    script = smtp_script(tls=server_context(probe_ca, "127.0.0.1"))
    options = dataclasses.replace(options, ca_file=str(ca_file))
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert report.ok and report.tls.verification == "verified"


def test_size_changes_across_starttls(options, probe_ca, ca_file):
    script = smtp_script(
        ehlo=("scripted.test", "SIZE 1000"),
        ehlo_after_tls=("scripted.test", "SIZE 0", "AUTH LOGIN"),
        tls=server_context(probe_ca, "127.0.0.1"),
    )
    options = dataclasses.replace(options, ca_file=str(ca_file))
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    changes = report.capability_diff.changed
    assert [(c.keyword, c.before, c.after) for c in changes] == [("SIZE", "1000", "0")]
    assert report.size.limit is None and report.size.human == "no fixed limit"


def test_quit_failure_is_only_a_warning(options):
    with ScriptedServer(smtp_script(replies={"QUIT": "<drop>"})) as server:
        report = probe_target(target(server.host, server.port), options)
    assert report.ok
    assert [w.stage for w in report.warnings] == ["quit"]


def test_resolution_failure_is_reported_without_connecting(options):
    from smtpshell.probe.report import ProbeIssue

    issue = ProbeIssue("resolve", "NXDOMAIN", "missing.test does not exist")
    report = probe_target(Target("missing.test", "missing.test", 25, False, error=issue), options)
    assert report.error is issue and report.timings_ms == {}


@pytest.mark.parametrize("bad", ["nul\x00", "two\nlines", "cr\rhere"])
def test_vrfy_with_control_characters_is_a_recorded_failure(practice, options, bad):
    options = dataclasses.replace(options, vrfy=bad, starttls=False)
    report = probe_target(target(practice.host, practice.port), options)
    assert report.error.stage == "vrfy" and report.error.type == "ValueError"


# ------------------------------------------------------------------------------ issue 14


def test_a_failed_handshake_keeps_what_the_clear_text_ehlo_said(options):
    """The server says 220 to STARTTLS, then answers the ClientHello with plain text."""

    def script(peer):
        peer.send(b"220 scripted.test ESMTP\r\n")
        peer.readline()  # EHLO
        peer.send(b"250-scripted.test\r\n250-SIZE 1000\r\n250 STARTTLS\r\n")
        peer.readline()  # STARTTLS
        peer.send(b"220 2.0.0 go ahead\r\n")
        peer.read_exactly(5)  # the start of the ClientHello
        peer.send(b"500 this is not TLS\r\n")

    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert report.error is not None and report.error.stage == "starttls"
    assert report.error.type == "SMTPTLSError"
    assert report.starttls_offered is True
    assert (report.starttls.code, report.starttls.text) == (220, "2.0.0 go ahead")
    assert report.size is not None and report.size.limit == 1000
    as_json = report.to_dict()
    assert as_json["size"]["limit"] == 1000 and as_json["starttls"]["code"] == 220


def test_starttls_refused_keeps_size_and_no_220(options):
    script = smtp_script(
        ehlo=("scripted.test", "SIZE 2000", "STARTTLS"),
        replies={"STARTTLS": "454 4.7.0 TLS not available"},
    )
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), options)
    assert report.error.code == 454 and report.starttls is None  # only a 220 is kept
    assert report.size.limit == 2000


def lmtp_options(options):
    return dataclasses.replace(options, lmtp=True)


def test_lmtp_probe_sends_lhlo(options):
    script = smtp_script(
        replies={"LHLO": "250-lmtp.test\n250-PIPELINING\n250-SIZE 5000\n250 CHUNKING"}
    )
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), lmtp_options(options))
        assert server.finished.wait(5)
    assert report.ok
    assert report.greeting.command == "LHLO" and report.greeting.reply.code == 250
    assert [c.keyword for c in report.capabilities] == ["PIPELINING", "SIZE", "CHUNKING"]
    assert report.size.limit == 5000
    assert server.wire.split(b"\r\n")[0].upper().startswith(b"LHLO ")
    assert b"EHLO" not in server.wire.upper()


def test_lmtp_probe_has_no_helo_fallback(options):
    script = smtp_script(replies={"LHLO": "500 5.5.1 what?"})
    with ScriptedServer(script) as server:
        report = probe_target(target(server.host, server.port), lmtp_options(options))
        assert server.finished.wait(5)
    assert (report.error.stage, report.error.code) == ("ehlo", 500)
    assert b"HELO" not in server.wire.upper().replace(b"LHLO", b"")
