"""The log pane with many events: correct, bounded, filterable; wire bytes escaped."""

from __future__ import annotations

from smtpshell.transcript import DroppedFacts, Event, EventKind
from smtpshell.tui.app import SmtpShellApp
from smtpshell.tui.runner import MAX_QUEUED_EVENTS
from smtpshell.tui.widgets.explain_panel import explain_row

from .conftest import async_test, wait_for

EVENTS = 100_000


def _exchange(i: int) -> list[Event]:
    return [
        Event(EventKind.SENT, f"NOOP {i}\r\n".encode()),
        Event(
            EventKind.RECEIVED,
            f"250 2.0.0 OK {i}\r\n".encode(),
            code=250,
            latency=0.001,
            command=f"NOOP {i}",
        ),
    ]


@async_test
async def test_100k_events_stay_bounded_and_in_order() -> None:
    app = SmtpShellApp(connect=False, max_log_rows=10_000)
    assert EVENTS <= MAX_QUEUED_EVENTS
    async with app.run_test(size=(100, 30)) as pilot:
        emit = app.engine.transcript.emit
        for i in range(EVENTS // 2):
            for event in _exchange(i):
                emit(event)
        log = app.log_pane
        await wait_for(
            pilot, lambda: not app.runner._events and app.flush_events() == 0, what="drained"
        )
        assert log.row_count <= 11_000  # the bound, plus at most one trimming chunk
        # Every event reached the pane or is counted as dropped (a backlog beyond the
        # pane's bound is dropped before it is formatted, and marked).
        assert log.events_added + log.events_dropped == EVENTS
        # All 100,000 were queued before the first flush: the 90,000 the pane could not
        # keep anyway were dropped unformatted, and one line says so, first.
        marker, *rows = log.rows()
        assert marker.event.facts.total == EVENTS - 10_000 == log.events_dropped
        assert "90,000 events dropped here" in marker.plain
        assert "90,000 events dropped" in str(log.border_subtitle)
        assert rows[-1].plain == f"S: 250 2.0.0 OK {EVENTS // 2 - 1}"
        assert rows[-2].plain == f"C: NOOP {EVENTS // 2 - 1}"
        seqs = [r.seq for r in rows]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        # the log follows the tail: the last line is on screen
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y

        log.filter = "NOOP 49999"
        assert [r.plain for r in log.rows()] == ["C: NOOP 49999"]
        assert "filter" in str(log.border_subtitle)
        log.filter = ""
        assert log.view_count == log.row_count

        # select and explain a line far up
        log.focus()
        await pilot.press("home")
        assert log.selected_row is marker
        await pilot.press("down", "down")
        assert log.selected_row is rows[1]
        assert "Requested action" in str(app.explain_panel.render())


@async_test
async def test_control_bytes_from_the_server_are_escaped() -> None:
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        hostile = b"220 evil\x1b[2J\x1b]0;pwned\x07 ESMTP\r\n"
        app.engine.transcript.emit(Event(EventKind.RECEIVED, hostile, code=220))
        await wait_for(pilot, lambda: app.log_pane.row_count == 1, what="the line")
        text = app.log_pane.text()
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[2J" in text and "\\x07" in text
        row = app.log_pane.rows()[0]
        assert "\x1b" not in explain_row(row).plain


def test_explain_an_ehlo_line_as_an_extension() -> None:
    from smtpshell.shell.display import event_lines
    from smtpshell.tui.widgets.log_pane import LogRow

    event = Event(EventKind.RECEIVED, b"250-SIZE 10485760\r\n")
    row = LogRow(event, event_lines(event)[0], False, 1)
    text = explain_row(row, reply_verb="EHLO").plain
    assert "SIZE" in text and "10 MiB" in text and "RFC 1870" in text


@async_test
async def test_filter_bar_filters_the_log() -> None:
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for i in range(50):
            for event in _exchange(i):
                app.engine.transcript.emit(event)
        await wait_for(pilot, lambda: app.log_pane.row_count == 100, what="rows")
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.filter_bar.has_focus, what="filter focus")
        await pilot.press(*"NOOP 4", "enter")
        assert app.log_pane.view_count == 11  # NOOP 4 and NOOP 40..49
        assert app.log_pane.has_focus
        await pilot.press("up")  # the first move selects the newest line shown
        assert app.log_pane.selected_row is not None
        assert app.log_pane.selected_row.plain == "C: NOOP 49"
        await pilot.press("home")
        assert app.log_pane.selected_row.plain == "C: NOOP 4"
        await pilot.press("f7", "escape")
        assert app.log_pane.view_count == 100
        assert not app.filter_bar.has_class("-shown")


@async_test
async def test_events_the_queue_drops_are_counted_and_shown(monkeypatch) -> None:
    """The queue between the client thread and the log is bounded; what it drops is
    counted and marked in the log, never lost silently (issue 15)."""
    import smtpshell.tui.runner as runner_module

    monkeypatch.setattr(runner_module, "MAX_QUEUED_EVENTS", 1_000)
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        queue = app.runner.events
        assert queue.limit == 1_000
        emit = app.engine.transcript.emit
        # No await in between: the app cannot drain while these arrive, so the queue
        # overflows by exactly 4,000 (the oldest) whatever the machine's speed.
        for i in range(2_500):
            for event in _exchange(i):
                emit(event)
        assert len(queue) == 1_000 and queue.dropped == 4_000
        log = app.log_pane
        await wait_for(
            pilot, lambda: not app.runner._events and app.flush_events() == 0, what="drained"
        )
        assert log.events_added == 1_000 and log.events_dropped == 4_000
        assert queue.taken + queue.dropped == 5_000
        first, second, *_ = log.rows()
        assert "4,000 events dropped here" in first.plain  # where the gap is
        assert second.plain == "C: NOOP 2000"  # the first event that was kept
        assert "4,000 events dropped" in str(log.border_subtitle)
        # More events later, none dropped: no new marker, the total stays.
        emit(Event(EventKind.SENT, b"QUIT\r\n"))
        await wait_for(pilot, lambda: log.events_added == 1_001, what="one more event")
        assert log.rows()[-1].plain == "C: QUIT"
        assert [r for r in log.rows() if isinstance(r.event.facts, DroppedFacts)] == [first]


def _count_layouts(app: SmtpShellApp) -> list[object]:
    """Every layout of the screen from now on (Textual publishes one signal per layout)."""
    layouts: list[object] = []
    app.screen.screen_layout_refresh_signal.subscribe(app, layouts.append, immediate=True)
    return layouts


async def _quiet(pilot, layouts: list[object]) -> None:
    """Wait (bounded) until a pause passes with no layout."""
    for _ in range(50):
        seen = len(layouts)
        await pilot.pause()
        await pilot.pause()
        if len(layouts) == seen:
            return
    raise AssertionError("the screen kept laying out")


@async_test
async def test_lines_arriving_in_a_scrolling_log_do_not_lay_out_the_screen() -> None:
    """A layout re-arranges and repaints every widget (15-40 ms in a flood, the worst
    keystroke stalls of issue 15): new lines need one only when a scrollbar appears."""
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        log = app.log_pane
        log.add_events([event for i in range(5) for event in _exchange(i)])
        await pilot.pause()
        assert not log.show_vertical_scrollbar
        layouts = _count_layouts(app)
        log.add_events([event for i in range(5, 200) for event in _exchange(i)])
        await pilot.pause()
        assert log.show_vertical_scrollbar and layouts  # the bar appeared
        await _quiet(pilot, layouts)  # start-up's own layouts (the footer) are done

        layouts.clear()
        for start in range(200, 1_000, 100):  # batches, as a flood arrives
            log.add_events([event for i in range(start, start + 100) for event in _exchange(i)])
            await pilot.pause()
        assert layouts == []
        # ...and yet everything that depends on the number of lines followed it.
        assert log.virtual_size.height == log.row_count == 2_000
        assert log.vertical_scrollbar.window_virtual_size == 2_000
        assert log.scroll_y == log.max_scroll_y  # still following the tail
        bottom = log.scrollable_content_region.height - 1
        assert "C: NOOP 999" in log.render_line(bottom - 1).text
        assert "S: 250 2.0.0 OK 999" in log.render_line(bottom).text

        # Fewer lines (a filter) with the bar still needed: the view stays in range.
        log.filter = "NOOP 9"  # NOOP 9, 9x and 9xx: 111 lines
        await pilot.pause()
        assert log.view_count == 111 and log.scroll_y <= log.max_scroll_y
        assert layouts == []
        log.filter = ""
        await pilot.pause()
        assert layouts == [] and log.scroll_y == log.max_scroll_y
        # A line wider than the pane: the (zero-width, always on) horizontal scrollbar
        # stays as it was, so no layout either, and → scrolls to read the line.
        log.add_events([Event(EventKind.SENT, b"X" * 300 + b"\r\n")])
        await pilot.pause()
        assert layouts == [] and log.max_scroll_x > 0
        log.focus()
        await pilot.press("right")
        assert log.scroll_x == 8
        # Clearing the log: the vertical scrollbar goes, with a layout.
        log.clear()
        await pilot.pause()
        assert layouts and not log.show_vertical_scrollbar and log.scroll_y == 0


@async_test
async def test_an_unchanged_status_line_is_not_redrawn() -> None:
    """The app refreshes the status line after every batch of events; redrawing the same
    text would lay out the whole screen each time (issue 15)."""
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        layouts = _count_layouts(app)
        await _quiet(pilot, layouts)
        layouts.clear()
        before = app.status_bar.render()
        for _ in range(3):
            app.refresh_session()
            await pilot.pause()
        assert layouts == [] and app.status_bar.render() == before
        app.status_bar.show(None, busy="sending")  # a change is still shown
        await pilot.pause()
        assert "sending" in str(app.status_bar.render()) and layouts


@async_test
async def test_a_flood_waits_while_a_keystroke_is_on_its_way(monkeypatch) -> None:
    """The timers' flush defers a slice while a message is queued for the app, its screen
    or the focused widget (a keystroke crossing them), for a bounded time; the events
    still all arrive, in order, or are counted and marked as dropped."""
    from textual import events

    import smtpshell.tui.app as app_module
    import smtpshell.tui.runner as runner_module

    monkeypatch.setattr(runner_module, "MAX_QUEUED_EVENTS", 3_000)
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        prompt = app.command_pane.command_input
        emit = app.engine.transcript.emit
        await wait_for(pilot, lambda: not app._message_waiting(), what="a quiet app")
        app._flush_tick()  # nothing waits: it flushes (nothing yet) and forgets past waits
        for i in range(2_000):  # 4,000 events, no await: the queue drops 1,000
            for event in _exchange(i):
                emit(event)
        # No await from here: the key stays queued while the timers' flush is called.
        app.post_message(events.Key("a", "a"))
        assert app._message_waiting()
        monkeypatch.setattr(app_module, "FLUSH_DEFER_LIMIT", 3600.0)
        for _ in range(3):
            assert app._flush_tick() == 0  # deferred: the keystroke goes first
        assert app.log_pane.events_added == 0
        monkeypatch.setattr(app_module, "FLUSH_DEFER_LIMIT", 0.0)
        assert app._flush_tick() > 0  # waited long enough: the log moves anyway
        await wait_for(pilot, lambda: prompt.value == "a", what="the keystroke")
        # Keystrokes while the rest drains: each one lands, and nothing is lost.
        await pilot.press("b", "c")
        log = app.log_pane
        await wait_for(
            pilot, lambda: log.events_added + log.events_dropped == 4_000, what="drained"
        )
        assert prompt.value == "abc"
        assert log.events_dropped == 1_000 and "1,000 events dropped here" in log.rows()[0].plain
        plain = [row.plain for row in log.rows()[1:]]
        assert plain == [
            line for i in range(500, 2_000) for line in (f"C: NOOP {i}", f"S: 250 2.0.0 OK {i}")
        ]
        # The timers' flush with nothing waiting moves events at once.
        emit(Event(EventKind.SENT, b"QUIT\r\n"))
        assert not app._message_waiting() and app._flush_tick() == 1
