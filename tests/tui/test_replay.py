"""``/replay`` in the TUI: the command input is pre-filled with the next line, Enter sends
it, and the status bar says where the replay is (Pilot, against the practice server)."""

from __future__ import annotations

from smtpshell.tui.widgets.status_bar import status_text

from .conftest import async_test, settle, wait_for


@async_test
async def test_replay_prefills_the_command_input_and_enter_sends_it(make_app, tmp_path) -> None:
    script = tmp_path / "finding.smtp"
    script.write_text("# a finding\nEHLO tui.test\nexpect 250\nVRFY demo\nexpect 250 2.1.5\n")
    app = make_app(connect=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        field = app.command_pane.command_input
        field.focus()
        await pilot.press(*f"/replay {script}", "enter")
        await wait_for(pilot, lambda: field.value == "EHLO tui.test", what="the offered line")
        status = app.engine.status()
        assert "replay 1/4" in status_text(status).plain
        await pilot.press("enter")
        await wait_for(pilot, lambda: field.value == "expect 250", what="the expect step")
        assert "C: EHLO tui.test" in app.log_pane.text()
        # An aside leaves the step pending, and the step comes back after it.
        field.value = ""
        await pilot.press(*"/status", "enter")
        await wait_for(pilot, lambda: field.value == "expect 250", what="the step again")
        await pilot.press("enter")
        await wait_for(pilot, lambda: field.value == "VRFY demo", what="the VRFY step")
        assert "replay 3/4" in status_text(app.engine.status()).plain
        await pilot.press("enter")
        await wait_for(pilot, lambda: field.value == "expect 250 2.1.5", what="the last step")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.engine.replay is None, what="the end")
        await settle(pilot, app)
        assert field.value == ""
        assert "replay" not in status_text(app.engine.status()).plain
        assert app.last_result is not None and app.last_result.ok
        assert "2 expectation(s) checked, 2 held" in str(app.last_result.items)
