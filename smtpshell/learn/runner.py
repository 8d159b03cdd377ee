"""``LessonRunner``: a lesson as a state machine over the shared command engine.

The student types anything at all (SMTP commands, /commands, message lines); each line runs
through the same :class:`~smtpshell.shell.Engine` as in the REPL, and the runner judges it:
a step is done when its last ``expect`` lines hold for the reply the line got (and the line
did what the step is about: EHLO, not MAIL).  Lines that get no reply (``/features``, a
line of a message) are not judged at all, so looking around never counts as a mistake.

No terminal code: ``submit`` returns :class:`StepFeedback` (the engine's Result plus
:class:`~smtpshell.learn.teach.Block` items), and faces render it.  ``start`` and
``submit`` block on the network, so faces call them from a worker thread, as they do
``Engine.run_line``; wire traffic reaches them through ``engine.subscribe`` as usual.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from smtpshell.learn.lesson import LMTP_PLACEHOLDER, Lesson, LineKind, SolutionLine, Step
from smtpshell.learn.practice import LessonServer
from smtpshell.learn.progress import ProgressStore
from smtpshell.learn.teach import (
    Block,
    BlockKind,
    auth_block,
    features_block,
    reply_block,
    stored_block,
)
from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.expect import Expectation
from smtpshell.shell.registry import Registry
from smtpshell.shell.results import Outcome, ReplyRecord, Result, plural
from smtpshell.transcript import Event, EventKind

__all__ = [
    "LESSON_COMMANDS",
    "LessonRunner",
    "SolutionReport",
    "StepFeedback",
    "Verdict",
    "check_solution",
    "line_action",
]

#: The runner's own commands (the engine never sees them): name -> what it does.
LESSON_COMMANDS: dict[str, str] = {
    "/hint": "what to type for this step (twice: the solution)",
    "/skip": "run this step's solution for you and go on",
    "/step": "show this step's explanation again",
    "/presenter": "projector mode on/off: long explanations, bold, spaced",
    "/next": "at the end of a lesson: go on to the next one",
}


class Verdict(enum.StrEnum):
    DONE = "done"  # the step's check held: the runner moved to the next step
    NOT_YET = "not_yet"  # judged, and the step is not done: the blocks say why
    NEUTRAL = "neutral"  # nothing to judge: no reply came (a /command, a message line)
    CONTROL = "control"  # a lesson command (/hint, /skip ...) or the lesson's start


@dataclass(slots=True)
class StepFeedback:
    """What one line did: the engine's result (None for lesson commands) and what the
    lesson says about it, in order: explanations, the verdict, the next step."""

    line: str
    verdict: Verdict
    result: Result | None = None
    blocks: list[Block] = field(default_factory=list)
    reason: str | None = None  # why the step is not done (NOT_YET), in one line
    step_index: int = 0  # the current step after this line
    finished: bool = False  # the lesson is complete (after this line or earlier)

    @property
    def exit(self) -> bool:
        return bool(self.result is not None and self.result.exit)


# --------------------------------------------------------------------------- actions

#: Shell commands that act on the session, as the SMTP action they stand for.  Commands
#: missing here only look (``/features``, ``/status``): they are never judged.
_SHELL_ACTIONS = {
    "connect": "CONNECT",
    "ehlo": "EHLO",
    "helo": "HELO",
    "starttls": "STARTTLS",
    "quit": "QUIT",
    "close": "CLOSE",
    "login": "AUTH",
    "auth": "AUTH",
    "send": "EOM",
    "verify": "VRFY",
    "expn": "EXPN",
    "rset": "RSET",
    "noop": "NOOP",
    "raw": "*",  # anything may be in raw bytes
    "reply": "*",  # reads the reply of whatever was sent before
}
_ANY = "*"


def line_action(line: str, mode: Mode, engine: Engine) -> str | None:
    """What a line does, as an SMTP verb (``EHLO``, ``EOM`` for the end of a message, ``*``
    for raw bytes); None for lines that only look, or are part of a message."""
    if mode is Mode.DATA and line.startswith("/raw "):
        return _SHELL_ACTIONS.get("raw")  # raw bytes inside the message (lesson 15)
    if mode in (Mode.DATA, Mode.COMPOSE):
        return "EOM" if line == "." else None
    if mode is Mode.SECRET:
        return "AUTH"
    if mode is Mode.RAW and not line.strip().startswith("/"):
        return _ANY
    words = line.split()
    if not words:
        return None
    if words[0].startswith("/"):
        spec = engine.registry.get(words[0])
        action = _SHELL_ACTIONS.get(spec.name) if spec is not None else None
        if action == "EHLO" and engine.status().lmtp:
            return "LHLO"
        return action
    return words[0].upper()


def _solution_action(item: SolutionLine | None, registry: Registry) -> str | None:
    if item is None:
        return None
    if item.kind is LineKind.MESSAGE:
        return "EOM" if item.text == "." else None
    words = item.text.split()
    if words and words[0].startswith("/"):
        spec = registry.get(words[0])
        return _SHELL_ACTIONS.get(spec.name) if spec is not None else None
    return words[0].upper() if words else None


def _same_action(want: str | None, got: str | None) -> bool:
    return want is None or got is None or _ANY in (want, got) or want == got


# --------------------------------------------------------------------------- runner


class LessonRunner:
    """One student working through one lesson on one engine.

    ``key`` names the lesson in ``progress`` (None: nothing is saved).  Faces read
    ``step``/``index``/``finished``/``presenter`` between lines, and drop the transcript
    events for which ``replayed(event)`` is true (resuming replays the finished steps to
    rebuild the session, and the student has seen those already).
    """

    def __init__(
        self,
        lesson: Lesson,
        engine: Engine,
        *,
        key: str | None = None,
        progress: ProgressStore | None = None,
        presenter: bool = False,
    ) -> None:
        self.lesson = lesson
        self.engine = engine
        self.key = key
        self.progress = progress
        self.presenter = presenter
        #: The student typed /next at the end: the face ends, the next lesson starts.
        self.next_requested = False
        self.index = 0
        self.replaying = False
        self._replay_window: tuple[float, float | None] | None = None
        self.server = LessonServer(lesson.setup)
        self._hints_given = 0
        #: Lines that acted on the session during this step (a step of several commands is
        #: judged only once the student has typed as many).
        self._acted = 0
        self._seen_features: dict[str, str] | None = None
        self._events: list[Event] = []
        self._capture_lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------------ state

    @property
    def finished(self) -> bool:
        return self.index >= len(self.lesson.steps)

    @property
    def step(self) -> Step | None:
        return None if self.finished else self.lesson.steps[self.index]

    def fill(self, text: str) -> str:
        """Replace ``{lmtp}`` with the socket path of this lesson's server."""
        socket = self.server.lmtp_socket
        return text.replace(LMTP_PLACEHOLDER, socket) if socket else text

    # ------------------------------------------------------------------ start and stop

    def start(self, *, resume: bool = True) -> StepFeedback:
        """Start the practice server as the lesson wants it, connect (unless the lesson
        starts with connecting), and resume where ``progress`` says, replaying the steps
        before it so the session is where the student left it.  Faces show
        ``lesson_block()`` first, so the introduction comes before the greeting."""
        self.server.start(self.engine)
        self._unsubscribe = self.engine.subscribe(self._capture)
        feedback = StepFeedback("", Verdict.CONTROL)
        if self.lesson.connect:
            feedback.result = self.engine.connect(None)
            self._remember_features()
        saved = self.progress.get(self.key).step if (self.progress and self.key) else 0
        if resume and 0 < saved < len(self.lesson.steps):
            feedback.blocks.append(self._replay(saved))
        feedback.blocks += self.step_blocks()
        feedback.step_index = self.index
        return feedback

    def close(self) -> None:
        """Stop listening, shut the engine down (QUIT, stop the server), remove the socket."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.engine.shutdown()
        self.server.cleanup()

    def replayed(self, event: Event) -> bool:
        """True for transcript events of the replay that rebuilt a resumed session: faces
        drop them (by the event's own time, as a face may print an event later)."""
        window = self._replay_window
        if window is None:
            return False
        started, ended = window
        return event.monotonic >= started and (ended is None or event.monotonic <= ended)

    def _replay(self, count: int) -> Block:
        self.replaying = True
        self._replay_window = (time.monotonic(), None)
        try:
            while self.index < count:
                failure = self.run_solution()
                if failure is not None:
                    return Block(
                        BlockKind.INFO,
                        f"Resumed at step {self.index + 1} of {len(self.lesson.steps)}",
                        (
                            f"The earlier steps could not all be replayed ({failure}); "
                            "carry on from here.",
                        ),
                    )
        finally:
            self.replaying = False
            self._replay_window = (self._replay_window[0], time.monotonic())
        return Block(
            BlockKind.INFO,
            f"Welcome back: resumed at step {self.index + 1} of {len(self.lesson.steps)}",
            ("The steps you finished were replayed, so the session is where you left it.",),
        )

    # ------------------------------------------------------------------ what to show

    def lesson_block(self) -> Block:
        lesson = self.lesson
        lines = [self.fill(p) for p in lesson.intro]
        facts = [plural(len(lesson.steps), "step")]
        if lesson.minutes:
            facts.append(f"about {lesson.minutes} minutes")
        if lesson.rfcs:
            facts.append("see " + ", ".join(lesson.rfcs))
        lines.append("; ".join(facts) + ".")
        setup = lesson.setup.describe()
        if setup:
            lines.append("The practice server is set up for this lesson: " + "; ".join(setup))
        lines.append(
            "Lesson commands: "
            + ", ".join(LESSON_COMMANDS)
            + ".  Everything else goes to the session as in the REPL."
        )
        return Block(BlockKind.LESSON, lesson.title, tuple(lines))

    def step_blocks(self) -> list[Block]:
        step = self.step
        if step is None:
            return [self._finished_block()]
        lines = [self.fill(p) for p in step.explanation]
        if step.reading:
            lines.append("(Press Enter to go on.)")
        elif step.hint:
            lines.append(f"Type: {self.fill(step.hint)}")
        title = f"Step {self.index + 1} of {len(self.lesson.steps)}: {step.title}"
        return [Block(BlockKind.STEP, title, tuple(lines))]

    def _finished_block(self) -> Block:
        return Block(
            BlockKind.FINISHED,
            f"Lesson complete: {self.lesson.title}",
            (
                "The session stays open: keep experimenting.  /next goes on to the next "
                "lesson; Ctrl-D leaves; 'smtpshell learn' lists the lessons and your progress.",
            ),
        )

    # ------------------------------------------------------------------ lines

    def submit(self, line: str) -> StepFeedback:
        """Run one line the student typed and judge it; see the module docstring."""
        line = line.rstrip("\r\n")
        mode = self.engine.mode
        words = line.split()
        if mode in (Mode.COMMAND, Mode.RAW) and words and words[0].lower() in LESSON_COMMANDS:
            return self._lesson_command(words[0].lower(), words[1:])
        step = self.step
        if step is not None and step.reading and mode is Mode.COMMAND and not words:
            return self._advance(StepFeedback(line, Verdict.DONE), step)
        if not words and mode is Mode.COMMAND:
            return StepFeedback(line, Verdict.NEUTRAL, step_index=self.index)
        return self._run_and_judge(line, mode, step)

    def _run_and_judge(self, line: str, mode: Mode, step: Step | None) -> StepFeedback:
        action = line_action(line, mode, self.engine)
        server = self.engine.practice
        stored_before = len(server.messages) if server is not None else 0
        with self._capture_lock:
            self._events = []
        result = self.engine.run_line(line)
        with self._capture_lock:
            events, self._events = self._events, []
        replies = [e for e in events if e.kind is EventKind.RECEIVED and e.final]
        feedback = StepFeedback(line, Verdict.NEUTRAL, result, step_index=self.index)
        feedback.blocks += self._explain(events, replies, action, stored_before)
        if step is None or step.reading or action is None:
            feedback.finished = self.finished
            return feedback
        if not result.ok and result.outcome is not Outcome.SMTP:
            return self._not_yet(feedback, step, "; ".join(result.errors) or result.outcome)
        self._acted += 1
        reply_checks = [c for c in step.checks if isinstance(c.check, Expectation)]
        if reply_checks and not replies:
            return feedback  # e.g. /send opening the composer: nothing to judge yet
        failures = [f for f in (self._check(c) for c in step.checks) if f is not None]
        want = _solution_action(step.last_action, self.engine.registry)
        if not failures and not _same_action(want, action):
            what = "the end of the message (a line with only '.')" if want == "EOM" else want
            failures.append(f"that worked, but this step is about {what}, not {action}")
        if failures and self.engine.mode in (Mode.DATA, Mode.COMPOSE, Mode.SECRET):
            return feedback  # halfway through a message or an AUTH exchange: keep going
        if failures and self._acted < _commands_in(step):
            return feedback  # a step of several commands: judge it after its last one
        if failures:
            return self._not_yet(feedback, step, failures[0])
        feedback.verdict = Verdict.DONE
        return self._advance(feedback, step)

    def _check(self, item: SolutionLine) -> str | None:
        check = item.check
        if isinstance(check, Expectation):
            return check.check(self.engine.last_reply)
        assert check is not None
        return check.check(self.engine.status(), self.engine.features)

    def _not_yet(self, feedback: StepFeedback, step: Step, reason: str) -> StepFeedback:
        feedback.verdict = Verdict.NOT_YET
        feedback.reason = reason
        lines = [reason[:1].upper() + reason[1:] + "."]
        if step.hint:
            lines.append(f"Try: {self.fill(step.hint)}")
        lines.append("(/hint twice shows the solution; /skip runs it for you.)")
        feedback.blocks.append(Block(BlockKind.NOT_YET, "Not yet", tuple(lines)))
        return feedback

    def _advance(self, feedback: StepFeedback, step: Step) -> StepFeedback:
        feedback.verdict = Verdict.DONE
        if not step.reading:
            after = tuple(self.fill(p) for p in step.after)
            feedback.blocks.append(Block(BlockKind.DONE, f"Done: {step.title}", after))
        self.index += 1
        self._hints_given = 0
        self._acted = 0
        if self.progress is not None and self.key is not None and not self.replaying:
            self.progress.record(self.key, self.index, len(self.lesson.steps))
        feedback.blocks += self.step_blocks()
        feedback.step_index = self.index
        feedback.finished = self.finished
        return feedback

    # ------------------------------------------------------------------ explanations

    def _capture(self, event: Event) -> None:
        with self._capture_lock:
            self._events.append(event)

    def _remember_features(self) -> None:
        features = self.engine.features
        if features:
            self._seen_features = dict(features)

    def _explain(
        self, events: list[Event], replies: list[Event], action: str | None, stored_before: int
    ) -> list[Block]:
        if self.replaying:
            self._remember_features()
            return []
        blocks: list[Block] = []
        status = self.engine.status()
        auth = auth_block(events, status.user, tls=status.tls, presenter=self.presenter)
        if auth is not None:
            blocks.append(auth)
        elif replies and self.engine.last_reply is not None:
            codes = [str(e.code) for e in replies]
            if len(codes) > 1:
                blocks.append(
                    Block(
                        BlockKind.INFO,
                        f"{len(codes)} replies to this line: {', '.join(codes)}",
                        ("Each command gets exactly one reply, in order; the last is explained.",),
                    )
                )
            blocks.append(reply_block(self.engine.last_reply, presenter=self.presenter))
        features = self.engine.features
        last = self.engine.last_reply
        if action in ("EHLO", "LHLO", "CONNECT") and features and _is_ehlo_answer(last):
            previous = self._seen_features or None
            blocks.append(features_block(features, previous, presenter=self.presenter))
            self._seen_features = dict(features)
        server = self.engine.practice
        if server is not None and len(server.messages) > stored_before:
            blocks.append(stored_block(server.messages[-1], presenter=self.presenter))
        return blocks

    # ------------------------------------------------------------------ lesson commands

    def _lesson_command(self, name: str, args: list[str]) -> StepFeedback:
        feedback = StepFeedback(" ".join([name, *args]), Verdict.CONTROL, step_index=self.index)
        step = self.step
        if name == "/presenter":
            choice = args[0].lower() if args else None
            self.presenter = (choice == "on") if choice in ("on", "off") else not self.presenter
            state = "on: long explanations" if self.presenter else "off"
            feedback.blocks.append(Block(BlockKind.INFO, f"Presenter mode {state}"))
        elif name == "/next":
            if step is None:
                # The face ends this lesson; ``smtpshell learn`` starts the next one.
                self.next_requested = True
                feedback.result = Result(exit=True)
                feedback.blocks.append(Block(BlockKind.INFO, "On to the next lesson"))
            else:
                left = len(self.lesson.steps) - self.index
                feedback.blocks.append(
                    Block(
                        BlockKind.INFO,
                        f"{left} step(s) of this lesson to go",
                        ("/next works once the lesson is complete; /skip runs a step for you.",),
                    )
                )
        elif step is None:
            feedback.blocks.append(self._finished_block())
        elif name == "/step":
            feedback.blocks += self.step_blocks()
        elif name == "/hint":
            self._hints_given += 1
            feedback.blocks.append(self._hint_block(step))
        elif name == "/skip":
            typed: list[StepFeedback] = []
            failure = self.run_solution(typed.append)
            for done in typed:
                feedback.blocks += done.blocks
            if failure is not None:
                feedback.blocks.append(
                    Block(
                        BlockKind.NOT_YET,
                        "The solution did not work from here",
                        (
                            failure + ".",
                            "Your session is not where this step expects it: /connect starts "
                            "a fresh session, then follow the hint.",
                        ),
                    )
                )
                feedback.reason = failure
        feedback.step_index = self.index
        feedback.finished = self.finished
        return feedback

    def _hint_block(self, step: Step) -> Block:
        if step.reading:
            return Block(BlockKind.HINT, "Nothing to type", ("Press Enter to go on.",))
        hint = self.fill(step.hint)
        if self._hints_given >= 2 or not hint or hint in map(self.fill, step.typed):
            lines = tuple(f"  {self.fill(text)}" for text in step.typed)
            return Block(BlockKind.SOLUTION, "The solution: type these lines", lines)
        return Block(BlockKind.HINT, "Hint", (hint, "(/hint again shows the solution.)"))

    # ------------------------------------------------------------------ solutions

    def run_solution(self, report: Callable[[StepFeedback], None] | None = None) -> str | None:
        """Type the current step's solution, as a student would; None when the step is then
        done, else why not (with the lesson line).  ``report`` sees each line's feedback.
        Used by /skip, resuming and the checker."""
        report = report or (lambda feedback: None)
        step = self.step
        if step is None:
            return "the lesson is already complete"
        if step.reading:
            report(self.submit(""))
            return None
        start = self.index
        for item in step.solution:
            where = f"{self.lesson.source}:{item.line}"
            if self.index != start:
                if item.kind is LineKind.EXPECT:
                    continue  # the step's own checks: the runner judged them already
                return f"{where}: the step was already judged done before this line"
            if item.kind is LineKind.EXPECT:
                failure = self._check(item)
                if failure is not None:
                    return f"{where}: {failure}"
                continue
            feedback = self.submit(self.fill(item.text))
            report(feedback)
            result = feedback.result
            if result is not None and not result.ok and result.outcome is not Outcome.SMTP:
                return f"{where}: {'; '.join(result.errors) or result.outcome}"
        if self.index == start:
            return f"{self.lesson.source}:{step.line}: the step's checks did not hold" + (
                f" ({self._last_reason(step)})" if self._last_reason(step) else ""
            )
        return None

    def _last_reason(self, step: Step) -> str | None:
        for item in step.checks:
            failure = self._check(item)
            if failure is not None:
                return failure
        return None


def _commands_in(step: Step) -> int:
    """How many judged lines the solution types: commands, and the end of each message."""
    return sum(
        1
        for item in step.solution
        if item.kind is LineKind.COMMAND or (item.kind is LineKind.MESSAGE and item.text == ".")
    )


def _is_ehlo_answer(reply: ReplyRecord | None) -> bool:
    return reply is not None and reply.code == 250


# --------------------------------------------------------------------------- checker


@dataclass(frozen=True, slots=True)
class SolutionReport:
    ok: bool
    steps_done: int
    steps: int
    reason: str | None = None


def check_solution(
    lesson: Lesson,
    *,
    engine: Engine,
    on_feedback: Callable[[StepFeedback], None] | None = None,
) -> SolutionReport:
    """Type every step's solution into a fresh runner: the lesson works when each step is
    judged done by its own last line.  What CI runs for every shipped lesson.  ``engine``
    comes with its commands and practice factory (``smtpshell.wiring.new_engine``)."""
    runner = LessonRunner(lesson, engine)
    report = on_feedback or (lambda feedback: None)
    try:
        start = runner.start(resume=False)
        report(start)
        if start.result is not None and not start.result.ok:
            reason = "; ".join(start.result.errors) or "cannot connect"
            return SolutionReport(False, 0, len(lesson.steps), reason)
        while not runner.finished:
            failure = runner.run_solution(report)
            if failure is not None:
                return SolutionReport(False, runner.index, len(lesson.steps), failure)
        return SolutionReport(True, runner.index, len(lesson.steps))
    finally:
        runner.close()
