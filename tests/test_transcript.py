"""Transcript events, subscribers, bounds and exports."""

from __future__ import annotations

import json
import threading

from smtpshell import SMTP
from smtpshell.transcript import Event, EventKind, Transcript, escape_bytes
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
