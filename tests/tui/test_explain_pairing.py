"""The TUI explain panel shows the basic/enhanced pairing note (issue 21)."""

from __future__ import annotations

from smtpshell.shell.display import event_lines
from smtpshell.transcript import Event, EventKind
from smtpshell.tui.widgets.explain_panel import explain_row
from smtpshell.tui.widgets.log_pane import LogRow


def _row(wire: bytes) -> LogRow:
    event = Event(EventKind.RECEIVED, wire, code=int(wire[:3]))
    return LogRow(event, event_lines(event)[0], False, 1)


def test_the_panel_names_an_odd_pairing() -> None:
    text = explain_row(_row(b"250 5.1.1 accepted, or not\r\n")).plain
    assert "Enhanced class 5 disagrees with reply 250" in text
    assert "lists X.1.1 with 451, 550, not with 250" in text


def test_the_panel_stays_quiet_on_a_registered_pairing() -> None:
    text = explain_row(_row(b"550 5.1.1 User unknown\r\n")).plain
    assert "X.1.1" in text or "5.1.1" in text
    assert "registry lists" not in text and "disagrees" not in text
