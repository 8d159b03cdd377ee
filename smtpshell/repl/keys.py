"""Key bindings for the REPL, as a small factory (pgcli style).

Ctrl-C and Ctrl-D keep prompt_toolkit's meaning (KeyboardInterrupt / EOFError at the
prompt); the REPL loop turns them into "clear the line" and "quit politely".
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

__all__ = ["make_key_bindings"]


def make_key_bindings(toggle_hints: Callable[[], None]) -> KeyBindings:
    bindings = KeyBindings()

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
