"""Snapshots of the main states (pytest-textual-snapshot; ``--snapshot-update`` to accept).

Only deterministic content: no practice server (its port changes), no timestamps; the wire
traffic is scripted transcript events.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from smtpshell.transcript import Event, EventKind
from smtpshell.tui.app import SmtpShellApp

pytest.importorskip("pytest_textual_snapshot")

SCRIPT = [
    (EventKind.CONNECT, b"", {"text": "connected to mail.example.net:25"}),
    (
        EventKind.RECEIVED,
        b"220 mail.example.net ESMTP ready\r\n",
        {"code": 220, "latency": 0.012},
    ),
    (EventKind.SENT, b"EHLO client.example.org\r\n", {}),
    (EventKind.RECEIVED, b"250-mail.example.net\r\n", {}),
    (EventKind.RECEIVED, b"250-SIZE 35882577\r\n", {}),
    (EventKind.RECEIVED, b"250-STARTTLS\r\n", {}),
    (EventKind.RECEIVED, b"250-AUTH PLAIN LOGIN GSSAPI\r\n", {}),
    (
        EventKind.RECEIVED,
        b"250 ENHANCEDSTATUSCODES\r\n",
        {"code": 250, "latency": 0.004, "command": "EHLO client.example.org"},
    ),
    (EventKind.SENT, b"MAIL FROM:<teacher@example.org>\r\n", {}),
    (EventKind.RECEIVED, b"250 2.1.0 Ok\r\n", {"code": 250, "latency": 0.003}),
    (EventKind.SENT, b"RCPT TO:<nobody@example.net>\r\n", {}),
    (
        EventKind.RECEIVED,
        b"550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n",
        {"code": 550, "latency": 0.021, "command": "RCPT TO:<nobody@example.net>"},
    ),
]


def _still_cursors(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_start_screen_80x24(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_still_cursors)


def test_reply_explained(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)

    async def run_before(pilot: Pilot) -> None:
        for kind, data, detail in SCRIPT:
            app.engine.transcript.emit(Event(kind, data, wall_time=0.0, **detail))
        await pilot.pause()
        app.flush_events()
        await pilot.pause()
        refused = next(r for r in app.log_pane.rows() if r.wire.code == 550)
        app.log_pane.select_seq(refused.seq)
        _still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 32), run_before=run_before)


def test_connect_dialog(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("f2")
        await pilot.pause()
        _still_cursors(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
