"""F1: the key bindings and every shell command, from the same tables that define them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from smtpshell.shell.registry import PREFIX, Registry
from smtpshell.tui.keys import APP_KEYS, LOCAL_KEYS

__all__ = ["HelpScreen", "help_markdown"]

INTRO = """\
# smtpshell

Type at the prompt exactly what you would type in the REPL: lines starting with `/` are
shell commands, every other line goes to the server as an SMTP command (`EHLO`,
`MAIL FROM:<a@example.com>`, `RCPT TO:<b@example.com>`, `DATA` ...).  The log shows every
byte sent (`C:`) and received (`S:`); select a line to have it explained.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def help_markdown(registry: Registry, categories: dict[str, str] | None = None) -> str:
    """The help text (also the source of the key table in docs/tui.md)."""
    lines = [INTRO, "## Keys", "", "| Key | Action |", "|---|---|"]
    lines += [f"| {_cell(k.display)} | {_cell(k.description)} |" for k in APP_KEYS]
    lines += ["", "| Where | Key | Action |", "|---|---|---|"]
    lines += [f"| {w} | {_cell(k)} | {_cell(d)} |" for w, k, d in LOCAL_KEYS]
    lines += ["", "## Shell commands", ""]
    for category, specs in registry.categories().items():
        title = (categories or {}).get(category, category)
        lines += [f"### {title}", "", "| Command | What it does |", "|---|---|"]
        lines += [f"| `{PREFIX}{s.name}` | {_cell(s.summary)} |" for s in specs]
        lines.append("")
    lines.append("`/help TOPIC` at the prompt explains a command, an SMTP verb or an extension.")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Scrollable help; Esc, F1 or q closes it."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, registry: Registry, categories: dict[str, str] | None = None) -> None:
        super().__init__()
        self.registry = registry
        self.categories = categories

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Markdown(help_markdown(self.registry, self.categories), id="help-text")

    def on_mount(self) -> None:
        dialog = self.query_one("#help-dialog")
        dialog.border_title = "Help"
        dialog.border_subtitle = "Esc closes"
        dialog.focus()

    def action_close(self) -> None:
        self.dismiss(None)
