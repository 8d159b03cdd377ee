"""Command lines sent before are not checked again (issue 15), and nothing secret is kept.

putcmd() remembers plain lines (ASCII, no CR, LF or NUL, no AUTH data, short) with their
bytes and verb: a script sends the same few lines over and over.  These tests pin what
that may never change: the bytes on the wire, the transcript, and that no AUTH line or
answer to a challenge is ever kept.
"""

from __future__ import annotations

import pytest

import smtpshell
from smtpshell.client import _lines
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script

SECRET = "wonderland"


def _client(server: ScriptedServer) -> smtpshell.SMTP:
    return smtpshell.SMTP("127.0.0.1", server.port, local_hostname="c.example", timeout=5)


def test_a_line_sent_again_gives_the_same_bytes_and_events() -> None:
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = _client(server)
        s.ehlo()
        _lines.PLAIN_LINES.pop("noop", None)
        first = s.noop()
        assert _lines.PLAIN_LINES["noop"] == (b"noop\r\n", "NOOP")
        assert s.noop() == first
        assert s.docmd("VRFY", "a@example.com")[0] == s.docmd("VRFY", "a@example.com")[0]
        s.quit()
    sent = [e.data for e in s.transcript.events() if e.kind is smtpshell.EventKind.SENT]
    assert sent[1:] == [b"noop\r\n"] * 2 + [b"VRFY a@example.com\r\n"] * 2 + [b"quit\r\n"]
    assert b"".join(sent) == server.wire
    commands = [e.command for e in s.transcript.events() if e.final][2:6]
    assert commands == ["noop", "noop", "VRFY a@example.com", "VRFY a@example.com"]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_auth_lines_and_answers_are_never_kept(mechanism: str) -> None:
    behaviour = SmtpBehaviour(auth=("PLAIN", "LOGIN", "CRAM-MD5"))
    with ScriptedServer(smtp_script(behaviour)) as server:
        s = _client(server)
        s.ehlo()
        _lines.PLAIN_LINES.clear()
        s.login("alice", SECRET, initial_response_ok=mechanism == "PLAIN")
        assert s.session.authenticated_as == "alice"
        s.noop()
        s.quit()
    assert sorted(_lines.PLAIN_LINES) == ["noop", "quit"]


def test_typed_auth_data_is_never_kept_either() -> None:
    behaviour = SmtpBehaviour(auth=("LOGIN",))
    with ScriptedServer(smtp_script(behaviour)) as server:
        s = _client(server)
        s.ehlo()
        _lines.PLAIN_LINES.clear()
        assert s.docmd("AUTH", "LOGIN")[0] == 334
        assert s.docmd("YWxpY2U=")[0] == 334  # an answer to a challenge: secret
        s.docmd("d29uZGVybGFuZA==")
        s.quit()
    assert not [line for line in _lines.PLAIN_LINES if "AUTH" in line.upper() or "=" in line]


def test_the_kept_lines_are_bounded_and_an_unusual_encoding_is_not_served_from_them() -> None:
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = _client(server)
        s.ehlo()
        for i in range(_lines.PLAIN_MAX + 40):
            s.docmd("VRFY", f"user{i}@example.com")
            assert len(_lines.PLAIN_LINES) <= _lines.PLAIN_MAX
        s.noop()
        s.command_encoding = "utf-16-le"  # not a superset of ASCII: encode afresh
        s.putcmd("noop")
        s.close()
    assert server.wire.endswith(b"noop\r\n" + "noop\r\n".encode("utf-16-le"))


def test_a_long_or_non_ascii_line_is_not_kept() -> None:
    behaviour = SmtpBehaviour()
    with ScriptedServer(smtp_script(behaviour)) as server:
        s = _client(server)
        s.ehlo()
        _lines.PLAIN_LINES.clear()
        s.command_encoding = "utf-8"
        s.docmd("VRFY", "jos\u00e9@example.com")
        s.docmd("VRFY", "x" * 200 + "@example.com")
        s.quit()
    assert list(_lines.PLAIN_LINES) == ["quit"]


def test_a_bad_line_is_a_value_error_even_before_connecting() -> None:
    """As smtplib: the line is checked before the connection, and nothing is kept."""
    s = smtpshell.SMTP()
    with pytest.raises(ValueError):
        s.putcmd("NOOP\r\nRSET")
    with pytest.raises(smtpshell.SMTPServerDisconnected):
        s.putcmd("NOOP")
    assert not [line for line in _lines.PLAIN_LINES if "\n" in line]
