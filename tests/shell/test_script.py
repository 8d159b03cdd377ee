"""Scripts end to end through ``smtpshell run``, against the practice server."""

from __future__ import annotations

import io
import json
import socket
import textwrap

import pytest

from smtpshell.cli import main
from smtpshell.shell.script import run_script
from smtpshell.wiring import new_engine
from tests.shell.conftest import connect

SESSION = textwrap.dedent(
    """\
    # a comment, then a blank line

    EHLO ci.example
    expect 250
    /starttls
    EHLO ci.example
    /login demo $PRACTICE_PASSWORD
    expect 235 2.7.0
    MAIL FROM:<alice@example.com>
    expect 2xx
    RCPT TO:<demo@localhost>
    expect 250
    DATA
    expect 354
    Subject: from a script

    # not a comment inside DATA
    .dot
    .
    expect 250
    QUIT
    expect 221
    """
)


def run(tmp_path, script: str, *args: str) -> int:
    path = tmp_path / "test.smtp"
    path.write_text(script)
    return main(["run", str(path), *args])


@pytest.fixture(autouse=True)
def password(monkeypatch):
    monkeypatch.setenv("PRACTICE_PASSWORD", "demo")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_a_passing_script_exits_0_and_writes_the_transcript(tmp_path, capsys):
    transcript = tmp_path / "t.jsonl"
    assert run(tmp_path, SESSION, "--transcript", str(transcript)) == 0
    out = capsys.readouterr().out
    assert "C: EHLO ci.example" in out and "S: 221" in out
    assert "\x1b[" not in out  # not a TTY: no colour
    assert "C: ..dot" in out
    assert "C: expect 354" not in out  # right after DATA, expect checks the 354
    records = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert any(r.get("secret") for r in records)
    assert "ZGVtbw" not in transcript.read_text()  # base64 of "demo" never written


def test_a_failing_expectation_exits_1_with_line_and_reply(tmp_path, capsys):
    script = "EHLO x\nexpect 250\nRCPT TO:<a@b>\nexpect 250\nNOOP\n"
    assert run(tmp_path, script, "-q") == 1
    err = capsys.readouterr().err
    assert "test.smtp:4: expect 250" in err
    assert "got 503" in err


def test_an_smtp_error_exits_1_unless_an_expectation_judges_it(tmp_path, capsys):
    assert run(tmp_path, "/login demo wrong\n", "-q") == 1
    assert "authentication failed: 535" in capsys.readouterr().err
    assert run(tmp_path, "/login demo wrong\nexpect 535\n", "-q") == 0


def test_expect_after_data_checks_the_354_and_state_checks_work(tmp_path, capsys):
    script = (
        "EHLO x\nexpect not tls\n/starttls\nexpect tls\nEHLO x\nexpect feature AUTH PLAIN\n"
        "MAIL FROM:<a@x.example>\nRCPT TO:<demo@localhost>\nDATA\nexpect 250\n"
    )
    assert run(tmp_path, script, "-q") == 1
    err = capsys.readouterr().err
    assert "test.smtp:10: expect 250" in err and "got 354" in err


def test_usage_errors_exit_2(tmp_path, capsys):
    assert run(tmp_path, "EHLO x\n/frobnicate\n", "-q") == 2
    assert "test.smtp:2" in capsys.readouterr().err
    assert run(tmp_path, "/login demo\n", "-q") == 2  # no prompts in scripts
    assert main(["run", str(tmp_path / "missing.smtp")]) == 2
    assert run(tmp_path, "DATA\n", "smtp://x?bogus") == 2


def test_connection_errors_exit_2(tmp_path, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert run(tmp_path, "EHLO x\n", f"127.0.0.1:{port}", "-q") == 2
    assert "cannot connect" in capsys.readouterr().err
    assert run(tmp_path, f"/connect 127.0.0.1:{port}\nEHLO x\n", "-q") == 2


def test_a_script_ending_inside_data_exits_2(tmp_path, capsys):
    script = "EHLO x\nMAIL FROM:<a@b>\nRCPT TO:<demo@localhost>\nDATA\nno end\n"
    assert run(tmp_path, script, "-q") == 2
    assert "ended inside a message" in capsys.readouterr().err


def test_stdin_and_colour(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("NOOP\nexpect 250\n"))
    assert main(["run", "-", "--color", "always"]) == 0
    assert "\x1b[" in capsys.readouterr().out


def test_python_transcript_export(tmp_path, capsys):
    out = tmp_path / "session.py"
    assert run(tmp_path, SESSION, "-q", "--transcript", str(out)) == 0
    script = out.read_text()
    compile(script, str(out), "exec")
    assert '_secret("PRACTICE_PASSWORD", "password for demo")' in script
    assert '"demo")' not in script


def test_run_script_on_a_connected_engine_reports_each_line(scripted):
    server = scripted(reject_rcpt=("bad@y.test",))
    with new_engine(scripted=True, timeout=10) as engine:
        connect(engine, server)
        seen = []
        lines = ["# reject", "RCPT TO:<bad@y.test>", "", "expect 550 5.1.1", "expect 250"]
        outcome = run_script(
            lines, engine, on_result=lambda n, line, r: seen.append((n, line, r.ok))
        )
    assert (outcome.exit_code, outcome.line_number) == (1, 5)
    assert outcome.reason == "expected 250, got 550 5.1.1 no such user"
    assert seen == [
        (2, "RCPT TO:<bad@y.test>", True),
        (4, "expect 550 5.1.1", True),
        (5, "expect 250", False),
    ]


# ------------------------------------------------------------------ LMTP: one reply per RCPT

LMTP_DELIVERY = """\
LHLO ci.example
MAIL FROM:<a@example.com>
RCPT TO:<{first}@example.com>
RCPT TO:<{second}@example.com>
DATA
expect 354
Subject: two recipients

hello
.
{expectations}
QUIT
"""


def lmtp_run(scripted, script: str, fail_data_for=()):
    from smtpshell.shell.target import Target

    server = scripted(lmtp=True, fail_data_for=fail_data_for)
    with new_engine(scripted=True, timeout=10, helo_name="client.test") as engine:
        outcome = run_script(
            script.splitlines(),
            engine,
            target=Target(host=server.host, port=server.port, lmtp=True),
        )
        return outcome, engine


def test_lmtp_expect_judges_every_recipient_not_just_the_last(scripted):
    """The failed delivery comes first: the last reply (250) alone would pass."""
    script = LMTP_DELIVERY.format(first="full", second="ok", expectations="expect 250")
    outcome, _ = lmtp_run(scripted, script, fail_data_for=["full@example.com"])
    assert outcome.exit_code == 1
    assert outcome.line == "expect 250"
    assert "got 552 5.2.2" in outcome.reason
    assert "for full@example.com (recipient 1 of 2)" in outcome.reason


def test_lmtp_expect_passes_when_every_recipient_is_delivered(scripted):
    script = LMTP_DELIVERY.format(first="a", second="b", expectations="expect 250 2.0.0")
    outcome, _ = lmtp_run(scripted, script)
    assert outcome.ok, outcome.reason


def test_lmtp_expect_for_names_the_recipient_it_checks(scripted):
    expectations = (
        "expect for full@example.com 552 5.2.2 mailbox full\nexpect for <ok@example.com> 250"
    )
    script = LMTP_DELIVERY.format(first="full", second="ok", expectations=expectations)
    outcome, _ = lmtp_run(scripted, script, fail_data_for=["full@example.com"])
    assert outcome.ok, outcome.reason


def test_lmtp_expect_for_a_stranger_fails(scripted):
    expectations = "expect for stranger@example.com 250"
    script = LMTP_DELIVERY.format(first="a", second="b", expectations=expectations)
    outcome, _ = lmtp_run(scripted, script)
    assert outcome.exit_code == 1
    assert "stranger@example.com" in outcome.reason and "a@example.com, b@example.com" in (
        outcome.reason
    )


def test_lmtp_delivery_is_forgotten_at_the_next_command(scripted):
    expectations = "NOOP\nexpect 250 2.0.0 OK"
    script = LMTP_DELIVERY.format(first="full", second="ok", expectations=expectations)
    outcome, engine = lmtp_run(scripted, script, fail_data_for=["full@example.com"])
    assert outcome.ok, outcome.reason
    assert engine.last_delivery == ()


def test_expect_for_without_an_lmtp_delivery_fails(tmp_path, capsys):
    script = "EHLO ci.example\nexpect for demo@localhost 250\n"
    assert run(tmp_path, script) == 1
    assert "not the end of an LMTP message" in capsys.readouterr().out


def test_quiet_success_prints_one_summary_line(tmp_path, capsys):
    assert run(tmp_path, "EHLO x\nexpect 250\nNOOP\n", "-q") == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    assert out.endswith("test.smtp: ok, 3 lines run, 1 expectation held\n")
