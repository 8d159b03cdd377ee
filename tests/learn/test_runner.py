"""The runner as a state machine over a real engine and practice server."""

from __future__ import annotations

from smtpshell.learn.runner import Verdict
from smtpshell.learn.teach import BlockKind


def kinds(feedback):
    return [block.kind for block in feedback.blocks]


def text_of(feedback) -> str:
    return "\n".join("\n".join([block.title, *block.lines]) for block in feedback.blocks)


def test_a_wrong_command_is_not_yet_with_why_and_the_hint(make_runner):
    runner = make_runner()
    feedback = runner.submit("MAIL FROM:<a@example.com>")
    assert feedback.verdict is Verdict.NOT_YET
    assert runner.index == 0
    assert feedback.reason == "expected 250, got 503 5.5.1 Error: send HELO first"
    assert kinds(feedback) == [BlockKind.EXPLAIN, BlockKind.NOT_YET]
    assert feedback.blocks[0].title == "503 Bad sequence of commands"
    assert "Try: EHLO client.example" in feedback.blocks[1].lines


def test_the_right_command_advances_explains_and_shows_the_next_step(make_runner):
    runner = make_runner()
    feedback = runner.submit("EHLO client.example")
    assert feedback.verdict is Verdict.DONE
    assert runner.index == feedback.step_index == 1
    assert kinds(feedback) == [
        BlockKind.EXPLAIN,
        BlockKind.FEATURES,
        BlockKind.DONE,
        BlockKind.STEP,
    ]
    assert feedback.blocks[2].lines == ("Greeted.",)
    assert feedback.blocks[3].title == "Step 2 of 6: Envelope"


def test_a_shell_command_does_the_same_as_the_smtp_verb(make_runner):
    runner = make_runner()
    assert runner.submit("/ehlo client.example").verdict is Verdict.DONE


def test_looking_around_is_never_judged(make_runner):
    runner = make_runner()
    for line in ("/features", "/status", "/help", "", "/nosuch"):
        assert runner.submit(line).verdict is Verdict.NEUTRAL
    assert runner.index == 0


def test_a_right_reply_to_the_wrong_command_is_not_enough(make_runner):
    runner = make_runner()
    feedback = runner.submit("NOOP")
    assert feedback.verdict is Verdict.NOT_YET
    assert feedback.reason == "that worked, but this step is about EHLO, not NOOP"


def test_a_step_of_two_commands_is_judged_after_the_second(make_runner):
    runner = make_runner()
    runner.submit("EHLO client.example")
    first = runner.submit("MAIL FROM:<a@example.com>")
    assert first.verdict is Verdict.NEUTRAL and runner.index == 1
    refused = runner.submit("RCPT TO:<x@busy.example>")
    assert refused.verdict is Verdict.NOT_YET
    assert refused.reason.startswith("expected 250, got 450 4.2.1")
    assert any("4xx is temporary" in line for line in refused.blocks[0].lines)
    assert runner.submit("RCPT TO:<alice@localhost>").verdict is Verdict.DONE


def test_a_message_is_judged_at_its_end_and_the_stored_message_shown(make_runner):
    runner = make_runner()
    for line in ("EHLO client.example", "MAIL FROM:<a@example.com>", "RCPT TO:<alice@localhost>"):
        runner.submit(line)
    assert runner.submit("DATA").verdict is Verdict.DONE
    assert runner.submit("hello").verdict is Verdict.NEUTRAL
    done = runner.submit(".")
    assert done.verdict is Verdict.DONE
    assert BlockKind.STORED in kinds(done)
    stored = next(b for b in done.blocks if b.kind is BlockKind.STORED)
    assert "  envelope  RCPT TO:<alice@localhost>" in stored.lines


def test_auth_is_explained_decoded_without_the_password(make_runner):
    runner = make_runner()
    for _ in range(4):
        assert runner.run_solution() is None
    feedback = runner.submit("/auth PLAIN alice wonderland")
    assert feedback.verdict is Verdict.DONE
    auth = next(b for b in feedback.blocks if b.kind is BlockKind.AUTH)
    assert "  C: AUTH PLAIN base64( '' NUL 'alice' NUL '****' )" in auth.lines[0]
    everything = text_of(feedback) + str(feedback.result)
    assert "wonderland" not in everything
    assert "d29uZGVybGFuZA" not in everything  # nor its base64


def test_hint_then_solution_then_skip(make_runner):
    runner = make_runner()
    runner.submit("EHLO client.example")
    first = runner.submit("/hint")
    assert first.verdict is Verdict.CONTROL and kinds(first) == [BlockKind.HINT]
    second = runner.submit("/hint")
    assert second.blocks[0].kind is BlockKind.SOLUTION
    assert second.blocks[0].lines == ("  MAIL FROM:<a@example.com>", "  RCPT TO:<alice@localhost>")
    skipped = runner.submit("/skip")
    assert runner.index == 2
    assert kinds(skipped)[-2:] == [BlockKind.DONE, BlockKind.STEP]


def test_skip_says_so_when_the_session_is_elsewhere(make_runner):
    runner = make_runner()
    runner.submit("EHLO client.example")
    runner.submit("QUIT")
    feedback = runner.submit("/skip")
    assert runner.index == 1
    assert feedback.blocks[-1].kind is BlockKind.NOT_YET
    assert "not connected" in feedback.reason


def test_reading_steps_continue_on_enter_and_the_lesson_finishes(make_runner):
    runner = make_runner()
    while runner.index < 5:
        assert runner.run_solution() is None
    assert runner.submit("NOOP").verdict is Verdict.NEUTRAL  # a reading step judges nothing
    feedback = runner.submit("")
    assert feedback.finished and runner.finished
    assert kinds(feedback) == [BlockKind.FINISHED]
    after = runner.submit("NOOP")  # free play: still explained, never judged
    assert after.verdict is Verdict.NEUTRAL and kinds(after) == [BlockKind.EXPLAIN]


def test_presenter_toggles_and_lengthens_explanations(make_runner):
    runner = make_runner()
    assert runner.submit("/presenter").blocks[0].title == "Presenter mode on: long explanations"
    assert runner.presenter
    feedback = runner.submit("EHLO client.example")
    assert "After EHLO the lines list the server's extensions" in feedback.blocks[0].lines[0]
    assert runner.submit("/presenter off").blocks[0].title == "Presenter mode off"


def test_progress_is_saved_and_a_new_runner_resumes_by_replaying(make_runner, tmp_path):
    runner = make_runner()
    for _ in range(3):
        runner.run_solution()
    assert runner.progress.get("small").step == 3
    runner.close()
    resumed = make_runner(start=False)
    start = resumed.start()
    assert resumed.index == 3
    assert start.blocks[0].title == "Welcome back: resumed at step 4 of 6"
    assert resumed.engine.mode.value == "data"  # the replay left the session in DATA
    assert resumed.submit("hi").verdict is Verdict.NEUTRAL
    assert resumed.submit(".").verdict is Verdict.DONE


def test_resume_false_starts_at_the_first_step(make_runner):
    runner = make_runner()
    runner.run_solution()
    runner.close()
    again = make_runner(start=False)
    again.start(resume=False)
    assert again.index == 0


def test_replayed_events_are_marked_for_faces(make_runner):
    runner = make_runner()
    runner.run_solution()
    runner.close()
    seen = []
    resumed = make_runner(start=False)
    resumed.engine.subscribe(seen.append)
    resumed.start()
    hidden = [e for e in seen if resumed.replayed(e)]
    shown = [e for e in seen if not resumed.replayed(e)]
    assert any(e.data.startswith(b"EHLO") for e in hidden)
    assert shown and shown[0].kind.value == "connect"


def test_state_checks_judge_the_session(make_runner):
    lesson = "title: t\n## Encrypt\n/starttls\nexpect tls\n## Leave\nQUIT\nexpect not connected\n"
    runner = make_runner(lesson)
    assert runner.submit("/features").verdict is Verdict.NEUTRAL
    assert runner.submit("STARTTLS").verdict is Verdict.DONE
    assert runner.submit("/close").verdict is Verdict.NOT_YET  # CLOSE is not QUIT
    assert runner.engine.connected is False


def test_the_lmtp_socket_is_named_before_the_lesson_starts(make_runner):
    lesson = "title: t\nserver: --lmtp\n> Socket: {lmtp}\n## a\n/connect {lmtp}\nexpect lmtp\n"
    runner = make_runner(lesson, start=False)
    socket = runner.server.lmtp_socket
    assert socket and f"Socket: {socket}" in runner.lesson_block().lines
    runner.start()
    assert runner.run_solution() is None
    runner.close()
    assert not runner.server.socket_dir
