"""The footer shows its keys from the start and is rebuilt when they change, and only
then (issue 15)."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from smtpshell.tui.app import SmtpShellApp
from smtpshell.tui.widgets import KeyFooter

from .conftest import async_test, wait_for
from .test_log_pane import _count_layouts, _quiet


def _keys(app: SmtpShellApp) -> list[FooterKey]:
    return list(app.query_one(KeyFooter).query(FooterKey))


@async_test
async def test_the_footer_is_rebuilt_only_when_its_keys_change() -> None:
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(160, 30)) as pilot:
        layouts = _count_layouts(app)
        keys = _keys(app)  # there from the first frame...
        assert keys and "Copy line" not in {key.description for key in keys}
        await _quiet(pilot, layouts)
        assert _keys(app) == keys  # ...and not rebuilt by the signals start-up sends
        # Start-up sent three "bindings changed" signals; a fourth and fifth that change
        # nothing rebuild nothing (each rebuild laid out the whole screen).
        layouts.clear()
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()
        await _quiet(pilot, layouts)
        assert _keys(app) == keys and layouts == []
        # Focus on the log: its keys are shown, in a rebuilt footer.
        app.log_pane.focus()
        await wait_for(
            pilot,
            lambda: "Copy line" in {key.description for key in _keys(app)},
            what="the log's keys in the footer",
        )
        assert not set(_keys(app)) & set(keys)
        app.command_pane.command_input.focus()
        await wait_for(
            pilot,
            lambda: "Copy line" not in {key.description for key in _keys(app)},
            what="the prompt's keys again",
        )


@async_test
async def test_a_textual_without_what_the_footer_reads_still_gets_a_working_footer(
    monkeypatch,
) -> None:
    """KeyFooter leans on Textual internals; if they change, it falls back to rebuilding
    as Textual's own footer does: keys still shown and still follow the focus, no error."""

    def gone(self: KeyFooter) -> object:
        raise AttributeError("'Screen' object has no attribute 'active_bindings'")

    monkeypatch.setattr(KeyFooter, "_keys", gone)
    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: bool(_keys(app)), what="the footer's keys")
        app.log_pane.focus()
        await wait_for(
            pilot,
            lambda: "Copy line" in {key.description for key in _keys(app)},
            what="the log's keys in the footer",
        )
