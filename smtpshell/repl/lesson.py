"""The REPL face of a lesson: the smtpshell REPL, with the lesson talking between lines.

Everything the REPL does still works (live transcript, completion, hidden passwords,
Ctrl-C cancelling, Ctrl-D leaving politely); each line goes to ``LessonRunner.submit``
instead of straight to the engine, and the feedback's blocks are printed after the
engine's result.  The prompt shows the step (``[3/9]``), the toolbar the lesson.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from smtpshell.learn.layout import block_lines
from smtpshell.learn.runner import LESSON_COMMANDS, LessonRunner, StepFeedback
from smtpshell.repl.app import Printer, Repl
from smtpshell.repl.completer import ShellCompleter
from smtpshell.repl.render import STYLE_RULES, Fragments, wire_fragments
from smtpshell.shell.display import event_lines
from smtpshell.shell.engine import Mode
from smtpshell.shell.results import Result
from smtpshell.transcript import Event, EventKind

__all__ = [
    "LEARN_STYLE_RULES",
    "PRESENTER_STYLE_RULES",
    "LessonCompleter",
    "LessonRepl",
    "style_rules",
]

#: The lesson's own classes, added to the REPL's.
LEARN_STYLE_RULES: dict[str, str] = {
    "learn.lesson": "bold ansiwhite bg:ansiblue",
    "learn.step": "bold ansicyan",
    "learn.text": "",
    "learn.type": "bold ansiyellow",
    "learn.done": "bold ansigreen",
    "learn.not-yet": "bold ansiyellow",
    "learn.heading": "bold",
    "learn.pre": "ansicyan",
    "learn.aside": "ansibrightblack",
    "learn.progress": "ansimagenta",
}

#: Projector overrides: every class bold or plain, none dim or italic.
PRESENTER_STYLE_RULES: dict[str, str] = {
    "client": "bold ansicyan",
    "server.2": "bold ansigreen",
    "server.3": "bold ansiyellow",
    "server.4": "bold ansimagenta",
    "server.5": "bold ansired",
    "server": "bold",
    "event": "bold ansiblue",
    "latency": "",
    "hint": "bold",
    "secret": "bold ansiyellow",
    "info": "bold",
    "learn.text": "bold",
    "learn.pre": "bold ansicyan",
    "learn.aside": "bold",
    "learn.lesson": "bold ansiblack bg:ansiwhite",
    "toolbar": "bold reverse",
}


def style_rules(presenter: bool) -> dict[str, str]:
    """Every style class the lesson face uses, for prompt_toolkit's ``Style.from_dict``."""
    rules = {**STYLE_RULES, **LEARN_STYLE_RULES}
    if presenter:
        rules.update(PRESENTER_STYLE_RULES)
    return rules


BANNER = "smtpshell learn: /hint helps, /skip does a step for you; Ctrl-D leaves, progress is kept."


class LessonCompleter(Completer):
    """The REPL's completion plus the lesson commands."""

    def __init__(self, runner: LessonRunner) -> None:
        self.runner = runner
        self.shell = ShellCompleter(runner.engine)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.startswith("/") and " " not in text and self.runner.engine.mode is Mode.COMMAND:
            for name, meta in LESSON_COMMANDS.items():
                if name.startswith(text):
                    yield Completion(name, start_position=-len(text), display_meta=meta)
        yield from self.shell.get_completions(document, complete_event)


class LessonRepl(Repl):
    """A lesson in the terminal.  ``printer`` captures output (tests, screenshots)."""

    def __init__(
        self,
        runner: LessonRunner,
        *,
        input: Input | None = None,
        output: Output | None = None,
        printer: Printer | None = None,
        width: int | None = None,
    ) -> None:
        self.runner = runner
        self.width = width
        super().__init__(
            runner.engine,
            history=None,
            input=input,
            output=output,
            printer=printer,
            style=Style.from_dict(style_rules(runner.presenter)),
        )
        self.session.completer = LessonCompleter(runner)
        self._restyle()

    # ------------------------------------------------------------------ output

    def _restyle(self) -> None:
        self._presenter_shown = self.runner.presenter
        self._style = Style.from_dict(style_rules(self.runner.presenter))
        self.session.style = self._style
        self.secret_session.style = self._style

    def _width(self) -> int:
        if self.width is not None:
            return self.width
        return max(40, min(shutil.get_terminal_size((100, 24)).columns, 110) - 2)

    def show_event(self, event: Event) -> None:
        if self.runner.replayed(event):
            return
        if not self.runner.presenter:
            super().show_event(event)
            return
        # Presenter: no timings (a projector shows the protocol, not the laptop's clock),
        # and air between exchanges.
        for line in event_lines(event, self.engine.reveal, hints=self.hints):
            fragments = wire_fragments(line, hints=self.hints)
            self._printer([frag for frag in fragments if frag[0] != "class:latency"])
        if event.kind is EventKind.RECEIVED and event.final:
            self._printer([])

    def show_feedback(self, feedback: StepFeedback) -> None:
        if feedback.result is not None:
            self.show_result(feedback.result)
        for block in feedback.blocks:
            for line in block_lines(block, width=self._width(), presenter=self.runner.presenter):
                self._printer(line)

    # ------------------------------------------------------------------ prompt

    def prompt_fragments(self) -> Fragments:
        runner = self.runner
        total = len(runner.lesson.steps)
        where = "done" if runner.finished else f"{runner.index + 1}/{total}"
        return [("class:learn.progress", f"[{where}] "), *super().prompt_fragments()]

    def _toolbar(self) -> FormattedText:
        runner = self.runner
        parts = [f" {runner.lesson.title}", "/hint", "/skip", "Ctrl-D leave"]
        if runner.presenter:
            parts.append("PRESENTER")
        if self.engine.mode in (Mode.DATA, Mode.COMPOSE):
            parts.insert(1, "a line with only '.' ends the message")
        return FormattedText([("class:toolbar", " | ".join(parts) + " ")])

    # ------------------------------------------------------------------ running

    def _step(self, step: Callable[[], StepFeedback]) -> tuple[Result, StepFeedback | None]:
        """Run a step of the runner through ``call``; no feedback after an internal error."""
        box: list[StepFeedback] = []

        def action() -> Result:
            feedback = step()
            box.append(feedback)
            return feedback.result or Result()

        result = self.call(action)
        return result, (box[0] if box else None)

    def run_line(self, line: str) -> Result:
        result, feedback = self._step(lambda: self.runner.submit(line))
        if feedback is None:  # an internal error: call() made it one line
            self.show_result(result)
            return result
        if self.runner.presenter != self._presenter_shown:
            self._restyle()
        self.show_feedback(feedback)
        return result

    def start(self, *, resume: bool = True) -> None:
        """Start the lesson (server, connection, resuming) and show where it stands."""
        result, feedback = self._step(lambda: self.runner.start(resume=resume))
        if feedback is not None:
            self.show_feedback(feedback)
        else:
            self.show_result(result)

    def run(self, connect_to: object = None, *, connect: bool = True) -> int:
        """The loop: start the lesson, then read and judge lines until Ctrl-D."""
        return self.run_lesson()

    def run_lesson(self, *, resume: bool = True) -> int:
        self._printer([("class:hint", BANNER)])
        for line in block_lines(
            self.runner.lesson_block(), width=self._width(), presenter=self.runner.presenter
        ):
            self._printer(line)
        try:
            self.start(resume=resume)
            self._read_loop()
        finally:
            self.call(self._close)
        return 0

    def _close(self) -> Result:
        self.runner.close()
        return Result()
