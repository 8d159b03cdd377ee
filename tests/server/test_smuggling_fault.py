"""The smuggling fault: off, a bare-LF dot is message text; on, it ends DATA and what
follows is read as commands (a second, forged message)."""

from __future__ import annotations

import pytest

from smtpshell.client import SMTP
from smtpshell.practice import parse_option_text
from smtpshell.server import Faults, PracticeServer

PAYLOAD = (
    b"Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<ceo@bank.example>\r\n"
    b"RCPT TO:<demo@localhost>\r\nDATA\r\nSubject: smuggled\r\n\r\npay\r\n.\r\n"
)


@pytest.mark.parametrize("lenient", [False, True])
def test_bare_lf_dot(lenient):
    with PracticeServer(faults=Faults(accept_bare_lf_dot=lenient)) as server:
        with SMTP(server.host, server.port, timeout=10) as client:
            client.ehlo()
            client.mail("student@example.com")
            client.rcpt("demo@localhost")
            assert client.docmd("DATA")[0] == 354
            client.send_raw(PAYLOAD)
            assert client.getreply()[0] == 250
            if lenient:
                assert [client.getreply()[0] for _ in range(4)] == [250, 250, 354, 250]
            client.quit()
        senders = [m.mail_from for m in server.wait_for_messages(2 if lenient else 1)]
    if lenient:
        assert senders == ["student@example.com", "ceo@bank.example"]
    else:
        assert senders == ["student@example.com"]
        assert b"MAIL FROM:<ceo@bank.example>" in server.messages[0].data


def test_the_option_is_in_the_table_for_lessons_and_serve():
    options = parse_option_text("--accept-bare-lf-dot")
    assert options.accept_bare_lf_dot
    assert any("UNSAFE" in line for line in options.describe())


def test_raw_inside_a_message_is_the_only_command_there():
    from smtpshell.wiring import new_engine

    engine = new_engine(scripted=True, timeout=10)
    try:
        for line in ("/connect", "EHLO x", "MAIL FROM:<a@example.com>", "RCPT TO:<demo@localhost>"):
            engine.run_line(line)
        engine.run_line("DATA")
        engine.run_line(r"/raw first line\r\n")
        engine.run_line("/status is message text here")
        refused = engine.run_line(r"/raw more\r\n.\r\n")  # would jump the typed line
        assert not refused.ok and "1 typed line is waiting" in refused.items[0].text
        engine.run_line(".")
        assert engine.last_reply.code == 250
        data = engine.practice.messages[-1].data
        assert data == b"first line\r\n/status is message text here\r\n"
    finally:
        engine.shutdown()
