"""What the selected log line means: reply code, enhanced status code, EHLO keyword, verb.

The meaning comes from ``knowledge.explain_line`` (the same data ``/explain``, the lessons
and the probe use); this widget only styles it.  Server text is already escaped (the log
pane's lines and explain_line's parts are display-safe) and is added as plain text, never
as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from smtpshell.knowledge.lines import LineExplanation, LineKind, explain_line
from smtpshell.transcript import EventKind
from smtpshell.tui.widgets.log_pane import LogRow

__all__ = ["ExplainPanel", "explain_row", "style_explanation"]

PLACEHOLDER = "Select a log line (click it, or Ctrl+L then ↑/↓) to see what it means."

_EVENTS = {EventKind.TLS: "tls", EventKind.CONNECT: "connect", EventKind.CLOSE: "close"}


def _head(info: LineExplanation) -> Text:
    """The headline part: what the line is, bold, then its main text."""
    out, head = Text(), info.headline
    if info.kind is LineKind.REPLY:
        out.append(head.title, style="bold")
        if info.enhanced is not None:
            out.append(f"  ·  {info.enhanced.title}", style="bold")
        out.append(f"\n{head.text}")
    elif info.kind is LineKind.EXTENSION:
        keyword, _, title = head.title.partition(" — ")
        out.append(keyword, style="bold")
        out.append(f" — {title}. {head.text}")
    elif info.kind is LineKind.COMMAND:
        out.append(f"{head.title} ", style="bold")
        out.append(head.text)
    else:
        out.append(f"{head.title}: " if head.text else head.title, style="bold")
        out.append(head.text)
    return out


def _footer(info: LineExplanation, latency: float | None) -> list[str]:
    """The dim last line: the reply class and sources, a command's syntax, the latency."""
    source = info.headline.source
    if info.kind is LineKind.REPLY:
        parts = (info.reply_class and info.reply_class.title, source, info.enhanced)
        footer = [text for p in parts if p and (text := p if isinstance(p, str) else p.source)]
        if latency is not None:
            footer.append(f"answered in {latency * 1000:.1f} ms")
        return footer
    if info.kind is LineKind.COMMAND:
        return [
            f"syntax: {info.syntax}  ·  {source}",
            *([f"needs {info.needs}"] * bool(info.needs)),
        ]
    return [source] if info.kind is LineKind.EXTENSION and source else []


def style_explanation(info: LineExplanation, *, latency: float | None = None) -> Text:
    """An explanation as styled text: headline bold, sources dim, notes italic."""
    out = _head(info)
    enhanced = info.enhanced
    if enhanced is not None and enhanced.text:
        out.append(f"\n{enhanced.title.split(' ', 1)[0]}: {enhanced.text}")
    for name, note in info.items:
        out.append(f"\n  {name}: {note}")
    for note in info.notes:
        out.append(f"\n{note}", style="italic")
    footer = _footer(info, latency)
    if footer:
        out.append("\n" + "  ·  ".join(footer), style="dim")
    return out


def explain_row(row: LogRow, *, reply_verb: str | None = None, first_line: bool = False) -> Text:
    """The explanation of one log line, styled.

    ``reply_verb`` is the verb of the command a server line answers (from the reply's
    final line), so the lines of an EHLO reply are explained as extensions;
    ``first_line`` marks the first line of a reply (the server's name after EHLO).
    """
    wire, event = row.wire, row.event
    data = event.kind is EventKind.SENT and len(event.data) > len(wire.text) + 2
    info = explain_line(
        wire.direction,
        wire.text,
        verb=reply_verb,
        first_line=first_line,
        final=wire.final,
        secret=wire.secret,
        data=data,
        event=_EVENTS.get(event.kind),
    )
    return style_explanation(info, latency=wire.latency)


class ExplainPanel(Static):
    """The explanation of the selected log line (or a hint how to select one)."""

    def on_mount(self) -> None:
        self.border_title = "Explain"
        self.show_row(None)

    def show_row(
        self, row: LogRow | None, *, reply_verb: str | None = None, first_line: bool = False
    ) -> None:
        if row is None:
            self.border_title = "Explain"
            self.update(Text(PLACEHOLDER, style="dim"))
        else:
            # The line itself goes in the title (the log may have cut it off).
            self.border_title = Content(f"Explain  {row.plain}")  # plain text, never markup
            self.update(explain_row(row, reply_verb=reply_verb, first_line=first_line))
            self.scroll_home(animate=False)
