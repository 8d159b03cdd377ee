"""The command pane: what the shell answered, buttons for the common steps, the prompt.

Lines typed here go to the engine exactly as the REPL sends them (``/commands``, plain
SMTP lines, DATA lines); the pane only renders the :class:`~smtpshell.shell.Result`
items that come back.  While a command is in flight a spinner turns and Cancel is live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table as RichTable
from rich.text import Text as RichText
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, RichLog, Static

from smtpshell.shell import Candidate, Item, Level, Mode, Note, Result, Table, Text
from smtpshell.shell.engine import MODE_HINTS
from smtpshell.tui.widgets.command_input import CommandInput

__all__ = ["CommandPane", "render_item"]

#: How many output lines the pane keeps (the transcript has the wire traffic).
MAX_OUTPUT_LINES = 2_000

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

_LEVEL_STYLE = {
    Level.INFO: "",
    Level.OK: "green",
    Level.HINT: "italic dim",
    Level.WARN: "yellow",
    Level.ERROR: "bold red",
}
_LEVEL_PREFIX = {Level.WARN: "warning: ", Level.ERROR: "error: "}

_PROMPTS = {
    Mode.COMMAND: "smtp›",
    Mode.DATA: "data›",
    Mode.COMPOSE: "msg›",
    Mode.SECRET: "secret›",
    Mode.RAW: "raw›",
}

#: (label, action, tooltip) for the toolbar; actions are the app's.
BUTTONS = (
    ("Connect", "app.connect_dialog", "Connect to a server (F2)"),
    ("EHLO", "app.run_line('/ehlo')", "Greet the server and list its extensions"),
    ("STARTTLS", "app.run_line('/starttls')", "Upgrade the connection to TLS"),
    ("Login", "app.login", "Authenticate (asks for the user and password)"),
    ("Send", "app.compose", "Compose and send a message (F4)"),
    ("VRFY", "app.prefill('/verify ')", "Ask whether a mailbox exists"),
    ("RSET", "app.run_line('/rset')", "Abort the current transaction"),
    ("QUIT", "app.run_line('/quit')", "End the session politely"),
)


def render_item(item: Item) -> RichText | RichTable:
    """One result item as a Rich renderable; text never goes through markup."""
    if isinstance(item, Note):
        text = RichText(_LEVEL_PREFIX.get(item.level, "") + item.text)
        text.stylize(_LEVEL_STYLE[item.level])
        return text
    if isinstance(item, Table):
        table = RichTable(
            title=item.title or None,
            title_justify="left",
            title_style="bold",
            box=None,
            show_header=bool(item.headers),
            header_style="dim",
            pad_edge=False,
            expand=False,
        )
        width = max((len(r) for r in item.rows), default=len(item.headers))
        headers = item.headers or ("",) * width
        for index, header in enumerate(headers):
            last = index == len(headers) - 1
            table.add_column(
                header, style="" if index else "bold", overflow="fold", no_wrap=not last
            )
        for row in item.rows:
            table.add_row(*(RichText(cell) for cell in row))
        return table
    if isinstance(item, Text):
        out = RichText()
        if item.title:
            out.append(item.title + "\n", style="bold")
        out.append(item.body)
        return out
    raise TypeError(f"not a result item: {item!r}")


class CommandPane(Vertical):
    """Output, toolbar and prompt; posts :class:`CommandPane.Submitted` for each line."""

    @dataclass
    class Submitted(Message):
        """A line was entered at the prompt."""

        line: str

    def __init__(
        self,
        completer: Callable[[str], list[Candidate]],
        *,
        history: list[str] | None = None,
        buttons: tuple[tuple[str, str, str], ...] = BUTTONS,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._completer = completer
        self._buttons = buttons
        self._history = history or []
        self._busy_frame = 0
        self._busy_label = ""
        self._mode = Mode.COMMAND

    def compose(self) -> ComposeResult:
        yield RichLog(
            id="command-output",
            max_lines=MAX_OUTPUT_LINES,
            wrap=True,
            markup=False,
            auto_scroll=True,
        )
        yield OptionList(id="command-completions")
        with Horizontal(id="command-toolbar"):
            for label, action, tooltip in self._buttons:
                button = Button(label, action=action, compact=True, classes="step")
                button.tooltip = tooltip
                yield button
            yield Static("", id="command-spinner")
            cancel = Button("Cancel", action="app.cancel", compact=True, id="command-cancel")
            cancel.tooltip = "Cancel the command in flight (Esc); closes the connection"
            yield cancel
        with Horizontal(id="command-prompt-row"):
            yield Label(_PROMPTS[Mode.COMMAND], id="command-prompt")
            yield CommandInput(
                self._completer,
                history=self._history,
                placeholder=MODE_HINTS[Mode.COMMAND],
                id="command-input",
            )

    # ------------------------------------------------------------------ typed accessors

    @property
    def output(self) -> RichLog:
        return self.query_one("#command-output", RichLog)

    @property
    def completions(self) -> OptionList:
        return self.query_one("#command-completions", OptionList)

    @property
    def command_input(self) -> CommandInput:
        return self.query_one("#command-input", CommandInput)

    @property
    def prompt(self) -> Label:
        return self.query_one("#command-prompt", Label)

    @property
    def spinner(self) -> Static:
        return self.query_one("#command-spinner", Static)

    @property
    def cancel_button(self) -> Button:
        return self.query_one("#command-cancel", Button)

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        self.output.border_title = "Shell"
        self.completions.display = False
        self.command_input.menu = self.completions
        self.cancel_button.disabled = True
        self.set_interval(0.1, self._spin, pause=False)

    def _spin(self) -> None:
        if not self._busy_label:
            return
        self._busy_frame = (self._busy_frame + 1) % len(SPINNER)
        self.spinner.update(Content(f"{SPINNER[self._busy_frame]} {self._busy_label}"))

    # ------------------------------------------------------------------ events

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.command_input:
            return
        event.stop()
        self.command_input.close_menu()
        self.post_message(self.Submitted(event.value))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.command_input.accept_menu(event.option_index)
        self.command_input.focus()

    # ------------------------------------------------------------------ API for the app

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Change the prompt; secret answers are typed hidden."""
        self._mode = mode
        self.prompt.update(_PROMPTS.get(mode, "›"))
        self.prompt.set_class(mode is not Mode.COMMAND, "-special")
        self.command_input.password = mode is Mode.SECRET
        self.command_input.placeholder = MODE_HINTS.get(mode, "")

    def set_busy(self, label: str | None) -> None:
        """Show the spinner and enable Cancel while a command runs (None: idle)."""
        self._busy_label = label or ""
        self.cancel_button.disabled = not label
        self.set_class(bool(label), "-busy")
        # the label is the typed line: plain Content, so "[bold]" is shown, not parsed
        self.spinner.update(Content(f"{SPINNER[self._busy_frame]} {label}" if label else ""))

    def echo(self, text: str, mode: Mode | None = None) -> None:
        """Show the line as it will be remembered (secrets already left out)."""
        line = RichText()
        line.append(f"{_PROMPTS.get(mode or self._mode, '›')} ", style="bold dim")
        line.append(text, style="bold")
        self.output.write(line)

    def show_result(self, result: Result) -> None:
        for item in result.items:
            self.output.write(render_item(item))

    def write_note(self, text: str, level: Level = Level.INFO) -> None:
        self.output.write(render_item(Note(text, level)))

    def prefill(self, text: str) -> None:
        self.command_input.value = text
        self.command_input.cursor_position = len(text)
        self.command_input.focus()
