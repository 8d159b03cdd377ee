"""What running a line returns: output items (data, not ANSI) and how it went.

Faces render items their own way (REPL: coloured lines; TUI: widgets; scripts: plain
text).  Wire traffic is not in here: it reaches faces live through the transcript.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "Item",
    "Level",
    "Note",
    "Outcome",
    "ReplyRecord",
    "Result",
    "Table",
    "Text",
    "plural",
]


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    """``1 line``, ``2 lines``, ``1,024 bytes``: the count with the right form of ``noun``."""
    return f"{number:,} {noun if number == 1 else (nouns or noun + 's')}"


class Level(enum.StrEnum):
    INFO = "info"
    OK = "ok"
    HINT = "hint"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Note:
    """One line of shell output."""

    text: str
    level: Level = Level.INFO


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of cells (features, TLS details, help listings); ``headers`` may be empty."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Text:
    """A block of prose or preformatted text (long help, explanations, a transcript)."""

    title: str
    body: str
    preformatted: bool = False


Item = Note | Table | Text


class Outcome(enum.StrEnum):
    """How a line went; scripts turn these into exit codes."""

    OK = "ok"
    USAGE = "usage"  # the line itself is wrong: bad command, bad arguments
    CONNECTION = "connection"  # could not connect, or the connection is gone
    SMTP = "smtp"  # the server refused (an SMTP error with a reply)
    EXPECTATION = "expectation"  # an ``expect`` did not hold
    CANCELLED = "cancelled"  # the user cancelled the command in flight


@dataclass(slots=True)
class Result:
    """The outcome of one line.  ``exit`` asks the face to end the session."""

    items: list[Item] = field(default_factory=list)
    outcome: Outcome = Outcome.OK
    exit: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def add(self, item: Item | str, level: Level = Level.INFO) -> Result:
        self.items.append(Note(item, level) if isinstance(item, str) else item)
        return self

    @property
    def errors(self) -> list[str]:
        return [i.text for i in self.items if isinstance(i, Note) and i.level is Level.ERROR]


@dataclass(frozen=True, slots=True)
class ReplyRecord:
    """A complete server reply as the transcript saw it: the code and each line's text.

    ``lines`` are display-safe (escaped) and exclude the code and separator.
    """

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " / ".join(self.lines)

    @property
    def first_line(self) -> str:
        return self.lines[0] if self.lines else ""

    def __str__(self) -> str:
        return f"{self.code} {self.text}".rstrip()
