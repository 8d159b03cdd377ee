"""PIPELINING (RFC 2920): commands that arrive together are answered in order, none lost."""

from __future__ import annotations

import re
import socket

import smtpshell
from smtpshell.server import Faults, PracticeServer
from smtpshell.transcript import Event, EventKind

from .conftest import RawClient

MESSAGE = b"Subject: pipelined\r\n\r\nhello\r\n"


def test_ehlo_advertises_pipelining_and_the_other_extensions(raw_client: RawClient) -> None:
    lines = raw_client.greet()
    assert {"250-PIPELINING", "250-CHUNKING", "250-BINARYMIME", "250-DSN"} <= set(lines)
    assert lines[-1] == "250 HELP"


def test_envelope_batch_in_one_write_is_answered_in_order() -> None:
    faults = Faults(reject_rcpt=re.compile("^nobody@"))
    with PracticeServer(faults=faults) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            client.greet()
            client.send_raw(
                b"MAIL FROM:<a@example.com>\r\n"
                b"RCPT TO:<demo@localhost>\r\n"
                b"RCPT TO:<nobody@example.org>\r\n"
                b"RCPT TO:<b@example.org>\r\n"
                b"DATA\r\n"
            )
            replies = client.replies(5)
            assert [line[:9] for line in replies] == [
                "250 2.1.0",
                "250 2.1.5",
                "550 5.1.1",
                "250 2.1.5",
                "354 End d",
            ]
            client.send_raw(MESSAGE + b".\r\nNOOP\r\nQUIT\r\n")
            final, noop, bye = client.replies(3)
            assert final.startswith("250 2.0.0 OK: message")
            assert noop.startswith("250 ") and bye.startswith("221 ")
        finally:
            client.close()
        [message] = srv.wait_for_messages(1)
    assert message.rcpt_tos == ["demo@localhost", "b@example.org"]
    assert message.data == MESSAGE


def test_a_whole_session_in_one_write_loses_nothing(server: PracticeServer) -> None:
    """Even a client that ignores RFC 2920's "wait after DATA" gets every reply, in order."""
    client = RawClient(server.host, server.port)
    try:
        session = b"".join(
            [
                b"EHLO client.test\r\n",
                *(
                    b"MAIL FROM:<a@example.com>\r\nRCPT TO:<demo@localhost>\r\nDATA\r\n"
                    + b"Subject: %d\r\n\r\n..dot\r\n.\r\n" % number
                    for number in range(3)
                ),
                b"QUIT\r\n",
            ]
        )
        client.send_raw(session)
        assert client.reply()[0].startswith("220 ")
        assert client.reply()[-1] == "250 HELP"
        codes = [line[:3] for line in client.replies(4 * 3 + 1)]
        assert codes == ["250", "250", "354", "250"] * 3 + ["221"]
        assert client.at_eof()
    finally:
        client.close()
    messages = server.wait_for_messages(3)
    assert [m.subject for m in messages] == ["0", "1", "2"]
    assert all(m.data.endswith(b"\r\n.dot\r\n") for m in messages)


def pipelined_verbs(events: list[Event]) -> list[str]:
    """The verbs of the commands the client sent as part of a pipelined batch."""
    return [
        e.data.split()[0].decode().upper()
        for e in events
        if e.kind is EventKind.SENT and e.pipelined
    ]


def test_smtpshell_client_pipelines_against_the_practice_server() -> None:
    faults = Faults(reject_rcpt=re.compile("^nobody@"))
    with PracticeServer(faults=faults) as srv:
        with smtpshell.SMTP(srv.host, srv.port, timeout=10, pipelining=True) as client:
            refused = client.sendmail(
                "a@example.com", ["demo@localhost", "nobody@example.org"], MESSAGE
            )
            verbs = pipelined_verbs(client.transcript.events())
            assert client.noop()[0] == 250
        [message] = srv.wait_for_messages(1)
    assert list(refused) == ["nobody@example.org"] and refused["nobody@example.org"][0] == 550
    assert verbs == ["MAIL", "RCPT", "RCPT", "DATA"]
    assert message.rcpt_tos == ["demo@localhost"] and message.data == MESSAGE


def test_without_pipelining_it_is_not_advertised_and_the_client_waits() -> None:
    with PracticeServer(pipelining=False) as srv:
        with smtpshell.SMTP(srv.host, srv.port, timeout=10, pipelining=True) as client:
            client.ehlo("client.test")
            assert not client.has_extn("pipelining") and client.has_extn("chunking")
            client.sendmail("a@example.com", ["demo@localhost"], MESSAGE)
            assert pipelined_verbs(client.transcript.events()) == []
        assert srv.wait_for_messages(1)[0].data == MESSAGE


def test_server_sockets_have_nodelay_so_multiline_replies_are_not_held_back(
    server: PracticeServer, raw_client: RawClient
) -> None:
    """Nagle held every EHLO line after the first until the client's delayed ACK (~40 ms)."""
    raw_client.greet()
    [connection] = list(server._connections)
    assert connection.transport is not None
    sock = connection.transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
