"""``/replay FILE``: a probe finding stepped through line by line on the engine, against
real practice servers (the scripts come from the probe's own emitter)."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import pytest

from smtpshell.cli import main
from smtpshell.probe.core import ProbeOptions, probe_target
from smtpshell.probe.scripts import emit_scripts
from smtpshell.probe.targets import Target as ProbeTarget
from smtpshell.server import PracticeServer
from smtpshell.shell.engine import Engine
from smtpshell.shell.results import Outcome, Result
from smtpshell.wiring import new_engine

PLAIN_DEMO = base64.b64encode(b"\0demo\0demo").decode()


@pytest.fixture(scope="module")
def leaky():
    """VRFY answers, AUTH before TLS, a version in the banner, a small SIZE."""
    with PracticeServer(banner="ESMTP Postfix 3.4.1", size_limit=5_000_000) as server:
        yield server


@pytest.fixture(scope="module")
def tidy():
    """The same kind of server without those findings (VRFY demo is not a user there)."""
    with PracticeServer(users={"someone": "x"}, auth_require_tls=True, require_tls=True) as s:
        yield s


@pytest.fixture(scope="module")
def scripts(leaky, tmp_path_factory) -> dict[str, Path]:
    """The probe's emitted scripts for ``leaky``, by finding id."""
    options = ProbeOptions(
        helo="probe.test",
        ca_file=str(leaky.cert_path),
        vrfy="demo",
        expn="staff",
        submission=True,
        timeout=5,
        policy=False,
    )
    report = probe_target(ProbeTarget("leaky", leaky.host, leaky.port, False), options)
    paths = emit_scripts([report], tmp_path_factory.mktemp("emitted"), helo="probe.test")
    return {path.stem: path for path in paths}


@pytest.fixture
def engine():
    with new_engine(timeout=10, helo_name="client.test") as eng:
        yield eng


def step_through(engine: Engine) -> list[tuple[str, tuple[int, int], Result]]:
    """Send every offered line unchanged, as Enter on the pre-filled prompt does."""
    steps = []
    while engine.replay is not None:
        line = engine.replay.next_line
        assert line is not None
        progress = engine.status().replay
        assert progress is not None
        steps.append((line, progress, engine.run_line(line)))
    return steps


def notes(result: Result) -> str:
    return "\n".join(getattr(item, "text", "") for item in result.items)


def test_a_probe_finding_replays_step_by_step_against_its_server(engine, scripts, leaky):
    path = scripts["smtp.vrfy.confirms_user"]
    header = "# step by step in the REPL or the TUI: "
    (command,) = [line for line in path.read_text().splitlines() if line.startswith(header)]
    started = engine.run_line(command.removeprefix(header))  # the line the script suggests
    assert started.ok, started.items
    # It connected to the server in the script's "# run:" line, not the practice server.
    assert engine.target is not None and engine.target.port == leaky.port
    assert engine.replay is not None and engine.replay.next_line == "EHLO probe.test"
    assert engine.status().replay == (1, 6)
    steps = step_through(engine)
    assert [line for line, _, _ in steps] == [
        "EHLO probe.test",
        "expect 250",
        "VRFY demo",
        "expect 25x",
        "QUIT",
        "expect 221",
    ]
    assert [progress for _, progress, _ in steps] == [(n, 6) for n in range(1, 7)]
    assert all(result.ok for _, _, result in steps), [r.items for _, _, r in steps]
    assert "ok: 25" in notes(steps[3][2])
    assert "finished: 3 expectation(s) checked, 3 held" in notes(steps[-1][2])
    assert engine.replay is None and engine.status().replay is None


def test_every_emitted_finding_replays_cleanly(engine, scripts):
    assert {
        "smtp.banner.software_version",
        "smtp.vrfy.confirms_user",
        "smtp.expn.confirms_user",
        "smtp.size.below_10mb",
        "auth.plaintext_before_tls",
        "submission.mail_before_tls",
        "submission.auth_before_tls",  # its "*" answers a 334: a step in SECRET mode
    } <= set(scripts)
    for name, path in scripts.items():
        assert engine.run_line(f"/replay {path}").ok
        steps = step_through(engine)
        failures = [(line, r.items) for line, _, r in steps if r.outcome is Outcome.EXPECTATION]
        assert not failures, (name, failures)
        assert "held" in notes(steps[-1][2]) and "FAILED" not in notes(steps[-1][2])


def test_a_fixed_server_fails_the_expectation_and_the_replay_goes_on(engine, scripts, tidy):
    path = scripts["smtp.vrfy.confirms_user"]
    assert engine.run_line(f"/replay {path} {tidy.host}:{tidy.port}").ok
    assert engine.target is not None and engine.target.port == tidy.port
    steps = step_through(engine)
    vrfy_check = steps[3][2]
    assert vrfy_check.outcome is Outcome.EXPECTATION
    assert "expected 25x" in notes(vrfy_check)
    assert len(steps) == 6  # QUIT and its expect still ran
    assert "1 FAILED" in notes(steps[-1][2])


def test_skip_stop_edit_and_asides(engine, scripts, leaky):
    path = scripts["smtp.vrfy.confirms_user"]
    engine.run_line(f"/replay {path}")
    replay = engine.replay
    assert replay is not None
    # A shell command other than the step's own runs beside the replay.
    status = engine.run_line("/status")
    assert status.ok and "replay 1/6" in str(status.items)
    assert replay.next_line == "EHLO probe.test"
    # An edited line is the step.
    assert engine.run_line("EHLO edited.test").ok
    assert replay.next_line == "expect 250"
    assert engine.run_line("/replay skip").ok
    assert replay.next_line == "VRFY demo"
    assert engine.run_line("/replay next").ok  # runs it as written (scripts, buttons)
    assert engine.last_reply is not None and engine.last_reply.code // 10 == 25
    assert "next: expect 25x" in notes(engine.run_line("/replay"))
    stopped = engine.run_line("/replay stop")
    assert "stopped" in notes(stopped) and "1 line(s) skipped" in notes(stopped)
    assert engine.replay is None
    # Lines now go to the server as typed again.
    assert engine.run_line("NOOP").ok
    assert engine.run_line("/replay skip").outcome is Outcome.USAGE
    assert [h for h in engine.history if h.startswith("EHLO")] == ["EHLO edited.test"]


def test_bad_files_are_one_clear_line(engine, tmp_path):
    missing = engine.run_line(f"/replay {tmp_path / 'nope.smtp'}")
    assert missing.outcome is Outcome.USAGE and "cannot read" in missing.errors[0]
    empty = tmp_path / "empty.smtp"
    empty.write_text("# only a comment\n\n")
    result = engine.run_line(f"/replay {empty}")
    assert result.outcome is Outcome.USAGE and "no command" in result.errors[0]
    assert engine.replay is None


def test_a_redacted_auth_line_asks_for_the_secret_again(leaky, tmp_path):
    script = tmp_path / "auth.smtp"
    script.write_text("EHLO client.test\nAUTH PLAIN <redacted>\nexpect 235\n")
    asked: list[tuple[str, bool]] = []

    def asker(prompt: str, secret: bool) -> str:
        asked.append((prompt, secret))
        return PLAIN_DEMO

    with new_engine(timeout=10, helo_name="client.test", asker=asker) as engine:
        assert engine.run_line(f"/replay {script} {leaky.host}:{leaky.port}").ok
        steps = step_through(engine)
    offered = [line for line, _, _ in steps]
    assert offered == ["EHLO client.test", "AUTH PLAIN <redacted>", "expect 235"]
    assert all(r.ok for _, _, r in steps), [r.items for _, _, r in steps]
    assert len(asked) == 1 and asked[0][1] is True and "history did not keep it" in asked[0][0]
    sent = b"".join(e.data for e in engine.transcript.events() if e.kind.value == "sent")
    assert b"<redacted>" not in sent and PLAIN_DEMO.encode() in sent


def test_a_secret_in_the_file_is_offered_redacted_and_sent_as_written(leaky, tmp_path):
    script = tmp_path / "auth.smtp"
    script.write_text(f"EHLO client.test\nAUTH PLAIN {PLAIN_DEMO}\nexpect 235\n")
    with new_engine(timeout=10, helo_name="client.test") as engine:
        engine.run_line(f"/replay {script} {leaky.host}:{leaky.port}")
        engine.run_line(engine.replay.next_line)
        assert engine.replay.next_line == "AUTH PLAIN <redacted>"
        steps = step_through(engine)
        assert all(r.ok for _, _, r in steps), [r.items for _, _, r in steps]
        assert engine.status().user == "demo"
        assert PLAIN_DEMO not in "\n".join(engine.history)


def test_a_message_replays_line_by_line(leaky, tmp_path, engine):
    script = tmp_path / "message.smtp"
    script.write_text(
        textwrap.dedent(
            """\
            EHLO client.test
            MAIL FROM:<a@example.com>
            RCPT TO:<demo@localhost>
            DATA
            expect 354
            Subject: replayed

            # not a comment inside DATA
            .
            expect 250
            """
        )
    )
    engine.run_line(f"/replay {script} {leaky.host}:{leaky.port}")
    steps = step_through(engine)
    lines = [line for line, _, _ in steps]
    assert lines[4:9] == ["expect 354", "Subject: replayed", "", "# not a comment inside DATA", "."]
    assert all(r.ok for _, _, r in steps), [r.items for _, _, r in steps]
    assert "2 held" in notes(steps[-1][2])


def test_in_a_script_replay_runs_the_whole_file(scripts, leaky, tidy, tmp_path, capsys):
    finding = scripts["smtp.vrfy.confirms_user"]
    outer = tmp_path / "outer.smtp"
    outer.write_text(f"/replay {finding}\nexpect stage disconnected\n")  # it ends with QUIT
    assert main(["run", str(outer), f"{leaky.host}:{leaky.port}"]) == 0
    outer.write_text(f"/replay {finding} {tidy.host}:{tidy.port}\n")
    assert main(["run", str(outer), f"{leaky.host}:{leaky.port}"]) == 1
    assert "expected 25x" in capsys.readouterr().out
