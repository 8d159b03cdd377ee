"""The lesson panel: what the lesson says, block by block, as the REPL face prints it.

The blocks come from :class:`~smtpshell.learn.runner.LessonRunner` (explanations, the
verdict, the next step); the panel only renders them.  It keeps the blocks, not rendered
lines, so a resize re-wraps them with the same rules as the REPL (``block_lines``: prose
wrapped, tables wrapped under their second column) and ``/presenter`` restyles
everything already shown.  Text is never markup: lesson and server text are plain.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from smtpshell.learn.layout import block_lines
from smtpshell.learn.teach import Block

__all__ = ["LessonPanel", "render_blocks"]

#: How many entries (blocks and echoed lines) the panel keeps.
MAX_ENTRIES = 400

#: Rich styles for the lesson's style classes (see ``smtpshell.learn.layout``).
STYLES: dict[str, str] = {
    "learn.lesson": "bold reverse",
    "learn.step": "bold cyan",
    "learn.text": "",
    "learn.type": "bold yellow",
    "learn.done": "bold green",
    "learn.not-yet": "bold yellow",
    "learn.heading": "bold",
    "learn.pre": "cyan",
    "learn.aside": "dim",
    "learn.echo": "bold dim",
}

#: Projector: bold and bright, nothing dim or italic (read from the back of a room).
PRESENTER_STYLES: dict[str, str] = {
    **STYLES,
    "learn.step": "bold bright_cyan",
    "learn.text": "bold",
    "learn.type": "bold bright_yellow",
    "learn.done": "bold bright_green",
    "learn.not-yet": "bold bright_yellow",
    "learn.pre": "bold bright_cyan",
    "learn.aside": "bold",
    "learn.echo": "bold",
}

Entry = Block | str  # a lesson block, or a line the student typed (as history keeps it)


def render_blocks(entries: list[Entry], *, width: int, presenter: bool) -> Text:
    """The entries as one styled text, prose wrapped to ``width``."""
    styles = PRESENTER_STYLES if presenter else STYLES
    out = Text(no_wrap=False, end="")
    first = True
    for entry in entries:
        if isinstance(entry, str):
            lines = [[("class:learn.echo", f"› {entry}")]]
            if presenter:
                lines.insert(0, [])
        else:
            lines = block_lines(entry, width=width, presenter=presenter)
        for fragments in lines:
            if first and not fragments:
                continue  # no blank line at the very top
            if not first:
                out.append("\n")
            first = False
            for style, part in fragments:
                out.append(part, style=styles.get(style.removeprefix("class:"), ""))
    return out


class LessonPanel(VerticalScroll):
    """The lesson so far.  Anchored to the bottom: the newest block (the next step) stays
    in view until the student scrolls up to read back; scrolling down to the end follows
    again."""

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson_title = title
        self.entries: list[Entry] = []
        self.presenter = False
        self._width = 0

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-text")

    @property
    def body(self) -> Static:
        return self.query_one("#lesson-text", Static)

    def on_mount(self) -> None:
        self.border_title = Content(f"Lesson: {self.lesson_title}")  # plain, never markup
        self.anchor()

    def on_resize(self) -> None:
        if self._text_width() != self._width:
            self._redraw()

    def _text_width(self) -> int:
        return max(20, self.scrollable_content_region.width - 1)

    # ------------------------------------------------------------------ API for the app

    def show_blocks(self, blocks: list[Block], *, echo: str | None = None) -> None:
        """Add what the lesson said about one line (``echo``: that line, safe to show)."""
        if not blocks:
            return
        if echo:
            self.entries.append(echo)
        self.entries.extend(blocks)
        del self.entries[:-MAX_ENTRIES]
        self._redraw()

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        self.set_class(on, "-presenter")
        self._redraw()

    def set_progress(self, text: str) -> None:
        """The step the student is on, in the border (always visible, whatever scrolls)."""
        self.border_subtitle = Content(text)

    def text(self) -> str:
        """Everything shown, as plain text (tests)."""
        return render_blocks(self.entries, width=self._width or 80, presenter=self.presenter).plain

    def _redraw(self) -> None:
        self._width = self._text_width()
        self.body.update(render_blocks(self.entries, width=self._width, presenter=self.presenter))
