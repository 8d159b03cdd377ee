"""A hostile server's terminal payloads never reach the TUI raw, nor as markup (issue 12)."""

from __future__ import annotations

from rich.console import Console

from smtpshell.tui.widgets.explain_panel import explain_row
from smtpshell.tui.widgets.inspector import (
    auth_renderable,
    extensions_renderable,
    session_renderable,
)
from tests.support.hostile import PAYLOADS, hostile_script, raw_controls
from tests.support.scripted import ScriptedServer

from .conftest import async_test, run, settle


def plain(renderable: object) -> str:
    console = Console(width=400, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


@async_test
async def test_tui_shows_hostile_server_text_escaped_and_never_as_markup(make_app) -> None:
    with ScriptedServer(hostile_script) as server:
        app = make_app()
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot, app)
            for line in (
                f"/connect {server.host}:{server.port}",
                "EHLO me",
                "/features",
                "MAIL FROM:<a@example.com>",
                "RCPT TO:<b@example.com>",
                "VRFY x",
                "/status",
            ):
                await run(pilot, app, line)
            assert app.is_running  # [@click=app.quit] was not obeyed
            texts = {"log": app.log_pane.text()}
            data = app.inspector.data
            assert data is not None and data.esmtp
            texts["session"] = plain(session_renderable(data))
            texts["extensions"] = plain(extensions_renderable(data))
            texts["auth"] = plain(auth_renderable(data))
            for row in app.log_pane.rows():
                texts[f"explain {row.seq}"] = explain_row(row, reply_verb="EHLO").plain
                texts[f"explain reply {row.seq}"] = explain_row(row).plain
            texts["screen"] = app.export_screenshot()
            await run(pilot, app, "QUIT")
    for name, text in texts.items():
        assert raw_controls(text) == [], name
    assert "X-\\x1b[2J" in texts["log"] and "\\u202eevil" in texts["log"]
    assert any(PAYLOADS["markup"] in text for name, text in texts.items() if "explain" in name)
    assert PAYLOADS["markup"] in texts["session"]  # the last reply, shown as sent
    assert "\\x1b]52;C;ZM9VYMFY" in texts["auth"]  # a mechanism name, escaped
    assert "Unreadable size '²'" in texts["extensions"]  # "SIZE ²" never reached int()
