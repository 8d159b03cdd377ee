"""Asks for a hidden value (a password) when the engine needs one; nothing is echoed."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

__all__ = ["SecretScreen"]


class SecretScreen(ModalScreen[str | None]):
    """Returns the typed value, or None when cancelled (the command is then cancelled)."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, secret: bool = True) -> None:
        super().__init__()
        self.prompt = prompt
        self.secret = secret

    def compose(self) -> ComposeResult:
        with Vertical(id="secret-dialog"):
            yield Label(self.prompt.strip(), id="secret-prompt")
            yield Input(password=self.secret, id="secret-input")
            with Horizontal(id="secret-buttons"):
                yield Button("OK", variant="primary", id="secret-ok", compact=True)
                yield Button("Cancel", id="secret-cancel", compact=True)

    @property
    def value_input(self) -> Input:
        return self.query_one("#secret-input", Input)

    def on_mount(self) -> None:
        self.query_one("#secret-dialog").border_title = "Hidden input"
        self.value_input.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.value_input.value if event.button.id == "secret-ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
