"""Scripts: the lines a person would type, one per line, plus ``expect`` assertions.

Rules (docs/repl.md has the user's version):

* blank lines and ``#`` comments are skipped, except inside a message (DATA or compose
  mode), where every line is message text until a lone ``.``;
* ``expect CODE [ENHANCED] [TEXT]`` (or ``/expect``) checks the last reply, also right
  after DATA (it checks the 354; the message starts on the next line), and
  ``expect tls`` / ``expect authenticated [USER]`` / ``expect stage ready`` ... the session;
* exit code 0 when everything held; 1 when an expectation failed, or a command failed
  with an SMTP error and the next line is not an ``expect`` judging it; 2 for a usage
  error (bad line) or a connection error, and for a script that ends inside a message.

Unless the first command is ``/connect`` (or the engine is connected already), the runner
connects to the given target (the practice server when there is none) before the first line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.results import Outcome, Result
from smtpshell.shell.target import Target

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ScriptCursor",
    "ScriptOutcome",
    "command_count",
    "run_script",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: ``on_result(line_number, line, result)``; line number 0 is the implicit connect.  The
#: line is given as it may be shown (secrets ``<redacted>``), like ``ScriptOutcome.line``.
ResultCallback = Callable[[int, str, Result], None]


@dataclass(frozen=True, slots=True)
class ScriptOutcome:
    exit_code: int
    line_number: int | None = None
    #: The failing line as it may be shown: secrets already ``<redacted>``.
    line: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


def _is_command(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


_MESSAGE_MODES = (Mode.DATA, Mode.COMPOSE)


def _is_expectation(line: str) -> bool:
    word = line.strip().split(None, 1)[0].lower() if line.strip() else ""
    return word in ("expect", "/expect")


def _next_command(lines: Sequence[str], index: int) -> str | None:
    for line in lines[index + 1 :]:
        if _is_command(line):
            return line
    return None


class ScriptCursor:
    """Where a script is: the one reading of the format, for ``run`` and ``/replay``.

    Which line runs next depends on the session: outside a message, blank lines and ``#``
    comments are skipped; inside one (DATA or compose mode) every line is message text,
    except an ``expect`` right after DATA, which checks the 354.
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = [line.rstrip("\r\n") for line in lines]
        #: The index of the first line not yet run (or skipped).
        self.index = 0
        #: The last line run opened a message: an ``expect`` now checks the 354.
        self.message_opened = False

    def pending(self, mode: Mode) -> tuple[int, str] | None:
        """(line number, text) of the next line to run in ``mode``; None at the end."""
        for index in range(self.index, len(self.lines)):
            line = self.lines[index]
            if self.message_opened and _is_expectation(line):
                return index + 1, line.strip()
            if mode in _MESSAGE_MODES:
                return index + 1, line
            if _is_command(line):
                return index + 1, line.strip()
        return None

    def skip(self, number: int) -> None:
        """Move past line ``number`` without running it."""
        self.index = number
        self.message_opened = False

    def run(self, engine: Engine, number: int, line: str) -> tuple[str, Result]:
        """Run ``line`` as line ``number`` (as written, or as a person edited it) and move
        past it; returns the line as it may be shown (secrets ``<redacted>``) and the result."""
        self.index = number
        if self.message_opened and _is_expectation(line):
            # Right after DATA: an expect line checks the 354; the message starts after it.
            text = line.strip()
            self.message_opened = False
            return text, engine.expect(text.split(None, 1)[1] if " " in text else "")
        before = engine.mode
        shown = engine.shown_line(line)
        result = engine.run_line(line)
        self.message_opened = before not in _MESSAGE_MODES and engine.mode in _MESSAGE_MODES
        return shown, result


def command_count(lines: Sequence[str]) -> int:
    """How many lines of a script are commands or expectations (not blank, not comments)."""
    return sum(1 for line in lines if _is_command(line))


def run_script(
    lines: Sequence[str],
    engine: Engine,
    *,
    target: Target | str | None = None,
    on_result: ResultCallback | None = None,
) -> ScriptOutcome:
    """Run ``lines`` on ``engine`` (made with ``scripted=True``); stop at the first failure."""
    report = on_result or (lambda number, line, result: None)
    first = next((line for line in lines if _is_command(line)), "")
    starts_with_connect = first.strip().split(None, 1)[0:1] in (["/connect"], ["/open"])
    if not starts_with_connect and not engine.connected:
        result = engine.connect(target)
        report(0, "(connect)", result)
        if not result.ok:
            return ScriptOutcome(EXIT_USAGE, 0, None, "; ".join(result.errors) or "cannot connect")
    cursor = ScriptCursor(lines)
    number = 0
    while (pending := cursor.pending(engine.mode)) is not None:
        number, text = pending
        line, result = cursor.run(engine, number, text)
        report(number, line, result)
        if result.exit:
            break
        if result.ok:
            continue
        reason = "; ".join(result.errors) or result.outcome.value
        if result.outcome is Outcome.EXPECTATION:
            return ScriptOutcome(EXIT_FAILED, number, line, reason)
        if result.outcome is Outcome.SMTP:
            following = _next_command(lines, number - 1)
            if following is not None and _is_expectation(following):
                continue
            return ScriptOutcome(EXIT_FAILED, number, line, reason)
        return ScriptOutcome(EXIT_USAGE, number, line, reason)
    if engine.mode in (Mode.DATA, Mode.COMPOSE):
        number = len(cursor.lines)
        return ScriptOutcome(
            EXIT_USAGE, number, None, "the script ended inside a message (no line with only '.')"
        )
    return ScriptOutcome(EXIT_OK)
