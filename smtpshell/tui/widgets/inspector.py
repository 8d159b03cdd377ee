"""The inspector: session state, EHLO extensions, AUTH mechanisms, SIZE and the TLS session.

It renders an :class:`~smtpshell.tui.inspection.InspectorData` snapshot and holds no state
of its own beyond the last snapshot (to skip redundant redraws).
"""

from __future__ import annotations

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from smtpshell.tui.inspection import InspectorData, target_label

__all__ = ["Inspector"]


def _grid() -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1, overflow="fold")
    return table


def _yes(value: bool, yes: str = "yes", no: str = "no") -> Text:
    return Text(yes, style="green") if value else Text(no, style="dim")


def session_renderable(data: InspectorData | None) -> Table:
    grid = _grid()
    status = data.status if data is not None else None
    if data is None or status is None or not status.connected:
        grid.add_row("connected", Text("no", style="bold"))
        return grid
    grid.add_row("target", Text(target_label(status), style="bold"))
    grid.add_row("protocol", "LMTP" if status.lmtp else ("ESMTP" if data.esmtp else "SMTP"))
    grid.add_row("greeted", _yes(data.greeted, "yes (EHLO)" if data.esmtp else "yes"))
    if status.tls:
        verified = status.tls_verified
        grid.add_row(
            "TLS",
            Text("yes, certificate verified", style="green")
            if verified
            else Text("yes, NOT verified", style="bold yellow"),
        )
    else:
        grid.add_row("TLS", Text("no (plain text)", style="yellow"))
    grid.add_row("authenticated", Text(status.user, style="green") if status.user else "no")
    stage = status.stage
    transaction = data.mail_from is not None or data.in_data
    grid.add_row("transaction", Text(f"yes ({stage})", style="bold") if transaction else "no")
    if data.mail_from is not None:
        grid.add_row("sender", Text(f"<{data.mail_from}>"))  # Text: never markup
    if data.recipients:
        grid.add_row(
            f"recipients ({len(data.recipients)})",
            Text("\n".join(f"<{r}>" for r in data.recipients)),
        )
    if data.last_reply:
        grid.add_row("last reply", Text(data.last_reply))
    return grid


def extensions_renderable(data: InspectorData | None) -> Group | Text:
    if data is None or not data.features:
        if data is not None and data.greeted and not data.esmtp:
            return Text("HELO only: no extensions may be used.", style="dim")
        return Text("No EHLO answer yet: press EHLO (or type it).", style="dim")
    rows = []
    for info in data.features:
        line = Text()
        line.append(info.keyword, style="bold")
        if info.params and info.keyword not in ("AUTH",):
            line.append(f" {info.params}")
        line.append(f"  {info.rfc}", style="dim")
        rows.append(line)
        if info.keyword == "AUTH":
            meaning = "See AUTH mechanisms below."
        else:
            meaning = info.interpretation if info.params else info.summary
        # Padding, not leading spaces: a wrapped meaning keeps its indent.
        rows.append(Padding(Text(meaning or info.title, style="italic"), (0, 0, 0, 2)))
    # SIZE is one of the rows (its meaning gives the limit): no second SIZE line.
    return Group(*rows)


def auth_renderable(data: InspectorData | None) -> Text:
    if data is None or not data.mechanisms:
        return Text("No AUTH advertised (yet).", style="dim")
    text = Text()
    for i, mech in enumerate(data.mechanisms):
        if i:
            text.append("\n")
        if mech.supported:
            text.append("✓ ", style="green")
            text.append(mech.name, style="bold")
            text.append("  supported by smtpshell", style="green")
        else:
            text.append("✗ ", style="red")
            text.append(mech.name, style="bold")
            text.append("  not supported by smtpshell", style="dim")
    return text


def tls_renderable(data: InspectorData | None) -> Group | Table | Text:
    if data is None or not data.tls_rows:
        return Text("No TLS on this connection: STARTTLS, or connect with implicit TLS.", "dim")
    grid = _grid()
    for key, value in data.tls_rows:
        style = ""
        if key == "verified":
            style = "green" if value == "yes" else "bold yellow"
        grid.add_row(key, Text(value, style=style))
    changes = data.tls_changes
    if changes is None:
        return grid
    lines = [Text("Changed after STARTTLS:", style="bold")]
    for keyword in changes.added:
        lines.append(Text(f"  + {keyword} (offered only over TLS)", style="green"))
    for keyword in changes.removed:
        lines.append(Text(f"  − {keyword} (no longer offered)", style="yellow"))
    for keyword, before, after in changes.changed:
        lines.append(Text(f"  ~ {keyword}: {before or '-'} → {after or '-'}", style="cyan"))
    if len(lines) == 1:
        lines.append(Text("  nothing: the same extensions as before", style="dim"))
    return Group(grid, Text(""), *lines)


class Inspector(VerticalScroll, can_focus=True):
    """Sections stacked in a scrollable column; ``show`` redraws from a snapshot."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._data: InspectorData | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="inspector-session", classes="inspector-section")
        yield Static(id="inspector-extensions", classes="inspector-section")
        yield Static(id="inspector-auth", classes="inspector-section")
        yield Static(id="inspector-tls", classes="inspector-section")

    @property
    def session_section(self) -> Static:
        return self.query_one("#inspector-session", Static)

    @property
    def extensions_section(self) -> Static:
        return self.query_one("#inspector-extensions", Static)

    @property
    def auth_section(self) -> Static:
        return self.query_one("#inspector-auth", Static)

    @property
    def tls_section(self) -> Static:
        return self.query_one("#inspector-tls", Static)

    @property
    def data(self) -> InspectorData | None:
        return self._data

    def on_mount(self) -> None:
        self.border_title = "Inspector"
        self.session_section.border_title = "Session"
        self.extensions_section.border_title = "Extensions (EHLO)"
        self.auth_section.border_title = "AUTH mechanisms"
        self.tls_section.border_title = "TLS"
        self._render_all()

    def show(self, data: InspectorData | None) -> None:
        if data == self._data:
            return
        self._data = data
        if self.is_mounted:
            self._render_all()

    def _render_all(self) -> None:
        data = self._data
        self.session_section.update(session_renderable(data))
        self.extensions_section.update(extensions_renderable(data))
        self.auth_section.update(auth_renderable(data))
        self.tls_section.update(tls_renderable(data))
