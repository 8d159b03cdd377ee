"""The TUI never traps the keyboard: typed and pasted text lands where it was aimed.

Keys go through Pilot at full speed (no pauses between them); pastes are real Paste events
delivered as a terminal's bracketed paste arrives (to the app, forwarded to the focus).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from smtpshell.tui.screens.compose import ComposeScreen
from smtpshell.tui.screens.connect import ConnectScreen
from tests.tui.conftest import async_test, run, wait_for

#: Every printable ASCII character, and the keys that used to be the log's one-key bindings.
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
TRICKY = "/ctgjkGC"
#: Shorter, for dialogs with many fields: markup, quoting and address punctuation.
SAMPLE = '[b]x[/b] <a@b>, "q" ~`|{}$%&*()=+?!'


def keys_for(text: str) -> list[str]:
    """Pilot key names for ``text`` (Pilot takes single characters except a few names)."""
    names = {" ": "space"}
    return [names.get(char, char) for char in text]


async def paste(pilot, text: str) -> None:
    """A bracketed paste as the terminal driver delivers it: to the app, which forwards it
    to the focused widget."""
    assert pilot.app.focused is not None
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


@async_test
async def test_typing_in_the_log_goes_to_the_prompt(make_app) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        await run(pilot, app, "EHLO me")
        prompt = app.command_pane.command_input
        await pilot.press("ctrl+l", "up")  # select a line
        assert app.focused is app.log_pane and app.log_pane.selected_row is not None
        await pilot.press(*keys_for(TRICKY + " then more"))
        assert app.focused is prompt
        assert prompt.value == TRICKY + " then more"
        assert app.log_pane.filter == ""  # '/' did not open the filter
        prompt.value = ""
        await pilot.press("ctrl+l")
        await paste(pilot, "NOOP pasted")
        assert app.focused is prompt and prompt.value == "NOOP pasted"


@async_test
async def test_escape_clears_filter_then_selection_then_returns_to_the_prompt(make_app) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        await run(pilot, app, "EHLO me")
        await pilot.press("f7", *keys_for("250"), "enter")
        assert app.log_pane.filter == "250"
        assert app.focused is app.log_pane
        await pilot.press("up")
        assert app.log_pane.selected_row is not None
        await pilot.press("escape")
        await pilot.pause()
        assert app.log_pane.filter == ""
        assert app.focused is app.log_pane
        await pilot.press("escape")
        assert app.log_pane.selected_row is None and app.focused is app.log_pane
        await pilot.press("escape")
        assert app.focused is app.command_pane.command_input


@async_test
async def test_every_focus_key_is_in_the_footer(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 30)):
        shown = {
            key for key, (_, binding, _enabled, _tip) in app.active_bindings.items() if binding.show
        }
        for key in ("ctrl+l", "ctrl+t", "f7", "f2", "f4", "escape"):
            assert key in shown, key


@async_test
async def test_typing_at_full_speed_into_the_prompt(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = app.command_pane.command_input
        prompt.focus()
        await pilot.press(*keys_for(PRINTABLE))
        assert prompt.value == PRINTABLE
        prompt.value = ""
        await paste(pilot, PRINTABLE)
        assert prompt.value == PRINTABLE


@async_test
async def test_typing_repaints_the_prompt_without_laying_out_the_screen() -> None:
    """Textual's Input laid out the whole screen on every keystroke (issue 15); the prompt
    repaints itself, and a line longer than the prompt still scrolls to the cursor."""
    from smtpshell.tui.app import SmtpShellApp
    from tests.tui.test_log_pane import _count_layouts, _quiet

    app = SmtpShellApp(connect=False)
    async with app.run_test(size=(100, 30)) as pilot:
        prompt = app.command_pane.command_input
        layouts = _count_layouts(app)
        await _quiet(pilot, layouts)
        layouts.clear()
        await pilot.press(*"abc")  # the first keystrokes: the text fits
        await pilot.pause()
        assert prompt.value == "abc" and layouts == []
        text = "abc" + "".join(f"{i:03d}" for i in range(1, 60))  # 180 characters
        await paste(pilot, text[3:])
        await pilot.press(*"058059")  # and at the prompt's end: it scrolls
        await pilot.pause()
        assert prompt.value == text + "058059" and layouts == []
        assert prompt.virtual_size.width == len(prompt.value) + 1  # + the cursor's cell
        assert prompt.scroll_x == prompt.max_scroll_x > 0
        assert prompt.render_line(0).text.rstrip().endswith("059058059")
        await pilot.press("home")
        await pilot.pause()
        assert prompt.scroll_x == 0 and prompt.render_line(0).text.startswith("abc001")
        await pilot.press("end", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert prompt.render_line(0).text.rstrip().endswith("059058")


async def type_into_each(pilot, screen, ids: list[str]) -> None:
    """Tab from field to field, typing a different text into each without pausing."""
    texts = {name: f"{name}:{SAMPLE}" for name in ids}
    texts = {n: "".join(filter(str.isdigit, t)) if "port" in n else t for n, t in texts.items()}
    first = screen.query_one(f"#{ids[0]}")
    first.focus()
    await pilot.pause()
    for name in ids:
        widget = screen.query_one(f"#{name}")
        widget.focus()
        if isinstance(widget, Input):
            widget.value = ""
        await pilot.press(*keys_for(texts[name]))
    for name in ids:
        widget = screen.query_one(f"#{name}")
        value = widget.text if isinstance(widget, TextArea) else widget.value
        assert value == texts[name], name
    for name in ids:  # and pasted
        widget = screen.query_one(f"#{name}")
        widget.focus()
        if isinstance(widget, Input):
            widget.value = ""
        else:
            widget.text = ""
        await pilot.pause()
        await paste(pilot, texts[name])
        value = widget.text if isinstance(widget, TextArea) else widget.value
        assert value == texts[name], name


@async_test
async def test_typing_and_pasting_into_the_compose_dialog(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen), what="compose")
        ids = [
            "compose-from",
            "compose-to",
            "compose-cc",
            "compose-bcc",
            "compose-subject",
            "compose-attachments",
            "compose-body",
        ]
        await type_into_each(pilot, app.screen, ids)


@async_test
async def test_tab_between_compose_fields_at_full_speed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen), what="compose")
        screen = app.screen
        screen.query_one("#compose-from").focus()
        await pilot.pause()
        await pilot.press(
            *keys_for("me@example.com"),
            "tab",
            *keys_for("you@example.com"),
            "tab",
            "tab",
            "tab",
            *keys_for("Fast subject"),
        )
        assert screen.query_one("#compose-from").value == "me@example.com"
        assert screen.query_one("#compose-to").value == "you@example.com"
        assert screen.query_one("#compose-subject").value == "Fast subject"


@async_test
async def test_typing_and_pasting_into_the_connect_dialog_and_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen), what="connect")
        ids = ["connect-host", "connect-port", "connect-helo", "connect-user", "connect-password"]
        await type_into_each(pilot, app.screen, ids)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectScreen), what="closed")
        await pilot.press("f7")
        await pilot.press(*keys_for(PRINTABLE))
        assert app.filter_bar.value == PRINTABLE


@async_test
async def test_compose_refuses_a_bad_address_at_its_field_and_asks_for_a_subject(
    make_app,
) -> None:
    app = make_app(connect=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.engine.connected, what="connected")
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen), what="compose")
        screen = app.screen
        screen.query_one("#compose-from").value = "me@example.com"
        to = screen.query_one("#compose-to")
        to.value = "bob@example.com Compose test"
        await pilot.press("ctrl+s")
        error = str(screen.query_one("#compose-error").render())
        assert "To: 'bob@example.com Compose test' is not one address" in error
        assert to.has_class("-invalid") and app.focused is to
        to.value = "bob@example.com, carol@example.com"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ComposeScreen)
        assert "Subject is empty" in str(screen.query_one("#compose-error").render())
        assert app.focused is screen.query_one("#compose-subject")
        await pilot.press("ctrl+s")  # the second time sends without one
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposeScreen), what="sent")
        await wait_for(pilot, lambda: not app.runner.busy, what="idle")
        await wait_for(pilot, lambda: len(app.engine.practice.messages) == 1, what="stored")
        assert sorted(app.engine.practice.messages[0].rcpt_tos) == [
            "bob@example.com",
            "carol@example.com",
        ]
        assert not any("/send" in line for line in app.engine.history)
