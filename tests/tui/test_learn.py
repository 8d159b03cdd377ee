"""The lesson face of the TUI: real lessons, each against the practice server its runner starts.

A wrong line gets "Not yet", the right one advances, the lesson completes and leaving
stops the server; resuming hides the replay; no credential reaches any widget.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpshell.learn.catalog import find_lesson
from smtpshell.learn.progress import ProgressStore
from smtpshell.learn.runner import LessonRunner
from smtpshell.tui.lesson import LessonApp
from smtpshell.wiring import new_engine

from .conftest import async_test, run, settle, wait_for

#: The demo password as a session puts it on the wire (PLAIN, LOGIN's answer).
SECRETS = (
    base64.b64encode(b"\0demo\0demo").decode(),
    base64.b64encode(b"demo").decode(),
)


@pytest.fixture
def make_lesson(tmp_path: Path) -> Iterator:
    """``make_lesson(spec, start_at=0, presenter=False)``: a LessonApp over a fresh runner
    (progress in tmp_path); every runner is closed after the test."""
    runners: list[LessonRunner] = []

    def make(spec: str, *, start_at: int = 0, presenter: bool = False) -> LessonApp:
        ref = find_lesson(spec)
        progress = ProgressStore(tmp_path / "progress.json")
        if start_at:
            progress.record(ref.key, start_at, 0)
        runner = LessonRunner(
            ref.load(), new_engine(timeout=10), key=ref.key, progress=progress, presenter=presenter
        )
        runners.append(runner)
        return LessonApp(runner)

    yield make
    for runner in runners:
        runner.close()


def shell_text(app: LessonApp) -> str:
    return "\n".join(strip.text for strip in app.command_pane.output.lines)


def notifications(app: LessonApp) -> list[tuple[str, str, str]]:
    return [(n.severity, n.title, n.message) for n in app._notifications]


async def started(pilot, app: LessonApp) -> None:
    await wait_for(pilot, lambda: app.engine.practice is not None, what="the lesson's server")
    await settle(pilot, app)


@async_test
async def test_lesson_2_through_its_solution(make_lesson) -> None:
    app = make_lesson("2")
    async with app.run_test(size=(120, 35)) as pilot:
        await started(pilot, app)
        panel = app.lesson_panel
        text = panel.text()
        assert "HELO vs EHLO and the extensions" in text  # the introduction first
        assert "Step 1 of 5: The old greeting: HELO" in text
        assert "Type: HELO client.example" in text
        assert "step 1 of 5" in str(panel.border_subtitle)
        assert app.engine.connected

        await run(pilot, app, "NOOP")  # a reply, but not what the step is about
        text = panel.text()
        assert "✗ Not yet" in text and "this step is about HELO, not NOOP" in text
        assert "› NOOP" in text  # the line judged is shown above its feedback
        assert app.lesson.index == 0

        await pilot.press(*"HELO client.example", "enter")  # typed at the prompt
        await settle(pilot, app)
        assert "✓ Done: The old greeting: HELO" in panel.text()
        assert "Step 2 of 5" in panel.text()
        assert "C: HELO client.example" in app.log_pane.text()  # the log still works

        for line in (
            "EHLO client.example",
            "MAIL FROM:<student@example.com> SIZE=20000000",  # the step wants its 552
            "RSET",
        ):
            await run(pilot, app, line)
        assert "» 552" in panel.text()
        assert not any(sev == "error" for sev, _, _ in notifications(app))  # explained instead
        await run(pilot, app, "")  # Enter on the reading step
        assert app.lesson.finished
        assert "★ Lesson complete" in panel.text()
        assert "complete" in str(panel.border_subtitle)
        assert any("Lesson complete" in title for _, title, _ in notifications(app))
        assert app.lesson.progress.get(app.lesson.key).completed

        server = app.engine.practice
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.engine.finished, what="the lesson closed")
    assert app.engine.practice is None and server is not None
    assert app.lesson._unsubscribe is None  # runner.close() ran


@async_test
async def test_lesson_commands_in_an_80x24_terminal(make_lesson) -> None:
    app = make_lesson("1")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, app)
        panel = app.lesson_panel
        assert panel.region.height >= 6 and panel.region.width >= 70  # under the log
        assert not app.inspector.display or app.inspector.region.width == 0
        assert {c.text for c in app.complete("/sk")} == {"/skip"}
        assert {"/hint", "/help"} <= {c.text for c in app.complete("/h")}

        await run(pilot, app, "/hint")
        assert "? The solution: type these lines" in panel.text()  # the hint is the solution
        await run(pilot, app, "/skip")
        assert app.lesson.index == 1 and app.engine.connected
        await run(pilot, app, "/presenter")
        assert panel.presenter and panel.has_class("-presenter")
        assert app.screen.has_class("-presenter")
        assert "PRESENTER" in str(panel.border_subtitle)
        await run(pilot, app, "NOOP")
        assert "Positive completion reply" not in panel.text().rsplit("› NOOP", 1)[1]
        assert "Requested action" in panel.text().rsplit("› NOOP", 1)[1]  # the long form
        await run(pilot, app, "/presenter off")
        assert not panel.presenter


@async_test
async def test_no_credential_during_the_auth_step(make_lesson) -> None:
    app = make_lesson("8", start_at=2)  # resume at "PLAIN, typed by hand"
    async with app.run_test(size=(120, 35)) as pilot:
        await started(pilot, app)
        await wait_for(pilot, lambda: app.lesson.index == 2, what="the replay")
        assert "Welcome back: resumed at step 3" in app.lesson_panel.text()
        assert "C: STARTTLS" not in app.log_pane.text()  # the replay is not shown again

        await run(pilot, app, f"AUTH PLAIN {SECRETS[0]}")
        assert app.lesson.index == 3, app.lesson_panel.text()
        panel = app.lesson_panel.text()
        assert "base64( '' NUL 'demo' NUL '****' )" in panel
        assert "<redacted>" in app.log_pane.text()
        screen = app.export_screenshot()
        for where, text in [
            ("panel", panel),
            ("log", app.log_pane.text()),
            ("shell", shell_text(app)),
            ("screen", screen),
            ("history", "\n".join(app.command_pane.command_input.history)),
        ]:
            for secret in SECRETS:
                assert secret not in text, where


def test_learn_tui_flag_runs_the_lesson_app_and_closes_the_runner(monkeypatch, tmp_path) -> None:
    import argparse

    from smtpshell import learn_command as command

    monkeypatch.setenv("SMTPSHELL_DATA_DIR", str(tmp_path))
    ran: list[LessonApp] = []

    def fake_run(self: LessonApp) -> None:  # no terminal here: record, do not start
        ran.append(self)

    monkeypatch.setattr(LessonApp, "run", fake_run)
    parser = argparse.ArgumentParser()
    command.configure(parser)
    args = parser.parse_args(["2", "--tui", "--presenter"])
    assert command.run(args) == 0
    (app,) = ran
    assert app.lesson.lesson.title == "HELO vs EHLO and the extensions"
    assert app.lesson.presenter and app.resume
    assert app.engine.finished  # runner.close() ran however the app ended
