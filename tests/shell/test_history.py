"""History never stores a secret, and its file is private."""

from __future__ import annotations

import stat

import pytest

from smtpshell.shell.commands import REGISTRY
from smtpshell.shell.history import HistoryFile, history_entry
from smtpshell.wiring import new_engine
from tests.shell.conftest import connect


@pytest.mark.parametrize(
    ("line", "stored"),
    [
        ("EHLO me", "EHLO me"),
        ("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN <redacted>"),
        ("auth login YWxpY2U=", "auth login <redacted>"),
        ("AUTH LOGIN", "AUTH LOGIN"),
        ("/login alice wonderland", "/login alice"),
        ("/login alice", "/login alice"),
        ("/login alice $SMTP_PASSWORD", "/login alice $SMTP_PASSWORD"),
        (
            "/auth PLAIN alice wonderland --no-initial-response",
            "/auth PLAIN alice --no-initial-response",
        ),
        (
            "/auth --no-initial-response LOGIN alice 'two words'",
            "/auth --no-initial-response LOGIN alice",
        ),
        ("/raw AUTH PLAIN AGFsaWNl\\r\\n", "/raw AUTH PLAIN <redacted>"),
        ("/raw --no-read AUTH PLAIN AGFsaWNl", "/raw --no-read AUTH PLAIN <redacted>"),
        ("/raw NOOP\\r\\n", "/raw NOOP\\r\\n"),
        ("   ", None),
    ],
)
def test_history_entry(line, stored):
    assert history_entry(line, REGISTRY) == stored


def test_secret_answers_and_message_lines_are_never_stored():
    assert history_entry("d29uZGVybGFuZA==", REGISTRY, secret_input=True) is None
    assert history_entry("my private letter", REGISTRY, collecting=True) is None


def test_history_file_is_0600_and_bounded(tmp_path):
    path = tmp_path / "sub" / "history"
    history = HistoryFile(path)
    history.append("EHLO me")
    history.append("bad\nentry")
    assert history.load() == ["EHLO me"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    history.append("NOOP")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_whole_session_leaves_no_secret_in_the_history_file(tmp_path, scripted):
    history = HistoryFile(tmp_path / "history")
    server = scripted(auth=("PLAIN", "LOGIN"), users={"alice": "wonderland"})
    with new_engine(timeout=10, history=history, environ={"PW": "wonderland"}) as engine:
        connect(engine, server)
        for line in (
            "EHLO me",
            "/login alice wonderland",
            "/login alice $PW",
            "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=",
            "AUTH LOGIN",
            "YWxpY2U=",
            "d29uZGVybGFuZA==",
            "/auth LOGIN alice wonderland",
        ):
            engine.run_line(line)
        assert engine.last_reply is not None and engine.last_reply.code == 235
    text = (tmp_path / "history").read_text()
    for secret in ("wonderland", "AGFsaWNlAHdvbmRlcmxhbmQ=", "YWxpY2U=", "d29uZGVybGFuZA=="):
        assert secret not in text
    assert "/login alice $PW" in text and "AUTH PLAIN <redacted>" in text
    assert "\n".join(engine.history) + "\n" == text
