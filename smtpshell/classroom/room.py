"""The room: what the class server knows about each student, as data the dashboard shows.

The class server's connections write into a :class:`Room` (from the server's loop thread);
the dashboard and exports read snapshots (:meth:`Room.rows`) from theirs.  Nothing secret
ever enters it: the server records AUTH commands as ``AUTH PLAIN <redacted>`` where they
are born, SASL continuation lines are never recorded, and the room holds no passwords.

Faults the teacher switches on (for the class, or one student) live here too, as
:class:`ClassFault`, so the dashboard can change them while the class runs.
"""

from __future__ import annotations

import collections
import copy
import csv
import io
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

__all__ = ["FAULT_PRESETS", "ClassFault", "Room", "StudentRow"]

#: Lines of live transcript kept per student.
TRANSCRIPT_LINES = 400


@dataclass(frozen=True)
class ClassFault:
    """One deliberate misbehaviour: ``delay`` (seconds before replying to ``point``),
    ``reject`` (RCPT answered ``code``), ``421`` (answer ``point`` with 421 and hang up),
    ``drop`` (close without a reply at ``point``)."""

    kind: str
    point: str = "MAIL"
    seconds: float = 0.0
    code: int = 550

    def describe(self) -> str:
        if self.kind == "delay":
            return f"delay {self.seconds:g}s on {self.point}"
        if self.kind == "reject":
            return f"RCPT gets {self.code}"
        if self.kind == "421":
            return f"421 on {self.point}"
        return f"drop on {self.point}"


#: What the dashboard's fault key cycles through (None: no fault).
FAULT_PRESETS: tuple[ClassFault | None, ...] = (
    None,
    ClassFault("delay", "MAIL", seconds=5.0),
    ClassFault("reject", "RCPT", code=450),
    ClassFault("reject", "RCPT", code=550),
    ClassFault("421", "MAIL"),
    ClassFault("drop", "EOM"),
)


@dataclass
class StudentRow:
    """One row of the dashboard."""

    name: str
    account: str
    connections: int = 0
    stage: str = "-"
    tls: bool = False
    authenticated: bool = False
    last_command: str = ""
    last_reply: str = ""
    errors: int = 0
    lesson: str = ""
    step: int = 0
    steps: int = 0
    messages_sent: int = 0
    mailbox: int = 0
    fault: str = ""

    @property
    def connected(self) -> bool:
        return self.connections > 0

    @property
    def progress(self) -> str:
        if not self.lesson:
            return ""
        return f"{self.lesson} {self.step}/{self.steps}"


@dataclass
class _Connection:
    peer: str
    account: str | None = None
    stage: str = "connected"
    tls: bool = False
    lines: list[str] = field(default_factory=list)  # before the student is known


class Room:
    """Thread-safe state of the class: one :class:`StudentRow` per roster entry."""

    def __init__(self, students: Iterable[tuple[str, str]]) -> None:
        """``students``: (name, account) pairs, in roster order."""
        self._lock = threading.Condition()
        self._rows: dict[str, StudentRow] = {
            account: StudentRow(name, account) for name, account in students
        }
        self._transcripts: dict[str, collections.deque[str]] = {
            account: collections.deque(maxlen=TRANSCRIPT_LINES) for account in self._rows
        }
        self._connections: dict[int, _Connection] = {}
        self._faults: dict[str, ClassFault] = {}
        self.class_fault: ClassFault | None = None
        self.version = 0
        self.anonymous = 0  # connections that never logged in

    # --- written by the server --------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1
        self._lock.notify_all()

    def connect(self, conn: int, peer: str) -> None:
        with self._lock:
            self._connections[conn] = _Connection(peer)
            self._changed()

    def disconnect(self, conn: int) -> None:
        with self._lock:
            connection = self._connections.pop(conn, None)
            if connection and connection.account in self._rows:
                row = self._rows[connection.account]
                row.connections = max(0, row.connections - 1)
                if not row.connections:
                    row.stage, row.tls, row.authenticated = "-", False, False
                self._line(connection, "-- disconnected")
            self._changed()

    def authenticated(self, conn: int, account: str) -> None:
        with self._lock:
            connection = self._connections.get(conn)
            if connection is None or account not in self._rows:
                return
            connection.account = account
            row = self._rows[account]
            row.connections += 1
            row.authenticated = True
            row.tls = connection.tls
            row.stage = connection.stage
            transcript = self._transcripts[account]
            transcript.append(f"-- connection from {connection.peer}")
            transcript.extend(connection.lines)
            connection.lines.clear()
            self._changed()

    def command(self, conn: int, text: str) -> None:
        with self._lock:
            connection = self._connections.get(conn)
            if connection is None:
                return
            self._line(connection, f"C: {text}")
            if connection.account:
                self._rows[connection.account].last_command = text
            self._changed()

    def reply(self, conn: int, text: str, stage: str | None, tls: bool) -> None:
        with self._lock:
            connection = self._connections.get(conn)
            if connection is None:
                return
            connection.tls = tls
            if stage:
                connection.stage = stage
            self._line(connection, f"S: {text}")
            if connection.account:
                row = self._rows[connection.account]
                row.last_reply = text
                row.tls = tls
                row.stage = connection.stage
                if text[:1] in ("4", "5") and text[3:4] != "-":  # once per reply
                    row.errors += 1
            self._changed()

    def lesson(self, account: str, lesson: str, step: int, steps: int) -> None:
        with self._lock:
            row = self._rows.get(account)
            if row is None:
                return
            if steps == 0:  # "XLESSON joined 0 0": learn --class checking in
                self._transcripts[account].append(f"-- {lesson}")
                self._changed()
                return
            row.lesson, row.step, row.steps = lesson, step, steps
            self._transcripts[account].append(f"-- lesson {lesson}: step {step} of {steps} done")
            self._changed()

    def delivered(self, sender: str | None, recipient: str) -> None:
        with self._lock:
            if sender in self._rows:
                self._rows[sender].messages_sent += 1
            if recipient in self._rows:
                self._rows[recipient].mailbox += 1
            self._changed()

    def _line(self, connection: _Connection, line: str) -> None:
        if connection.account:
            self._transcripts[connection.account].append(line)
        elif len(connection.lines) < 50:
            connection.lines.append(line)

    # --- faults ----------------------------------------------------------------------------

    def set_fault(self, account: str | None, fault: ClassFault | None) -> None:
        """``account`` None: for the whole class."""
        with self._lock:
            if account is None:
                self.class_fault = fault
            elif fault is None:
                self._faults.pop(account, None)
            else:
                self._faults[account] = fault
            for key, row in self._rows.items():
                active = self._faults.get(key) or self.class_fault
                row.fault = active.describe() if active else ""
            self._changed()

    def fault_for(self, account: str | None) -> ClassFault | None:
        with self._lock:
            return (self._faults.get(account) if account else None) or self.class_fault

    # --- read by faces and tests ------------------------------------------------------------

    def rows(self) -> list[StudentRow]:
        with self._lock:
            return [copy.copy(row) for row in self._rows.values()]

    def row(self, account: str) -> StudentRow:
        with self._lock:
            return copy.copy(self._rows[account])

    def transcript(self, account: str) -> list[str]:
        with self._lock:
            return list(self._transcripts.get(account, ()))

    def wait_until(self, predicate: Callable[[Room], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate(room)`` holds; TimeoutError after ``timeout`` (tests)."""
        with self._lock:
            if not self._lock.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError(f"the room did not get there in {timeout}s")

    def export_csv(self) -> str:
        """Progress of every student: no passwords, no transcript."""
        buffer = io.StringIO()
        columns = [
            "name",
            "account",
            "lesson",
            "step",
            "steps",
            "errors",
            "messages_sent",
            "mailbox",
        ]
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in self.rows():
            writer.writerow([getattr(row, column) for column in columns])
        return buffer.getvalue()

    def export_json(self) -> str:
        return json.dumps(
            {
                "students": [asdict(row) for row in self.rows()],
                "transcripts": {account: self.transcript(account) for account in self._rows},
            },
            indent=2,
        )
