"""Raw DATA: the labelled unsafe path inside a message, against the practice server."""

from __future__ import annotations

from smtpshell.shell import Level, Mode
from smtpshell.wiring import new_engine

SMUGGLE = (
    r"Subject: smuggling test\r\n\r\nhello\n.\nMAIL FROM:<evil@example.com>\r\n"
    r"RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n"
)


def start(engine) -> None:
    assert engine.connect(None).ok
    for line in ("EHLO me", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA"):
        assert engine.run_line(line).ok
    assert engine.mode is Mode.DATA


def test_safe_data_stays_the_default_and_stuffs_dots():
    with new_engine(scripted=True, timeout=10) as engine:
        start(engine)
        engine.run_line("Subject: safe")
        engine.run_line("")
        engine.run_line(".leading dot")
        engine.run_line(r"hello\n.\nMAIL FROM:<evil@example.com>")  # escapes are text here
        assert engine.run_line(".").ok
        assert engine.last_reply.code == 250
        [message] = engine.practice.messages
        assert b".leading dot" in message.data and b"\\n.\\nMAIL" in message.data


def test_raw_data_sends_bare_lf_and_unstuffed_dots_and_is_labelled_unsafe():
    with new_engine(scripted=True, timeout=10) as engine:
        start(engine)
        engine.run_line("X-Typed: before raw")
        result = engine.run_line("/raw")
        assert engine.mode is Mode.RAW
        [note] = result.items
        assert note.level is Level.WARN and "unsafe" in note.text
        result = engine.run_line(SMUGGLE)
        assert result.ok and engine.mode is Mode.RAW  # no reply read: still in the message
        result = engine.run_line(r"\r\n.\r\n")
        assert result.ok, result.errors
        assert engine.last_reply.code == 250
        assert engine.mode is Mode.RAW  # raw mode stays on, now outside a message
        engine.run_line("/raw")
        assert engine.mode is Mode.COMMAND
        # The practice server ended the message only at CRLF.CRLF: one message, the
        # "smuggled" commands are text inside it, and nothing went to the victim.
        [message] = engine.practice.messages
        assert message.rcpt_tos == ["b@example.com"]
        assert b"X-Typed: before raw" in message.data
        assert b"MAIL FROM:<evil@example.com>" in message.data
        sent = b"".join(e.data for e in engine.transcript.events() if e.kind.name == "SENT")
        assert b"hello\n.\nMAIL FROM:<evil@example.com>\r\n" in sent  # bare LF, unstuffed


def test_a_custom_end_of_data_waits_for_reply_on_request():
    with new_engine(scripted=True, timeout=10) as engine:
        start(engine)
        engine.run_line("/raw")
        result = engine.run_line(r"Subject: x\r\n\r\nbody\n.\n")
        assert any("/reply" in item.text for item in result.items)  # nothing read yet
        engine.run_line(r"\r\n.\r\n")
        assert engine.last_reply.code == 250


def test_raw_off_in_data_returns_to_safe_data():
    with new_engine(scripted=True, timeout=10) as engine:
        start(engine)
        engine.run_line("/raw")
        result = engine.run_line("/raw")
        assert engine.mode is Mode.DATA
        assert "safe DATA" in result.items[0].text
        engine.run_line("Subject: back to safe")
        engine.run_line("")
        engine.run_line(".")
        assert engine.last_reply.code == 250
