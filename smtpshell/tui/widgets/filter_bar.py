"""The log's search box: typing filters the transcript to matching lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

__all__ = ["FilterBar"]


class FilterBar(Input):
    """Hidden until asked for (/ in the log, F7); Esc clears it, Enter returns to the log."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Clear filter", show=False)]

    @dataclass
    class FilterChanged(Message):
        """The filter text changed (empty: show everything).

        (Not ``Changed``: that name is Input's own message, which Input posts itself.)
        """

        text: str

    @dataclass
    class Done(Message):
        """The person finished with the box (Enter keeps the filter, Esc clears it)."""

        cleared: bool

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="filter the log: text to match (Esc clears)", compact=True, id=id
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done(cleared=False))

    def action_close(self) -> None:
        self.value = ""
        self.post_message(self.FilterChanged(""))
        self.post_message(self.Done(cleared=True))
