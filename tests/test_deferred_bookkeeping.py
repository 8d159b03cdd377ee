"""sendmail() records a MAIL, RCPT or DATA reply right after writing its next command.

The reply's event and the session change it causes are done while the server works on the
next command (issue 15: off the round trip's critical path).  What users see must not
change: the transcript's order, what a subscriber sees and when sendmail() returns, and
what a subclass that replaces a step sees when its code runs.
"""

from __future__ import annotations

import re

import pytest

import smtpshell
from smtpshell.server import Faults, PracticeServer
from smtpshell.transcript import EventKind
from tests.support.scripted import Peer, ScriptedServer

MESSAGE = b"Subject: t\r\n\r\nbody\r\n"


def _wire(events):
    """(direction, first word) of each wire event, in order."""
    out = []
    for event in events:
        if event.kind is EventKind.SENT:
            word = event.data.split(b" ", 1)[0].strip().upper() if not event.summary else b"BODY"
            out.append(("C", word.decode()))
        elif event.kind is EventKind.RECEIVED:
            out.append(("S", event.data[:3].decode()))
    return out


@pytest.fixture
def server():
    with PracticeServer(faults=Faults(reject_rcpt=re.compile("^nobody@"))) as srv:
        yield srv


def test_transcript_and_subscriber_see_the_wire_order(server):
    seen = []
    with smtpshell.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        client.transcript.subscribe(seen.append)
        client.sendmail("a@example.com", ["b@example.com", "c@example.com"], MESSAGE)
        # Everything is recorded by the time sendmail() returns.
        assert _wire(seen) == [
            ("C", "MAIL"),
            ("S", "250"),
            ("C", "RCPT"),
            ("S", "250"),
            ("C", "RCPT"),
            ("S", "250"),
            ("C", "DATA"),
            ("S", "354"),
            ("C", "BODY"),
            ("S", "250"),
        ]
        assert _wire(client.transcript.events())[-10:] == _wire(seen)
        # Each reply carries the command it answers, as when it is recorded at once.
        replies = [e.command for e in seen if e.kind is EventKind.RECEIVED]
        assert replies[0].upper().startswith("MAIL")
        assert replies[1].upper().startswith("RCPT") and "<b@example.com>" in replies[1]
        assert replies[2].upper().startswith("RCPT") and "<c@example.com>" in replies[2]
        assert replies[3].upper() == "DATA"
        assert client._deferred is None
        state = client.session
        assert state.mail_from is None and not state.recipients and not state.in_data
        assert state.last_code == 250


def test_a_refused_recipient_is_recorded_before_the_error(server):
    with smtpshell.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        with pytest.raises(smtpshell.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["nobody@example.com"], MESSAGE)
        assert client._deferred is None
        codes = [e.code for e in client.transcript.events() if e.kind is EventKind.RECEIVED]
        # MAIL 250, RCPT refused, then the RSET that ends the failed transaction.
        assert codes[-3] == 250 and codes[-2] >= 500 and codes[-1] == 250
        assert client.session.mail_from is None


def test_a_subclass_step_sees_every_reply_recorded(server):
    """A class that replaces rcpt() runs its own code between replies: nothing waits."""
    seen_in_rcpt = []

    class Watching(smtpshell.SMTP):
        def rcpt(self, recip, options=()):
            seen_in_rcpt.append((self.session.mail_from, self.transcript.events()[-1].code))
            return super().rcpt(recip, options)

    with Watching(server.host, server.port, timeout=10) as client:
        client.ehlo()
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert seen_in_rcpt == [("a@example.com", 250)]


def test_an_instance_that_replaces_a_step_sees_every_reply_recorded(server):
    seen = []
    with smtpshell.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        original = client.rcpt

        def rcpt(recip, options=()):
            seen.append(client.session.mail_from)
            return original(recip, options)

        client.rcpt = rcpt
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert seen == ["a@example.com"]


def _hangs_up_after_rcpt(peer: Peer) -> None:
    peer.send(b"220 scripted ESMTP\r\n")
    peer.readline()  # EHLO
    peer.send(b"250-scripted\r\n250 8BITMIME\r\n")
    peer.readline()  # MAIL
    peer.send(b"250 2.1.0 sender ok\r\n")
    peer.readline()  # RCPT
    peer.send(b"421 4.3.0 going away\r\n")
    peer.close()


def test_a_server_that_hangs_up_mid_transaction():
    """RCPT gets 421 and the connection closes: MAIL's reply, RCPT's and the close are
    recorded in that order, and the session says disconnected."""
    with ScriptedServer(_hangs_up_after_rcpt) as server:
        client = smtpshell.SMTP(server.host, server.port, timeout=10)
        client.ehlo()
        with pytest.raises(smtpshell.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        events = client.transcript.events()
        mail = next(i for i, e in enumerate(events) if e.data.upper().startswith(b"MAIL"))
        kinds = [(e.kind, e.code) for e in events[mail:]]
        assert kinds[:4] == [
            (EventKind.SENT, None),
            (EventKind.RECEIVED, 250),
            (EventKind.SENT, None),
            (EventKind.RECEIVED, 421),
        ]
        assert (EventKind.CLOSE, None) in kinds[4:]
        assert client._deferred is None
        assert not client.session.connected


def _two_replies_to_mail(peer: Peer) -> None:
    peer.send(b"220 scripted ESMTP\r\n")
    peer.readline()  # EHLO
    peer.send(b"250 scripted\r\n")
    peer.readline()  # MAIL
    peer.send(b"250 2.1.0 sender ok\r\n250 2.1.0 and a reply nobody asked for\r\n")
    peer.read_to_eof()


def test_a_reply_too_many_is_caught_before_rcpt_and_recorded_after_the_deferred_one():
    """The desync check before RCPT finds the extra line; the MAIL reply (deferred) is
    recorded first, then the unsolicited line, then the close; RCPT is never sent.

    Whether the extra line is read with the reply or found by the look after MAIL's
    write, the outcome is the same (test_hardening covers both looks)."""
    with ScriptedServer(_two_replies_to_mail) as server:
        client = smtpshell.SMTP(server.host, server.port, timeout=10)
        client.ehlo()
        with pytest.raises(smtpshell.SMTPProtocolError, match="unsolicited"):
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        events = client.transcript.events()
        mail = next(i for i, e in enumerate(events) if e.data.upper().startswith(b"MAIL"))
        after = events[mail + 1 :]
        assert after[0].kind is EventKind.RECEIVED and after[0].code == 250
        assert after[0].data == b"250 2.1.0 sender ok\r\n"
        assert after[1].unsolicited and b"nobody asked for" in after[1].data
        assert after[2].kind is EventKind.CLOSE
        assert not any(e.data.upper().startswith(b"RCPT") for e in events)
        assert client._deferred is None
    assert b"RCPT" not in server.wire.upper()
