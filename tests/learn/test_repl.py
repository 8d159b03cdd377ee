"""The REPL face, driven through a pipe: what a student sees, and what it keeps hidden."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from smtpshell.repl.lesson import LessonCompleter, LessonRepl

ENTER, CTRL_D = "\r", "\x04"


def run_face(runner, keys: str, *, resume: bool = True) -> tuple[LessonRepl, list[str]]:
    printed: list[list[tuple[str, str]]] = []
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        face = LessonRepl(
            runner, input=pipe, output=DummyOutput(), printer=printed.append, width=80
        )
        assert face.run_lesson(resume=resume) == 0
    return face, ["".join(text for _, text in fragments) for fragments in printed]


def test_a_student_session(make_runner):
    runner = make_runner(start=False)
    keys = ENTER.join(["MAIL FROM:<a@example.com>", "EHLO client.example", "/hint", ""]) + CTRL_D
    face, lines = run_face(runner, keys)
    text = "\n".join(lines)
    intro = lines.index(" Small ")
    assert intro < next(i for i, line in enumerate(lines) if line.startswith("* connected"))
    assert "✗ Not yet" in text and "   Try: EHLO client.example" in text
    assert "✓ Done: Greet" in text and "── Step 2 of 6: Envelope" in text
    assert "? Hint" in text
    assert lines[-1] == "* connection closed"
    assert runner.progress.get("small").step == 1
    assert face.prompt_fragments()[0] == ("class:learn.progress", "[2/6] ")


def test_the_password_prompt_is_hidden_and_never_printed(make_runner):
    runner = make_runner(start=False)
    runner.progress.record("small", 4, 6)  # resume at "Log in"
    keys = "/auth PLAIN alice" + ENTER + "wonderland" + ENTER + CTRL_D
    _, lines = run_face(runner, keys)
    # the engine announces the practice accounts on connecting; nothing else may show one
    text = "\n".join(line for line in lines if not line.startswith("practice server running"))
    assert "Welcome back: resumed at step 5 of 6" in text
    assert "✓ Done: Log in" in text
    assert "C: AUTH PLAIN base64( '' NUL 'alice' NUL '****' )" in text
    assert "wonderland" not in text
    assert "C: EHLO client.example" not in text  # the replay is not shown again


def test_presenter_mode_spaces_exchanges_and_restyles(make_runner):
    runner = make_runner(start=False, presenter=True)
    face, lines = run_face(runner, "NOOP" + ENTER + "/presenter" + ENTER + CTRL_D)
    reply = next(i for i, line in enumerate(lines) if line.startswith("S: 250"))
    assert lines[reply + 1] == ""
    assert "· Presenter mode off" in lines
    assert face._presenter_shown is False


def test_completion_offers_lesson_commands_and_shell_commands(make_runner):
    runner = make_runner()
    completer = LessonCompleter(runner)
    texts = {c.text for c in completer.get_completions(Document("/h"), CompleteEvent())}
    assert {"/hint", "/help", "/helo"} <= texts
    texts = {c.text for c in completer.get_completions(Document("/sk"), CompleteEvent())}
    assert texts == {"/skip"}


def test_presenter_mode_shows_no_timings(make_runner):
    def replies(presenter: bool) -> list[str]:
        runner = make_runner(start=False, presenter=presenter)
        _, lines = run_face(runner, "NOOP" + ENTER + CTRL_D)
        return [line for line in lines if line.startswith("S: 250")]

    assert any("[" in line and "s]" in line for line in replies(False))  # "[0.3 ms]"
    assert replies(True) and not any("s]" in line for line in replies(True))
