"""The live transcript: every line sent and received, coloured, selectable, bounded.

A Line API widget over a bounded list of rows, so only the visible lines are ever rendered
and 100,000 events cost memory for ``max_rows`` lines at most.  Wire text becomes display
text only through ``smtpshell.shell.display.event_lines`` (which uses ``escape_bytes``),
and secrets show in their redacted form unless ``reveal`` is set; toggling it rebuilds the
rows from the events still held.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from smtpshell.shell.display import WireLine, event_lines, format_latency, reply_hint
from smtpshell.shell.results import plural
from smtpshell.transcript import DroppedFacts, Event, EventKind

__all__ = ["LogPane", "LogRow"]

#: Room beside a line's text: gutter, time stamp, "C: ", line ending, latency.
_EXTRA_WIDTH = 40

#: Lines kept by default; older ones are dropped (the engine's transcript and /export
#: keep their own, separately bounded, copy).
DEFAULT_MAX_ROWS = 50_000


@dataclass(slots=True)
class LogRow:
    """One display line and the event it came from (for explanations and re-rendering)."""

    event: Event
    wire: WireLine
    tls: bool
    seq: int
    _hint: str | None = None
    _hint_done: bool = False

    @property
    def hint(self) -> str | None:
        """The reply's short explanation, computed only when the line is first drawn."""
        if not self._hint_done:
            self._hint_done = True
            wire = self.wire
            if wire.hint:
                self._hint = wire.hint
            elif wire.final and wire.code is not None:
                self._hint = reply_hint(wire.code, wire.text[4:].encode("utf-8", "replace"))
        return self._hint

    @property
    def plain(self) -> str:
        """The line as copied and searched: ``C: ...`` / ``S: ...`` / ``* ...``."""
        wire = self.wire
        text = f"* {wire.text}" if wire.direction == "*" else f"{wire.direction}: {wire.text}"
        if wire.ending:
            text += f"  <{wire.ending}>"
        return text

    @property
    def reply_class(self) -> int | None:
        """2, 3, 4 or 5 for a server line starting with a reply code."""
        if self.wire.direction != "S":
            return None
        head = self.wire.text[:1]
        return int(head) if head in "2345" and head else None


class LogPane(ScrollView, can_focus=True):
    """The transcript, newest at the bottom; follows the tail until a line is selected."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-pane--time",
        "log-pane--client",
        "log-pane--server-2",
        "log-pane--server-3",
        "log-pane--server-4",
        "log-pane--server-5",
        "log-pane--server",
        "log-pane--note",
        "log-pane--tls",
        "log-pane--tls-gutter",
        "log-pane--latency",
        "log-pane--hint",
        "log-pane--secret",
        "log-pane--ending",
        "log-pane--cursor",
        "log-pane--more",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        # No one-key bindings: a printable key typed here goes to the prompt.
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("escape", "escape", "Back", show=False),
        Binding("ctrl+c", "copy_line", "Copy line"),
        Binding("ctrl+a", "copy_all", "Copy all"),
        Binding("ctrl+o", "toggle_time", "Times", show=False),
        Binding("ctrl+w", "toggle_wrap", "Wrap", show=False),
        Binding("left", "pan(-8)", "Left", show=False),
        Binding("right", "pan(8)", "Right", show=False),
    ]

    #: Marks a line cut at the right edge (more with →) or scrolled past at the left (←).
    MORE_RIGHT = "›"
    MORE_LEFT = "‹"
    #: Starts the continuation lines of a wrapped line.
    CONTINUED = "↪ "

    @dataclass
    class LineSelected(Message):
        """The cursor moved to ``row`` (None: back to following the tail)."""

        log_pane: LogPane
        row: LogRow | None

        @property
        def control(self) -> LogPane:
            return self.log_pane

    @dataclass
    class TypedHere(Message):
        """Text typed or pasted while the log had focus: it belongs at the prompt."""

        text: str

    @dataclass
    class EscapePressed(Message):
        """Esc with nothing left to clear here: ``what`` is "filter" or "prompt"."""

        what: str

    @dataclass
    class Copied(Message):
        """Text was put on the clipboard (the app tells the person how much)."""

        text: str
        lines: int

    def __init__(
        self,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
        show_time: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_rows = max_rows
        self.show_time = show_time
        self._reveal = False
        self._rows: list[LogRow] = []
        self._view: list[int] | None = None  # indices into _rows when a filter is on
        self._filter = ""
        self._cursor: int | None = None  # index into the view
        self._tls = False
        self._seq = 0
        self._dropped = 0
        self._events_added = 0
        self._events_dropped = 0
        #: Stay at the newest line as lines arrive (until the person scrolls up or selects).
        self._following = True
        #: The widest line so far (an estimate without the hint): how far → can scroll.
        self._widest = 0
        #: Wrap long lines instead of cutting them (Ctrl+W): the person chooses.
        self.wrap = False
        self._starts: list[int] = []  # wrap: the first screen line of each view row
        self._wrap_width = 0
        self._cell_widths: dict[int, int] = {}  # seq -> the row's drawn width

    # ------------------------------------------------------------------ public state

    @property
    def reveal(self) -> bool:
        return self._reveal

    @reveal.setter
    def reveal(self, value: bool) -> None:
        """Show secrets (or hide them again) by rebuilding every row from its event."""
        if value == self._reveal:
            return
        self._reveal = value
        events: list[Event] = []
        for row in self._rows:
            if not events or events[-1] is not row.event:
                events.append(row.event)
        selected = self.selected_row
        self._rows, self._tls = [], False
        self._widest = 0
        self._append(events)
        self._rebuild_view()
        if selected is not None:
            self._cursor = self._index_of_seq(selected.seq)
        self._update_size()
        self.refresh()

    @property
    def filter(self) -> str:
        return self._filter

    @filter.setter
    def filter(self, text: str) -> None:
        """Show only lines containing ``text`` (case-insensitive); empty shows all."""
        text = text.strip()
        if text == self._filter:
            return
        selected = self.selected_row
        self._filter = text
        self._rebuild_view()
        self._cursor = self._index_of_seq(selected.seq) if selected is not None else None
        self._update_size()
        if self._cursor is None:
            self.scroll_end(animate=False, x_axis=False)
        else:
            self._scroll_to_cursor()
        self.refresh()

    @property
    def row_count(self) -> int:
        """Lines held (not only the visible ones)."""
        return len(self._rows)

    @property
    def view_count(self) -> int:
        """Lines shown under the current filter."""
        return len(self._view) if self._view is not None else len(self._rows)

    @property
    def dropped(self) -> int:
        """Lines dropped to keep within ``max_rows``."""
        return self._dropped

    @property
    def events_added(self) -> int:
        """Transcript events that reached the pane (their lines may since be trimmed)."""
        return self._events_added

    @property
    def events_dropped(self) -> int:
        """Transcript events that never reached the pane (the UI fell behind a flood),
        each batch of them shown as a marker line where they were.  With
        ``events_added`` this accounts for every event the transcript emitted."""
        return self._events_dropped

    @property
    def selected_row(self) -> LogRow | None:
        return self._row_at(self._cursor) if self._cursor is not None else None

    def rows(self) -> list[LogRow]:
        """The lines shown under the current filter, oldest first."""
        if self._view is None:
            return list(self._rows)
        return [self._rows[i] for i in self._view]

    def reply_context(self, row: LogRow) -> tuple[str | None, bool]:
        """For a server line: the verb its reply answers, and whether it is the reply's
        first line (the lines of one reply are separate events; the last carries the
        command)."""
        if row.wire.direction != "S" or not self._rows:
            return None, False
        position = row.seq - self._rows[0].seq
        if not 0 <= position < len(self._rows):
            return None, False
        previous = self._rows[position - 1] if position > 0 else None
        first = previous is None or previous.wire.direction != "S" or previous.wire.final
        for later in self._rows[position : position + 2000]:
            if later.wire.direction != "S":
                break
            if later.wire.final:
                command = str(later.event.command or "")
                verb = command.split(" ", 1)[0].upper()
                return verb or None, first
        return None, first

    def text(self) -> str:
        """The shown lines as plain text (what "copy all" copies)."""
        return "\n".join(self._format_plain(row) for row in self.rows())

    # ------------------------------------------------------------------ adding events

    def add_events(self, events: Iterable[Event]) -> None:
        """Append events (a batch from the transcript) and follow the tail if we were."""
        events = events if isinstance(events, list) else list(events)
        self._events_added += len(events)
        self._add(events)

    def add_dropped(self, count: int) -> None:
        """Mark where ``count`` events were dropped before reaching the pane: one line,
        plus a running total in the subtitle.  Nothing is ever dropped silently."""
        if count <= 0:
            return
        self._events_dropped += count
        text = (
            f"\u22ef {count:,} event{'s' if count != 1 else ''} dropped here: they came faster "
            "than the log could show them (the session's transcript keeps its own copy)"
        )
        self._add([Event(EventKind.INFO, text=text, facts=DroppedFacts(count))])

    def _add(self, events: list[Event]) -> None:
        following = self._cursor is None and self._following
        start = len(self._rows)
        self._append(events)
        if self._view is not None:
            needle = self._filter.lower()
            self._view.extend(
                i for i in range(start, len(self._rows)) if needle in self._rows[i].plain.lower()
            )
        self._trim()
        self._update_size()
        if following:
            # force: the scrollbar may not be laid out yet for rows added a moment ago.
            self.scroll_end(animate=False, x_axis=False, immediate=True, force=True)
        self.refresh()

    def clear(self) -> None:
        self._rows, self._view, self._cursor = [], None if not self._filter else [], None
        self._dropped = 0
        self._update_size()
        self.refresh()

    def _append(self, events: Iterable[Event]) -> None:
        rows = self._rows
        for event in events:
            kind = event.kind
            if kind is EventKind.CONNECT or kind is EventKind.CLOSE:
                self._tls = False
            for wire in event_lines(event, self._reveal, hints=False):
                self._seq += 1
                row = LogRow(event, wire, self._tls or kind is EventKind.TLS, self._seq)
                rows.append(row)
                width = len(wire.text) + _EXTRA_WIDTH
                if width > self._widest:
                    self._widest = width
            if kind is EventKind.TLS:
                self._tls = True

    def _trim(self) -> None:
        """Drop the oldest lines once 10% over the bound (amortised: rarely, in chunks)."""
        excess = len(self._rows) - self.max_rows
        if excess <= 0 or excess < max(1, self.max_rows // 10):
            return
        selected = self.selected_row
        del self._rows[:excess]
        self._dropped += excess
        if self._view is not None:
            self._view = [i - excess for i in self._view if i >= excess]
        self._cursor = self._index_of_seq(selected.seq) if selected is not None else None

    def _rebuild_view(self) -> None:
        if not self._filter:
            self._view = None
            return
        needle = self._filter.lower()
        self._view = [i for i, row in enumerate(self._rows) if needle in row.plain.lower()]

    def _row_at(self, index: int) -> LogRow | None:
        if index < 0:
            return None
        if self._view is None:
            return self._rows[index] if index < len(self._rows) else None
        return self._rows[self._view[index]] if index < len(self._view) else None

    def _index_of_seq(self, seq: int) -> int | None:
        if not self._rows or seq < self._rows[0].seq:
            return None
        position = seq - self._rows[0].seq  # seqs are contiguous within _rows
        if position >= len(self._rows):
            return None
        if self._view is None:
            return position
        from bisect import bisect_left

        at = bisect_left(self._view, position)
        return at if at < len(self._view) and self._view[at] == position else None

    # ------------------------------------------------------------------ wrapping

    def _lines_for(self, cells: int, width: int) -> int:
        """Screen lines a row of ``cells`` takes: the first holds ``width``, the rest
        ``width - 2`` after the ↪ marker."""
        if cells <= width or width <= 3:
            return 1
        return 1 + -(-(cells - width) // (width - 2))

    def _row_cells(self, row: LogRow) -> int:
        cells = self._cell_widths.get(row.seq)
        if cells is None:
            cells = Strip(self._segments(row)).cell_length
            self._cell_widths[row.seq] = cells
        return cells

    def _relayout(self) -> None:
        """Wrap: where each view row starts on screen (at this width)."""
        width = self.scrollable_content_region.width or self.size.width or 80
        if width != self._wrap_width:
            self._wrap_width = width
        starts, line = [], 0
        for index in range(self.view_count):
            row = self._row_at(index)
            starts.append(line)
            line += self._lines_for(self._row_cells(row), width) if row is not None else 1
        starts.append(line)
        self._starts = starts
        if len(self._cell_widths) > 2 * len(self._rows) + 1000 and self._rows:
            oldest = self._rows[0].seq  # trimmed rows: forget their widths
            self._cell_widths = {s: c for s, c in self._cell_widths.items() if s >= oldest}

    def _screen_line(self, index: int) -> int:
        """The first screen line of view row ``index``."""
        if not self.wrap or not self._starts:
            return index
        return self._starts[min(index, len(self._starts) - 1)]

    def _row_of_line(self, line: int) -> tuple[int, int]:
        """(view row, its line number) for screen line ``line``."""
        if not self.wrap or not self._starts:
            return line, 0
        from bisect import bisect_right

        index = bisect_right(self._starts, line) - 1
        return index, line - self._starts[index] if index >= 0 else 0

    def action_toggle_wrap(self) -> None:
        """Wrap long lines, or cut them with a marker and scroll sideways (Ctrl+W)."""
        self.wrap = not self.wrap
        self.scroll_to(x=0, animate=False, immediate=True)
        self._update_size()
        self.refresh()
        if self._cursor is not None:
            self._scroll_to_cursor()
        elif self._following:
            self.scroll_end(animate=False, x_axis=False)
        self.notify("long lines wrap" if self.wrap else "long lines are cut: ← → scroll")

    def on_resize(self) -> None:
        if self.wrap:
            self._update_size()

    def _update_size(self) -> None:
        # Long lines are cut with a marker (›); ← and → scroll sideways, and the Explain
        # panel shows the selected line whole.
        if self.wrap:
            self._relayout()
            self._set_virtual_size(Size(0, self._starts[-1] if self._starts else 0))
        else:
            self._set_virtual_size(Size(self._widest, self.view_count))
        self.border_subtitle = Content(self._subtitle())  # the filter is typed text: no markup

    def _set_virtual_size(self, size: Size) -> None:
        """Grow or shrink the scrollable area, with a layout of the screen only when a
        scrollbar appears or goes.

        ``virtual_size`` is a layout reactive: each change re-arranges and repaints the
        whole screen (some 30 widgets: 15-40 ms with a busy engine thread).  A log taking
        a flood changes it on every batch, and those layouts were the worst keystroke
        stalls.  When the scrollbars stay as they are, nothing moves on screen but this
        pane's lines and its scrollbars' thumbs: update and repaint those instead.
        """
        old = self.virtual_size
        if size == old:
            return
        bars = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
        if (
            self.styles.auto_dimensions  # the size of the pane itself follows its lines
            or not self.container_size
            or self._scrollbars_for(old) != bars
            or self._scrollbars_for(size) != bars
        ):
            self.virtual_size = size  # a full layout
            return
        self.set_reactive(LogPane.virtual_size, size)
        if bars[1]:
            self.vertical_scrollbar.window_virtual_size = size.height  # repaints the bar
        if bars[0]:
            self.horizontal_scrollbar.window_virtual_size = size.width
        if self.scroll_y > self.max_scroll_y or self.scroll_x > self.max_scroll_x:
            # fewer lines (trimmed, filtered) or narrower ones
            self.scroll_to(
                x=min(self.scroll_x, self.max_scroll_x),
                y=min(self.scroll_y, self.max_scroll_y),
                animate=False,
                immediate=True,
            )
        self.refresh()

    def _scrollbars_for(self, size: Size) -> tuple[bool, bool]:
        """(horizontal, vertical): the scrollbars Textual shows for content of ``size``
        (as ``Widget._refresh_scrollbars`` decides)."""
        styles = self.styles
        width, height = self.container_size
        fixed = {"scroll": True, "hidden": False}
        horizontal = fixed.get(styles.overflow_x, size.width > width)
        vertical = fixed.get(styles.overflow_y, size.height > height)
        if styles.overflow_x == "auto" and vertical and not horizontal:
            horizontal = size.width > width - styles.scrollbar_size_vertical
        if styles.overflow_y == "auto" and horizontal and not vertical:
            vertical = size.height > height - styles.scrollbar_size_horizontal
        return horizontal, vertical

    def _subtitle(self) -> str:
        parts = []
        if self._filter:
            parts.append(f"filter {self._filter!r}: {self.view_count:,} of {len(self._rows):,}")
        else:
            parts.append(plural(len(self._rows), "line"))
        if self._dropped:
            parts.append(f"{self._dropped:,} oldest dropped")
        if self._events_dropped:
            parts.append(f"{plural(self._events_dropped, 'event')} dropped")
        if self._reveal:
            parts.append("SECRETS SHOWN")
        return " · ".join(parts)

    # ------------------------------------------------------------------ rendering

    def _format_plain(self, row: LogRow) -> str:
        text = row.plain
        if row.wire.latency is not None:
            text += f"  [{format_latency(row.wire.latency)}]"
        return text

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index, part = self._row_of_line(scroll_y + y)
        width = self.size.width
        base = self.rich_style
        row = self._row_at(index)
        if row is None:
            return Strip.blank(width, base)
        segments = self._segments(row)
        strip = Strip(segments)
        full = strip.cell_length
        style = base
        if index == self._cursor:
            style = base + self.get_component_rich_style("log-pane--cursor")
            strip = strip.apply_style(style)
        if self.wrap:
            if not part:
                return strip.crop_extend(0, width, style)
            start = width + (part - 1) * (width - 2)
            marker = [Segment(self.CONTINUED, style + self._style("more"))]
            return Strip([*marker, *strip.crop(start, start + width - 2)]).extend_cell_length(
                width, style
            )
        strip = strip.crop_extend(scroll_x, scroll_x + width, style)
        if width > 2 and (full > scroll_x + width or (scroll_x and full > scroll_x)):
            marker = style + self._style("more")
            cut_right = full > scroll_x + width
            left = [Segment(self.MORE_LEFT, marker)] if scroll_x else []
            inner = strip.crop(1 if scroll_x else 0, width - 1 if cut_right else width)
            right = [Segment(self.MORE_RIGHT, marker)] if cut_right else []
            strip = Strip([*left, *inner, *right], width)
        return strip

    def action_pan(self, delta: int) -> None:
        """Scroll sideways (←/→) to read a long line."""
        self.scroll_to(x=max(0, self.scroll_x + delta), animate=False, immediate=True)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"log-pane--{name}", partial=True)

    def _segments(self, row: LogRow) -> list[Segment]:
        wire = row.wire
        style = self._style
        segments = [
            Segment("▌", style("tls-gutter")) if row.tls else Segment(" "),
        ]
        if self.show_time:
            stamp = time.strftime("%H:%M:%S", time.localtime(row.event.wall_time))
            millis = int((row.event.wall_time % 1) * 1000)
            segments.append(Segment(f"{stamp}.{millis:03d} ", style("time")))
        if wire.direction == "C":
            direction = style("client")
            segments.append(Segment("C: ", direction))
            segments.append(Segment(wire.text, style("secret") if wire.secret else direction))
        elif wire.direction == "S":
            klass = row.reply_class
            direction = style(f"server-{klass}") if klass else style("server")
            segments.append(Segment("S: ", direction))
            segments.append(Segment(wire.text, direction))
        else:
            note = style("tls") if wire.kind is EventKind.TLS else style("note")
            segments.append(Segment(f"* {wire.text}", note))
        if wire.ending:
            segments.append(Segment(f"  <{wire.ending}>", style("ending")))
        if wire.latency is not None:
            segments.append(Segment(f"  [{format_latency(wire.latency)}]", style("latency")))
        hint = row.hint
        if hint:
            segments.append(Segment(f"  {hint}", style("hint")))
        return segments

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Only the person scrolls up (following only ever scrolls down); reaching the end
        # again resumes following.  A move up that still sits at the end is the content
        # shrinking (old lines trimmed), not the person: keep following.
        if new_value < old_value and new_value < self.max_scroll_y:
            self._following = False
        elif new_value >= self.max_scroll_y:
            self._following = True

    # ------------------------------------------------------------------ selection

    def _select(self, index: int | None) -> None:
        count = self.view_count
        if index is not None:
            index = max(0, min(index, count - 1)) if count else None
        if index == self._cursor:
            return
        self._cursor = index
        if index is not None:
            self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.LineSelected(self, self.selected_row))

    def select_seq(self, seq: int) -> bool:
        """Select the line with this sequence number (tests and scripted screenshots)."""
        index = self._index_of_seq(seq)
        if index is None:
            return False
        self._select(index)
        return True

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        height = self.scrollable_content_region.height or 1
        top = self.scroll_y
        first = self._screen_line(self._cursor)
        last = self._screen_line(self._cursor + 1) - 1 if self.wrap else first
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif last >= top + height:
            self.scroll_to(y=last - height + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self._cursor is None:  # the first move selects the newest line
            self._select(max(0, self.view_count - 1))
        else:
            self._select(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height - 1)
        self.action_cursor(direction * height)

    def action_first(self) -> None:
        self._select(0)

    def action_last(self) -> None:
        self._select(self.view_count - 1)

    def action_escape(self) -> None:
        """Esc: clear the filter first, then drop the selection, then back to the prompt."""
        if self.filter:
            self.post_message(self.EscapePressed("filter"))
        elif self._cursor is not None:
            self.action_follow()
        else:
            self.post_message(self.EscapePressed("prompt"))

    def on_key(self, event: events.Key) -> None:
        """A printable key is meant for the prompt: hand it over instead of swallowing it."""
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.post_message(self.TypedHere(event.character))

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        self.post_message(self.TypedHere(event.text))

    def action_follow(self) -> None:
        """Drop the selection and follow new lines again."""
        self._select(None)
        self._following = True
        self.scroll_end(animate=False, x_axis=False)

    def action_toggle_time(self) -> None:
        self.show_time = not self.show_time
        self._cell_widths.clear()
        self._update_size()
        self.refresh()

    def action_copy_line(self) -> None:
        row = self.selected_row
        if row is None:
            self.notify("select a line first (up/down or click)", severity="warning")
            return
        text = self._format_plain(row)
        self.app.copy_to_clipboard(text)
        self.post_message(self.Copied(text, 1))

    def action_copy_all(self) -> None:
        text = self.text()
        self.app.copy_to_clipboard(text)
        self.post_message(self.Copied(text, self.view_count))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        self._select(self._row_of_line(self.scroll_offset.y + offset.y)[0])
