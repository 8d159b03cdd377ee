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
from collections import deque, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType

from smtpshell.protocol.display import escape_bytes

TYPE_CHECKING = False  # typing costs import time, and annotations here are only strings
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "REDACTED",
    "Event",
    "EventKind",
    "Transcript",
    "escape_bytes",
    "events_to_jsonl",
    "events_to_text",
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


#: The detail of events that have none (shared, so it must stay read-only).
NO_DETAIL: Mapping[str, Any] = MappingProxyType({})


class Event(namedtuple("Event", ("kind", "data", "wall_time", "monotonic", "redacted", "detail"))):
    """One thing that happened on a connection (immutable).

    ``data`` is the raw bytes for SENT/RECEIVED events.  ``redacted`` is set only on secret
    events: it is what renderers show instead of ``data``.  The times default to now.
    A tuple underneath: two events are made for every command, so construction must be
    cheap (a frozen dataclass costs several times more).
    """

    __slots__ = ()

    def __new__(
        cls,
        kind: EventKind,
        data: bytes = b"",
        wall_time: float | None = None,
        monotonic: float | None = None,
        redacted: bytes | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> Event:
        return tuple.__new__(
            cls,
            (
                kind,
                data,
                time.time() if wall_time is None else wall_time,
                time.monotonic() if monotonic is None else monotonic,
                redacted,
                NO_DETAIL if detail is None else detail,
            ),
        )

    @property
    def secret(self) -> bool:
        return self.redacted is not None

    def shown(self, reveal: bool = False) -> bytes:
        """The bytes a renderer may show: the redacted form of a secret unless revealed."""
        if self.redacted is not None and not reveal:
            return self.redacted
        return self.data

    @property
    def text(self) -> str:
        """A one-line human description for non-data events."""
        return str(self.detail.get("text", ""))


Subscriber = Callable[[Event], None]


class Transcript:
    """A bounded, thread-safe record of events with live subscribers.

    ``max_events`` and ``max_bytes`` bound what is kept (oldest dropped first); subscribers
    still see every event.  Subscribers are called on the emitting thread, outside the lock;
    a face that owns an event loop hands the event over itself (``call_from_thread``).
    A subscriber that raises is logged and never breaks the session.
    """

    def __init__(self, max_events: int | None = 10_000, max_bytes: int | None = 8 << 20):
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._events: deque[Event] = deque()
        self._bytes = 0
        self._dropped = 0
        #: Replaced, never mutated, so emit() can call a snapshot without copying it.
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every future event; returns the unsubscribe function."""
        with self._lock:
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
            events = self._events
            events.append(event)
            self._bytes += len(event.data)
            if self.max_events is not None and len(events) > self.max_events:
                # The steady state of a full transcript: one in, one out, no loop.
                dropped = events.popleft()
                self._bytes -= len(dropped.data)
                self._dropped += 1
            if self.max_bytes is not None and self._bytes > self.max_bytes:
                self._trim()
            subscribers = self._subscribers
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                _report_failure(callback)

    def _trim(self) -> None:
        while self._events and (
            (self.max_events is not None and len(self._events) > self.max_events)
            or (self.max_bytes is not None and self._bytes > self.max_bytes)
        ):
            dropped = self._events.popleft()
            self._bytes -= len(dropped.data)
            self._dropped += 1

    def note(self, text: str, **detail: Any) -> None:
        """Record a human-readable note (not wire data)."""
        self.emit(Event(EventKind.INFO, detail={"text": text, **detail}))

    @property
    def dropped(self) -> int:
        """How many events the memory bounds have discarded."""
        return self._dropped

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def __len__(self) -> int:
        return len(self._events)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._bytes = 0

    def to_text(self, reveal: bool = False) -> str:
        return events_to_text(self.events(), reveal=reveal)

    def to_jsonl(self, reveal: bool = False) -> str:
        return events_to_jsonl(self.events(), reveal=reveal)


def _wire_lines(data: bytes) -> Iterator[bytes]:
    for line in data.split(b"\n"):
        if line:
            yield line.removesuffix(b"\r")


def events_to_text(events: Iterable[Event], reveal: bool = False) -> str:
    """The RFC 5321 notation: ``C:`` for client lines, ``S:`` for server lines, ``*`` notes."""
    out: list[str] = []
    for event in events:
        if event.kind in (EventKind.SENT, EventKind.RECEIVED):
            prefix = "C: " if event.kind is EventKind.SENT else "S: "
            out.extend(prefix + escape_bytes(line) for line in _wire_lines(event.shown(reveal)))
        else:
            out.append(f"* {event.text}" if event.text else f"* {event.kind.value}")
    return "\n".join(out) + ("\n" if out else "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return escape_bytes(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def event_to_dict(event: Event, reveal: bool = False) -> dict[str, Any]:
    shown = event.shown(reveal)
    record: dict[str, Any] = {
        "kind": event.kind.value,
        "time": event.wall_time,
        "monotonic": event.monotonic,
    }
    if event.kind in (EventKind.SENT, EventKind.RECEIVED):
        record["text"] = escape_bytes(shown)
        record["data_b64"] = base64.b64encode(shown).decode("ascii")
    if event.secret:
        record["secret"] = True
        record["redacted"] = not reveal
    if event.detail:
        record["detail"] = _jsonable(event.detail)
    return record


def events_to_jsonl(events: Iterable[Event], reveal: bool = False) -> str:
    """One JSON object per line; ``data_b64`` carries the exact bytes (or the redaction)."""
    import json

    return "".join(json.dumps(event_to_dict(e, reveal), ensure_ascii=False) + "\n" for e in events)
