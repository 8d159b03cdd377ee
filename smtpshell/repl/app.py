"""The REPL loop: prompt, run the line in a worker thread, print the transcript as it arrives.

The main thread owns the terminal.  Each line runs in a worker thread; the main thread
waits on one queue that carries transcript events (printed at once), questions from the
engine (a hidden password prompt) and the "done" marker.  Ctrl-C while waiting cancels
the command in flight (``engine.cancel()``); Ctrl-C at the prompt clears the line; Ctrl-D
quits politely (QUIT is sent).  Nothing but result items and escaped wire text is
printed: errors are one line, never a traceback.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import History
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from smtpshell.repl.completer import ShellCompleter
from smtpshell.repl.keys import make_key_bindings
from smtpshell.repl.lexer import ShellLexer
from smtpshell.repl.render import STYLE_RULES, Fragments, item_lines, wire_fragments
from smtpshell.shell.display import event_lines, format_latency
from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.history import HistoryFile
from smtpshell.shell.results import Level, Note, Outcome, Result
from smtpshell.transcript import Event

__all__ = ["Repl", "SafeHistory"]

STYLE = Style.from_dict(STYLE_RULES)
BANNER = (
    "smtpshell: lines starting with / are shell commands (/help, Tab completes); every "
    "other line goes to the server as typed.  Ctrl-C cancels, Ctrl-D quits."
)


class SafeHistory(History):
    """prompt_toolkit history fed through the engine's secret filter.

    Recall (up-arrow) only ever sees the filtered entry; the engine itself appends to the
    history file, so this class never writes.
    """

    def __init__(self, engine: Engine, file: HistoryFile | None) -> None:
        super().__init__()
        self.engine = engine
        self.file = file

    def load_history_strings(self):
        return list(reversed(self.file.load())) if self.file is not None else []

    def append_string(self, string: str) -> None:
        entry = self.engine.history_entry(string)
        if entry is not None:
            super().append_string(entry)

    def store_string(self, string: str) -> None:
        """The engine writes the file (filtered) when it runs the line."""


@dataclass
class _Ask:
    prompt: str
    secret: bool
    answer: queue.Queue[Any]


class _Done:
    pass


Printer = Callable[[Fragments], None]


class Repl:
    """One interactive session over an engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        history: HistoryFile | None = None,
        input: Input | None = None,
        output: Output | None = None,
        printer: Printer | None = None,
        style: Style = STYLE,
    ) -> None:
        self.engine = engine
        self.output = output
        self._style = style
        self.hints = True
        self._printer = printer or self._print
        self._queue: queue.Queue[Any] = queue.Queue()
        self._interrupts = 0
        engine.asker = self._ask
        self.session: PromptSession[str] = PromptSession(
            history=SafeHistory(engine, history),
            completer=ShellCompleter(engine),
            lexer=ShellLexer(engine),
            key_bindings=make_key_bindings(self._toggle_hints, self._offered),
            bottom_toolbar=self._toolbar,
            style=style,
            input=input,
            output=output,
            complete_while_typing=False,
            enable_history_search=False,
        )
        #: Hidden questions (passwords, 334 answers): no history, no completion.
        self.secret_session: PromptSession[str] = PromptSession(
            style=style, input=input, output=output
        )

    # ------------------------------------------------------------------ output

    def _print(self, fragments: Fragments) -> None:
        print_formatted_text(FormattedText(fragments), style=self._style, output=self.output)

    def _toggle_hints(self) -> None:
        self.hints = not self.hints

    def show_event(self, event: Event) -> None:
        for line in event_lines(event, self.engine.reveal, hints=self.hints):
            self._printer(wire_fragments(line, hints=self.hints))

    def show_result(self, result: Result) -> None:
        for item in result.items:
            for line in item_lines(item):
                self._printer(line)

    # ------------------------------------------------------------------ prompt

    def prompt_fragments(self) -> Fragments:
        status = self.engine.status()
        mode = status.mode
        if mode is Mode.DATA:
            return [("class:prompt.mode", "data"), ("class:prompt.arrow", "> ")]
        if mode is Mode.COMPOSE:
            return [("class:prompt.mode", "message"), ("class:prompt.arrow", "> ")]
        frags: Fragments = []
        if status.replay is not None:
            frags.append(("class:prompt.mode", "replay {}/{} ".format(*status.replay)))
        if mode is Mode.RAW:
            frags.append(("class:prompt.raw", "RAW"))
            frags.append(("", " "))
        if not status.connected:
            frags.append(("class:prompt.insecure", "not connected"))
        else:
            frags.append(("class:prompt.target", status.target or "?"))
            if status.tls:
                style = "class:prompt.tls" if status.tls_verified else "class:prompt.insecure"
                frags.append((style, " tls" if status.tls_verified else " tls(unverified)"))
            if status.user:
                user = "authenticated" if status.user == "(unknown)" else status.user
                frags.append(("class:prompt.user", f" {user}"))
            stage = status.stage
            if stage == "rcpt":
                stage = f"rcpt:{status.recipients}"
            frags.append(("class:prompt.stage", f" [{stage}]"))
        frags.append(("class:prompt.arrow", "> "))
        return frags

    def _toolbar(self) -> FormattedText:
        status = self.engine.status()
        parts = [" F1 help", "Tab complete", "Ctrl-C cancel", "Ctrl-D quit"]
        parts.append(f"F2 hints {'on' if self.hints else 'off'}")
        parts.append("secrets REVEALED" if status.reveal else "secrets redacted")
        if status.last_code is not None:
            latency = format_latency(status.last_latency)
            parts.append(f"last {status.last_code}" + (f" in {latency}" if latency else ""))
        if status.mode is Mode.DATA or status.mode is Mode.COMPOSE:
            parts.insert(0, " a line with only '.' ends the message")
        if status.replay is not None:
            parts.insert(0, " Enter sends the replayed line | /replay skip | /replay stop")
        return FormattedText([("class:toolbar", " | ".join(parts) + " ")])

    def _offered(self) -> str | None:
        """The line a replay in progress offers (pre-filled at the prompt)."""
        replay = self.engine.replay
        return replay.next_line if replay is not None else None

    def _read_line(self) -> str:
        offered = self._offered() or ""
        if self.engine.mode is Mode.SECRET:
            return self.secret_session.prompt(
                [("class:prompt.mode", "334 answer (hidden, not stored)"), ("", "> ")],
                is_password=True,
                default=offered,
            )
        # A /replay in progress offers its next line, ready for Enter (or editing).
        return self.session.prompt(self.prompt_fragments, default=offered)

    # ------------------------------------------------------------------ running

    def _ask(self, prompt: str, secret: bool) -> str:
        """Engine asker (called on the worker thread): the main thread asks the person."""
        answer: queue.Queue[Any] = queue.Queue()
        self._queue.put(_Ask(prompt, secret, answer))
        value = answer.get()
        if isinstance(value, BaseException):
            raise value
        return value

    def call(self, action: Callable[[], Result]) -> Result:
        """Run ``action`` on a worker thread, printing events as they come; Ctrl-C cancels."""
        box: list[Result] = []

        def work() -> None:
            try:
                box.append(action())
            except BaseException as exc:  # a bug: still one line, never a traceback
                box.append(Result([Note(f"internal error: {exc!r}", Level.ERROR)], Outcome.USAGE))
            finally:
                self._queue.put(_Done())

        unsubscribe = self.engine.subscribe(self._queue.put)
        worker = threading.Thread(target=work, name="smtpshell-command", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    message = self._queue.get()
                    if isinstance(message, _Done):
                        break
                    if isinstance(message, _Ask):
                        message.answer.put(self._answer(message))
                    elif isinstance(message, Event):
                        self.show_event(message)
                except KeyboardInterrupt:
                    self.engine.cancel()
        finally:
            unsubscribe()
        worker.join()
        return box[0]

    def _answer(self, ask: _Ask) -> Any:
        try:
            return self.secret_session.prompt(ask.prompt, is_password=ask.secret)
        except (KeyboardInterrupt, EOFError) as exc:
            return EOFError(str(exc))

    def run_line(self, line: str) -> Result:
        result = self.call(lambda: self.engine.run_line(line))
        self.show_result(result)
        return result

    def _interrupted(self) -> None:
        """Ctrl-C at the prompt: clears the line; twice in a row abandons a message."""
        mode = self.engine.mode
        if mode not in (Mode.DATA, Mode.COMPOSE):
            return
        self._interrupts += 1
        if self._interrupts >= 2:
            self._interrupts = 0
            self.show_result(self.engine.abandon_message())
        else:
            self._printer(
                [("class:hint", "Ctrl-C again abandons the message; a line with only '.' ends it")]
            )

    def run(self, connect_to: Any = None, *, connect: bool = True) -> int:
        """The loop.  Connects first (``connect_to`` as for ``Engine.connect``)."""
        self._printer([("class:hint", BANNER)])
        if connect:
            self.show_result(self.call(lambda: self.engine.connect(connect_to)))
        try:
            self._read_loop()
        finally:
            self.call(self._shutdown)
        return 0

    def _read_loop(self) -> None:
        """Read and run lines until Ctrl-D, or a line that ends the session."""
        while not self.engine.finished:
            try:
                line = self._read_line()
            except KeyboardInterrupt:
                self._interrupted()
                continue
            except EOFError:
                break
            self._interrupts = 0
            if self.run_line(line).exit:
                break

    def _shutdown(self) -> Result:
        self.engine.shutdown()
        return Result()
