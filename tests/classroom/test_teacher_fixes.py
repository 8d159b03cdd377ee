"""What teachers asked for: /base64, /plain (born secret), /next, LOGIN's prompts."""

from __future__ import annotations

import base64

from smtpshell.client import SMTP
from smtpshell.learn.catalog import find_lesson
from smtpshell.learn.runner import LessonRunner
from smtpshell.server import PracticeServer
from smtpshell.wiring import new_engine


def texts(result) -> str:
    return "\n".join(getattr(item, "text", "") for item in result.items)


def test_base64_encodes_and_decodes_with_nul_as_one_escape():
    engine = new_engine(scripted=True)
    assert "ZGVtbw==" in texts(engine.run_line("/base64 demo"))
    decoded = texts(engine.run_line("/base64 --decode AGRlbW8AZGVtbw=="))
    assert decoded.endswith("\\x00demo\\x00demo")
    assert "\\\\x00" not in decoded
    assert not engine.run_line("/base64 --decode not*base64").ok


def test_plain_is_secret_where_it_is_born():
    engine = new_engine(scripted=True)
    secret = base64.b64encode(b"\0demo\0s3cret-pw").decode()
    hidden = texts(engine.run_line("/plain demo s3cret-pw"))
    assert secret not in hidden and "s3cret-pw" not in hidden
    assert "AUTH PLAIN <redacted>" in hidden
    engine.run_line("/reveal on")
    assert f"AUTH PLAIN {secret}" in texts(engine.run_line("/plain demo s3cret-pw"))
    assert not any("s3cret-pw" in line for line in engine.history)


def test_the_practice_server_asks_username_and_password_as_lesson_8_says():
    lesson = find_lesson("8").load()
    assert any(
        '"Username:"' in paragraph for step in lesson.steps for paragraph in step.explanation
    )
    with PracticeServer() as server, SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo()
        code, prompt = client.docmd("AUTH", "LOGIN")
        assert (code, base64.b64decode(prompt)) == (334, b"Username:")
        code, prompt = client.docmd(base64.b64encode(b"demo").decode())
        assert (code, base64.b64decode(prompt)) == (334, b"Password:")
        assert client.docmd(base64.b64encode(b"demo").decode())[0] == 235


def test_next_at_the_end_of_a_lesson_asks_the_face_to_go_on():
    lesson = find_lesson("1").load()
    runner = LessonRunner(lesson, new_engine(scripted=True, timeout=30))
    runner.start(resume=False)
    try:
        early = runner.submit("/next")
        assert not early.exit and not runner.next_requested
        while not runner.finished:
            assert runner.run_solution() is None
        feedback = runner.submit("/next")
        assert feedback.exit and runner.next_requested
    finally:
        runner.close()


def test_a_nul_in_a_challenge_is_shown_as_one_escape():
    from smtpshell.learn.teach import _decode_challenge

    shown = _decode_challenge(base64.b64encode(b"User Name\0"))
    assert shown == "'User Name\\x00'"  # one backslash: \x00, not \\x00
    assert _decode_challenge(base64.b64encode(b"Username:")) == "'Username:'"
