"""The in-process DNS server, /dns, DKIM signing and /dkim, relay refusal: real sockets."""

from __future__ import annotations

import socket

import dns.message
import dns.query
import dns.rcode

from smtpshell.practice import parse_option_text
from smtpshell.server.dns import ZoneServer, lesson_zone
from smtpshell.wiring import new_engine


def test_the_zone_server_answers_its_zone_only():
    with ZoneServer(lesson_zone("QUJD")) as server:
        answer = dns.query.udp(
            dns.message.make_query("example.test", "MX"), "127.0.0.1", port=server.port, timeout=5
        )
        exchanges = sorted((r.preference, r.exchange.to_text()) for r in answer.answer[0])
        assert exchanges == [(10, "mx1.example.test."), (20, "mx2.example.test.")]
        refused = dns.query.udp(
            dns.message.make_query("example.com", "A"), "127.0.0.1", port=server.port, timeout=5
        )
        assert refused.rcode() == dns.rcode.REFUSED
        missing = dns.query.udp(
            dns.message.make_query("no.example.test", "A"), "127.0.0.1", port=server.port, timeout=5
        )
        assert missing.rcode() == dns.rcode.NXDOMAIN
        assert server.answer(b"\x00garbage") is None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:  # and keeps serving
            sock.sendto(b"junk", ("127.0.0.1", server.port))
        again = dns.query.udp(
            dns.message.make_query("example.test", "TXT"), "127.0.0.1", port=server.port, timeout=5
        )
        assert b"v=spf1" in b"".join(again.answer[0][0].strings)


def _engine(options: str):
    engine = new_engine(scripted=True, timeout=10)
    engine.start_practice(parse_option_text(options))
    return engine


def test_dns_command_and_dkim_sign_verify_tamper():
    engine = _engine("--dns")
    try:
        mx = engine.run_line("/dns MX example.test")
        assert mx.ok and mx.items[0].rows == (
            ("10", "mx1.example.test"),
            ("20", "mx2.example.test"),
        )
        assert "p=reject" in engine.run_line("/dns TXT _dmarc.example.test").items[0].rows[0][0]
        for line in ("/connect", "EHLO x", "/login demo demo"):
            assert engine.run_line(line).ok
        for line in ("/send --subject s student@example.test demo@example.test", "hi", "."):
            engine.run_line(line)
        assert engine.last_reply.code == 250
        assert engine.practice.messages[-1].data.startswith(b"DKIM-Signature:")
        assert "dkim=pass" in engine.run_line("/dkim").items[0].text
        assert "dkim=fail" in engine.run_line("/dkim --tamper").items[0].text
    finally:
        engine.shutdown()


def test_dns_without_a_lesson_dns_server_is_a_clear_error():
    engine = new_engine(scripted=True, timeout=10)
    result = engine.run_line("/dns MX example.test")
    assert not result.ok and "--dns" in result.items[0].text


def test_relay_is_refused_until_the_client_logs_in():
    engine = _engine("--refuse-relay")
    try:
        for line in ("/connect", "EHLO x", "MAIL FROM:<a@elsewhere.example>"):
            engine.run_line(line)
        engine.run_line("RCPT TO:<b@other.example>")
        assert engine.last_reply.code == 554
        engine.run_line("RCPT TO:<demo@localhost>")
        assert engine.last_reply.code == 250
        for line in (
            "RSET",
            "/login demo demo",
            "MAIL FROM:<demo@localhost>",
            "RCPT TO:<b@other.example>",
        ):
            engine.run_line(line)
        assert engine.last_reply.code == 250
    finally:
        engine.shutdown()
