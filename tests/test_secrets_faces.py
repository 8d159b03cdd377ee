"""After a session through each real face, no secret is anywhere on disk or in the output.

Each test points HOME and the XDG directories at a temporary tree (and unsets
SMTPSHELL_DATA_DIR, so history and progress land where a user's would), authenticates
every way a person can — a typed AUTH PLAIN, a typed AUTH LOGIN dialogue, /raw AUTH,
/login with the password asked and inline — exports every format, and then scans every
file in that tree, and what the face printed, for the password in any form: plain,
base64, and the base64 of PLAIN's ``\\0user\\0pass``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smtpshell.repl.app import Repl
from smtpshell.server import PracticeServer
from smtpshell.shell.engine import Engine
from smtpshell.shell.history import HistoryFile, default_history_path
from smtpshell.transcript import EventKind
from smtpshell.wiring import new_engine
from tests.support.secrets import PASSWORD, USER, b64, files_under, leaks, text_leaks

ROOT = Path(__file__).resolve().parents[1]
PLAIN = b64(f"\0{USER}\0{PASSWORD}")
WRONG = b64(f"\0{USER}\0not-the-password")
ENTER, CTRL_D = "\r", "\x04"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME with its own XDG directories; smtpshell's data dir is left to default."""
    root = tmp_path / "home"
    monkeypatch.setenv("HOME", str(root))
    for name in ("DATA", "CONFIG", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(root / f"xdg-{name.lower()}"))
    monkeypatch.delenv("SMTPSHELL_DATA_DIR", raising=False)
    root.mkdir()
    assert default_history_path().is_relative_to(root)
    return root


@pytest.fixture
def server() -> Iterator[PracticeServer]:
    practice = PracticeServer(users={USER: PASSWORD}, tls_port=0)
    practice.start()
    yield practice
    practice.stop()


def _sent(engine: Engine) -> bytes:
    return b"".join(e.data for e in engine.transcript.events() if e.kind is EventKind.SENT)


def _export_lines(home: Path) -> list[str]:
    return [f"/export {home / 'exports' / name}" for name in ("s.txt", "s.jsonl", "s.py")]


def _assert_clean(home: Path) -> None:
    files = files_under(home)
    assert any(p.name == "history" for p in files)
    assert {p.name for p in files} >= {"s.txt", "s.jsonl", "s.py"}
    assert leaks(files) == {}


# --------------------------------------------------------------------------- REPL


def test_repl_session_leaves_no_secret_on_disk_or_screen(home, server):
    (home / "exports").mkdir()
    typed = [
        "EHLO client.test",
        f"AUTH PLAIN {WRONG}",  # 535: history keeps it as AUTH PLAIN <redacted>
        # What up-arrow recalls (checked below; prompt_toolkit loads history asynchronously,
        # so a piped up-arrow races it): the REPL asks for the secret again, hidden ...
        "AUTH PLAIN <redacted>",
        PLAIN,  # ... and this is what goes out, never the placeholder
        "/connect",
        "EHLO client.test",
        "AUTH LOGIN",
        b64(USER),
        b64(PASSWORD),
        "/connect",
        "EHLO client.test",
        f"/raw AUTH PLAIN {PLAIN}\\r\\n",
        "/connect",
        f"/login {USER}",
        PASSWORD,  # asked hidden
        "/connect",
        f"/login {USER} {PASSWORD}",
        *_export_lines(home),
    ]
    keys = "".join(line + ENTER for line in typed)
    printed: list[list[tuple[str, str]]] = []
    engine = new_engine(timeout=10, helo_name="client.test", history=HistoryFile())
    engine.practice = server
    with create_pipe_input() as pipe:
        pipe.send_text(keys + CTRL_D)
        repl = Repl(
            engine, history=HistoryFile(), input=pipe, output=DummyOutput(), printer=printed.append
        )
        assert repl.run(None) == 0
    text = "\n".join("".join(part for _, part in fragments) for fragments in printed)
    assert text.count("S: 235 2.7.0") == 5 and text.count("authenticated as alice") == 2
    assert "history did not keep" not in text  # asked, not refused
    recalled = repl.session.history.get_strings()
    assert "AUTH PLAIN <redacted>" in recalled and f"/login {USER}" in recalled
    assert b"<redacted>" not in _sent(engine)
    assert text_leaks(text) == []
    _assert_clean(home)


# --------------------------------------------------------------------------- TUI


def test_tui_session_leaves_no_secret_on_disk_or_screen(home, server):
    from smtpshell.tui.app import SmtpShellApp
    from smtpshell.tui.screens import SecretScreen
    from tests.tui.conftest import settle, wait_for

    (home / "exports").mkdir()

    async def session() -> SmtpShellApp:
        engine = new_engine(timeout=10, helo_name="client.test", history=HistoryFile())
        engine.practice = server
        app = SmtpShellApp(engine=engine, connect=False, history_file=HistoryFile())
        async with app.run_test(size=(120, 40)) as pilot:
            prompt = app.command_pane.command_input

            async def type_line(line: str) -> None:
                prompt.focus()
                prompt.value = line  # as typed (pressing each key is slow, not different)
                prompt.cursor_position = len(line)
                await pilot.press("enter")
                await settle(pilot, app)

            async def answer(secret: str) -> None:
                """Fill the hidden dialog (one key per character is slow, not different)."""
                screen = app.screen
                assert isinstance(screen, SecretScreen)
                screen.value_input.value = secret
                screen.value_input.focus()
                await pilot.press("enter")

            for line in ("/connect", "EHLO client.test", f"AUTH PLAIN {WRONG}"):
                await type_line(line)
            await pilot.press("up", "enter")  # the recalled AUTH PLAIN <redacted>
            await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="ask")
            await answer(PLAIN)
            await settle(pilot, app)
            lines = ["/connect", "EHLO client.test", "AUTH LOGIN", b64(USER), b64(PASSWORD)]
            lines += ["/connect", "EHLO client.test", f"/raw AUTH PLAIN {PLAIN}\\r\\n"]
            for line in lines:
                await type_line(line)
            await type_line("/connect")
            prompt.focus()
            prompt.value = f"/login {USER}"
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, SecretScreen), what="password")
            await answer(PASSWORD)
            await settle(pilot, app)
            for line in ["/connect", f"/login {USER} {PASSWORD}", *_export_lines(home)]:
                await type_line(line)
            log = app.log_pane.text()
            assert log.count("S: 235 2.7.0") == 5, log
            assert text_leaks(log) == []
            assert not any(text_leaks(entry) for entry in prompt.history)
            app.exit()
        return app

    app = asyncio.run(session())
    assert b"<redacted>" not in _sent(app.engine)
    _assert_clean(home)


# --------------------------------------------------------------------------- run


def test_run_leaves_no_secret_in_output_transcripts_or_error_lines(home, server):
    script = home / "session.smtp"
    script.write_text(
        "\n".join(
            [
                "EHLO client.test",
                f"AUTH PLAIN {PLAIN}",
                "expect 235",
                f"/connect {server.host}:{server.port}",
                "EHLO client.test",
                "AUTH LOGIN",
                b64(USER),
                b64(PASSWORD),
                "expect 235",
                f"/connect {server.host}:{server.port}",
                "EHLO client.test",
                f"/raw AUTH PLAIN {PLAIN}\\r\\n",
                "expect 235",
                f"/connect {server.host}:{server.port}",
                f"/login {USER} {PASSWORD}",
                f"/login {USER} {PASSWORD}",  # fails (503): its line is printed
            ]
        )
        + "\n"
    )
    target = f"{server.host}:{server.port}"
    outputs = []
    for suffix in ("txt", "jsonl", "py"):
        transcript = ["--transcript", str(home / f"transcript.{suffix}"), "--color", "always"]
        result = subprocess.run(
            [sys.executable, "-m", "smtpshell", "run", str(script), target, *transcript],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert result.returncode == 1, result.stderr
        assert f"session.smtp:16: /login {USER} <redacted>" in result.stderr
        assert "Traceback" not in result.stderr
        outputs.append(result.stdout + result.stderr)
    assert all(text_leaks(output) == [] for output in outputs)
    assert outputs[0].count("S: 235 2.7.0") == 4
    files = [p for p in files_under(home) if p != script]
    assert len([p for p in files if p.name.startswith("transcript.")]) == 3
    assert leaks(files) == {}


# --------------------------------------------------------------------------- lessons

LESSON = f"""\
title: Secrets stay secret
server: --user {USER}:{PASSWORD}

## Greet
? EHLO client.example
EHLO client.example
expect 250

## PLAIN by hand
? AUTH PLAIN <base64>
AUTH PLAIN {PLAIN}
expect 235

## Log in again
? /connect --starttls   then   /login {USER}
/connect --starttls
expect 250
/login {USER} {PASSWORD}
expect 235
"""


def test_a_lesson_through_the_learn_repl_leaves_no_secret_in_progress_or_output(home, tmp_path):
    from smtpshell.learn.lesson import parse_lesson
    from smtpshell.learn.progress import ProgressStore
    from smtpshell.learn.runner import LessonRunner
    from smtpshell.repl.lesson import LessonRepl

    store = ProgressStore()  # the default path, under the temporary XDG data directory
    assert store.path.is_relative_to(home)
    runner = LessonRunner(
        parse_lesson(LESSON), new_engine(timeout=10), key="secrets-test", progress=store
    )
    typed = [
        "EHLO client.example",
        f"AUTH PLAIN {PLAIN}",
        "/connect --starttls",
        f"/login {USER}",
        PASSWORD,  # asked hidden
        f"/export {home / 'lesson.py'}",
    ]
    printed: list[list[tuple[str, str]]] = []
    with create_pipe_input() as pipe:
        pipe.send_text("".join(line + ENTER for line in typed) + CTRL_D)
        face = LessonRepl(
            runner, input=pipe, output=DummyOutput(), printer=printed.append, width=100
        )
        assert face.run_lesson(resume=False) == 0
    text = "\n".join("".join(part for _, part in fragments) for fragments in printed)
    assert store.get("secrets-test").completed, text
    assert text_leaks(text) == []
    files = files_under(home)
    assert store.path in files and home / "lesson.py" in files
    assert leaks(files) == {}


def test_the_learn_screenshot_of_auth_plain_shows_no_credential(tmp_path):
    from smtpshell.repl.lesson_screenshots import SHOTS, render_shot

    shot = next(s for s in SHOTS if any(t.startswith("AUTH PLAIN") for t in s.typed))
    svg = render_shot(shot, tmp_path).read_text()
    forms = [b64("\0demo\0demo"), b64("\0demo\0demo").rstrip("="), b64("demo")]
    assert "C: AUTH PLAIN &lt;redacted&gt;" in svg.replace("&#160;", " ")
    assert text_leaks(svg, forms) == []


def test_the_tui_screenshot_after_a_login_shows_no_credential(tmp_path):
    from smtpshell.tui.screenshots import SCENES, render

    scene = next(s for s in SCENES if s.name == "transaction")  # logs in as demo
    svg = asyncio.run(render(scene, tmp_path)).read_text().replace("&#160;", " ")
    forms = [b64("\0demo\0demo").rstrip("="), b64("demo")]
    assert "&lt;redacted&gt;" in svg
    assert text_leaks(svg, forms) == []
