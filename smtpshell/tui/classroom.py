"""The teacher's dashboard for ``smtpshell class``: one row per student, live.

It reads the class server's :class:`~smtpshell.classroom.room.Room` (snapshots, a few times a
second, only when its version moved) and never talks SMTP itself, so it never blocks.
Enter drills into a student's live transcript (redacted by the server where AUTH data is
born); ``p`` projects the selected session full-screen in presenter style; ``f`` cycles a
fault for the selected student, ``F`` for the whole class; ``e`` exports progress (CSV and
JSON, never a password).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Log, Static

from smtpshell.classroom.room import FAULT_PRESETS, Room, StudentRow

__all__ = ["ClassDashboard"]

COLUMNS = (
    "student",
    "account",
    "conn",
    "stage",
    "TLS",
    "auth",
    "last command",
    "last reply",
    "errors",
    "lesson",
    "mail",
    "fault",
)
REFRESH = 0.25


def row_cells(row: StudentRow) -> tuple[str, ...]:
    return (
        row.name,
        row.account,
        "yes" if row.connected else "-",
        row.stage,
        "TLS" if row.tls else "-",
        "yes" if row.authenticated else "-",
        row.last_command[:24],
        row.last_reply[:30],
        str(row.errors),
        _short(row.lesson, row.progress),
        f"{row.messages_sent}↑ {row.mailbox}↓",
        row.fault,
    )


def _short(lesson: str, progress: str) -> str:
    """``07-starttls 5/5`` stays; longer lesson names are cut, the step count kept."""
    if len(progress) <= 22:
        return progress
    count = progress.rsplit(" ", 1)[-1]
    return f"{lesson[: 21 - len(count)]}… {count}"


class TranscriptScreen(Screen):
    """One student's live transcript; in presenter mode full-screen and high-contrast."""

    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "back"),
        Binding("q", "app.pop_screen", "back"),
    ]
    DEFAULT_CSS = """
    TranscriptScreen Log { height: 1fr; }
    TranscriptScreen.presenter { background: black; }
    TranscriptScreen.presenter Log { color: white; text-style: bold; padding: 1 2; }
    TranscriptScreen.presenter #title { color: yellow; text-style: bold; padding: 1 2; }
    """

    def __init__(self, room: Room, account: str, *, presenter: bool = False) -> None:
        super().__init__(classes="presenter" if presenter else "")
        self.room = room
        self.account = account
        self.presenter = presenter
        self._shown = 0
        self._version = -1

    def compose(self) -> ComposeResult:
        row = self.room.row(self.account)
        yield Static(f"{row.name} ({row.account})", id="title")
        yield Log(id="transcript", highlight=False)
        if not self.presenter:
            yield Footer()

    def on_mount(self) -> None:
        self.refresh_lines()
        self.set_interval(REFRESH, self.refresh_lines)

    def refresh_lines(self) -> None:
        if self.room.version == self._version:
            return
        self._version = self.room.version
        lines = self.room.transcript(self.account)
        log = self.query_one(Log)
        if len(lines) < self._shown:  # the ring buffer wrapped: start over
            log.clear()
            self._shown = 0
        new = lines[self._shown :]
        if self.presenter:
            new = [line for line in new for line in (line, "")]
        log.write_lines(new)
        self._shown = len(lines)

    @property
    def text(self) -> str:
        return "\n".join(self.query_one(Log).lines)


class ClassDashboard(App):
    """``smtpshell class``: the room at a glance."""

    TITLE = "smtpshell class"
    BINDINGS: ClassVar = [
        Binding("enter", "drill", "transcript"),
        Binding("p", "project", "project"),
        Binding("f", "fault_student", "fault (student)"),
        Binding("F", "fault_class", "fault (class)"),
        Binding("e", "export", "export"),
        Binding("q", "quit", "quit"),
    ]
    DEFAULT_CSS = """
    #summary { height: 1; padding: 0 1; }
    DataTable { height: 1fr; }
    """

    def __init__(self, room: Room, *, banner: str = "", export_dir: Path | None = None):
        super().__init__()
        self.room = room
        self.banner = banner
        self.export_dir = export_dir or Path.cwd()
        self._version = -1
        self._accounts: list[str] = []
        self._shown: dict[str, tuple[str, ...]] = {}
        self._class_fault = 0
        self._student_faults: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(self.banner, id="summary")
            yield DataTable(id="students", cursor_type="row", zebra_stripes=True)
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one("#students", DataTable)

    def on_mount(self) -> None:
        table = self.table
        for column in COLUMNS:
            table.add_column(column, key=column)
        for row in self.room.rows():
            self._shown[row.account] = row_cells(row)
            table.add_row(*self._shown[row.account], key=row.account)
            self._accounts.append(row.account)
        self.refresh_rows()
        self.set_interval(REFRESH, self.refresh_rows)

    def refresh_rows(self) -> None:
        if self.room.version == self._version:
            return
        self._version = self.room.version
        table = self.table
        connected = 0
        for row in self.room.rows():
            connected += row.connected
            cells = row_cells(row)
            before = self._shown.get(row.account, ())
            for index, (column, value) in enumerate(zip(COLUMNS, cells, strict=True)):
                if index >= len(before) or before[index] != value:
                    table.update_cell(row.account, column, value)
            self._shown[row.account] = cells
        fault = self.room.class_fault.describe() if self.room.class_fault else "none"
        self.query_one("#summary", Static).update(
            f"{self.banner}   {connected}/{len(self._accounts)} connected   class fault: {fault}"
        )

    def cell(self, account: str, column: str) -> str:
        """What the dashboard shows (for tests)."""
        return str(self.table.get_cell(account, column))

    @property
    def selected(self) -> str | None:
        if not self._accounts:
            return None
        return self._accounts[min(self.table.cursor_row, len(self._accounts) - 1)]

    def action_drill(self) -> None:
        if self.selected:
            self.push_screen(TranscriptScreen(self.room, self.selected))

    def action_project(self) -> None:
        if self.selected:
            self.push_screen(TranscriptScreen(self.room, self.selected, presenter=True))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_drill()

    def action_fault_student(self) -> None:
        account = self.selected
        if account is None:
            return
        index = (self._student_faults.get(account, 0) + 1) % len(FAULT_PRESETS)
        self._student_faults[account] = index
        self.room.set_fault(account, FAULT_PRESETS[index])
        self.notify(
            f"{account}: {FAULT_PRESETS[index].describe() if FAULT_PRESETS[index] else 'no fault'}"
        )

    def action_fault_class(self) -> None:
        self._class_fault = (self._class_fault + 1) % len(FAULT_PRESETS)
        fault = FAULT_PRESETS[self._class_fault]
        self.room.set_fault(None, fault)
        self.notify(f"whole class: {fault.describe() if fault else 'no fault'}")

    def action_export(self) -> None:
        self.export_dir.mkdir(parents=True, exist_ok=True)
        csv_path = self.export_dir / "class-progress.csv"
        json_path = self.export_dir / "class-progress.json"
        csv_path.write_text(self.room.export_csv(), encoding="utf-8")
        json_path.write_text(self.room.export_json(), encoding="utf-8")
        self.notify(f"exported {csv_path} and {json_path}")
