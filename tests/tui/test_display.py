"""What the TUI shows: mode-aware hints, the inspector's sections, long lines."""

from __future__ import annotations

import socket

from rich.console import Console

from smtpshell.shell import Mode
from smtpshell.tui.widgets.inspector import extensions_renderable, session_renderable
from smtpshell.tui.widgets.log_pane import LogPane
from tests.tui.conftest import async_test, run, wait_for


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain(renderable, width: int = 60) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@async_test
async def test_hints_follow_the_mode(make_app) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        prompt = app.command_pane.command_input
        assert "MAIL FROM" in str(prompt.placeholder)
        for line in ("EHLO me", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"):
            await run(pilot, app, line)
        assert app.command_pane.mode is Mode.DATA
        assert "MAIL FROM" not in str(prompt.placeholder)
        assert "only ." in str(prompt.placeholder)
        await run(pilot, app, ".")
        assert "MAIL FROM" in str(prompt.placeholder)


@async_test
async def test_inspector_lists_size_once_and_forgets_extensions_after_a_failed_reconnect(
    make_app,
) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        await run(pilot, app, "EHLO me")
        text = plain(extensions_renderable(app.inspector.data), 80)
        assert text.count("SIZE") == 1, text
        assert "PIPELINING" in text
        await run(pilot, app, f"/connect 127.0.0.1:{closed_port()}")
        await wait_for(pilot, lambda: not app.runner.busy, what="idle")
        text = plain(extensions_renderable(app.inspector.data), 80)
        assert "PIPELINING" not in text
        assert "No EHLO answer yet" in text
        # a reconnect that fails after EHLO (the certificate is not trusted by address)
        await run(pilot, app, "/connect practice")
        await run(pilot, app, "EHLO me")
        assert "PIPELINING" in plain(extensions_renderable(app.inspector.data), 80)
        port = app.engine.practice.port
        await run(pilot, app, f"/connect 127.0.0.1:{port} --starttls")
        assert not app.engine.connected
        text = plain(extensions_renderable(app.inspector.data), 80)
        assert "PIPELINING" not in text and "No EHLO answer yet" in text
        assert "connected" in plain(session_renderable(app.inspector.data))


@async_test
async def test_wrapped_extension_lines_keep_their_indent(make_app) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        await run(pilot, app, "EHLO me")
        lines = plain(extensions_renderable(app.inspector.data), 30).splitlines()
        keywords = {f.keyword for f in app.inspector.data.features}
        for line in lines:
            if line.strip() and line.split()[0] not in keywords:
                assert line.startswith("  "), repr(line)


@async_test
async def test_a_long_line_is_cut_with_a_marker_and_scrolls_sideways(make_app) -> None:
    app = make_app(connect=True, show_time=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        long_tail = "x" * 150 + "END"
        await run(pilot, app, f"NOOP {long_tail}")
        pane = app.log_pane
        row = next(i for i in range(pane.view_count) if "NOOP" in pane._row_at(i).plain)
        y = row - int(pane.scroll_offset.y)  # the row on screen
        line = pane.render_line(y).text
        assert line.rstrip().endswith(LogPane.MORE_RIGHT), line
        assert "END" not in line
        pane.focus()
        for _ in range(30):
            await pilot.press("right")
        assert pane.scroll_offset.x > 0
        line = pane.render_line(y).text
        assert line.startswith(LogPane.MORE_LEFT)
        assert "END" in line


@async_test
async def test_completion_never_covers_the_input_line(make_app) -> None:
    for size in ((80, 24), (100, 30), (120, 40), (160, 50)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            prompt = app.command_pane.command_input
            prompt.focus()
            await pilot.press("slash", "tab")  # every command: the longest menu
            await pilot.pause()
            assert prompt.menu_open
            menu = app.command_pane.completions.region
            line = prompt.region
            screen = app.screen.region
            assert line.height >= 1 and screen.contains_region(line), size
            assert not menu.overlaps(line), size
            # and nothing else is drawn over the line: the widget at its first cell is it
            widget, _ = app.screen.get_widget_at(line.x + 1, line.y)
            assert widget is prompt, (size, widget)


@async_test
async def test_the_person_chooses_wrapping_long_lines(make_app) -> None:
    app = make_app(connect=True, show_time=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        long_tail = "y" * 150 + "END"
        await run(pilot, app, f"NOOP {long_tail}")
        pane = app.log_pane
        pane.focus()
        await pilot.press("ctrl+w")
        assert pane.wrap
        await pilot.pause()
        screen = [pane.render_line(y).text for y in range(pane.scrollable_content_region.height)]
        joined = "\n".join(screen)
        assert "END" in joined
        continued = [line for line in screen if line.startswith(LogPane.CONTINUED)]
        assert continued, joined
        assert not any(line.rstrip().endswith(LogPane.MORE_RIGHT) for line in screen)
        # the wrapped line is whole: its pieces put together give the text back
        start = next(i for i, line in enumerate(screen) if "NOOP" in line)
        pieces = [screen[start]] + [
            line[len(LogPane.CONTINUED) :] for line in screen[start + 1 : start + 4]
        ]
        assert "NOOP " + long_tail in "".join(p.rstrip() for p in pieces)
        # selecting still works on wrapped rows, and Ctrl+W cuts again
        await pilot.press("up")
        assert pane.selected_row is not None
        await pilot.press("ctrl+w")
        assert not pane.wrap
