"""CHUNKING and BINARYMIME (RFC 3030): BDAT chunks read exactly, delivered like DATA."""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

import smtpshell
from smtpshell import client as client_module
from smtpshell.server import Faults, PracticeServer

from .conftest import RawClient

#: Bytes DATA could never carry as they are: NUL, bare CR and LF, a lone dot line, no UTF-8.
BINARY = b"\x00\x01\xff\xfe\r.\r\n.\r\nbare\nlf\rcr\r\n\x80" * 3
ENVELOPE = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<demo@localhost>\r\n"


def bdat(chunk: bytes, last: bool = False) -> bytes:
    return b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk


@pytest.fixture
def ready(raw_client: RawClient) -> RawClient:
    """A raw client after EHLO."""
    raw_client.greet()
    return raw_client


def test_single_chunk_is_delivered_exactly(server: PracticeServer, ready: RawClient) -> None:
    body = b"Subject: chunked\r\n\r\n.no dot-stuffing here\r\n"
    ready.send_raw(ENVELOPE + bdat(body, last=True))
    mail, rcpt, final = ready.replies(3)
    assert (mail[:3], rcpt[:3]) == ("250", "250")
    assert final.startswith("250 2.0.0 OK: message")
    [message] = server.wait_for_messages(1)
    assert message.data == body and message.subject == "chunked"


def test_chunks_are_joined_in_order(server: PracticeServer, ready: RawClient) -> None:
    ready.send_raw(ENVELOPE + bdat(b"Subject: three\r\n") + bdat(b"\r\nbo") + bdat(b"dy\r\n", True))
    replies = ready.replies(5)
    assert replies[2:4] == ["250 2.0.0 16 octets received", "250 2.0.0 4 octets received"]
    assert replies[4].startswith("250 2.0.0 OK")
    assert server.wait_for_messages(1)[0].data == b"Subject: three\r\n\r\nbody\r\n"


def test_bdat_0_last_ends_the_message(server: PracticeServer, ready: RawClient) -> None:
    ready.send_raw(ENVELOPE + bdat(b"Subject: x\r\n\r\nend\r\n") + b"BDAT 0 LAST\r\n")
    assert ready.replies(4)[-1].startswith("250 2.0.0 OK")
    ready.send_raw(ENVELOPE + b"bdat 0 last\r\n")  # an empty message, verbs in lower case
    assert ready.replies(3)[-1].startswith("250 2.0.0 OK")
    first, empty = server.wait_for_messages(2)
    assert first.data == b"Subject: x\r\n\r\nend\r\n" and empty.data == b""


def test_binarymime_bytes_are_kept_exactly(server: PracticeServer, ready: RawClient) -> None:
    ready.send_raw(
        b"MAIL FROM:<a@example.com> BODY=BINARYMIME\r\nRCPT TO:<demo@localhost>\r\n"
        + bdat(BINARY[:7])
        + bdat(BINARY[7:], last=True)
    )
    assert [line[:3] for line in ready.replies(4)] == ["250"] * 4
    [message] = server.wait_for_messages(1)
    assert message.data == BINARY and message.mail_options == ["BODY=BINARYMIME"]


def test_data_after_binarymime_is_refused_and_bdat_still_works(
    server: PracticeServer, ready: RawClient
) -> None:
    ready.send_raw(b"MAIL FROM:<a@example.com> BODY=BINARYMIME\r\nRCPT TO:<demo@localhost>\r\n")
    ready.replies(2)
    assert ready.command("DATA")[0].startswith("503 5.5.1 BODY=BINARYMIME needs BDAT")
    ready.send_raw(bdat(BINARY, last=True))
    assert ready.reply()[0].startswith("250 2.0.0 OK")
    assert server.wait_for_messages(1)[0].data == BINARY


def test_data_after_bdat_is_refused(server: PracticeServer, ready: RawClient) -> None:
    ready.send_raw(ENVELOPE + bdat(b"part one\r\n"))
    ready.replies(3)
    assert ready.command("DATA")[0].startswith("503 5.5.1 DATA after BDAT")
    ready.send_raw(bdat(b"part two\r\n", last=True))
    assert ready.reply()[0].startswith("250 2.0.0 OK")
    assert server.wait_for_messages(1)[0].data == b"part one\r\npart two\r\n"


@pytest.mark.parametrize("before", [b"", b"MAIL FROM:<a@example.com>\r\n"])
def test_bdat_without_a_transaction_is_refused_but_its_chunk_consumed(
    server: PracticeServer, ready: RawClient, before: bytes
) -> None:
    """The chunk looks like commands; executing them would put client and server out of step."""
    ready.send_raw(before)
    ready.replies(1 if before else 0)
    ready.send_raw(bdat(b"QUIT\r\nRSET\r\n", last=True) + b"NOOP\r\n")
    refusal, noop = ready.replies(2)
    assert refusal.startswith("503 5.5.1 Error: need " + ("RCPT" if before else "MAIL"))
    assert noop.startswith("250 ")
    assert server.messages == []


@pytest.mark.parametrize("greeting", [b"", b"HELO client.test\r\n"])
def test_bdat_before_ehlo_is_refused_in_step(raw_client: RawClient, greeting: bytes) -> None:
    raw_client.reply()
    raw_client.send_raw(greeting)
    raw_client.replies(1 if greeting else 0)
    raw_client.send_raw(bdat(b"QUIT\r\n") + b"NOOP\r\n")
    assert raw_client.reply()[0].startswith("503 5.5.1 Error: send EHLO first")
    assert raw_client.reply()[0].startswith("250 ")


@pytest.mark.parametrize("argument", ["", " x", " 12 FIRST", " -1", " 1 LAST LAST"])
def test_bdat_syntax_errors(ready: RawClient, argument: str) -> None:
    assert ready.command("BDAT" + argument)[0] == "501 5.5.4 Syntax: BDAT <size> [LAST]"


def test_rset_throws_the_chunks_away(server: PracticeServer, ready: RawClient) -> None:
    ready.send_raw(ENVELOPE + bdat(b"forgotten\r\n") + b"RSET\r\n")
    ready.replies(4)
    ready.send_raw(ENVELOPE + bdat(b"kept\r\n", last=True))
    assert ready.replies(3)[-1].startswith("250 2.0.0 OK")
    assert server.wait_for_messages(1)[0].data == b"kept\r\n"


def test_size_limit_holds_across_chunks() -> None:
    with PracticeServer(size_limit=100) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            client.greet()
            # Pipelined chunks after the one that failed are read and thrown away (RFC 3030 §2)
            # and LAST ends the failed transaction: the next MAIL needs no RSET.
            client.send_raw(ENVELOPE + bdat(b"a" * 60) + bdat(b"b" * 60) + bdat(b"c", True))
            replies = client.replies(5)
            assert replies[2].startswith("250 2.0.0 60 octets")
            assert replies[3].startswith("552 5.3.4 ")
            assert replies[4].startswith("554 5.5.0 An earlier BDAT")
            client.send_raw(ENVELOPE + bdat(b"d" * 100, last=True))
            assert client.replies(3)[-1].startswith("250 2.0.0 OK")
        finally:
            client.close()
        [message] = srv.wait_for_messages(1)
    assert message.data == b"d" * 100


def test_a_huge_chunk_is_read_and_refused_without_being_kept() -> None:
    with PracticeServer(size_limit=1000) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            client.greet()
            client.send_raw(ENVELOPE + bdat(b"x" * 300_000, last=True) + b"NOOP\r\n")
            replies = client.replies(4)
            assert replies[2].startswith("552 5.3.4") and replies[3].startswith("250 ")
        finally:
            client.close()
        assert srv.messages == []


def test_eom_faults_strike_at_bdat_last() -> None:
    with PracticeServer(faults=Faults(drop_on="EOM")) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            client.greet()
            client.send_raw(ENVELOPE + bdat(b"first\r\n"))
            assert [line[:3] for line in client.replies(3)] == ["250"] * 3  # not EOM yet
            client.send_raw(bdat(b"last\r\n", last=True))
            assert client.at_eof()
        finally:
            client.close()
        assert srv.messages == []


def test_bdat_is_a_fault_point() -> None:
    with PracticeServer(faults=Faults(reply_421_on="BDAT")) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            client.greet()
            client.send_raw(ENVELOPE + bdat(b"x", last=True))
            assert client.replies(3)[-1].startswith("421 4.3.2 ")
        finally:
            client.close()


def test_help_bdat(ready: RawClient) -> None:
    assert ready.command("HELP BDAT") == ["214 2.0.0 BDAT <size> [LAST]"]
    assert "BDAT" in " ".join(ready.command("HELP"))


def test_without_chunking_bdat_and_binarymime_are_unknown() -> None:
    with PracticeServer(chunking=False) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            lines = client.greet()
            assert not {"250-CHUNKING", "250-BINARYMIME"} & set(lines)
            assert client.command("BDAT 0 LAST")[0].startswith("500 ")
            reply = client.command("MAIL FROM:<a@example.com> BODY=BINARYMIME")[0]
            assert reply.startswith("501 ")
        finally:
            client.close()


# -- through smtpshell's client -------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(client_module, "BDAT_CHUNK_SIZE", 10)
    yield


@pytest.mark.parametrize("pipelining", [False, True])
def test_smtpshell_client_sends_chunks(
    server: PracticeServer, small_chunks: None, pipelining: bool
) -> None:
    body = b"Subject: many chunks\r\n\r\n" + b".line\r\n" * 20
    with smtpshell.SMTP(
        server.host, server.port, timeout=10, chunking=True, pipelining=pipelining
    ) as client:
        assert client.sendmail("a@example.com", ["demo@localhost", "b@example.org"], body) == {}
        bdats = [e.data for e in client.transcript.events() if e.data.startswith(b"BDAT")]
        assert client.noop()[0] == 250
    assert len(bdats) == -(-len(body) // 10)
    [message] = server.wait_for_messages(1)
    assert message.data == body and message.subject == "many chunks"


def test_smtpshell_client_binarymime(server: PracticeServer) -> None:
    with smtpshell.SMTP(server.host, server.port, timeout=10, chunking=True) as client:
        client.sendmail("a@example.com", "demo@localhost", BINARY, ["BODY=BINARYMIME"])
    [message] = server.wait_for_messages(1)
    assert message.data == BINARY


def test_smtpshell_client_refused_bdat_recovers() -> None:
    with PracticeServer(size_limit=50) as srv:
        with smtpshell.SMTP(srv.host, srv.port, timeout=10, chunking=True) as client:
            client.ehlo("client.test")
            client.esmtp_features.pop("size")  # so the client's own SIZE check lets it through
            with pytest.raises(smtplib.SMTPDataError) as caught:
                client.sendmail("a@example.com", "demo@localhost", b"x" * 80)
            assert caught.value.smtp_code == 552
            client.sendmail("a@example.com", "demo@localhost", b"y" * 40)
        assert srv.wait_for_messages(1)[0].data == b"y" * 40


# -- LMTP ------------------------------------------------------------------------------------

needs_unix = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")


@needs_unix
def test_lmtp_bdat_last_gets_one_reply_per_recipient(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    faults = Faults(reject_rcpt=re.compile("^nobody@"))
    with PracticeServer(lmtp_socket=path, faults=faults) as srv:
        client = RawClient.over_unix(path)
        try:
            assert "250-CHUNKING" in client.greet("LHLO")
            client.send_raw(
                b"MAIL FROM:<a@example.com>\r\nRCPT TO:<demo@localhost>\r\n"
                b"RCPT TO:<nobody@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                + bdat(b"Subject: lmtp\r\n")
                + bdat(b"\r\nhi\r\n", last=True)
                + b"NOOP\r\n"
            )
            replies = client.replies(8)
            assert [line[:3] for line in replies[:5]] == ["250", "250", "550", "250", "250"]
            assert replies[5:7] == [
                "250 2.1.5 <demo@localhost> delivered",
                "250 2.1.5 <b@example.org> delivered",
            ]
            assert replies[7].startswith("250 ")  # NOOP: in step
        finally:
            client.close()
        [message] = srv.wait_for_messages(1)
    assert message.protocol == "LMTP" and message.data == b"Subject: lmtp\r\n\r\nhi\r\n"


@needs_unix
def test_smtpshell_lmtp_client_reads_every_reply_after_bdat_last(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    with PracticeServer(lmtp_socket=path) as srv:
        client = smtpshell.LMTP(path, timeout=10)
        client.chunking = True
        try:
            refused = client.sendmail(
                "a@example.com", ["demo@localhost", "b@example.org"], b"Subject: x\r\n\r\nhi\r\n"
            )
            assert refused == {}
            assert [code for _, code, _ in client.lmtp_replies] == [250, 250]
            assert client.noop()[0] == 250
        finally:
            client.close()
        assert srv.wait_for_messages(1)[0].rcpt_tos == ["demo@localhost", "b@example.org"]


@needs_unix
def test_smtpshell_lmtp_client_takes_the_extension_options(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    with PracticeServer(lmtp_socket=path):
        client = smtpshell.LMTP(path, timeout=10, pipelining=True, chunking=True)
        client.close()


@needs_unix
def test_smtpshell_lmtp_client_pipelined_stays_in_step(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    with PracticeServer(lmtp_socket=path):
        client = smtpshell.LMTP(path, timeout=10)
        client.pipelining = True
        try:
            client.sendmail(
                "a@example.com", ["demo@localhost", "b@example.org"], b"Subject: x\r\n\r\nhi\r\n"
            )
            assert [code for _, code, _ in client.lmtp_replies] == [250, 250]
            assert client.noop() == (250, b"2.0.0 OK")
        finally:
            client.close()
