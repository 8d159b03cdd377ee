"""The Textual app: command pane, live log, inspector and status bar over one engine.

Everything the app does to the session goes through the shared command engine as shell
lines (``/connect``, ``/ehlo``, ``MAIL FROM:<...>``), run on a thread worker by
:class:`~smtpshell.tui.runner.EngineRunner`; the app only renders what comes back and
what the transcript emits.  Errors become notifications and output lines, never a crash.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, TextArea

from smtpshell.shell import Candidate, Engine, Level, Mode, Outcome, Result, Target
from smtpshell.shell.history import HistoryFile
from smtpshell.shell.results import plural
from smtpshell.transcript import EventKind
from smtpshell.tui.inspection import FeatureMemory, InspectorData, gather
from smtpshell.tui.keys import app_bindings
from smtpshell.tui.palette import ShellCommands
from smtpshell.tui.quoting import quote
from smtpshell.tui.runner import EngineRunner, Job
from smtpshell.tui.screens import (
    ComposeRequest,
    ComposeScreen,
    ConnectRequest,
    ConnectScreen,
    HelpScreen,
    SecretScreen,
)
from smtpshell.tui.widgets import (
    CommandPane,
    ExplainPanel,
    FilterBar,
    Inspector,
    KeyFooter,
    LogPane,
    StatusBar,
)
from smtpshell.tui.widgets.command_pane import BUTTONS
from smtpshell.tui.widgets.log_pane import DEFAULT_MAX_ROWS
from smtpshell.wiring import new_engine

__all__ = ["SmtpShellApp"]

_HERE = Path(__file__).parent
_WIDGET_STYLES = [
    _HERE / "widgets" / f"{name}.tcss"
    for name in (
        "status_bar",
        "log_pane",
        "filter_bar",
        "explain_panel",
        "inspector",
        "command_pane",
    )
]

#: Below this width the inspector is hidden until asked for (F3).
NARROW_WIDTH = 100
#: Below this height the command output shrinks so the log keeps some room.
SHORT_HEIGHT = 30
#: How often transcript events are moved to the log (seconds).
FLUSH_INTERVAL = 1 / 20
#: Events are moved in batches of this many...
FLUSH_BATCH = 256
#: ...for at most this long (seconds) at a time: a flood of events is absorbed in slices,
#: and a keystroke waits for one slice at most, never for the whole flood.
FLUSH_BUDGET = 0.012
#: The breath between two slices of a flood.
FLUSH_PAUSE = 0.002
#: A slice of a flood waits while a message (a keystroke on its way to the prompt) is
#: queued in the app, its screen or the focused widget, for at most this long (seconds)
#: in a row: the log still moves when messages never stop coming.
FLUSH_DEFER_LIMIT = 0.1
#: How long a busy engine thread may hold the GIL before the UI thread gets it back
#: (Python's default is 5 ms).  A keystroke crosses several message queues, each a turn
#: of the event loop that gives up the GIL; behind a thread that is formatting a flood of
#: events, every turn waited up to 5 ms.  The TUI owns its process, so it shortens this
#: while it runs (and restores it when it stops).
SWITCH_INTERVAL = 0.001


class SmtpShellApp(App[int]):
    """smtpshell's full-screen face."""

    TITLE = "smtpshell"
    CSS_PATH: ClassVar[list[Path]] = [*_WIDGET_STYLES, _HERE / "app.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = app_bindings()
    COMMANDS = App.COMMANDS | {ShellCommands}

    def __init__(
        self,
        target: str | Target | None = None,
        *,
        engine: Engine | None = None,
        connect: bool = True,
        history_file: HistoryFile | None = None,
        max_log_rows: int = DEFAULT_MAX_ROWS,
        show_time: bool = True,
    ) -> None:
        super().__init__()
        if engine is None:
            engine = new_engine(asker=self._ask, history=history_file)
        elif engine.asker is None:
            engine.asker = self._ask
        self.engine = engine
        self.max_log_rows = max_log_rows  # before the runner: it bounds the event queue
        self.runner = EngineRunner(self, engine)
        self.target = target
        self.connect_on_start = connect
        self.history_file = history_file
        #: Start-up's objects (Textual, Rich, our modules: hundreds of thousands) are kept
        #: out of the garbage collector's sight while the app runs (``gc.freeze()``): a
        #: full collection used to scan them all whenever a flood of events made one due,
        #: holding the GIL for 100-350 ms, which were the worst keystroke stalls.
        self._frozen = False
        self._gc_thresholds: tuple[int, int, int] | None = None
        self.show_time = show_time
        self._memory = FeatureMemory()
        self._flush_scheduled = False
        self._flush_deferred_since: float | None = None
        self._used_secrets: set[int] = set()
        self._quitting = False
        self._last_connect = ConnectRequest()
        self._busy_label: str | None = None
        #: What the last job returned (tests and scripted screenshots read it).
        self.last_result: Result | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="main"):
            with Vertical(id="log-column"):
                yield FilterBar(id="log-filter")
                yield LogPane(id="log", max_rows=self.max_log_rows, show_time=self.show_time)
                yield ExplainPanel(id="explain")
            yield from self.compose_side()
        history = self.history_file.load() if self.history_file is not None else []
        yield CommandPane(
            self.complete, history=history, buttons=self.toolbar_buttons(), id="command-pane"
        )
        yield KeyFooter(compact=True, show_command_palette=False)  # Ctrl+P: in F1 help

    def compose_side(self) -> ComposeResult:
        """What sits right of the log (a face over a lesson adds its panel here)."""
        yield Inspector(id="inspector")

    def toolbar_buttons(self) -> tuple[tuple[str, str, str], ...]:
        """(label, action, tooltip) for the command pane's toolbar."""
        return BUTTONS

    def complete(self, text_before_cursor: str) -> list[Candidate]:
        """The prompt's completions: the engine's (a lesson adds its own commands)."""
        return self.engine.complete(text_before_cursor)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one("#status-bar", StatusBar)

    @property
    def log_pane(self) -> LogPane:
        return self.query_one("#log", LogPane)

    @property
    def explain_panel(self) -> ExplainPanel:
        return self.query_one("#explain", ExplainPanel)

    @property
    def inspector(self) -> Inspector:
        return self.query_one("#inspector", Inspector)

    @property
    def command_pane(self) -> CommandPane:
        return self.query_one("#command-pane", CommandPane)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one("#log-filter", FilterBar)

    @property
    def main_area(self) -> Horizontal:
        return self.query_one("#main", Horizontal)

    def on_mount(self) -> None:
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        gc.freeze()  # see SmtpShellApp._frozen
        self._frozen = True
        self.log_pane.border_title = "Transcript"
        self._fit(self.size.width, self.size.height)
        self.set_interval(FLUSH_INTERVAL, self._flush_tick)
        self.refresh_session()
        self.command_pane.command_input.focus()
        self.start_session()

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        if self._frozen:
            gc.unfreeze()
        if self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)

    def start_session(self) -> None:
        """Connect as asked on the command line, or say how to (a lesson starts itself)."""
        if self.connect_on_start:
            if isinstance(self.target, Target):  # from the command line, options applied
                target = self.target
                self.runner.call(target.label, lambda engine: engine.connect(target))
            else:
                line = "/connect" + (f" {quote(self.target)}" if self.target else "")
                self.runner.submit(line)
        else:
            self.command_pane.write_note(
                "not connected: F2 opens the connect dialog, /connect uses the practice server",
                Level.HINT,
            )

    def on_resize(self) -> None:
        self._fit(self.size.width, self.size.height)

    def _fit(self, width: int, height: int) -> None:
        """80x24 keeps the log and prompt; wider screens get the inspector beside the log."""
        if not self.is_mounted:
            return
        self.main_area.set_class(width < NARROW_WIDTH, "-narrow")
        self.command_pane.set_class(height < SHORT_HEIGHT, "-short")
        self.explain_panel.set_class(height < SHORT_HEIGHT, "-short")

    # ------------------------------------------------------------------ engine plumbing

    def flush_events(self) -> int:
        """Move queued transcript events into the log; returns how many were handled
        (shown, or counted as dropped and marked in the log).

        Works for one FLUSH_BUDGET at most; if events remain, the rest follows after a
        short pause in which keystrokes and other widgets get their turn.  Events the
        queue dropped (the UI fell far behind) appear in the log as one line giving their
        count, where they would have been.
        """
        deadline = time.monotonic() + FLUSH_BUDGET
        moved, session_changed = 0, False
        while True:
            # backlog: more queued events than the log keeps would only be trimmed again.
            dropped, events = self.runner.take_events(FLUSH_BATCH, backlog=self.max_log_rows)
            if dropped or events:
                log_pane = self.log_pane  # not before: this timer may tick during teardown
            if dropped:
                log_pane.add_dropped(dropped)
                moved += dropped
                session_changed = True  # a dropped event may have changed the session
            if not events:
                break
            log_pane.add_events(events)
            moved += len(events)
            session_changed = session_changed or any(
                e.kind is not EventKind.SENT and (e.kind is not EventKind.RECEIVED or e.final)
                for e in events
            )
            if time.monotonic() >= deadline:
                self._flush_later()
                break
        if session_changed:
            self.refresh_session()
        self._pace_collector(flooded=moved >= FLUSH_BATCH)
        return moved

    def _pace_collector(self, *, flooded: bool) -> None:
        """During a flood, no full garbage collection: each one scans every log row and
        waiting event (100-150 ms holding the GIL, the worst keystroke stalls).  Young
        objects are still collected; the full pass resumes once the flood is over."""
        if flooded and self._gc_thresholds is None:
            self._gc_thresholds = gc.get_threshold()
            gc.set_threshold(self._gc_thresholds[0], self._gc_thresholds[1], 1_000_000)
        elif not flooded and self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)
            self._gc_thresholds = None

    def _flush_later(self) -> None:
        if not self._flush_scheduled:
            # A timer, not call_later: the app's queue must run dry for a moment so the
            # other widgets' tasks (the prompt taking a keystroke) get their turn.
            self._flush_scheduled = True
            self.set_timer(FLUSH_PAUSE, self._flush_more)

    def _flush_more(self) -> None:
        self._flush_scheduled = False
        self._flush_tick()

    def _flush_tick(self) -> int:
        """The timers' flush: a slice of a flood waits while a message is on its way.

        A keystroke crosses three queues (the app's, the screen's, the focused widget's),
        one turn of the event loop each, and a flood's slices are timers: a slice that
        started between two of those turns held the keystroke for the whole slice.  Only
        messages already queued count (a slice runs in one go, nothing arrives during it),
        and after FLUSH_DEFER_LIMIT of waiting in a row the slice runs anyway.
        """
        if self._message_waiting():
            now = time.monotonic()
            if self._flush_deferred_since is None:
                self._flush_deferred_since = now
            if now - self._flush_deferred_since < FLUSH_DEFER_LIMIT:
                self._flush_later()
                return 0
        self._flush_deferred_since = None
        return self.flush_events()

    def _message_waiting(self) -> bool:
        """A message waits in the app's queue, its screen's or the focused widget's."""
        if self.message_queue_size:
            return True
        try:
            screen = self.screen
        except ScreenStackError:  # the timer may tick during teardown
            return False
        focused = screen.focused
        return bool(screen.message_queue_size or (focused and focused.message_queue_size))

    def session_data(self) -> InspectorData | None:
        """A snapshot of the session, or None if the client was mid-change (try later)."""
        try:
            return gather(self.engine, self._memory)
        except RuntimeError:  # a dict changed size while a worker updated it
            return None

    def refresh_session(self) -> None:
        """Status bar, inspector, prompt mode and secret display from the engine's state."""
        data = self.session_data()
        if data is None:
            return
        status = data.status
        self.status_bar.show(status, busy=self._busy_label)
        self.inspector.show(data)
        if self.command_pane.mode is not status.mode:
            self.command_pane.set_mode(status.mode)
        if self.log_pane.reveal != status.reveal:
            self.log_pane.reveal = status.reveal

    def submit_typed(self, line: str) -> Job:
        """A line as typed at the prompt (its echo and history are decided when it runs)."""
        return self.runner.submit(line, typed=True, label=line)

    def on_command_pane_submitted(self, message: CommandPane.Submitted) -> None:
        self.submit_typed(message.line)

    def on_engine_runner_started(self, message: EngineRunner.Started) -> None:
        if message.echo is not None:
            self.command_pane.echo(message.echo, message.mode)
        if message.history is not None:
            self.command_pane.command_input.remember(message.history)
        self._busy_label = message.echo or "working"
        self.command_pane.set_busy(self._busy_label)
        self.refresh_session()

    def on_engine_runner_finished(self, message: EngineRunner.Finished) -> None:
        job, result = message.job, message.result
        self.last_result = result
        self.flush_events()
        self.command_pane.show_result(result)
        if result.outcome is Outcome.CANCELLED:
            self.notify("cancelled", severity="warning")
        elif not result.ok:
            self.notify_failure(result)
        if job.label == _LEAVING:
            self.exit(0)
            return
        if result.exit:
            self.action_quit_now()
        self.refresh_session()
        self.offer_replay_line()

    def offer_replay_line(self) -> None:
        """A /replay in progress: put its next line at the (empty) prompt for Enter."""
        replay = self.engine.replay
        offered = replay.next_line if replay is not None else None
        if offered and not self.command_pane.command_input.value:
            self.command_pane.prefill(offered)

    def notify_failure(self, result: Result) -> None:
        """A failed line as an error notification (the shell pane has the details too)."""
        errors = result.errors or [f"{result.outcome.value} error"]
        self.notify(
            "\n".join(errors),
            title=_TITLES.get(result.outcome, ""),
            severity="error",
            markup=False,  # server text is escaped, but it is still not markup
        )

    def on_engine_runner_idle(self, message: EngineRunner.Idle) -> None:
        self._busy_label = None
        self.command_pane.set_busy(None)
        self.refresh_session()

    def _ask(self, prompt: str, secret: bool) -> str:
        """The engine's asker, called on the worker thread: a secret given with the job
        (connect dialog), else a modal prompt.  EOFError declines, cancelling the line."""
        job = self.runner.current_job
        if job is not None and job.secret and job.id not in self._used_secrets:
            self._used_secrets.add(job.id)
            return job.secret
        answer: list[str | None] = []
        done = threading.Event()

        def got(value: str | None) -> None:
            answer.append(value)
            done.set()

        self.call_from_thread(self.push_screen, SecretScreen(prompt, secret), got)
        while not done.wait(0.2):
            if not self.is_running:
                raise EOFError
        if not answer or answer[0] is None:
            raise EOFError
        return answer[0]

    # ------------------------------------------------------------------ messages from widgets

    def on_log_pane_line_selected(self, message: LogPane.LineSelected) -> None:
        row = message.row
        if row is None:
            self.explain_panel.show_row(None)
            return
        verb, first = self.log_pane.reply_context(row)
        self.explain_panel.show_row(row, reply_verb=verb, first_line=first)

    def on_log_pane_typed_here(self, message: LogPane.TypedHere) -> None:
        self.type_at_prompt(message.text)

    def on_log_pane_escape_pressed(self, message: LogPane.EscapePressed) -> None:
        if message.what == "filter":
            self.filter_bar.action_close()
        else:
            self.action_focus_prompt()

    def type_at_prompt(self, text: str) -> None:
        """Put ``text`` at the prompt's cursor and give the prompt the focus."""
        prompt = self.command_pane.command_input
        prompt.focus()
        prompt.insert_text_at_cursor(text)

    def on_key(self, event: events.Key) -> None:
        """A printable key that no widget took (the inspector, the explain panel) goes to
        the prompt: the main screen never swallows typing."""
        if (
            self.screen is self.screen_stack[0]
            and event.is_printable
            and event.character
            and not isinstance(self.focused, Input | TextArea)
        ):
            event.stop()
            self.type_at_prompt(event.character)

    def on_log_pane_copied(self, message: LogPane.Copied) -> None:
        self.notify(f"copied {plural(message.lines, 'line')} to the clipboard")

    def on_filter_bar_filter_changed(self, message: FilterBar.FilterChanged) -> None:
        self.log_pane.filter = message.text

    def on_filter_bar_done(self, message: FilterBar.Done) -> None:
        if message.cleared:
            self.filter_bar.remove_class("-shown")
        self.log_pane.focus()

    # ------------------------------------------------------------------ actions

    def action_run_line(self, line: str) -> None:
        """Run a line as if typed (buttons, F5, the palette)."""
        self.submit_typed(line)

    def action_prefill(self, text: str) -> None:
        """Put a command at the prompt for the person to finish."""
        self.command_pane.prefill(text)

    def action_cancel(self) -> None:
        if self.runner.busy:
            self.runner.cancel()  # the engine answers with what this did to the connection
        elif self.engine.mode in (Mode.DATA, Mode.COMPOSE):
            self.runner.call("abandon message", lambda engine: engine.abandon_message())
        elif self.filter_bar.has_class("-shown"):
            self.filter_bar.action_close()

    def action_help(self) -> None:
        from smtpshell.shell.commands import CATEGORIES

        self.push_screen(HelpScreen(self.engine.registry, CATEGORIES))

    def action_connect_dialog(self) -> None:
        def connect(request: ConnectRequest | None) -> None:
            if request is None:
                return
            self._last_connect = ConnectRequest(
                request.host,
                request.port,
                request.security,
                request.verify,
                request.helo,
                request.user,
            )
            lines = request.command_lines()
            secret = request.password or None
            self.runner.submit_chain(
                [(line, secret if line.startswith("/login") else None) for line in lines]
            )

        self.push_screen(ConnectScreen(self._last_connect), connect)

    def action_login(self) -> None:
        status = self.engine.status()
        self.action_prefill("/login demo" if status.practice else "/login ")

    def action_compose(self) -> None:
        data = self.session_data()
        size_limit = self.engine.views.capabilities().size.max_bytes
        user = data.status.user if data is not None else None
        sender = user if user and "@" in user else (f"{user}@example.com" if user else "")
        self.push_screen(ComposeScreen(size_limit=size_limit, from_addr=sender), self._send)

    def _send(self, request: ComposeRequest | None) -> None:
        if request is None:
            return
        count = len(request.recipients)
        label = f"(compose) sending {plural(count, 'recipient')} with {request.fields.method}"
        self.runner.call(label, request.send, echo=True)

    def action_toggle_inspector(self) -> None:
        main = self.main_area
        if main.has_class("-narrow"):
            main.toggle_class("-show-inspector")
        else:
            main.toggle_class("-hide-inspector")

    def action_toggle_reveal(self) -> None:
        self.runner.submit("/reveal")

    def action_filter(self) -> None:
        self.filter_bar.add_class("-shown")
        self.filter_bar.focus()

    def action_export(self) -> None:
        self.action_prefill("/export smtpshell-transcript.txt")

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_focus_log(self) -> None:
        self.log_pane.focus()

    def action_focus_prompt(self) -> None:
        self.command_pane.command_input.focus()

    async def action_quit(self) -> None:
        """Leave politely: QUIT and stop the practice server on the worker, then exit."""
        if self._quitting:
            self.exit(0)
            return
        self._quitting = True
        if self.runner.busy:
            self.runner.cancel()
        self.runner.call(_LEAVING, self.leave)
        self.set_timer(5.0, lambda: self.exit(0))

    def leave(self, engine: Engine) -> Result | None:
        """Run on the worker when quitting: QUIT, stop the practice server."""
        engine.shutdown()
        return None

    def action_quit_now(self) -> None:
        self.run_worker(self.action_quit(), exclusive=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Connect…", "Open the connect dialog (F2)", self.action_connect_dialog)
        yield SystemCommand("Compose…", "Compose and send a message (F4)", self.action_compose)
        yield SystemCommand("Login…", "Put /login at the prompt", self.action_login)
        yield SystemCommand(
            "Toggle inspector", "Show or hide the inspector (F3)", self.action_toggle_inspector
        )
        yield SystemCommand(
            "Reveal secrets", "Toggle showing AUTH payloads (F6)", self.action_toggle_reveal
        )
        yield SystemCommand("Filter log", "Search the transcript (F7)", self.action_filter)
        yield SystemCommand("Copy log", "Copy every line shown", self.log_pane.action_copy_all)
        yield SystemCommand(
            "Wrap long lines",
            "Wrap, or cut with › and scroll (Ctrl+W)",
            self.log_pane.action_toggle_wrap,
        )
        yield SystemCommand(
            "Export transcript", "Put /export at the prompt (F8)", self.action_export
        )
        yield SystemCommand("Cancel", "Cancel the command in flight (Esc)", self.action_cancel)
        yield SystemCommand("Toggle light/dark", "Switch theme (F9)", self.action_toggle_theme)
        yield SystemCommand("Help", "Keys and commands (F1)", self.action_help)


_LEAVING = "leaving"
_TITLES = {
    Outcome.USAGE: "Not understood",
    Outcome.CONNECTION: "Connection problem",
    Outcome.SMTP: "The server refused",
    Outcome.EXPECTATION: "Expectation failed",
}
