"""DSN (RFC 3461): RET/ENVID on MAIL and NOTIFY/ORCPT on RCPT are checked and recorded."""

from __future__ import annotations

import pytest

import smtpshell
from smtpshell.server import PracticeServer

from .conftest import RawClient


@pytest.fixture
def ready(raw_client: RawClient) -> RawClient:
    assert "250-DSN" in raw_client.greet()
    return raw_client


def test_dsn_parameters_are_recorded_as_sent_and_per_recipient(
    server: PracticeServer, ready: RawClient
) -> None:
    ready.send_raw(
        b"MAIL FROM:<a@example.com> RET=HDRS ENVID=QQ314159+2Bx SIZE=9\r\n"
        b"RCPT TO:<demo@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Demo@Example.ORG\r\n"
        b"RCPT TO:<b@example.org>\r\n"
        b"RCPT TO:<c@example.org> notify=never\r\n"
        b"DATA\r\n"
    )
    assert [line[:9] for line in ready.replies(5)] == ["250 2.1.0"] + ["250 2.1.5"] * 3 + [
        "354 End d"
    ]
    ready.send_raw(b"Subject: dsn\r\n.\r\n")
    assert ready.reply()[0].startswith("250 2.0.0 OK")
    [message] = server.wait_for_messages(1)
    assert message.mail_options == ["RET=HDRS", "ENVID=QQ314159+2Bx", "SIZE=9"]
    assert message.per_recipient_options == [
        ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Demo@Example.ORG"],  # case kept
        [],
        ["notify=never"],
    ]
    assert message.options_for("c@example.org") == ["notify=never"]
    assert message.rcpt_options == [*message.options_for("demo@localhost"), "notify=never"]


@pytest.mark.parametrize(
    "line",
    [
        "MAIL FROM:<a@example.com> RET=ALL",
        "MAIL FROM:<a@example.com> ENVID=has+plus",
        "MAIL FROM:<a@example.com> RET=FULL RET=HDRS",
    ],
)
def test_bad_mail_parameters_are_refused_and_leave_no_sender(ready: RawClient, line: str) -> None:
    assert ready.command(line)[0].startswith("501 5.5.4 ")
    assert ready.command("RCPT TO:<demo@localhost>")[0].startswith("503 ")
    assert ready.command("MAIL FROM:<a@example.com> RET=FULL")[0].startswith("250 2.1.0")


@pytest.mark.parametrize(
    "params", ["NOTIFY=NEVER,DELAY", "NOTIFY=SOMETIMES", "ORCPT=demo@localhost", "ORCPT=x;"]
)
def test_bad_rcpt_parameters_are_refused_and_the_transaction_goes_on(
    server: PracticeServer, ready: RawClient, params: str
) -> None:
    ready.command("MAIL FROM:<a@example.com>")
    assert ready.command(f"RCPT TO:<bad@example.org> {params}")[0].startswith("501 5.5.4 ")
    assert ready.command("RCPT TO:<demo@localhost> NOTIFY=DELAY")[0].startswith("250 ")
    ready.command("DATA")
    ready.send_raw(b"Subject: x\r\n.\r\n")
    assert ready.reply()[0].startswith("250 ")
    [message] = server.wait_for_messages(1)
    assert message.rcpt_tos == ["demo@localhost"]
    assert message.per_recipient_options == [["NOTIFY=DELAY"]]


def test_order_of_errors_is_aiosmtpd_s_before_ours(ready: RawClient) -> None:
    """State errors come first: a bad NOTIFY without MAIL is "need MAIL", not 501."""
    assert ready.command("RCPT TO:<demo@localhost> NOTIFY=BAD")[0].startswith("503 ")
    ready.command("MAIL FROM:<a@example.com>")
    assert ready.command("MAIL FROM:<a@example.com> RET=BAD")[0].startswith("503 ")


def test_helo_sessions_take_no_parameters(raw_client: RawClient) -> None:
    raw_client.reply()
    raw_client.command("HELO client.test")
    assert raw_client.command("MAIL FROM:<a@example.com> RET=FULL")[0].startswith("501 ")


def test_smtpshell_dsn_helpers_are_accepted(server: PracticeServer) -> None:
    with smtpshell.SMTP(server.host, server.port, timeout=10, pipelining=True) as client:
        client.sendmail(
            "a@example.com",
            ["demo@localhost", "b@example.org"],
            b"Subject: dsn\r\n\r\nhi\r\n",
            smtpshell.dsn_mail_options(ret="hdrs", envid="id+1 ü"),
            smtpshell.dsn_rcpt_options(notify=["failure", "delay"], orcpt="orig+x@example.net"),
        )
    [message] = server.wait_for_messages(1)
    assert "RET=HDRS" in message.mail_options and "ENVID=id+2B1+20+C3+BC" in message.mail_options
    expected = ["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;orig+2Bx@example.net"]
    assert message.per_recipient_options == [expected, expected]


def test_without_dsn_the_parameters_are_unknown() -> None:
    with PracticeServer(dsn=False) as srv:
        client = RawClient(srv.host, srv.port)
        try:
            assert "250-DSN" not in client.greet()
            assert client.command("MAIL FROM:<a@example.com> RET=FULL")[0].startswith("555 ")
            client.command("MAIL FROM:<a@example.com>")
            assert client.command("RCPT TO:<demo@localhost> NOTIFY=NEVER")[0].startswith("555 ")
        finally:
            client.close()
