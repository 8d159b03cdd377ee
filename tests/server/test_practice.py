"""The in-process PracticeServer: lifecycle, ESMTP features, teaching commands, storage."""

from __future__ import annotations

import mailbox
import re
import smtplib
import socket
import threading
from pathlib import Path

import pytest

from smtpshell.server import DEFAULT_PASSWORD, DEFAULT_USER, PracticeServer, ReceivedMessage

from .conftest import RawClient

MESSAGE = b"From: a@example.com\r\nSubject: Hello there\r\n\r\nbody line\r\n.leading dot\r\n"
ENHANCED = re.compile(r"^[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}( |$)")


def test_port_zero_binds_a_real_port_and_stop_is_idempotent() -> None:
    srv = PracticeServer(port=0)
    srv.start()
    try:
        assert srv.port > 0
        with smtplib.SMTP(srv.host, srv.port, timeout=10) as client:
            assert client.noop()[0] == 250
    finally:
        srv.stop()
    srv.stop()
    with pytest.raises(OSError):
        socket.create_connection((srv.host, srv.port), timeout=2).close()


def test_start_raises_promptly_when_the_port_is_taken(server: PracticeServer) -> None:
    with pytest.raises(OSError):
        PracticeServer(port=server.port).start()


def test_non_loopback_bind_needs_allow_remote() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        PracticeServer(host="0.0.0.0")


def test_stop_closes_client_connections() -> None:
    srv = PracticeServer().__enter__()
    client = RawClient(srv.host, srv.port)
    try:
        assert client.reply()[0].startswith("220 ")
        srv.stop()
        assert client.at_eof()
    finally:
        client.close()
        srv.stop()


def test_defaults_and_the_received_message(server: PracticeServer) -> None:
    assert (DEFAULT_USER, DEFAULT_PASSWORD) == ("demo", "demo")
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.sendmail("a@example.com", ["demo@localhost", "x@example.org"], MESSAGE)
    [message] = server.wait_for_messages(1, timeout=10)
    assert isinstance(message, ReceivedMessage)
    assert message.mail_from == "a@example.com"
    assert message.rcpt_tos == ["demo@localhost", "x@example.org"]
    assert message.data == MESSAGE  # dot-unstuffed, byte for byte
    assert message.subject == "Hello there"
    assert message.peer[0] == "127.0.0.1"
    assert message.mail_options == [f"size={len(MESSAGE)}"]  # as smtplib wrote them
    assert message.protocol == "SMTP" and not message.tls
    assert server.messages == [message]


def test_wait_for_messages_times_out_with_a_clear_error(server: PracticeServer) -> None:
    with pytest.raises(TimeoutError, match="expected 1 message"):
        server.wait_for_messages(1, timeout=0.05)


def test_on_message_is_called_for_each_arrival() -> None:
    seen: list[ReceivedMessage] = []
    arrived = threading.Event()

    def record(message: ReceivedMessage) -> None:
        seen.append(message)
        arrived.set()

    with PracticeServer(on_message=record) as srv:
        with smtplib.SMTP(srv.host, srv.port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert arrived.wait(10)
    assert seen[0].summary() == (
        "SMTP from=<a@example.com> to=<b@example.com> size=70 subject='Hello there'"
    )


def test_smtputf8_and_8bitmime(server: PracticeServer) -> None:
    body = "From: ü@exämple.com\r\nSubject: Grüße\r\n\r\nÄpfel\r\n".encode()
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("smtputf8") and client.has_extn("8bitmime")
        client.sendmail("ü@exämple.com", ["δοκιμή@παράδειγμα.δοκιμή"], body, ["SMTPUTF8"])
    [message] = server.wait_for_messages(1)
    assert message.mail_from == "ü@exämple.com"
    assert message.rcpt_tos == ["δοκιμή@παράδειγμα.δοκιμή"]
    assert message.data == body
    assert "SMTPUTF8" in message.mail_options
    assert message.subject == "Grüße"


def test_size_is_advertised_and_enforced() -> None:
    with PracticeServer(size_limit=100) as srv, smtplib.SMTP(srv.host, srv.port) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "100"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["b@example.com"], b"x" * 200)
        assert refused.value.smtp_code == 552


def test_starttls_with_the_generated_certificate(server: PracticeServer) -> None:
    with smtplib.SMTP("localhost", server.port, timeout=10) as client:
        client.starttls(context=server.client_ssl_context())
        client.ehlo()
        assert not client.has_extn("starttls")
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert server.wait_for_messages(1)[0].tls


def test_implicit_tls_listener() -> None:
    with PracticeServer(tls_port=0) as srv:
        assert srv.tls_port and srv.tls_port != srv.port
        context = srv.client_ssl_context()
        with smtplib.SMTP_SSL("127.0.0.1", srv.tls_port, context=context, timeout=10) as client:
            client.ehlo()
            assert not client.has_extn("starttls")
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert srv.wait_for_messages(1)[0].tls


def test_own_certificate_with_cert_and_key(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    with PracticeServer(cert=cert, key=key) as srv:
        assert srv.cert_path == cert
        context = __import__("ssl").create_default_context()
        ca.configure_trust(context)
        with smtplib.SMTP("localhost", srv.port, timeout=10) as client:
            assert client.starttls(context=context)[0] == 220


def test_cert_without_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        PracticeServer(cert=tmp_path / "c.pem")


def test_maildir_stores_every_message(tmp_path: Path) -> None:
    with PracticeServer(maildir=tmp_path / "Maildir") as srv:
        with smtplib.SMTP(srv.host, srv.port, timeout=10) as client:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
            client.sendmail("c@example.com", ["d@example.com"], MESSAGE)
        srv.wait_for_messages(2)
    stored = list(mailbox.Maildir(tmp_path / "Maildir", create=False))
    assert len(stored) == 2
    assert {m["Return-Path"] for m in stored} == {"<a@example.com>", "<c@example.com>"}
    assert all(m["Subject"] == "Hello there" for m in stored)


def test_vrfy_knows_the_accounts(raw_client: RawClient) -> None:
    raw_client.reply()
    assert raw_client.command("VRFY demo") == ["250 2.1.5 demo <demo@localhost>"]
    assert raw_client.command("VRFY <demo@localhost>") == ["250 2.1.5 demo <demo@localhost>"]
    assert raw_client.command("VRFY nobody")[0].startswith("252 2.0.0 ")
    assert raw_client.command("VRFY demo@elsewhere.example")[0].startswith("252 ")


def test_expn_expands_staff_to_every_account() -> None:
    with PracticeServer(users={"bob": "b", "alice": "a"}) as srv:
        client = RawClient(srv.host, srv.port)
        client.reply()
        assert client.command("EXPN staff") == [
            "250-2.1.5 alice <alice@localhost>",
            "250 2.1.5 bob <bob@localhost>",
        ]
        assert client.command("EXPN bob") == ["250 2.1.5 bob <bob@localhost>"]
        assert client.command("EXPN nolist")[0].startswith("550 5.1.1 ")
        client.close()


def test_help_text(raw_client: RawClient) -> None:
    raw_client.reply()
    overview = raw_client.command("HELP")
    assert overview[-1].startswith("214 2.0.0 ")
    assert any("VRFY" in line and "STARTTLS" in line for line in overview)
    assert raw_client.command("HELP mail")[0].startswith("214 2.0.0 MAIL FROM:")
    assert raw_client.command("HELP nonsense")[0].startswith("504 5.5.4 ")


def test_every_reply_carries_an_enhanced_code(raw_client: RawClient) -> None:
    greeting = raw_client.reply()
    assert greeting[0].startswith("220 localhost ESMTP")
    ehlo = raw_client.command("EHLO client.test")
    assert "250-ENHANCEDSTATUSCODES" in ehlo
    session = [
        "NOOP",
        "HELP",
        "VRFY demo",
        "EXPN staff",
        "DATA",  # out of order: 503
        "RCPT TO:<b@example.com>",  # out of order: 503
        "MAIL FROM:<a@example.com> BODY=8BITMIME",
        "MAIL FROM:<a@example.com>",  # nested: 503
        "RCPT TO:<b@example.com>",
        "RCPT TO:<not an address",
        "BOGUS",
        "AUTH NOTAMECH",
        "RSET",
        "QUIT",
    ]
    for command in session:
        for line in raw_client.command(command):
            assert ENHANCED.match(line), f"{command!r} -> {line!r}"


def test_data_reply_after_message_has_an_enhanced_code(raw_client: RawClient) -> None:
    raw_client.reply()
    raw_client.command("EHLO client.test")
    raw_client.command("MAIL FROM:<a@example.com>")
    raw_client.command("RCPT TO:<b@example.com>")
    assert raw_client.command("DATA")[0].startswith("354 ")
    raw_client.send("Subject: x\r\n\r\nhi\r\n.")
    assert raw_client.reply()[0].startswith("250 2.0.0 ")


def test_wait_for_message_picks_by_predicate(server: PracticeServer) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as client:
        for subject in ("one", "two"):
            client.sendmail("a@example.com", "demo@localhost", f"Subject: {subject}\r\n\r\nx\r\n")
    assert server.wait_for_message(lambda m: m.subject == "two").subject == "two"
    with pytest.raises(TimeoutError, match="no matching message"):
        server.wait_for_message(lambda m: m.subject == "three", timeout=0.05)
