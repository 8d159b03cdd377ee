"""What the selected log line means: reply code, enhanced status code, EHLO keyword, verb.

Everything comes from the knowledge tables (``explain``, ``describe_feature``,
``command``), so the panel says what ``/explain`` and ``/help`` say.  Server text is
already escaped by the log pane and is added as plain text, never as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from smtpshell.knowledge import command, describe_feature, explain
from smtpshell.transcript import EventKind
from smtpshell.tui.widgets.log_pane import LogRow

__all__ = ["ExplainPanel", "explain_row"]

PLACEHOLDER = "Select a log line (click it, or Ctrl+L then ↑/↓) to see what it means."


def _reply_text(row: LogRow) -> str:
    return row.wire.text[4:]


def explain_row(row: LogRow, *, reply_verb: str | None = None, first_line: bool = False) -> Text:
    """The explanation of one log line as styled text.

    ``reply_verb`` is the verb of the command a server line answers (from the reply's
    final line), so the lines of an EHLO reply are explained as extensions;
    ``first_line`` marks the first line of a reply (the server's name after EHLO).
    """
    wire = row.wire
    out = Text()
    if wire.direction == "C":
        if wire.secret:
            out.append("AUTH data (secret): ", style="bold")
            out.append("redacted here, in exports and in history; F6 reveals it on screen.")
            return out
        verb = wire.text.split(" ", 1)[0].split(":", 1)[0].upper()
        info = command(verb) if verb else None
        if info is None:
            if row.event.kind is EventKind.SENT and len(row.event.data) > len(wire.text) + 2:
                out.append("Message data", style="bold")
                out.append(" (a line of the DATA body, or a command the tables do not know).")
            else:
                out.append(f"{verb or 'This line'}: ", style="bold")
                out.append("not a command in smtpshell's tables (message data, or unknown).")
            return out
        out.append(f"{info.verb} ", style="bold")
        out.append(info.description)
        out.append(f"\nsyntax: {info.syntax}  ·  {info.rfc}", style="dim")
        if info.extension:
            out.append(f"  ·  needs {info.extension}", style="dim")
        return out
    if wire.direction == "S":
        code_text = wire.text[:3]
        if not code_text.isdigit():
            out.append("Malformed reply line: ", style="bold")
            out.append("it does not start with a three-digit code (RFC 5321 §4.2).")
            return out
        if reply_verb in ("EHLO", "LHLO") and not wire.final and not first_line:
            keyword, _, params = _reply_text(row).partition(" ")
            feature = describe_feature(keyword, params)
            out.append(f"{feature.keyword}", style="bold")
            out.append(f" — {feature.title}. ")
            out.append(feature.interpretation or feature.summary)
            out.append(f"\n{feature.rfc}", style="dim")
            for name, note in feature.items:
                out.append(f"\n  {name}: {note}")
            return out
        if reply_verb in ("EHLO", "LHLO") and first_line and not wire.final:
            out.append("EHLO greeting line: ", style="bold")
            out.append("the server's name, then one extension per line (select one).")
            return out
        info = explain(int(code_text), _reply_text(row))
        out.append(f"{info.code} {info.short}", style="bold")
        if info.enhanced:
            out.append(f"  ·  {info.enhanced} {info.enhanced_title or ''}".rstrip(), style="bold")
        out.append(f"\n{info.long}")
        if info.enhanced and info.enhanced_description:
            out.append(f"\n{info.enhanced}: {info.enhanced_description}")
        for note in info.notes:
            out.append(f"\n{note}", style="italic")
        sources = [info.reply_class, info.rfc]
        if info.enhanced_rfc:
            sources.append(info.enhanced_rfc)
        if wire.latency is not None:
            sources.append(f"answered in {wire.latency * 1000:.1f} ms")
        out.append("\n" + "  ·  ".join(sources), style="dim")
        return out
    kind = row.event.kind
    label = {
        EventKind.TLS: "TLS is up: from here on the connection is encrypted. ",
        EventKind.CONNECT: "Connected. ",
        EventKind.CLOSE: "Connection closed. ",
    }.get(kind, "Note: ")
    out.append(label, style="bold")
    out.append(wire.text)
    return out


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
