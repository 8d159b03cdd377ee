"""Transcript events, subscribers, bounds and exports."""

from __future__ import annotations

import json
import threading

from smtpshell import SMTP
from smtpshell.transcript import (
    INJECTED,
    UNSOLICITED,
    ConnectFacts,
    DroppedFacts,
    Event,
    EventKind,
    Transcript,
    body_summary,
    escape_bytes,
    events_to_jsonl,
)
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script


def test_every_byte_becomes_an_event():
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = SMTP("127.0.0.1", server.port, local_hostname="c.example", timeout=5)
        s.ehlo()
        s.sendmail("a@x.example", ["b@y.example"], "Subject: t\n\nbody\n")
        s.quit()
    events = s.transcript.events()
    sent = b"".join(e.data for e in events if e.kind is EventKind.SENT)
    assert sent == server.wire
    kinds = [e.kind for e in events]
    assert kinds[0] is EventKind.CONNECT and kinds[-1] is EventKind.CLOSE
    finals = [e for e in events if e.final]
    assert [e.code for e in finals] == [220, 250, 250, 250, 354, 250, 221]
    assert all(e.latency is None or e.latency >= 0 for e in finals)
    assert all(e.wall_time > 0 and e.monotonic > 0 for e in events)


def test_text_export_uses_rfc_notation():
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = SMTP("127.0.0.1", server.port, local_hostname="c.example", timeout=5)
        s.noop()
        s.quit()
    text = s.transcript.to_text()
    assert "S: 220 test.example ESMTP ready\n" in text
    assert "C: noop\n" in text
    assert "S: 250 2.0.0 OK\n" in text
    assert text.startswith("* connected to 127.0.0.1:")


def test_jsonl_export_round_trips_bytes():
    import base64

    transcript = Transcript()
    transcript.emit(Event(EventKind.RECEIVED, b"250 \x1b[31mred\r\n"))
    transcript.emit(
        Event(EventKind.SENT, b"AUTH PLAIN AGEAYg==\r\n", redacted=b"AUTH PLAIN <redacted>\r\n")
    )
    records = [json.loads(line) for line in transcript.to_jsonl().splitlines()]
    assert base64.b64decode(records[0]["data_b64"]) == b"250 \x1b[31mred\r\n"
    assert "\x1b" not in records[0]["text"]
    assert records[1]["secret"] is True and records[1]["redacted"] is True
    assert "AGEAYg" not in transcript.to_jsonl()
    assert "AGEAYg" in transcript.to_jsonl(reveal=True)


def test_escape_bytes_never_passes_control_characters():
    assert escape_bytes(b"\x1b[2J\x07ok\r\n") == "\\x1b[2J\\x07ok\\r\\n"
    assert escape_bytes("héllo".encode()) == "héllo"
    assert escape_bytes(b"\xff") == "\\xff"
    assert escape_bytes("\u202e".encode()) == "\\u202e"


def test_memory_is_bounded_but_subscribers_see_everything():
    transcript = Transcript(max_events=10, max_bytes=100)
    seen = []
    transcript.subscribe(seen.append)
    for i in range(50):
        transcript.emit(Event(EventKind.SENT, b"x" * 30 if i % 2 else b"y"))
    assert len(seen) == 50
    assert len(transcript) <= 10
    assert sum(len(e.data) for e in transcript.events()) <= 100
    assert transcript.dropped == 50 - len(transcript)


def test_subscribers_from_many_threads_and_a_failing_one():
    transcript = Transcript(max_events=None, max_bytes=None)
    counts = []
    lock = threading.Lock()

    def count(event):
        with lock:
            counts.append(event)

    def broken(event):
        raise RuntimeError("subscriber bug")

    transcript.subscribe(broken)
    unsubscribe = transcript.subscribe(count)
    threads = [
        threading.Thread(target=lambda: [transcript.note("n") for _ in range(200)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(counts) == 800 == len(transcript)
    unsubscribe()
    transcript.note("after")
    assert len(counts) == 800


def test_bounds_keep_the_head_and_mark_the_gap():
    """Issue 15: a flood after the envelope never pushes out connect, greeting, EHLO, MAIL."""
    transcript = Transcript(max_events=100, max_bytes=None, head_events=6)
    head = [
        Event(EventKind.CONNECT, text="connected to mx:25"),
        Event(EventKind.RECEIVED, b"220 mx\r\n", code=220),
        Event(EventKind.SENT, b"EHLO me\r\n"),
        Event(EventKind.RECEIVED, b"250 mx\r\n", code=250),
        Event(EventKind.SENT, b"MAIL FROM:<a@x>\r\n"),
        Event(EventKind.RECEIVED, b"250 ok\r\n", code=250),
    ]
    for event in head:
        transcript.emit(event)
    for i in range(1000):
        transcript.emit(Event(EventKind.SENT, f"RCPT TO:<r{i}@y>\r\n".encode()))
    events = transcript.events()
    assert events[:6] == head
    marker = events[6]
    assert marker.kind is EventKind.DROPPED
    assert marker.facts.total == transcript.dropped == 906 and marker.facts.first == 6
    assert events[7].data == b"RCPT TO:<r906@y>\r\n" and events[-1].data == b"RCPT TO:<r999@y>\r\n"
    assert len(transcript) == 100 == len(events) - 1
    text = transcript.to_text()
    assert text.startswith("* connected to mx:25\nS: 220 mx\nC: EHLO me\n")
    assert "* 906 events dropped here by the transcript's bounds (events 7 to 912)\n" in text
    records = [json.loads(line) for line in transcript.to_jsonl().splitlines()]
    assert records[6]["kind"] == "dropped"
    assert records[6]["dropped"] == {"total": 906, "first": 6}


def test_byte_bound_keeps_the_head_too():
    transcript = Transcript(max_events=None, max_bytes=1000)
    transcript.emit(Event(EventKind.RECEIVED, b"220 banner\r\n", code=220))
    for _ in range(100):
        transcript.emit(Event(EventKind.SENT, b"x" * 98 + b"\r\n"))
    events = transcript.events()
    assert events[0].data == b"220 banner\r\n"
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.DROPPED) == 1 and kinds.index(EventKind.DROPPED) >= 1
    assert sum(len(e.data) for e in events) <= 1000
    transcript.clear()
    assert transcript.events() == [] and transcript.dropped == 0


def _one_message(body: str, **transcript_options):
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        transcript = Transcript(**transcript_options)
        s = SMTP("127.0.0.1", server.port, timeout=5, transcript=transcript)
        s.sendmail("a@x.example", ["b@y.example"], body)
        s.quit()
    return transcript, server


def test_a_big_body_is_one_bounded_summary_event():
    body = "Subject: big\r\n\r\n" + "".join(f"line {i}\r\n" for i in range(60_000))
    transcript, server = _one_message(body)
    summaries = [e for e in transcript.events() if e.summary is not None]
    assert len(summaries) == 1
    (summary,) = summaries
    stuffed = len(body.encode()) + 3  # + ".\r\n"
    assert summary.summary[:3] == (stuffed, 60_003, 20)
    assert summary.summary.recorded == len(summary.data) < 4096
    assert summary.summary.truncated
    assert summary.data.startswith(b"Subject: big\r\n\r\nline 0\r\n")
    assert summary.data.count(b"\n") == 20
    assert server.wire.count(b"line 59999\r\n") == 1  # the whole body went out
    text = transcript.to_text()
    assert f"* ... message body: {stuffed} bytes, 60003 lines (first 20 recorded)\n" in text
    assert "line 20" not in text
    record = next(
        json.loads(line) for line in transcript.to_jsonl().splitlines() if '"summary"' in line
    )
    assert record["body"] == {
        "size": stuffed,
        "lines": 60_003,
        "shown": 20,
        "recorded": len(summary.data),
    }


def test_a_small_body_is_recorded_whole_and_bodies_can_be_asked_for():
    transcript, _ = _one_message("Subject: t\r\n\r\nhi\r\n")
    (summary,) = [e for e in transcript.events() if e.summary is not None]
    assert summary.data == b"Subject: t\r\n\r\nhi\r\n.\r\n" and not summary.summary.truncated
    body = "Subject: big\r\n\r\n" + "x\r\n" * 50
    transcript, server = _one_message(body, bodies=True)
    assert not any(e.summary for e in transcript.events())
    sent = b"".join(e.data for e in transcript.events() if e.kind is EventKind.SENT)
    assert sent == server.wire


def test_typed_fields_and_jsonl_schema():
    event = Event(EventKind.RECEIVED, b"250 ok\r\n", code=250, latency=0.5, command="NOOP")
    assert (event.code, event.final, event.latency, event.command) == (250, True, 0.5, "NOOP")
    assert not (event.unsolicited or event.malformed or event.incomplete or event.pipelined)
    plain = Event(EventKind.RECEIVED, b"250-x\r\n")
    assert not plain.final and plain.code is None
    flagged = Event(EventKind.RECEIVED, b"junk\r\n", flags=UNSOLICITED | INJECTED)
    assert flagged.unsolicited and flagged.injected and not flagged.malformed
    record = json.loads(events_to_jsonl([event, flagged]).splitlines()[0])
    assert record["code"] == 250 and record["final"] is True and record["latency"] == 0.5
    assert record["command"] == "NOOP" and record["text"] == "250 ok\\r\\n"
    second = json.loads(events_to_jsonl([flagged]))
    assert second["unsolicited"] is True and second["injected"] is True and "code" not in second
    connect = Event(
        EventKind.CONNECT, text="connected", facts=ConnectFacts("h", 25, ("1.2.3.4", 25))
    )
    record = json.loads(events_to_jsonl([connect]))
    assert record["connect"] == {"host": "h", "port": 25, "peer": ["1.2.3.4", 25]}
    assert record["text"] == "connected"
    assert "UNSOLICITED" in repr(flagged) or "unsolicited" in repr(flagged)


def test_body_summary_bounds_bytes_as_well_as_lines():
    binary = b"\x00" * 10_000  # a BDAT chunk need not have lines at all
    event = body_summary(binary, len(binary), 0)
    assert event.data == b"" and event.summary.truncated and event.summary.recorded == 0
    assert event.text == "message body: 10000 bytes, 0 lines (not recorded)"
    long_lines = b"x" * 3000 + b"\r\n" + b"y" * 3000 + b"\r\n"
    event = body_summary(long_lines, len(long_lines), 2)
    assert event.data == b"x" * 3000 + b"\r\n" and event.summary.shown == 1
    assert event.summary.truncated


def test_faces_show_what_a_body_summary_left_out():
    from smtpshell.shell.display import event_lines

    body = b"".join(b"line %d\r\n" % i for i in range(50))
    lines = event_lines(body_summary(body, len(body), 50))
    assert [line.direction for line in lines] == ["C"] * 20 + ["*"]
    assert lines[-1].text == f"... message body: {len(body)} bytes, 50 lines (first 20 recorded)"
    whole = event_lines(body_summary(b"hi\r\n", 4, 1))
    assert [(line.direction, line.text) for line in whole] == [("C", "hi")]


def test_every_session_keeps_its_head_while_it_lasts():
    """A transcript shared across reconnects (the shell's): the bounds drop earlier
    sessions first, and each session's head stays while that session lasts."""
    transcript = Transcript(max_events=50, max_bytes=None, head_events=4)

    def session(name: str, commands: int) -> list[Event]:
        head = [
            Event(EventKind.CONNECT, text=f"connected to {name}"),
            Event(EventKind.RECEIVED, f"220 {name}\r\n".encode(), code=220),
            Event(EventKind.SENT, b"EHLO me\r\n"),
            Event(EventKind.RECEIVED, b"250 ok\r\n", code=250),
        ]
        for event in head:
            transcript.emit(event)
        for i in range(commands):
            transcript.emit(Event(EventKind.SENT, f"NOOP {name} {i}\r\n".encode()))
        return head

    first = session("one", 30)
    assert transcript.events()[:4] == first and transcript.dropped == 0
    second = session("two", 100)
    events = transcript.events()
    assert len(transcript) == 50 and transcript.dropped == 134 + 4 - 50
    kinds = [e.kind for e in events]
    # all of session one is gone (one marker for it), session two's head is kept whole
    assert kinds[0] is EventKind.DROPPED and events[0].facts == DroppedFacts(34, 0)
    assert events[1:5] == second
    assert events[5].kind is EventKind.DROPPED
    assert events[5].facts == DroppedFacts(54, 38)  # events 39 to 92: NOOP two 0..53
    assert events[6].data == b"NOOP two 54\r\n" and events[-1].data == b"NOOP two 99\r\n"
    text = transcript.to_text()
    assert text.startswith("* 34 events dropped here by the transcript's bounds (events 1 to 34)\n")
    assert "* connected to two\nS: 220 two\n" in text


def test_an_earlier_sessions_gap_stays_marked():
    transcript = Transcript(max_events=20, max_bytes=None, head_events=2)
    for name in ("one", "two"):
        transcript.emit(Event(EventKind.CONNECT, text=f"connected to {name}"))
        transcript.emit(Event(EventKind.RECEIVED, b"220 hi\r\n", code=220))
        for i in range(25):
            transcript.emit(Event(EventKind.SENT, f"NOOP {name} {i}\r\n".encode()))
        if name == "one":
            markers = [e.facts for e in transcript.events() if e.kind is EventKind.DROPPED]
            assert markers == [DroppedFacts(7, 2)]
    events = transcript.events()
    markers = [e.facts for e in events if e.kind is EventKind.DROPPED]
    assert markers == [DroppedFacts(27, 0), DroppedFacts(7, 29)]  # session one, NOOP two 0..6
    assert sum(m.total for m in markers) == transcript.dropped == 34
    assert events[1].text == "connected to two" and events[4].data == b"NOOP two 7\r\n"
    assert len(transcript) == 20


def test_bounds_hold_and_every_event_is_kept_or_counted_across_sessions():
    """Many sessions of varied sizes through both bounds: after every event, what is kept
    fits both bounds, and kept + dropped accounts for every event (the running totals the
    bounds check uses must never drift from what is really kept)."""
    transcript = Transcript(max_events=40, max_bytes=900, head_events=6)
    sent = 0
    for session in range(12):
        transcript.emit(Event(EventKind.CONNECT, text=f"session {session}"))
        sent += 1
        for i in range(7 + 9 * session):
            transcript.emit(Event(EventKind.SENT, b"x" * ((i * 7 + session) % 61)))
            sent += 1
            kept = transcript.events()
            markers = [e for e in kept if e.kind is EventKind.DROPPED]
            assert len(kept) - len(markers) == len(transcript)
            assert len(transcript) + transcript.dropped == sent
            assert sum(e.facts.total for e in markers) == transcript.dropped
            assert sum(len(e.data) for e in kept) <= 900
            assert len(transcript) <= 40


# -- replies recorded after the fact (emit_reply, issue 15) --------------------------------


def _reply(transcript: Transcript, text: bytes = b"250 ok\r\n", at: float = 100.0) -> None:
    transcript.emit_reply(text, int(text[:3]), 0.001, "NOOP", at)


def test_a_held_reply_is_seen_by_every_read_in_order():
    """With no subscriber the reply's event is built and kept later, but no read can tell:
    events(), len(), ``dropped``, the exports and the next emit each see it first."""

    def held(**bounds) -> Transcript:
        transcript = Transcript(**bounds)
        transcript.emit(Event(EventKind.SENT, b"NOOP\r\n"))
        _reply(transcript)
        return transcript

    assert [e.data for e in held().events()] == [b"NOOP\r\n", b"250 ok\r\n"]
    assert len(held()) == 2
    assert held(max_events=1, head_events=0).dropped == 1
    assert held().to_text() == "C: NOOP\nS: 250 ok\n"
    assert b"250 ok" in held().to_jsonl().encode()
    transcript = Transcript(max_events=None, max_bytes=None)
    _reply(transcript)
    assert len(transcript) == 1
    _reply(transcript, b"251 second\r\n")
    transcript.emit(Event(EventKind.SENT, b"RSET\r\n"))
    assert [e.data for e in transcript.events()] == [b"250 ok\r\n", b"251 second\r\n", b"RSET\r\n"]
    event = transcript.events()[0]
    assert (event.kind, event.code, event.latency, event.command) == (
        EventKind.RECEIVED,
        250,
        0.001,
        "NOOP",
    )


def test_a_held_reply_keeps_its_arrival_time():
    import time

    transcript = Transcript()
    arrived = time.monotonic() - 60  # a reply that came a minute before anyone looked
    _reply(transcript, at=arrived)
    event = transcript.events()[0]
    assert event.monotonic == arrived
    assert abs(event.wall_time - (time.time() - 60)) < 5


def test_subscribers_hear_a_reply_at_once_and_the_bounds_still_hold():
    transcript = Transcript(max_events=4, max_bytes=None, head_events=0)
    seen: list[Event] = []
    transcript.subscribe(seen.append)
    for i in range(20):
        _reply(transcript, b"250 reply %d\r\n" % i)
        assert len(seen) == i + 1 and seen[-1].data == b"250 reply %d\r\n" % i
    assert len(transcript) <= 4
    assert transcript.dropped + len(transcript) == 20


def test_a_subscriber_arriving_takes_over_a_held_reply_first():
    transcript = Transcript()
    _reply(transcript, b"250 before\r\n")
    seen: list[Event] = []
    transcript.subscribe(seen.append)
    transcript.emit(Event(EventKind.SENT, b"RSET\r\n"))
    assert [e.data for e in seen] == [b"RSET\r\n"]  # it subscribed after the reply
    assert [e.data for e in transcript.events()] == [b"250 before\r\n", b"RSET\r\n"]


def test_clear_forgets_a_held_reply_and_a_subclass_overriding_emit_sees_every_reply():
    transcript = Transcript()
    _reply(transcript)
    transcript.clear()
    assert transcript.events() == []

    class Counting(Transcript):
        def __init__(self) -> None:
            super().__init__()
            self.emitted: list[Event] = []

        def emit(self, event: Event) -> None:
            self.emitted.append(event)
            super().emit(event)

    counting = Counting()
    _reply(counting)
    assert [e.data for e in counting.emitted] == [b"250 ok\r\n"]


def test_replies_held_from_many_threads_are_all_kept():
    transcript = Transcript(max_events=None, max_bytes=None)
    start = threading.Barrier(4)

    def work(n: int) -> None:
        start.wait(10)
        for i in range(500):
            _reply(transcript, b"250 %d-%d\r\n" % (n, i))
            if i % 7 == 0:
                transcript.note("n")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    replies = [e.data for e in transcript.events() if e.kind is EventKind.RECEIVED]
    assert len(replies) == 2000
    for n in range(4):  # each thread's replies in its own order
        mine = [r for r in replies if r.startswith(b"250 %d-" % n)]
        assert mine == [b"250 %d-%d\r\n" % (n, i) for i in range(500)]
