"""The transcript: every byte of a session as events, fanned out to subscribers.

The client emits an :class:`Event` for each chunk it sends, each reply line it receives, and
each connect, TLS handshake, close and note.  Secrets are marked where they are born: the
client builds the redacted form of an AUTH payload at the moment it sends it, so every
renderer and exporter here shows the redacted form unless the caller passes ``reveal=True``.
Nothing is ever redacted by pattern-matching afterwards.
"""

from __future__ import annotations

import base64
import enum
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple

from smtpshell.protocol.display import escape_bytes

__all__ = [
    "INCOMPLETE",
    "INJECTED",
    "MALFORMED",
    "PIPELINED",
    "REDACTED",
    "SUMMARY",
    "UNSOLICITED",
    "AuthFacts",
    "BodySummary",
    "ConnectFacts",
    "DroppedFacts",
    "Event",
    "EventKind",
    "TLSFacts",
    "Transcript",
    "body_summary",
    "escape_bytes",
    "events_to_jsonl",
    "events_to_text",
    "received_event",
    "sent_event",
]


def _report_failure(callback: object) -> None:
    """Log a failing subscriber.  logging is imported here, on the rare failure, because
    importing it (and json, below) up front cost ~7 ms of ``import smtpshell``."""
    import logging

    logging.getLogger(__name__).exception("transcript subscriber %r failed", callback)


#: What a secret payload is replaced with in every rendering.
REDACTED = b"<redacted>"


class EventKind(enum.StrEnum):
    SENT = "sent"
    RECEIVED = "received"
    CONNECT = "connect"
    TLS = "tls"
    CLOSE = "close"
    INFO = "info"
    #: Where the transcript's bounds dropped events (``facts`` is a DroppedFacts).
    DROPPED = "dropped"


class ConnectFacts(NamedTuple):
    """What a CONNECT event knows: the target as asked and the peer as connected."""

    host: str
    port: int
    peer: Any = None


class TLSFacts(NamedTuple):
    """What a TLS event knows (``SMTP.tls_info()`` has the certificate too)."""

    version: str | None
    cipher: str | None
    verified: bool


class AuthFacts(NamedTuple):
    """An AUTH attempt's note: the mechanism and user (never the secret)."""

    mechanism: str
    user: str | None


class BodySummary(NamedTuple):
    """A message body recorded as a summary: its size and lines, and how much of it (bytes,
    whole lines) the event's data holds."""

    size: int
    lines: int
    shown: int
    recorded: int

    @property
    def truncated(self) -> bool:
        return self.recorded < self.size


class DroppedFacts(NamedTuple):
    """The marker where the transcript's bounds dropped events: how many, from which."""

    total: int
    #: The stream index (0-based) of the first dropped event; None where it is not known
    #: (a face's own queue marks what it dropped the same way).
    first: int | None = None


Facts = ConnectFacts | TLSFacts | AuthFacts | BodySummary | DroppedFacts

#: Flags of an event (bits of ``Event.flags``): plain ints, so testing one is cheap.
UNSOLICITED = 1  # received while no reply was owed: the session was out of step
MALFORMED = 2  # a reply line the assembler rejected
INCOMPLETE = 4  # bytes left when the connection was lost mid-reply
INJECTED = 8  # plaintext after the 220 to STARTTLS, before the handshake
PIPELINED = 16  # sent in one batch with other commands (RFC 2920)
SUMMARY = 32  # a message body recorded as a summary (see BodySummary)

FLAG_NAMES = (
    (UNSOLICITED, "unsolicited"),
    (MALFORMED, "malformed"),
    (INCOMPLETE, "incomplete"),
    (INJECTED, "injected"),
    (PIPELINED, "pipelined"),
    (SUMMARY, "summary"),
)

_time = time.time
_monotonic = time.monotonic
_SENT = EventKind.SENT
_RECEIVED = EventKind.RECEIVED
_CONNECT = EventKind.CONNECT
_DROPPED = EventKind.DROPPED


class Event(tuple):  # type: ignore[type-arg]
    """One thing that happened on a connection (immutable, typed fields).

    ``data`` is the raw bytes for SENT/RECEIVED events.  ``redacted`` is set only on secret
    events: it is what renderers show instead of ``data``.  ``code`` is set on the last line
    of a reply (``final``), with ``latency`` since the command was sent and ``command`` (the
    line it answers, or its verb if secret).  ``flags`` holds the bits above; ``facts`` the
    typed facts of CONNECT, TLS, AUTH notes, body summaries and drop markers.  The times
    default to now.  A tuple underneath: two events are made for every command, so
    construction must be cheap (a frozen dataclass costs several times more).
    """

    __slots__ = ()

    def __new__(
        cls,
        kind: EventKind,
        data: bytes = b"",
        wall_time: float | None = None,
        monotonic: float | None = None,
        redacted: bytes | None = None,
        *,
        code: int | None = None,
        latency: float | None = None,
        command: str | None = None,
        flags: int = 0,
        text: str = "",
        facts: Facts | None = None,
    ) -> Event:
        return tuple.__new__(
            cls,
            (
                kind,
                data,
                _time() if wall_time is None else wall_time,
                _monotonic() if monotonic is None else monotonic,
                redacted,
                code,
                latency,
                command,
                flags,
                text,
                facts,
            ),
        )

    @property
    def kind(self) -> EventKind:
        return self[0]  # type: ignore[no-any-return]

    @property
    def data(self) -> bytes:
        return self[1]  # type: ignore[no-any-return]

    @property
    def wall_time(self) -> float:
        return self[2]  # type: ignore[no-any-return]

    @property
    def monotonic(self) -> float:
        return self[3]  # type: ignore[no-any-return]

    @property
    def redacted(self) -> bytes | None:
        return self[4]  # type: ignore[no-any-return]

    @property
    def code(self) -> int | None:
        """The reply code, on the final line of a reply only."""
        return self[5]  # type: ignore[no-any-return]

    @property
    def final(self) -> bool:
        """True on the last line of a reply (the line that carries ``code``)."""
        return self[5] is not None

    @property
    def latency(self) -> float | None:
        """Seconds from the command's write to its reply's last line (final lines only)."""
        return self[6]  # type: ignore[no-any-return]

    @property
    def command(self) -> str | None:
        """The command line a final reply answers (only its verb when that line was secret)."""
        return self[7]  # type: ignore[no-any-return]

    @property
    def flags(self) -> int:
        return self[8]  # type: ignore[no-any-return]

    @property
    def text(self) -> str:
        """A one-line human description for non-data events."""
        return self[9]  # type: ignore[no-any-return]

    @property
    def facts(self) -> Facts | None:
        return self[10]  # type: ignore[no-any-return]

    @property
    def unsolicited(self) -> bool:
        return bool(self[8] & UNSOLICITED)

    @property
    def malformed(self) -> bool:
        return bool(self[8] & MALFORMED)

    @property
    def incomplete(self) -> bool:
        return bool(self[8] & INCOMPLETE)

    @property
    def injected(self) -> bool:
        return bool(self[8] & INJECTED)

    @property
    def pipelined(self) -> bool:
        return bool(self[8] & PIPELINED)

    @property
    def summary(self) -> BodySummary | None:
        """The body summary, on a SENT event that records a message body as a summary."""
        facts = self[10]
        return facts if isinstance(facts, BodySummary) else None

    @property
    def secret(self) -> bool:
        return self[4] is not None

    def shown(self, reveal: bool = False) -> bytes:
        """The bytes a renderer may show: the redacted form of a secret unless revealed."""
        if self[4] is not None and not reveal:
            return self[4]  # type: ignore[no-any-return]
        return self[1]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        fields = [self.kind.name, repr(self.shown())] if self.data else [self.kind.name]
        for name in ("code", "latency", "command", "text", "facts"):
            value = getattr(self, name)
            if value:
                fields.append(f"{name}={value!r}")
        fields += [name for bit, name in FLAG_NAMES if self.flags & bit]
        if self.secret:
            fields.append("secret")
        return f"Event({', '.join(fields)})"


# The client's hot path: two events per command.  These skip Event()'s argument handling
# (keyword defaults cost about a third of a microsecond per event).

_new_tuple = tuple.__new__
_data_of = itemgetter(1)  # an event's data
#: Stands for "no bound" where a number is compared: no transcript reaches it.
_NO_BOUND = 1 << 62


def sent_event(data: bytes, redacted: bytes | None = None) -> Event:
    """``Event(EventKind.SENT, data, redacted=redacted)``, built faster."""
    return _new_tuple(
        Event, (_SENT, data, _time(), _monotonic(), redacted, None, None, None, 0, "", None)
    )


def received_event(
    data: bytes,
    code: int | None = None,
    latency: float | None = None,
    command: str | None = None,
    monotonic: float | None = None,
    wall_time: float | None = None,
) -> Event:
    """``Event(EventKind.RECEIVED, data, code=..., latency=..., command=...)``, built faster.

    ``monotonic``: the time the caller already read (it measured the latency with it);
    ``wall_time``: the wall clock's reading then, if it is not now.
    """
    if monotonic is None:
        monotonic = _monotonic()
    if wall_time is None:
        wall_time = _time()
    return _new_tuple(
        Event, (_RECEIVED, data, wall_time, monotonic, None, code, latency, command, 0, "", None)
    )


def body_summary(
    sent: bytes, size: int, lines: int, max_lines: int = 20, max_bytes: int = 4096
) -> Event:
    """The SENT event recording a message body as a summary.

    ``sent`` is the start of the body as sent (at least ``max_bytes`` of it when it is
    longer); ``size`` and ``lines`` describe all of it.  The event's data is the first
    ``max_lines`` lines (at most ``max_bytes``): the whole body when it fits.
    """
    if lines <= max_lines and size <= max_bytes:
        preview, shown = sent[:size], lines
    else:
        window = sent[:max_bytes]
        parts = window.split(b"\n", max_lines)  # the last part: what follows line max_lines
        shown = len(parts) - 1
        preview = window[: len(window) - len(parts[-1])]
    what = f"message body: {size} bytes, {lines} lines"
    if len(preview) < size:
        what += f" (first {shown} recorded)" if shown else " (not recorded)"
    facts = BodySummary(size, lines, shown, len(preview))
    return _new_tuple(  # one per message: as cheap as the other hot-path events
        Event, (_SENT, preview, _time(), _monotonic(), None, None, None, None, SUMMARY, what, facts)
    )


def _held_event(held: Event | tuple[bytes, int, float | None, str, float]) -> Event:
    """The event of a reply emit_reply() held: as it was, or built from its parts, with
    the wall clock's reading at its monotonic time (the time it arrived)."""
    if type(held) is Event:
        return held
    data, code, latency, command, monotonic = held
    wall = monotonic + (_time() - _monotonic())
    return received_event(data, code, latency, command, monotonic, wall)


Subscriber = Callable[[Event], None]


def _tell(subscribers: tuple[Subscriber, ...], event: Event) -> None:
    """Call each subscriber with ``event``; one that raises is logged and skipped."""
    for callback in subscribers:
        try:
            callback(event)
        except Exception:
            _report_failure(callback)


class Transcript:
    """A bounded, thread-safe record of events with live subscribers.

    ``max_events`` and ``max_bytes`` bound what is kept; subscribers still see every event.
    Once a bound is reached, the oldest droppable events are dropped down to 1/64 below it,
    so a full transcript holds between 63/64 of its bound and all of it, never more.
    The head of each session (its first ``head_events`` events, at most ``max_events // 2``
    and ``max_bytes // 4`` bytes: connect, greeting, EHLO, the first envelope) is kept
    while the session lasts.  A session starts with a CONNECT event.  The bounds drop the
    oldest events that are not the current session's head: earlier sessions first, then
    the current session's events after its head.  :meth:`events` puts a DROPPED marker
    event where events were dropped, saying how many and which.

    ``bodies``: record message bodies whole (one event per chunk written).  Off by default:
    a body is one SENT summary event (size, line count, first ``body_lines`` lines), so a
    10 MB message costs the transcript a few KiB.

    Subscribers are called on the emitting thread, outside the lock; a face that owns an
    event loop hands the event over itself (``call_from_thread``).  A subscriber that raises
    is logged and never breaks the session.
    """

    def __init__(
        self,
        max_events: int | None = 10_000,
        max_bytes: int | None = 8 << 20,
        *,
        head_events: int = 200,
        bodies: bool = False,
        body_lines: int = 20,
    ):
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.bodies = bodies
        self.body_lines = body_lines
        self._head_max = head_events if max_events is None else min(head_events, max_events // 2)
        self._head_max_bytes = None if max_bytes is None else max_bytes // 4
        #: How far below each bound a trim goes: a full transcript then drops 1/64 of its
        #: bound at a time, not one event per event (issue 15: the per-event trim was a
        #: third of the cost of a command).  Zero for small bounds, which stay exact.
        self._slack = 0 if max_events is None else max_events // 64
        self._slack_bytes = 0 if max_bytes is None else max_bytes // 64
        #: The bounds as numbers (no bound: one never reached), for emit()'s two comparisons.
        self._cap = _NO_BOUND if max_events is None else max_events
        self._cap_bytes = _NO_BOUND if max_bytes is None else max_bytes
        #: Replaced, never mutated, so emit() can call a snapshot without copying it.
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()
        #: Replies emit_reply() has not recorded yet (see there), oldest first: an Event,
        #: or the arguments of received_event() when nobody listened.  At most one per
        #: emitting thread, and most of the time none.  append() and popleft() are atomic,
        #: so holding one takes no lock.
        self._held: deque[Event | tuple[bytes, int, float | None, str, float]] = deque()
        #: A subclass that overrides emit() sees every event through it: nothing is held.
        self._may_hold = type(self).emit is Transcript.emit
        self._reset()

    def _reset(self) -> None:
        #: Earlier sessions' events (and the markers of their gaps), oldest first.
        self._old: deque[Event] = deque()
        self._old_markers = 0
        #: How many events are gone from the very start (earlier sessions, oldest first).
        self._front_dropped = 0
        #: The current session: its pinned head, then the rest.
        self._head: list[Event] = []
        self._head_bytes = 0
        self._head_open = self._head_max > 0
        self._events: deque[Event] = deque()
        self._tail_dropped = 0
        self._session_start = 0  # the stream index of the session's first event
        self._dropped = 0
        #: Running totals of all three parts (markers included), so the bounds are checked
        #: with two comparisons per event instead of six ``len()``s and sums.
        self._kept = 0
        self._kept_bytes = 0

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every future event; returns the unsubscribe function."""
        with self._lock:
            self._record_held()
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    remaining = list(self._subscribers)
                    remaining.remove(callback)
                    self._subscribers = tuple(remaining)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            if self._held:
                self._record_held()
            self._record(event)
            subscribers = self._subscribers
        if subscribers:
            _tell(subscribers, event)

    def emit_reply(
        self, data: bytes, code: int, latency: float | None, command: str, monotonic: float
    ) -> None:
        """``emit(received_event(...))`` for the last line of a reply, with the recording
        left for later.

        The client calls it for the reply that ends a command, so that the bookkeeping of
        a lone ``noop()`` runs after its next command is written, off the round trip
        (issue 15).  Subscribers hear of the event at once, as from emit(); keeping it
        waits for the next emit() (which keeps it first), the next read (events(),
        len(), ``dropped``) or the next subscribe(), so no reader can tell.  With no
        subscriber even building the event waits; its wall time is then derived from
        ``monotonic``, the time the reply arrived.
        """
        if not self._may_hold:
            self.emit(received_event(data, code, latency, command, monotonic))
            return
        subscribers = self._subscribers
        if subscribers:
            event = received_event(data, code, latency, command, monotonic)
            self._held.append(event)
            _tell(subscribers, event)
            return
        self._held.append((data, code, latency, command, monotonic))
        if self._subscribers:  # one arrived meanwhile: it hears of this reply
            last: Event | None = None
            with self._lock:
                held = self._held
                while held:
                    last = _held_event(held.popleft())
                    self._record(last)
            if last is not None:
                _tell(self._subscribers, last)

    def _record_held(self) -> None:
        """Build and record the held replies' events, oldest first (under the lock)."""
        held = self._held
        while held:
            self._record(_held_event(held.popleft()))

    def _record(self, event: Event) -> None:
        """Keep ``event`` within the bounds (under the lock)."""
        if event[0] is _CONNECT and (self._head or self._events):
            self._new_session()
        if self._head_open:
            self._keep_in_head(event)
        else:
            self._events.append(event)
            self._kept += 1
            self._kept_bytes += len(event[1])
            if self._kept > self._cap or self._kept_bytes > self._cap_bytes:
                self._trim()  # full: drops 1/64 of the bound at once

    def _keep_in_head(self, event: Event) -> None:
        """The head fills first and closes at its first event that does not fit."""
        size = len(event[1])
        limit = self._head_max_bytes
        self._kept += 1
        self._kept_bytes += size
        if len(self._head) < self._head_max and (limit is None or self._head_bytes + size <= limit):
            self._head.append(event)
            self._head_bytes += size
            if self._old and self._over():
                self._trim()
            return
        self._head_open = False
        self._events.append(event)
        self._trim()

    def _over(self) -> bool:
        most, limit = self.max_events, self.max_bytes
        return (most is not None and self._kept > most) or (
            limit is not None and self._kept_bytes > limit
        )

    def _trim(self) -> None:
        """Drop the oldest droppable events until the bounds hold (never the current head).

        Once over a bound, it drops down to 1/64 below it (``_slack``): a full transcript
        trims once every few hundred events, so the bounds cost two comparisons per event.
        """
        most, limit = self.max_events, self.max_bytes
        if most is not None:
            most -= self._slack
        if limit is not None:
            limit -= self._slack_bytes
        kept, kept_bytes = self._kept, self._kept_bytes
        old, events = self._old, self._events
        while (most is not None and kept > most) or (limit is not None and kept_bytes > limit):
            if old:
                dropped = old.popleft()
                kept -= 1
                if dropped[0] is _DROPPED:
                    self._old_markers -= 1
                    self._front_dropped += dropped[10].total
                    continue
                self._front_dropped += 1
            elif events:
                # The current session's oldest events, all the count bound asks for at once:
                # their sizes summed in C, then popped (issue 15: a third of emit()'s cost
                # was this loop, one event at a time).
                count = min(len(events), max(1, kept - most if most is not None else 1))
                kept_bytes -= sum(map(len, map(_data_of, islice(events, count))))
                for _ in range(count):
                    events.popleft()
                kept -= count
                self._tail_dropped += count
                self._dropped += count
                continue
            else:
                break
            kept_bytes -= len(dropped[1])
            self._dropped += 1
        self._kept, self._kept_bytes = kept, kept_bytes

    def _seen(self) -> int:
        """How many events were emitted since the start (or clear()): kept or dropped."""
        return self._kept - self._old_markers + self._dropped

    def _new_session(self) -> None:
        """A CONNECT after events: the session so far becomes droppable history."""
        old = self._old
        old.extend(self._head)
        if self._tail_dropped:
            first = self._events[0] if self._events else None
            old.append(
                self._marker(self._tail_dropped, self._session_start + len(self._head), first)
            )
            self._old_markers += 1
            self._kept += 1
        old.extend(self._events)
        self._head, self._head_bytes, self._head_open = [], 0, self._head_max > 0
        self._events, self._tail_dropped = deque(), 0
        self._session_start = self._seen()

    @staticmethod
    def _marker(total: int, first: int, at: Event | None) -> Event:
        return Event(
            EventKind.DROPPED,
            wall_time=at.wall_time if at is not None else None,
            monotonic=at.monotonic if at is not None else None,
            text=(
                f"{total} events dropped here by the transcript's bounds "
                f"(events {first + 1} to {first + total})"
            ),
            facts=DroppedFacts(total, first),
        )

    def note(self, text: str, facts: Facts | None = None) -> None:
        """Record a human-readable note (not wire data)."""
        self.emit(Event(EventKind.INFO, text=text, facts=facts))

    @property
    def dropped(self) -> int:
        """How many events the memory bounds have discarded."""
        if self._held:
            with self._lock:
                self._record_held()
        return self._dropped

    def events(self) -> list[Event]:
        """The events kept, oldest first, with a DROPPED marker wherever the bounds cut."""
        with self._lock:
            self._record_held()
            out: list[Event] = []
            at: Event | None
            if self._front_dropped:
                at = self._old[0] if self._old else self._head[0] if self._head else None
                out.append(self._marker(self._front_dropped, 0, at))
            out += self._old
            out += self._head
            if self._tail_dropped:
                at = self._events[0] if self._events else None
                first = self._session_start + len(self._head)
                out.append(self._marker(self._tail_dropped, first, at))
            out += self._events
            return out

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def __len__(self) -> int:
        """How many events are kept (DROPPED markers are not events)."""
        with self._lock:
            self._record_held()
            return len(self._old) - self._old_markers + len(self._head) + len(self._events)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._reset()

    def to_text(self, reveal: bool = False) -> str:
        return events_to_text(self.events(), reveal=reveal)

    def to_jsonl(self, reveal: bool = False) -> str:
        return events_to_jsonl(self.events(), reveal=reveal)


def _wire_lines(data: bytes) -> Iterator[bytes]:
    for line in data.split(b"\n"):
        if line:
            yield line.removesuffix(b"\r")


def events_to_text(events: Iterable[Event], reveal: bool = False) -> str:
    """The RFC 5321 notation: ``C:`` for client lines, ``S:`` for server lines, ``*`` notes.

    A body summary shows its recorded lines, then a note of what was left out; a DROPPED
    marker is a note saying how many events the bounds dropped there.
    """
    out: list[str] = []
    for event in events:
        kind = event.kind
        if kind is EventKind.SENT or kind is EventKind.RECEIVED:
            prefix = "C: " if kind is EventKind.SENT else "S: "
            out.extend(prefix + escape_bytes(line) for line in _wire_lines(event.shown(reveal)))
            summary = event.summary
            if summary is not None and summary.truncated:
                out.append(f"* ... {event.text}")
        else:
            out.append(f"* {event.text}" if event.text else f"* {kind.value}")
    return "\n".join(out) + ("\n" if out else "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return escape_bytes(value)
    if hasattr(value, "_asdict"):
        return {str(k): _jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


#: The JSONL key each kind of facts is exported under (see docs/api.md, "JSONL schema").
_FACTS_KEYS: dict[type, str] = {
    ConnectFacts: "connect",
    TLSFacts: "tls",
    AuthFacts: "auth",
    BodySummary: "body",
    DroppedFacts: "dropped",
}


def event_to_dict(event: Event, reveal: bool = False) -> dict[str, Any]:
    """One event as the documented JSONL record (schema 2, docs/api.md)."""
    record: dict[str, Any] = {
        "kind": event.kind.value,
        "time": event.wall_time,
        "monotonic": event.monotonic,
    }
    if event.kind is EventKind.SENT or event.kind is EventKind.RECEIVED:
        shown = event.shown(reveal)
        record["text"] = escape_bytes(shown)
        record["data_b64"] = base64.b64encode(shown).decode("ascii")
    if event.text:
        record["note" if "text" in record else "text"] = event.text
    if event.secret:
        record["secret"] = True
        record["redacted"] = not reveal
    if event.code is not None:
        record.update(code=event.code, final=True, latency=event.latency, command=event.command)
    for bit, name in FLAG_NAMES:
        if event.flags & bit:
            record[name] = True
    facts = event.facts
    if facts is not None:
        record[_FACTS_KEYS.get(type(facts), "facts")] = _jsonable(facts)
    return record


def events_to_jsonl(events: Iterable[Event], reveal: bool = False) -> str:
    """One JSON object per line; ``data_b64`` carries the exact bytes (or the redaction)."""
    import json

    return "".join(json.dumps(event_to_dict(e, reveal), ensure_ascii=False) + "\n" for e in events)
