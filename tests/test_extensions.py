"""What smtplib cannot speak: PIPELINING, CHUNKING/BINARYMIME, DSN, SCRAM and OAuth AUTH.

All of it is opt-in; with the defaults the wire stays smtplib's (checked differentially).
"""

from __future__ import annotations

import smtplib
import sys

import pytest

import smtpshell
from smtpshell import auth as sasl
from smtpshell import client as client_module
from smtpshell.protocol import dsn_mail_options, dsn_rcpt_options, xtext
from smtpshell.server import PracticeServer
from tests.support.scripted import Peer, ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script

HOST = "127.0.0.1"
NAME = "client.example"
# The MAIL/RCPT verbs as the running interpreter's smtplib sends them (3.13 lowercased them).
LOWERCASE_VERBS = sys.version_info >= (3, 13)
MAIL_FROM, RCPT_TO = ("mail from:", "rcpt to:") if LOWERCASE_VERBS else ("mail FROM:", "rcpt TO:")


def greet(peer: Peer, *features: bytes) -> None:
    peer.send(b"220 ext.example ESMTP\r\n")
    peer.readline()
    lines = [b"ext.example", *features]
    peer.send(b"".join(b"250-" + f + b"\r\n" for f in lines[:-1]) + b"250 " + lines[-1] + b"\r\n")


def finish(peer: Peer) -> None:
    line = peer.readline()
    if line.lower().startswith(b"quit"):
        peer.send(b"221 bye\r\n")


def connect(server, **kwargs) -> smtpshell.SMTP:
    return smtpshell.SMTP(HOST, server.port, local_hostname=NAME, timeout=5, **kwargs)


# -- PIPELINING ---------------------------------------------------------------------------


def test_pipelining_sends_the_envelope_in_one_batch():
    seen = {}

    def script(peer):
        greet(peer, b"PIPELINING")
        # Reply to nothing until DATA has arrived: a client that waits for the MAIL reply
        # would wait forever (and time out), so passing proves the batch.
        seen["batch"] = peer.read_until(b"data\r\n")
        peer.send(b"250 sender ok\r\n250 rcpt ok\r\n550 no such user\r\n354 go\r\n")
        seen["body"] = peer.read_until(b"\r\n.\r\n")
        peer.send(b"250 queued\r\n")
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, pipelining=True)
        refused = s.sendmail("a@x.example", ["b@y.example", "nobody@y.example"], "hi\n")
        assert refused == {"nobody@y.example": (550, b"no such user")}
        s.quit()
    assert server.finished.wait(10)
    assert (
        seen["batch"]
        == (
            f"{MAIL_FROM}<a@x.example>\r\n{RCPT_TO}<b@y.example>\r\n"
            f"{RCPT_TO}<nobody@y.example>\r\ndata\r\n"
        ).encode()
    )
    assert seen["body"] == b"hi\r\n.\r\n"
    # Each reply is mapped back to the command it answers, for the faces.
    answered = [e.command for e in s.transcript if e.final]
    assert answered[2:7] == [
        f"{MAIL_FROM}<a@x.example>",
        f"{RCPT_TO}<b@y.example>",
        f"{RCPT_TO}<nobody@y.example>",
        "data",
        "<data>",
    ]


def test_pipelining_with_every_recipient_refused_closes_a_354_and_resets():
    def script(peer):
        greet(peer, b"PIPELINING")
        peer.read_until(b"data\r\n")
        peer.send(b"250 ok\r\n550 no\r\n354 go ahead anyway\r\n")
        assert peer.readline() == b".\r\n"
        peer.send(b"554 no valid recipients\r\n")
        assert peer.readline() == b"rset\r\n"
        peer.send(b"250 reset\r\n")
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, pipelining=True)
        with pytest.raises(smtpshell.SMTPRecipientsRefused):
            s.sendmail("a@x.example", ["nobody@y.example"], "hi\n")
        s.quit()
    assert server.finished.wait(10)


def test_pipelining_sender_refused_stays_in_step():
    def script(peer):
        greet(peer, b"PIPELINING")
        peer.read_until(b"data\r\n")
        peer.send(b"550 sender refused\r\n503 no sender\r\n503 no recipients\r\n")
        assert peer.readline() == b"rset\r\n"
        peer.send(b"250 reset\r\n")
        assert peer.readline() == b"noop\r\n"
        peer.send(b"250 still in step\r\n")
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, pipelining=True)
        with pytest.raises(smtpshell.SMTPSenderRefused):
            s.sendmail("a@x.example", ["b@y.example"], "hi\n")
        assert s.noop() == (250, b"still in step")
        s.quit()
    assert server.finished.wait(10)


# -- CHUNKING / BDAT ----------------------------------------------------------------------


def read_bdat(peer: Peer) -> tuple[bytes, bytes]:
    header = peer.readline()
    return header, peer.read_exactly(int(header.split()[1]))


def test_chunking_sends_bdat_without_dot_stuffing():
    got = []

    def script(peer):
        greet(peer, b"CHUNKING")
        for _ in range(2):
            peer.readline()
            peer.send(b"250 ok\r\n")
        header, data = read_bdat(peer)
        got.append((header, data))
        peer.send(b"250 2.0.0 queued\r\n")
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, chunking=True)
        assert s.sendmail("a@x.example", ["b@y.example"], ".dot\nline\n") == {}
        assert s.session.stage == "ready"
        s.quit()
    assert server.finished.wait(10)
    assert got == [(b"BDAT 12 LAST\r\n", b".dot\r\nline\r\n")]


def test_chunking_splits_large_messages(monkeypatch):
    monkeypatch.setattr(client_module, "BDAT_CHUNK_SIZE", 4)
    got = []

    def script(peer):
        greet(peer, b"CHUNKING")
        for _ in range(2):
            peer.readline()
            peer.send(b"250 ok\r\n")
        while True:
            header, data = read_bdat(peer)
            got.append((header, data))
            peer.send(b"250 ok\r\n")
            if header.endswith(b"LAST\r\n"):
                break
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, chunking=True)
        s.sendmail("a@x.example", ["b@y.example"], b"0123456789\r\n")
        s.quit()
    assert server.finished.wait(10)
    assert got == [
        (b"BDAT 4\r\n", b"0123"),
        (b"BDAT 4\r\n", b"4567"),
        (b"BDAT 4 LAST\r\n", b"89\r\n"),
    ]


def test_pipelining_and_chunking_need_one_round_trip():
    seen = {}

    def script(peer):
        greet(peer, b"PIPELINING", b"CHUNKING")
        seen["batch"] = peer.read_until(b"BDAT 4 LAST\r\n")
        seen["data"] = peer.read_exactly(4)
        peer.send(b"250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n")
        finish(peer)

    with ScriptedServer(script) as server:
        s = connect(server, pipelining=True, chunking=True)
        assert s.sendmail("a@x.example", ["b@y.example"], b"hi\r\n") == {}
        s.quit()
    assert server.finished.wait(10)
    assert seen["batch"].endswith(f"{RCPT_TO}<b@y.example>\r\nBDAT 4 LAST\r\n".encode())
    assert seen["data"] == b"hi\r\n"


def test_binarymime_sends_bytes_untouched():
    got = []

    def script(peer):
        greet(peer, b"CHUNKING", b"BINARYMIME")
        peer.readline()
        peer.send(b"250 ok\r\n")
        peer.readline()
        peer.send(b"250 ok\r\n")
        got.append(read_bdat(peer))
        peer.send(b"250 ok\r\n")
        finish(peer)

    raw = b"\x00\x01bare\nlf\r.\r\n.\r\n"
    with ScriptedServer(script) as server:
        s = connect(server, chunking=True)
        s.sendmail("a@x.example", ["b@y.example"], raw, ["BODY=BINARYMIME"])
        s.quit()
    assert server.finished.wait(10)
    assert got[0][1] == raw
    assert b"BODY=BINARYMIME" in server.wire


def test_binarymime_without_server_support_is_refused_before_mail():
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = connect(server, chunking=True)
        with pytest.raises(smtpshell.SMTPNotSupportedError, match="BINARYMIME"):
            s.sendmail("a@x.example", ["b@y.example"], b"x", ["BODY=BINARYMIME"])
        s.quit()
    assert b"mail" not in server.wire.lower()


def test_defaults_keep_smtplibs_wire_even_when_offered():
    features = ("PIPELINING", "CHUNKING", "SIZE 1000", "8BITMIME")
    wires = []
    for module in (smtplib, smtpshell):
        with ScriptedServer(smtp_script(SmtpBehaviour(features=features))) as server:
            s = module.SMTP(HOST, server.port, local_hostname=NAME, timeout=5)
            s.sendmail("a@x.example", ["b@y.example", "c@y.example"], "hello\n")
            s.quit()
        wires.append(server.wire)
    assert wires[0] == wires[1]


# -- DSN ----------------------------------------------------------------------------------


def test_dsn_helpers_build_valid_parameters():
    assert dsn_mail_options(ret="hdrs", envid="QQ314159+x=y") == [
        "RET=HDRS",
        "ENVID=QQ314159+2Bx+3Dy",
    ]
    assert dsn_rcpt_options(notify=["failure", "success"], orcpt="b@y.example") == [
        "NOTIFY=SUCCESS,FAILURE",
        "ORCPT=rfc822;b@y.example",
    ]
    assert dsn_rcpt_options(notify="NEVER") == ["NOTIFY=NEVER"]
    assert dsn_rcpt_options(notify="DELAY,FAILURE") == ["NOTIFY=FAILURE,DELAY"]
    assert xtext("a b+é") == "a+20b+2B+C3+A9"


@pytest.mark.parametrize(
    "call",
    [
        lambda: dsn_mail_options(ret="ALL"),
        lambda: dsn_mail_options(envid=""),
        lambda: dsn_mail_options(envid="x" * 101),
        lambda: dsn_rcpt_options(notify="NEVER,FAILURE"),
        lambda: dsn_rcpt_options(notify="FAILURES"),
        lambda: dsn_rcpt_options(notify=[]),
        lambda: dsn_rcpt_options(orcpt="zoë@exämple.org"),
    ],
)
def test_dsn_helpers_refuse_what_rfc_3461_does_not_allow(call):
    with pytest.raises(ValueError):
        call()


# -- SCRAM and OAuth, against the practice server -------------------------------------------


def test_scram_rfc_7677_test_vector():
    client = sasl.ScramClient("sha256", "user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert client() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = client(
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    assert final == (
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    assert client(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") == ""
    assert client.verified


def test_scram_rfc_5802_test_vector_and_a_forged_server_signature():
    client = sasl.ScramClient("sha1", "user", "pencil", nonce="fyko+d2lbbFgONRv9qkxdawL")
    client()
    final = client(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
    assert final.endswith("p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
    with pytest.raises(ValueError, match="signature"):
        client(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    assert "pencil" not in repr(client)


@pytest.fixture(scope="module")
def practice():
    with PracticeServer(users={"alice": "wonderland"}) as server:
        yield server


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram_login_against_the_practice_server(practice, mechanism):
    with smtpshell.SMTP(practice.host, practice.port, local_hostname=NAME, timeout=5) as s:
        assert s.login("alice", "wonderland", mechanisms=[mechanism])[0] == 235
        assert s.session.authenticated_as == "alice"
    assert "wonderland" not in s.transcript.to_text()
    with smtpshell.SMTP(practice.host, practice.port, local_hostname=NAME, timeout=5) as s:
        with pytest.raises(smtpshell.SMTPAuthenticationError):
            s.login("alice", "wrong", mechanisms=[mechanism])


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_oauth2_login_against_the_practice_server(practice, mechanism):
    # The practice server accepts the account's password as its bearer token.
    with smtpshell.SMTP(practice.host, practice.port, local_hostname=NAME, timeout=5) as s:
        assert s.login_oauth2("alice", "wonderland", mechanism=mechanism)[0] == 235
    assert "wonderland" not in s.transcript.to_text()
    with smtpshell.SMTP(practice.host, practice.port, local_hostname=NAME, timeout=5) as s:
        with pytest.raises(smtpshell.SMTPAuthenticationError) as info:
            s.login_oauth2("alice", "expired-token", mechanism=mechanism)
        assert info.value.smtp_code == 535
        assert s.noop()[0] == 250  # the error exchange was completed, the session is in step


def test_login_refuses_unknown_mechanism_names_before_writing():
    with ScriptedServer(smtp_script(SmtpBehaviour(auth=("PLAIN",)))) as server:
        s = connect(server)
        with pytest.raises(ValueError, match="DIGEST-MD5"):
            s.login("alice", "x", mechanisms=["DIGEST-MD5"])
        s.quit()
    assert server.wire == b"quit\r\n"
