"""The TUI face of a lesson: the full-screen app, with the lesson in a panel beside the log.

Everything the TUI does still works (live transcript, Explain, inspector, completion,
hidden passwords, Esc cancelling): lines typed at the prompt go to
:meth:`LessonRunner.submit` instead of straight to the engine, on the same thread worker,
so the runner judges each line and the transcript still reaches the log.  The feedback's
blocks go to :class:`~smtpshell.tui.widgets.lesson_panel.LessonPanel`.  No lesson logic lives here;
:mod:`smtpshell.repl.lesson` is the same face over the REPL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from smtpshell.learn.runner import LESSON_COMMANDS, LessonRunner, StepFeedback
from smtpshell.shell import Candidate, Engine, Level, Mode, Outcome, Result
from smtpshell.transcript import Event
from smtpshell.tui.app import SHORT_HEIGHT, SmtpShellApp
from smtpshell.tui.runner import EngineRunner, Job
from smtpshell.tui.widgets import CommandInput, Inspector
from smtpshell.tui.widgets.lesson_panel import LessonPanel

__all__ = ["LessonApp", "LessonEngineRunner"]

_HERE = Path(__file__).parent

BANNER = (
    "smtpshell learn: /hint helps, /skip does a step for you, /step shows it again; "
    "Ctrl+D (on an empty prompt) or Ctrl+Q leaves, progress is kept."
)

#: The lesson's toolbar: its own commands first, then the steps lessons use most.
LESSON_BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("Hint", "app.run_line('/hint')", "What to type for this step (twice: the solution)"),
    ("Skip", "app.run_line('/skip')", "Run this step's solution for you and go on"),
    ("Step", "app.run_line('/step')", "Show this step's explanation again"),
    ("Connect", "app.connect_dialog", "Connect to a server (F2)"),
    ("EHLO", "app.run_line('/ehlo')", "Greet the server and list its extensions"),
    ("RSET", "app.run_line('/rset')", "Abort the current transaction"),
    ("QUIT", "app.run_line('/quit')", "End the session politely"),
)


class LessonEngineRunner(EngineRunner):
    """The app's engine runner, with each typed line judged by the lesson on the worker.

    Transcript events of the silent replay (resuming a lesson) never reach the queue.
    """

    @dataclass
    class Feedback(Message):
        """What the lesson said about a line (``job`` None: the lesson's start)."""

        job: Job | None
        feedback: StepFeedback

    def __init__(self, app: SmtpShellApp, engine: Engine, lesson: LessonRunner) -> None:
        super().__init__(app, engine)
        self.lesson = lesson
        self._unsubscribe()  # the base queues every event; the replay's are dropped here
        events, replayed = self._events, lesson.replayed

        def keep(event: Event) -> None:
            if not replayed(event):
                events.append(event)

        self._unsubscribe = engine.subscribe(keep)

    def run_line(self, line: str) -> Result:
        feedback = self.lesson.submit(line)
        self.app.post_message(self.Feedback(self.current_job, feedback))
        return feedback.result or Result()

    def start_lesson(self, *, resume: bool) -> Job:
        """Start the practice server, connect and resume, on the worker."""

        def start(engine: Engine) -> Result:
            feedback = self.lesson.start(resume=resume)
            self.app.post_message(self.Feedback(None, feedback))
            return feedback.result or Result()

        return self.call("starting the lesson", start)


class LessonApp(SmtpShellApp):
    """One lesson in the full-screen app (``smtpshell learn LESSON --tui``)."""

    CSS_PATH: ClassVar[list[Path]] = [
        *SmtpShellApp.CSS_PATH,
        _HERE / "widgets" / "lesson_panel.tcss",
        _HERE / "lesson.tcss",
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+d", "leave_if_empty", "Leave", show=False, priority=True),
    ]

    def __init__(self, lesson: LessonRunner, *, resume: bool = True, **kwargs: object) -> None:
        kwargs.setdefault("connect", False)
        super().__init__(engine=lesson.engine, **kwargs)  # type: ignore[arg-type]
        self.lesson = lesson
        self.resume = resume
        self.runner.close()
        self.runner: LessonEngineRunner = LessonEngineRunner(self, lesson.engine, lesson)
        self.sub_title = lesson.lesson.title
        self._echoes: dict[int, str] = {}
        self._announced_finish = False

    # ------------------------------------------------------------------ layout

    def compose_side(self) -> ComposeResult:
        yield LessonPanel(self.lesson.lesson.title, id="lesson")
        yield Inspector(id="inspector")

    def toolbar_buttons(self) -> tuple[tuple[str, str, str], ...]:
        return LESSON_BUTTONS

    @property
    def lesson_panel(self) -> LessonPanel:
        return self.query_one("#lesson", LessonPanel)

    def complete(self, text_before_cursor: str) -> list[Candidate]:
        """The lesson commands first, then what the engine completes."""
        text = text_before_cursor
        own: list[Candidate] = []
        if text.startswith("/") and " " not in text and self.engine.mode is Mode.COMMAND:
            own = [
                Candidate(name, -len(text), meta=meta)
                for name, meta in LESSON_COMMANDS.items()
                if name.startswith(text.lower())
            ]
        return own + self.engine.complete(text)

    def _fit(self, width: int, height: int) -> None:
        super()._fit(width, height)
        if self.is_mounted:
            self.screen.set_class(height < SHORT_HEIGHT, "-short")

    # ------------------------------------------------------------------ the lesson

    def start_session(self) -> None:
        self.main_area.add_class("-hide-inspector")  # the lesson panel takes its place
        self.command_pane.write_note(BANNER, Level.HINT)
        self.command_pane.command_input.placeholder = (
            "type what the step asks · /hint helps · Tab completes"
        )
        self.lesson_panel.show_blocks([self.lesson.lesson_block()])
        self._show_state()
        self.runner.start_lesson(resume=self.resume)

    def on_engine_runner_started(self, message: EngineRunner.Started) -> None:
        # Textual also calls the base class's handler (every class in the MRO is dispatched).
        if message.job.typed and message.echo is not None:
            self._echoes[message.job.id] = message.echo

    def on_lesson_engine_runner_feedback(self, message: LessonEngineRunner.Feedback) -> None:
        feedback = message.feedback
        echo = self._echoes.pop(message.job.id, None) if message.job is not None else None
        panel = self.lesson_panel
        if self.lesson.presenter != panel.presenter:
            panel.set_presenter(self.lesson.presenter)
            self.screen.set_class(self.lesson.presenter, "-presenter")
        panel.show_blocks(feedback.blocks, echo=echo)
        self._show_state()
        if feedback.finished and not self._announced_finish:
            self._announced_finish = True
            self.notify(
                "The session stays open to experiment; Ctrl+Q leaves.",
                title=f"Lesson complete: {self.lesson.lesson.title}",
            )

    def _show_state(self) -> None:
        lesson = self.lesson
        total = len(lesson.lesson.steps)
        where = "complete" if lesson.finished else f"step {lesson.index + 1} of {total}"
        presenter = " · PRESENTER" if lesson.presenter else ""
        self.lesson_panel.set_progress(f"{where}{presenter} · /hint /skip /step")

    def notify_failure(self, result: Result) -> None:
        # The lesson explains every reply, refusals included (some steps want a 5xx):
        # only what it cannot explain (a typo, a lost connection) pops up.
        if result.outcome is not Outcome.SMTP:
            super().notify_failure(result)

    def leave(self, engine: Engine) -> Result | None:
        """QUIT, stop the lesson's server and remove its socket (progress is already kept)."""
        self.lesson.close()
        return None

    # ------------------------------------------------------------------ actions

    def action_leave_if_empty(self) -> None:
        """Ctrl+D leaves on an empty prompt, as in the REPL; elsewhere it deletes a char."""
        focused = self.focused
        if isinstance(focused, CommandInput) and focused.value:
            focused.action_delete_right()
            return
        self.action_quit_now()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for name, help_text in LESSON_COMMANDS.items():
            title = f"Lesson: {name}"
            yield SystemCommand(title, help_text, lambda name=name: self.submit_typed(name))
        yield from super().get_system_commands(screen)
