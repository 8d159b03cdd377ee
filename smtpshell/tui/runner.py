"""The bridge between the command engine (blocking) and the Textual event loop.

Every engine call runs on a thread worker, one at a time and in the order asked, so the
UI never waits on the network.  Transcript events arrive on whatever thread emitted them;
they are queued here and the app drains them in batches on a timer, so a flood of 100,000
events costs a few hundred refreshes rather than 100,000 messages.  No event is lost
silently: one the queue has to drop is counted, and the log shows the count where the gap
is (see :class:`EventQueue`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING

from textual.message import Message

from smtpshell.shell import Engine, Mode, Result
from smtpshell.transcript import Event

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["EngineRunner", "EventQueue", "Job"]

#: The most undelivered events the queue keeps if the UI falls behind (the log pane is
#: bounded too; exports read the engine's own transcript, not this queue).  Past it the
#: oldest are dropped, and counted.  The app's runner holds fewer: its log's bound + 25%.
MAX_QUEUED_EVENTS = 200_000


class EventQueue:
    """Transcript events on their way from the engine's thread to the log pane.

    ``append`` is the transcript subscriber: it runs on the emitting thread, once per
    event, so it does one append and one length check.  It never blocks the client: if
    the UI is ``limit`` events behind, the oldest queued events are dropped, and counted.
    :meth:`take` hands the UI a batch together with the number of events dropped just
    before it, so the log can put a visible mark where the gap is.  Every event is either
    taken or counted as dropped (``taken + dropped == appended``).
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_QUEUED_EVENTS if limit is None else limit
        self._events: deque[Event] = deque()
        self._lock = threading.Lock()  # the slow paths only: dropping, and taking
        self._dropped = 0  # dropped and not yet reported by take()
        #: Totals since the queue was made (for tests and benchmarks).
        self.taken = 0
        self.dropped = 0

    def append(self, event: Event) -> None:
        events = self._events
        events.append(event)
        if len(events) > self.limit:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        with self._lock:  # the UI may have taken some meanwhile: count again
            events = self._events
            excess = len(events) - self.limit
            pop = events.popleft
            for _ in range(max(0, excess)):
                pop()
            if excess > 0:
                self._dropped += excess
                self.dropped += excess

    def take(self, limit: int, *, backlog: int | None = None) -> tuple[int, list[Event]]:
        """``(dropped, events)``: how many events were dropped since the last call (all of
        them older than ``events``), then up to ``limit`` events, oldest first.

        ``backlog``: keep at most this many queued events and drop (and count) the older
        ones first.  The log pane passes its own bound: lines it would trim as soon as
        the newer ones arrived are not worth formatting.
        """
        with self._lock:
            events = self._events
            if backlog is not None and len(events) > backlog:
                excess = len(events) - backlog
                pop = events.popleft
                for _ in range(excess):
                    pop()
                self._dropped += excess
                self.dropped += excess
            dropped, self._dropped = self._dropped, 0
            batch: list[Event] = []
            pop = events.popleft
            try:
                while len(batch) < limit:
                    batch.append(pop())
            except IndexError:
                pass
            self.taken += len(batch)
        return dropped, batch

    def __len__(self) -> int:
        return len(self._events)

    def __bool__(self) -> bool:
        """Anything to show: events, or a count of dropped ones not yet reported."""
        return bool(self._events) or bool(self._dropped)


_job_ids = count(1)


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of engine work: a typed line, or a named engine call."""

    label: str
    line: str | None = None
    call: Callable[[Engine], Result | None] | None = field(default=None, compare=False)
    echo: bool = True
    #: Typed at the prompt: echoed and remembered as the engine's mode allows.
    typed: bool = False
    #: Jobs with the same chain are dropped once one of them fails (connect, then EHLO...).
    chain: int | None = None
    #: A hidden value for the engine's asker, used at most once by this job (a password
    #: typed in the connect dialog); never part of ``line``.
    secret: str | None = field(default=None, repr=False, compare=False)
    id: int = field(default_factory=lambda: next(_job_ids))


class EngineRunner:
    """Runs jobs on a worker thread in order and collects transcript events for the UI."""

    @dataclass
    class Started(Message):
        """A job began on the worker thread (the UI shows the spinner and the echo).

        ``echo`` is the line as it may be shown (a hidden answer is not), ``history`` what
        history may keep of it, both decided by the engine's mode when the job *ran*, not
        when it was typed (lines typed ahead of a slow DATA command are message lines).
        """

        job: Job
        echo: str | None
        history: str | None
        mode: Mode

    @dataclass
    class Finished(Message):
        """A job is done; ``result`` is what the engine returned."""

        job: Job
        result: Result

    @dataclass
    class Idle(Message):
        """No job is running or waiting any more."""

    def __init__(self, app: App, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self._jobs: deque[Job] = deque()
        self._lock = threading.Lock()
        self._running = False
        self._current: Job | None = None
        # More waiting events than the log keeps would only be skipped when the UI gets to
        # them; holding fewer keeps the garbage collector's passes short during a flood.
        rows = getattr(app, "max_log_rows", MAX_QUEUED_EVENTS)
        self._events = EventQueue(limit=min(MAX_QUEUED_EVENTS, rows + rows // 4))
        self._unsubscribe = engine.subscribe(self._events.append)

    # ------------------------------------------------------------------ jobs

    @property
    def busy(self) -> bool:
        """A job is running or queued."""
        with self._lock:
            return self._running or bool(self._jobs)

    def submit(
        self,
        line: str,
        *,
        echo: bool = True,
        typed: bool = False,
        label: str | None = None,
        chain: int | None = None,
        secret: str | None = None,
    ) -> Job:
        """Run one line (as the REPL would) after the jobs already queued."""
        job = Job(label or line, line=line, echo=echo, typed=typed, chain=chain, secret=secret)
        return self._enqueue(job)

    def submit_chain(self, lines: list[tuple[str, str | None]]) -> list[Job]:
        """Run lines in order, stopping at the first that fails: ``(line, secret)`` each."""
        chain = next(_job_ids)
        return [self.submit(line, chain=chain, secret=secret) for line, secret in lines]

    @property
    def current_job(self) -> Job | None:
        """The job running now (read on the worker thread by the asker)."""
        return self._current

    def call(
        self, label: str, call: Callable[[Engine], Result | None], *, echo: bool = False
    ) -> Job:
        """Run an engine method on the worker thread (abandon a message, shut down, send a
        composed message); ``echo`` shows ``label`` in the log as a typed line would be."""
        return self._enqueue(Job(label, call=call, echo=echo))

    def _enqueue(self, job: Job) -> Job:
        with self._lock:
            self._jobs.append(job)
            if self._running:
                return job
            self._running = True
        self.app.run_worker(
            self._drain, thread=True, group="engine", name="engine", exit_on_error=False
        )
        return job

    def cancel(self) -> int:
        """Cancel the job in flight and drop the queued ones; returns how many were dropped."""
        with self._lock:
            dropped = len(self._jobs)
            self._jobs.clear()
        self.engine.cancel()
        return dropped

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._running = False
                    break
                job = self._jobs.popleft()
            self._current = job
            echo, history = self._echo(job)
            self.app.post_message(self.Started(job, echo, history, self.engine.mode))
            result = self._run(job)
            self._current = None
            if not result.ok and job.chain is not None:
                with self._lock:
                    kept = [j for j in self._jobs if j.chain != job.chain]
                    self._jobs.clear()
                    self._jobs.extend(kept)
            self.app.post_message(self.Finished(job, result))
        self.app.post_message(self.Idle())

    def _echo(self, job: Job) -> tuple[str | None, str | None]:
        """What to show of the job's line and what history keeps, by the mode right now."""
        if not job.typed or job.line is None:
            return (job.label if job.echo else None), None
        mode = self.engine.mode
        if mode is Mode.SECRET:
            return "(hidden answer)", None
        if mode in (Mode.DATA, Mode.COMPOSE):
            return job.line, None
        entry = self.engine.history_entry(job.line)
        return entry, entry

    def _run(self, job: Job) -> Result:
        from smtpshell.shell import Level, Outcome, describe_error

        try:
            if job.line is not None:
                return self.run_line(job.line)
            assert job.call is not None
            return job.call(self.engine) or Result()
        except Exception as exc:  # run_line promises not to raise; a face never crashes
            return Result(outcome=Outcome.CONNECTION).add(describe_error(exc), Level.ERROR)

    def run_line(self, line: str) -> Result:
        """Run one line on the worker thread (a lesson judges it on the way)."""
        return self.engine.run_line(line)

    # ------------------------------------------------------------------ events

    def take_events(self, limit: int, *, backlog: int | None = None) -> tuple[int, list[Event]]:
        """``(dropped, events)`` since the last call; see :meth:`EventQueue.take`."""
        return self._events.take(limit, backlog=backlog)

    @property
    def events(self) -> EventQueue:
        return self._events

    def close(self) -> None:
        self._unsubscribe()
