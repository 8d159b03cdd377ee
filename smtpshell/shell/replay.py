"""``/replay FILE``: step through a script by hand, one offered line at a time.

A script (the format ``smtpshell run`` reads, read by :class:`ScriptCursor`, such as the
ones ``smtpshell probe --emit-script`` writes) is loaded into the engine as a
:class:`Replay`.  The faces pre-fill their prompt with :attr:`Replay.next_line`; the person
sends it with Enter, edits it first, skips it (``/replay skip``) or stops
(``/replay stop``).  A line submitted while a replay is active is the pending step (see
:meth:`Replay.owns`); an ``expect`` step is checked as ``run`` checks it, and the replay
goes on after a failed one, counting it.

Secrets: the offered line is what a face may show (``AUTH PLAIN <redacted>``).  Sending it
unchanged runs the line as the file has it; a file that holds ``<redacted>`` itself goes
through the engine's "asks for the secret again" path, as a recalled history line does.

No terminal code here: faces read :attr:`Replay.next_line` and :attr:`Replay.progress`.
"""

from __future__ import annotations

import bisect
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpshell.shell.registry import PREFIX, UsageError
from smtpshell.shell.results import Level, Note, Outcome, Result
from smtpshell.shell.script import _MESSAGE_MODES, ScriptCursor, _is_command, _is_expectation
from smtpshell.shell.target import Security, Target, parse_target

if TYPE_CHECKING:
    from smtpshell.shell.engine import Engine

__all__ = ["CONTROL_WORDS", "Replay", "header_target"]

#: ``/replay WORD`` controls the active replay instead of loading a file named WORD.
CONTROL_WORDS = ("next", "skip", "stop", "status")


def header_target(lines: Sequence[str]) -> Target | None:
    """The target of a ``# run: smtpshell run PATH TARGET [--tls] [--no-verify]`` header
    (what ``probe --emit-script`` writes); None without one."""
    for line in lines:
        text = line.strip()
        if _is_command(text):
            return None  # the header comes before the first command
        if not text.startswith("# run:"):
            continue
        try:
            words = shlex.split(text.removeprefix("# run:"))
        except ValueError:
            return None
        if words[:2] != ["smtpshell", "run"] or len(words) < 4 or words[3].startswith("-"):
            return None
        target = parse_target(words[3])
        if "--tls" in words[4:]:
            target = target.replace(security=Security.TLS)
        if "--no-verify" in words[4:]:
            target = target.replace(verify=False)
        return target
    return None


class Replay:
    """A script being stepped through by hand on ``engine`` (``engine.replay``)."""

    def __init__(self, engine: Engine, path: str, lines: Sequence[str]) -> None:
        self.engine = engine
        self.path = path
        self.cursor = ScriptCursor(lines)
        #: Line numbers of the script's commands and expectations: the steps counted.
        self._steps = [n for n, line in enumerate(self.cursor.lines, 1) if _is_command(line)]
        self.checks = 0
        self.failed = 0
        self.skipped = 0
        #: Set while a step runs: the engine then runs that line itself, not as a step.
        self._running = False

    # ------------------------------------------------------------------ data for faces

    def pending(self) -> tuple[int, str] | None:
        """(line number, text as written) of the next step; None when all are done."""
        return self.cursor.pending(self.engine.mode)

    @property
    def next_line(self) -> str | None:
        """The next step as a face may show it (secrets ``<redacted>``); None at the end."""
        pending = self.pending()
        if pending is None:
            return None
        text = pending[1]
        if self._in_message():
            return text
        return self.engine.shown_line(text)

    @property
    def progress(self) -> tuple[int, int]:
        """(step, steps): the pending step's place among the script's commands."""
        total = len(self._steps)
        pending = self.pending()
        if pending is None:
            return total, total
        return min(bisect.bisect_left(self._steps, pending[0]) + 1, total), total

    @property
    def label(self) -> str:
        step, total = self.progress
        return f"replay {step}/{total}"

    # ------------------------------------------------------------------ stepping

    def _in_message(self) -> bool:
        return self.cursor.message_opened or self.engine.mode in _MESSAGE_MODES

    def owns(self, line: str) -> bool:
        """Whether a submitted ``line`` is the pending step (perhaps edited).

        Inside a message every line is.  Otherwise a shell command other than the step's
        own (``/status`` while the step is ``VRFY demo``) runs beside the replay and leaves
        the step pending; ``/replay ...`` always controls the replay.
        """
        if self._running or self.pending() is None:
            return False
        if self._in_message():
            return True
        text = line.strip()
        if not text.startswith(PREFIX):
            return True
        name = self._command_name(text)
        if name == "replay":
            return False
        pending = self.pending()
        assert pending is not None
        return name == self._command_name(pending[1])

    def _command_name(self, text: str) -> str | None:
        if _is_expectation(text):
            return "expect"
        if not text.startswith(PREFIX):
            return None
        spec = self.engine.registry.get(text.split(None, 1)[0])
        return spec.name if spec is not None else None

    def submit(self, line: str | None = None) -> Result:
        """Run the pending step: as written (``line`` None, or the offered text unchanged)
        or as the person edited it.  Called by the engine under its (re-entrant) lock."""
        pending = self.pending()
        if pending is None:
            return self.finish()
        number, written = pending
        if line is None or line == self.next_line:
            line = written  # the file's own text (a secret it holds is sent, not shown)
        checking = _is_expectation(line)
        written_as = line.strip()
        if checking and not self._in_message() and not written_as.startswith(PREFIX):
            line = PREFIX + written_as  # a bare "expect" outside a script is /expect
        self._running = True
        try:
            shown, result = self.cursor.run(self.engine, number, line)
        finally:
            self._running = False
        if checking:
            self.checks += 1
            if result.outcome is Outcome.EXPECTATION:
                self.failed += 1
        step, total = self._steps_done(number), len(self._steps)
        shown = written_as if checking else shown
        result.items.insert(0, Note(f"replay {step}/{total}: {shown}", Level.HINT))
        if self.pending() is None:
            result.items.extend(self.finish().items)
        return result

    def _steps_done(self, number: int) -> int:
        return max(bisect.bisect_right(self._steps, number), 1)

    def skip(self) -> Result:
        pending = self.pending()
        if pending is None:
            return self.finish()
        number, written = pending
        shown = written if self._in_message() else self.engine.shown_line(written)
        self.cursor.skip(number)
        self.skipped += 1
        result = Result([Note(f"skipped line {number}: {shown}", Level.WARN)])
        if self.pending() is None:
            result.items.extend(self.finish().items)
        return result

    def summary(self) -> str:
        held = self.checks - self.failed
        text = f"{self.checks} expectation(s) checked, {held} held"
        if self.failed:
            text += f", {self.failed} FAILED"
        if self.skipped:
            text += f", {self.skipped} line(s) skipped"
        return text

    def finish(self, *, stopped: bool = False) -> Result:
        """End the replay (``engine.replay`` becomes None) and say how it went."""
        if self.engine.replay is self:
            self.engine.replay = None
        verb = "stopped" if stopped else "finished"
        level = Level.WARN if stopped else (Level.ERROR if self.failed else Level.OK)
        outcome = Outcome.EXPECTATION if self.failed and not stopped else Outcome.OK
        return Result([Note(f"replay of {self.path} {verb}: {self.summary()}", level)], outcome)

    def status(self) -> Result:
        next_line = self.next_line
        result = Result([Note(f"{self.label} of {self.path}: {self.summary()}")])
        if next_line is not None:
            result.add(f"next: {next_line}", Level.HINT)
        return result


def read_script(path: str) -> list[str]:
    """The lines of a script file; UsageError (one clear line) when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot read {path}: {reason}") from None


def start_replay(engine: Engine, path: str, target: str | None = None) -> Result:
    """``/replay FILE [TARGET]``: load FILE and connect afresh where the script was made for.

    The session: TARGET when given; else the target of the script's ``# run:`` header (a
    probe finding replays against the server it was found on); else the current session
    as it is (or a new connection to the current target or the practice server when there
    is none).  A script whose first command is ``/connect`` connects itself.  In a script
    (``smtpshell run``) the whole file runs at once, as if its lines stood there.
    """
    from smtpshell.shell.script import EXIT_FAILED, command_count, run_script

    lines = read_script(path)
    if command_count(lines) == 0:
        raise UsageError(f"{path} holds no command to replay (only blank lines and comments)")
    result = Result()
    if engine.replay is not None:
        result.items += engine.replay.finish(stopped=True).items
    first = next(line for line in lines if _is_command(line)).split(None, 1)[0]
    spec = engine.registry.get(first) if first.startswith(PREFIX) else None
    chosen = parse_target(target) if target else header_target(lines)
    connection: Result | None = None
    if spec is not None and spec.name == "connect":
        pass
    elif chosen is not None:
        connection = engine.connect(chosen)
    elif not engine.connected:
        current = engine.target
        if current is not None and current.practice:
            current = current.replace(host="", port=0)
        connection = engine.connect(current)
    if connection is not None:
        result.items += connection.items
        if not connection.ok:
            result.outcome = connection.outcome
            result.add(f"replay of {path} not started", Level.ERROR)
            return result
    if engine.scripted:

        def collect(number: int, line: str, step: Result) -> None:
            result.add(f"{path}:{number}: {line}")
            result.items.extend(step.items)

        outcome = run_script(lines, engine, on_result=collect)
        if not outcome.ok:
            where = f"{path}:{outcome.line_number}" if outcome.line_number else path
            result.add(f"{where}: {outcome.reason}", Level.ERROR)
            failed = outcome.exit_code == EXIT_FAILED
            result.outcome = Outcome.EXPECTATION if failed else Outcome.USAGE
        return result
    replay = Replay(engine, path, lines)
    engine.replay = replay
    result.add(
        f"replaying {path}: {len(replay._steps)} step(s).  Enter sends the offered line (edit "
        "it first if you like); /replay skip skips it; /replay stop ends the replay",
        Level.HINT,
    )
    return result
