"""The prompt line: the REPL's input language, with its completions and history.

Completion is the engine's (``Engine.complete``: pure logic over the text before the
cursor), shown inline as a suggestion and, on Tab, as a menu when there are several.
History holds only what ``Engine.history_entry`` allows, so no secret is ever recalled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.suggester import Suggester
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from smtpshell.shell import Candidate

__all__ = ["CommandInput", "apply_candidate"]

Completer = Callable[[str], list[Candidate]]


def apply_candidate(text: str, candidate: Candidate) -> str:
    """``text`` with the candidate's replacement of the last ``-start`` characters."""
    keep = len(text) + candidate.start if candidate.start < 0 else len(text)
    return text[:keep] + candidate.text


class _EngineSuggester(Suggester):
    """The first completion, shown greyed after the cursor (→ or End accepts it)."""

    def __init__(self, completer: Completer) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.completer = completer

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        try:
            candidates = self.completer(value)
        except Exception:  # completion must never break typing
            return None
        for candidate in candidates[:1]:
            suggestion = apply_candidate(value, candidate)
            if suggestion.startswith(value) and suggestion != value:
                return suggestion
        return None


class CommandInput(Input):
    """An Input with engine completion (Tab), history (↑/↓) and a hidden mode for secrets."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("escape", "dismiss_menu", "Close menu", show=False),
    ]

    #: The typed text's width.  Textual's is a layout reactive, so every keystroke laid
    #: out the whole screen again (about 4 ms idle, 10-40 ms during a flood of events,
    #: in the way of the next keystroke; issue 15).  The prompt's own size never depends
    #: on its text (``width: 1fr``; Input asks for a layout itself when its dimensions
    #: are ``auto``), and it scrolls to its cursor with ``force=True``, which needs no
    #: scrollbar state: a repaint is enough.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True, layout=False)

    @dataclass
    class CompletionShown(Message):
        """A menu of several candidates is open (tests and the pane listen)."""

        candidates: list[Candidate]

    def __init__(
        self,
        completer: Completer,
        *,
        history: list[str] | None = None,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(
            placeholder=placeholder,
            suggester=_EngineSuggester(completer),
            compact=True,
            select_on_focus=False,
            id=id,
        )
        self.completer = completer
        self.history: list[str] = list(history or ())
        self._history_index: int | None = None
        self._draft = ""
        self._candidates: list[Candidate] = []
        self.menu: OptionList | None = None

    # ------------------------------------------------------------------ history

    def remember(self, entry: str | None) -> None:
        """Add a history entry (already filtered by the engine); None adds nothing."""
        self._history_index = None
        if entry and (not self.history or self.history[-1] != entry):
            self.history.append(entry)

    def action_history(self, delta: int) -> None:
        if self.menu_open:
            self._move_menu(delta)
            return
        if self.password or not self.history:
            return
        if self._history_index is None:
            if delta > 0:
                return
            self._draft = self.value
            index = len(self.history) - 1
        else:
            index = self._history_index + delta
        if index >= len(self.history):
            self._history_index = None
            self._set(self._draft)
            return
        self._history_index = max(0, index)
        self._set(self.history[self._history_index])

    def _set(self, value: str) -> None:
        self.value = value
        self.cursor_position = len(value)

    # ------------------------------------------------------------------ completion

    @property
    def menu_open(self) -> bool:
        return self.menu is not None and self.menu.display

    def candidates(self) -> list[Candidate]:
        try:
            return self.completer(self.value[: self.cursor_position])
        except Exception:
            return []

    def action_complete(self) -> None:
        if self.menu_open:
            self._move_menu(1)
            return
        if self.password:
            return
        before = self.value[: self.cursor_position]
        if not before.strip():
            self.screen.focus_next()
            return
        candidates = self.candidates()
        if not candidates:
            self.app.bell()
            return
        if len(candidates) == 1:
            self._accept(candidates[0])
            return
        completions = [apply_candidate(before, c) for c in candidates]
        common = _common_prefix(completions)
        if len(common) > len(before) and all(c.startswith(before) for c in completions):
            self._replace_before_cursor(common)
            return
        self._open_menu(candidates)

    def _replace_before_cursor(self, new_before: str) -> None:
        after = self.value[self.cursor_position :]
        self.value = new_before + after
        self.cursor_position = len(new_before)

    def _accept(self, candidate: Candidate) -> None:
        before = self.value[: self.cursor_position]
        new_before = apply_candidate(before, candidate)
        # A finished word gets a space; a prefix (MAIL FROM:, SIZE=, smtp://, dir/) does not.
        unfinished = candidate.text.endswith(("=", ":", "/", "<"))
        if not unfinished and not self.value[self.cursor_position :]:
            new_before += " "
        self._replace_before_cursor(new_before)
        self.close_menu()

    def _open_menu(self, candidates: list[Candidate]) -> None:
        if self.menu is None:
            return
        self._candidates = candidates
        self.menu.clear_options()
        self.menu.add_options(
            Option(f"{c.label}  {c.meta}" if c.meta else c.label, id=str(i))
            for i, c in enumerate(candidates[:200])
        )
        self.menu.display = True
        self._menu_shown(True)
        self.menu.highlighted = 0
        self.post_message(self.CompletionShown(candidates))

    def _move_menu(self, delta: int) -> None:
        assert self.menu is not None
        count = self.menu.option_count
        if count:
            current = self.menu.highlighted or 0
            self.menu.highlighted = (current + delta) % count

    def close_menu(self) -> None:
        if self.menu is not None:
            self.menu.display = False
            self._menu_shown(False)
        self._candidates = []

    def _menu_shown(self, shown: bool) -> None:
        """The menu's container gets ``-menu`` while it shows, so its CSS can make room
        (the output gives way: the line being typed must stay visible at any size)."""
        if self.menu is not None and self.menu.parent is not None:
            self.menu.parent.set_class(shown, "-menu")

    def accept_menu(self, index: int | None = None) -> bool:
        """Take the highlighted (or given) candidate; False when no menu is open."""
        if not self.menu_open or self.menu is None:
            return False
        index = self.menu.highlighted if index is None else index
        if index is not None and 0 <= index < len(self._candidates):
            self._accept(self._candidates[index])
        else:
            self.close_menu()
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing on makes the menu's candidates stale: Tab asks again.
        if event.input is self:
            self.close_menu()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Escape is ours only while the menu is open; otherwise it reaches the app (cancel).
        if action == "dismiss_menu":
            return self.menu_open
        return super().check_action(action, parameters)

    def action_dismiss_menu(self) -> None:
        self.close_menu()

    async def action_submit(self) -> None:
        if self.accept_menu():
            return
        self._submit_value()

    def _submit_value(self) -> None:
        # Clear at once: keys typed before the Submitted message is handled (fast typing,
        # pasted DATA) must start the next line, not extend this one.
        value = self.value
        self.value = ""
        self._history_index = None
        self.post_message(self.Submitted(self, value, None))

    async def _on_key(self, event: events.Key) -> None:
        # Enter is handled here, in order with the characters around it.  As a binding it
        # would run only after the key bubbled up to the app, by which time the next
        # line's characters (a burst of typing, a terminal without bracketed paste) would
        # already be in this line.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        """A multi-line paste runs line by line (a message pasted in DATA mode)."""
        # Textual calls the handler of every class in the MRO: without prevent_default,
        # Input's own _on_paste would insert the text a second time.
        event.prevent_default()
        lines = event.text.splitlines()
        if len(lines) <= 1 and not event.text.endswith(("\n", "\r")):
            super()._on_paste(event)
            return
        event.stop()
        complete = event.text.endswith(("\n", "\r"))
        last = None if complete else lines.pop()
        for line in lines:
            self.insert_text_at_cursor(line)
            self.close_menu()
            self._submit_value()
        if last:
            self.insert_text_at_cursor(last)


def _common_prefix(values: list[str]) -> str:
    if not values:
        return ""
    first, last = min(values), max(values)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
