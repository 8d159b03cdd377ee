"""Cancelling a slow command, errors as notifications, reveal, completion and history."""

from __future__ import annotations

from smtpshell.server import Faults
from smtpshell.shell import Mode, Outcome
from smtpshell.tui.screens import ConnectScreen, SecretScreen

from .conftest import async_test, run, settle, wait_for


def notifications(app) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


@async_test
async def test_cancel_a_slow_command(make_app) -> None:
    app = make_app(faults=Faults(delay={"NOOP": 5.0}))
    async with app.run_test(size=(100, 30)) as pilot:
        await run(pilot, app, "/connect")
        app.submit_typed("NOOP")
        await wait_for(pilot, lambda: "C: NOOP" in app.log_pane.text(), what="NOOP sent")
        assert app.runner.busy
        assert not app.command_pane.cancel_button.disabled  # the visible way to cancel
        await pilot.press("escape")
        await settle(pilot, app, timeout=4.0)  # well before the 5 s delay ends
        assert app.last_result is not None
        assert app.last_result.outcome is Outcome.CANCELLED
        assert not app.engine.connected
        assert app.command_pane.cancel_button.disabled
        assert any(sev == "warning" for sev, _ in notifications(app))


@async_test
async def test_errors_are_notifications_not_crashes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await run(pilot, app, "/bogus")
        await run(pilot, app, "NOOP")  # not connected
        await run(pilot, app, "/connect 127.0.0.1:1")  # nothing listens there
        severities = [sev for sev, _ in notifications(app)]
        assert severities.count("error") == 3
        messages = " ".join(message for _, message in notifications(app))
        assert "unknown command /bogus" in messages
        assert "not connected" in messages
        assert app.is_running
        # and the session still works afterwards
        await run(pilot, app, "/connect practice")
        assert app.engine.connected


@async_test
async def test_server_reply_error_is_explained(make_app) -> None:
    import re

    app = make_app(faults=Faults(reject_rcpt=re.compile("nobody@")))
    async with app.run_test(size=(100, 30)) as pilot:
        await run(pilot, app, "/connect")
        await run(pilot, app, "EHLO me.example")
        await run(pilot, app, "MAIL FROM:<a@example.com>")
        await run(pilot, app, "RCPT TO:<nobody@example.com>")
        rows = app.log_pane.rows()
        refused = next(r for r in rows if r.wire.code == 550)
        assert app.log_pane.select_seq(refused.seq)
        await pilot.pause()
        text = str(app.explain_panel.render())
        assert "550" in text and "RFC 5321" in text
        assert "5.1.1" in text or "5." in text  # the enhanced code, explained


@async_test
async def test_reveal_toggle_rebuilds_from_kept_events(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await run(pilot, app, "/connect")
        await run(pilot, app, "/ehlo")
        app.submit_typed("/auth PLAIN demo")
        await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="password")
        await pilot.press(*"demo", "enter")
        await settle(pilot, app)
        secret = next(e for e in app.engine.transcript.events() if e.secret)
        shown = secret.data.decode().strip()
        assert shown not in app.log_pane.text()
        assert not app.log_pane.reveal

        await pilot.press("f6")
        await settle(pilot, app)
        assert app.log_pane.reveal and app.engine.reveal
        assert shown in app.log_pane.text()
        assert "SECRETS SHOWN" in str(app.log_pane.border_subtitle)

        await pilot.press("f6")
        await settle(pilot, app)
        assert not app.log_pane.reveal
        assert shown not in app.log_pane.text()


@async_test
async def test_typed_ahead_lines_follow_the_mode_they_run_in(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await run(pilot, app, "/connect")
        for line in [
            "EHLO me.example",
            "MAIL FROM:<a@example.com>",
            "RCPT TO:<b@example.com>",
            "DATA",
            "Subject: typed ahead",
            "",
            ".starts with a dot",
            ".",
        ]:
            app.submit_typed(line)  # all queued before DATA has run
        await settle(pilot, app)
        server = app.engine.practice
        await wait_for(pilot, lambda: len(server.messages) == 1, what="the message stored")
        assert b"\r\n\r\n.starts with a dot" in server.messages[0].data
        assert app.command_pane.mode is Mode.COMMAND
        history = app.command_pane.command_input.history
        assert "DATA" in history and "Subject: typed ahead" not in history


@async_test
async def test_completion_and_history_at_the_prompt(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = app.command_pane.command_input
        prompt.focus()
        await pilot.press(*"/sta")
        await pilot.press("tab")
        assert prompt.menu_open  # /starttls and /status
        options = app.command_pane.completions
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(label.startswith("/starttls") for label in labels)
        await pilot.press("tab", "enter")  # walk the menu, take the choice
        assert prompt.value in ("/starttls ", "/status ")
        assert not prompt.menu_open
        await pilot.press("escape")  # nothing in flight: harmless
        prompt.value = "/conn"
        prompt.cursor_position = len(prompt.value)
        await pilot.press("tab")
        assert prompt.value == "/connect "
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.engine.connected
        await pilot.press("up")
        assert prompt.value.startswith("/connect")


@async_test
async def test_connect_dialog_builds_the_lines(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen), what="dialog")
        screen = app.screen
        screen.query_one("#sec-starttls").value = True
        screen.query_one("#connect-user").value = "demo"
        screen.query_one("#connect-password").value = "demo"
        await pilot.pause()
        request = screen.request()
        assert request.command_lines() == ["/connect --starttls", "/login demo"]
        assert "demo" not in repr(request).replace("user='demo'", "")  # no password in repr
        await pilot.click("#connect-ok")
        await settle(pilot, app)
        status = app.engine.status()
        assert status.tls and status.tls_verified and status.user == "demo"
