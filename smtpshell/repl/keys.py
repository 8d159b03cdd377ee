"""Key bindings for the REPL, as a small factory (pgcli style).

Ctrl-C and Ctrl-D keep prompt_toolkit's meaning (KeyboardInterrupt / EOFError at the
prompt); the REPL loop turns them into "clear the line" and "quit politely".  While
``/replay`` offers a line, Ctrl-D on that untouched line quits too (it would otherwise
delete nothing, the cursor being at its end).
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.filters import Condition
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

__all__ = ["make_key_bindings"]


def make_key_bindings(
    toggle_hints: Callable[[], None], offered: Callable[[], str | None] = lambda: None
) -> KeyBindings:
    """``offered()``: the line a replay put at the prompt (None without one)."""
    bindings = KeyBindings()

    @Condition
    def untouched_offer() -> bool:
        from prompt_toolkit.application.current import get_app

        text = offered()
        return bool(text) and get_app().current_buffer.text == text

    @bindings.add("c-d", filter=untouched_offer)
    def _quit(event: KeyPressEvent) -> None:
        """Ctrl-D on the line a replay offered: quit, as on an empty line."""
        event.app.exit(exception=EOFError())

    @bindings.add("f1")
    def _help(event: KeyPressEvent) -> None:
        """F1: run /help."""
        event.current_buffer.text = "/help"
        event.current_buffer.validate_and_handle()

    @bindings.add("f2")
    def _hints(event: KeyPressEvent) -> None:
        """F2: show or hide the inline reply explanations."""
        toggle_hints()
        event.app.invalidate()

    return bindings
