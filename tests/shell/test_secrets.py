"""No secret reaches a file: exports in every format, history, and the replay of redacted lines.

The session authenticates every way a person can (typed AUTH PLAIN, a typed AUTH LOGIN
dialogue, /raw, /login inline, /login $VAR, /auth) against a practice server whose
password is known to the test, then scans what was written for any form of it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpshell.server import PracticeServer
from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.history import HistoryFile
from smtpshell.shell.results import Outcome
from smtpshell.transcript import EventKind
from smtpshell.wiring import new_engine
from tests.support.exports import ruff_problems
from tests.support.secrets import PASSWORD, USER, b64, files_under, leaks, text_leaks

ROOT = Path(__file__).resolve().parents[2]
PLAIN = b64(f"\0{USER}\0{PASSWORD}")

#: One connection per way of authenticating (a server takes one AUTH per session).
SESSION = [
    "/connect",
    "EHLO client.test",
    f"AUTH PLAIN {PLAIN}",
    "/connect",
    "EHLO client.test",
    "AUTH LOGIN",
    b64(USER),
    b64(PASSWORD),
    "MAIL FROM:<alice@example.com>",
    "RCPT TO:<bob@example.com>",
    "DATA",
    "Subject: typed by hand",
    "",
    "..a stuffed line",
    ".",
    "/connect",
    "EHLO client.test",
    f"/raw AUTH PLAIN {PLAIN}\\r\\n",
    "/connect",
    f"/login {USER} {PASSWORD}",
    "/connect --starttls",
    f"/login {USER} $PW",
    "/connect",
    f"/auth LOGIN {USER} {PASSWORD} --no-initial-response",
    "/send --file {eml}",
    "/reveal on",  # the log may show secrets; files still may not
]

#: The environment variables the Python export of SESSION reads, and their values.
EXPORT_ENV = {
    "SMTPSHELL_PLAIN_RESPONSE": PLAIN,  # typed and /raw: the same value, asked for once
    "SMTPSHELL_LOGIN_ANSWER": b64(USER),
    "SMTPSHELL_LOGIN_ANSWER_2": b64(PASSWORD),
    "SMTPSHELL_PASSWORD_ALICE": PASSWORD,  # /login inline and /auth
    "PW": PASSWORD,  # /login alice $PW keeps the variable it came from
}


@pytest.fixture
def alice_engine(tmp_path: Path) -> Iterator[Engine]:
    server = PracticeServer(users={USER: PASSWORD}, tls_port=0)
    server.start()
    engine = new_engine(
        timeout=10,
        helo_name="client.test",
        history=HistoryFile(tmp_path / "data" / "history"),
        environ={"PW": PASSWORD},
    )
    engine.practice = server
    with engine:
        yield engine


def _eml(tmp_path: Path) -> Path:
    path = tmp_path / "message.eml"
    path.write_bytes(
        b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: from a file\r\n\r\nhello\r\n"
    )
    return path


def _run_session(engine: Engine, tmp_path: Path) -> None:
    eml = _eml(tmp_path)
    for line in SESSION:
        result = engine.run_line(line.format(eml=eml))
        assert result.ok, (line, result.items)
    assert engine.last_reply is not None and engine.last_reply.code == 250


def _exports(engine: Engine, out: Path) -> dict[str, Path]:
    out.mkdir()
    paths = {fmt: out / f"session.{fmt}" for fmt in ("txt", "jsonl", "py")}
    for path in paths.values():
        assert engine.run_line(f"/export {path}").ok
    return paths


def test_no_export_format_and_no_history_holds_a_secret(alice_engine, tmp_path):
    _run_session(alice_engine, tmp_path)
    paths = _exports(alice_engine, tmp_path / "exports")
    assert leaks(files_under(tmp_path / "exports", tmp_path / "data")) == {}
    # The redaction is visible where the secrets were, and the history can be replayed.
    assert "C: AUTH PLAIN <redacted>" in paths["txt"].read_text()
    records = [json.loads(line) for line in paths["jsonl"].read_text().splitlines()]
    assert sum(1 for r in records if r.get("secret") and r["redacted"]) >= 4
    history = (tmp_path / "data" / "history").read_text().splitlines()
    assert "AUTH PLAIN <redacted>" in history and f"/login {USER}" in history
    assert b64(USER) not in history  # answers to a 334 are not kept at all
    # On screen, /reveal on shows them: the one place they may appear.
    shown = alice_engine.run_line("/export").items[0].body
    assert PLAIN in shown


def test_the_python_export_runs_on_its_own_with_secrets_from_the_environment(
    alice_engine, tmp_path
):
    _run_session(alice_engine, tmp_path)
    script = _exports(alice_engine, tmp_path / "exports")["py"]
    text = script.read_text()
    assert text_leaks(text) == []
    assert set(re.findall(r'_secret\("([A-Z0-9_]+)"', text)) == set(EXPORT_ENV)
    for name in EXPORT_ENV:  # each is named in the header, with what it holds
        assert re.search(rf"^    {name} +\S", text, re.M), name
    assert text.count("with smtplib.") == 6 and "s.quit" not in text  # each block QUITs
    assert "import smtpshell as smtplib" in text  # /auth used smtpshell's mechanisms=

    base = {k: v for k, v in os.environ.items() if not k.startswith("SMTPSHELL_")}
    base.pop("PW", None)
    base["PYTHONPATH"] = str(ROOT)
    run = dict(stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    missing = subprocess.run([sys.executable, str(script)], env=base, **run)
    assert missing.returncode == 1, missing.stderr
    assert "Traceback" not in missing.stderr
    assert "set SMTPSHELL_PLAIN_RESPONSE to the PLAIN initial response" in missing.stderr
    assert missing.stdout == ""  # every secret is read before the first connection

    ok = subprocess.run([sys.executable, str(script)], env={**base, **EXPORT_ENV}, **run)
    assert ok.returncode == 0, ok.stderr
    assert "Traceback" not in ok.stderr
    replies = re.findall(r"^\((\d{3}), ", ok.stdout, re.M)
    assert replies.count("235") == 6, ok.stdout  # every AUTH succeeded again
    assert "refused recipients: {}" in ok.stdout  # the message from the file went out
    server = alice_engine.practice
    assert server is not None
    bodies = [m.data for m in server.messages]
    assert sum(b"Subject: typed by hand" in b for b in bodies) == 2
    assert sum(b"Subject: from a file" in b for b in bodies) == 2
    assert sum(b"\r\n..a stuffed line\r\n" in b for b in bodies) == 2


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_the_python_export_passes_ruff(alice_engine, tmp_path):
    _run_session(alice_engine, tmp_path)
    script = _exports(alice_engine, tmp_path / "exports")["py"]
    assert ruff_problems(script) == ""


def test_an_export_without_secrets_imports_only_smtplib(practice_engine):
    practice_engine.run_line("EHLO client.test")
    text = practice_engine.run_line("/export --format python").items[0].body
    assert re.findall(r"^import .*", text, re.M) == ["import smtplib"]
    assert "_secret" not in text and "holds no secrets" not in text


# --------------------------------------------------------------------------- replay


def _sent(engine: Engine) -> bytes:
    return b"".join(e.data for e in engine.transcript if e.kind is EventKind.SENT)


@pytest.mark.parametrize(
    "line", ["AUTH PLAIN <redacted>", "/raw AUTH PLAIN <redacted>\\r\\n", "auth plain  <redacted>"]
)
def test_a_redacted_history_line_is_refused_in_scripts(alice_engine, line):
    alice_engine.scripted = True
    assert alice_engine.run_line("/connect").ok
    result = alice_engine.run_line(line)
    assert result.outcome is Outcome.USAGE
    assert "history did not keep" in result.errors[0]
    assert b"<redacted>" not in _sent(alice_engine) and b"AUTH" not in _sent(alice_engine)


@pytest.mark.parametrize("line", ["AUTH PLAIN <redacted>", "/raw AUTH PLAIN <redacted>\\r\\n"])
def test_a_redacted_history_line_asks_for_the_secret_again(alice_engine, line):
    asked: list[tuple[str, bool]] = []

    def asker(prompt: str, secret: bool) -> str:
        asked.append((prompt, secret))
        return PLAIN

    alice_engine.asker = asker
    assert alice_engine.run_line("/connect").ok
    assert alice_engine.run_line("EHLO client.test").ok
    assert alice_engine.run_line(line).ok
    assert alice_engine.last_reply is not None and alice_engine.last_reply.code == 235
    assert len(asked) == 1 and asked[0][1] and "history" in asked[0][0]
    assert b"<redacted>" not in _sent(alice_engine)
    assert alice_engine.history[-1].endswith("<redacted>")  # still not kept


def test_a_declined_question_sends_nothing(alice_engine):
    def asker(prompt: str, secret: bool) -> str:
        raise EOFError

    alice_engine.asker = asker
    assert alice_engine.run_line("/connect").ok
    result = alice_engine.run_line("AUTH PLAIN <redacted>")
    assert result.outcome is Outcome.CANCELLED and "nothing was sent" in result.errors[0]
    assert b"AUTH" not in _sent(alice_engine)


def test_a_placeholder_answer_to_a_challenge_is_not_sent(alice_engine):
    alice_engine.scripted = True
    alice_engine.run_line("/connect")
    alice_engine.run_line("EHLO client.test")
    alice_engine.run_line("AUTH LOGIN")
    assert alice_engine.mode is Mode.SECRET
    assert alice_engine.run_line("<redacted>").outcome is Outcome.USAGE
    assert b"<redacted>" not in _sent(alice_engine)


def test_an_auth_error_message_never_quotes_the_payload():
    import smtpshell

    client = smtpshell.SMTP()
    client.sock = object()  # type: ignore[assignment]  # putcmd refuses before writing
    with pytest.raises(ValueError) as caught:
        client.putcmd("AUTH", f"PLAIN {PLAIN}\n")
    assert PLAIN not in str(caught.value) and "secret" in str(caught.value)


def test_an_auth_line_split_over_raw_writes_stays_secret(alice_engine, tmp_path):
    alice_engine.run_line("/connect")
    alice_engine.run_line("EHLO client.test")
    half = len(PLAIN) // 2
    assert alice_engine.run_line("/raw --no-read AUTH PLAIN\\x20").ok  # the line is stripped
    assert alice_engine.run_line(f"/raw --no-read {PLAIN[:half]}").ok
    assert alice_engine.run_line(f"/raw {PLAIN[half:]}\\r\\n").ok
    assert alice_engine.last_reply is not None and alice_engine.last_reply.code == 235
    assert f"/raw --no-read {PLAIN[:half]}" not in alice_engine.history
    paths = _exports(alice_engine, tmp_path / "exports")
    for path in [*paths.values(), tmp_path / "data" / "history"]:
        text = path.read_text()
        assert PLAIN[:half] not in text and PLAIN[half:] not in text, path.name
    assert alice_engine.transcript.to_text().count("<redacted>") == 2


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_export_asks_for_a_missing_secret_hidden(alice_engine, tmp_path):
    import pty
    import select

    assert alice_engine.run_line("/connect").ok
    assert alice_engine.run_line(f"/login {USER} {PASSWORD}").ok
    script = _exports(alice_engine, tmp_path / "exports")["py"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPSHELL_")}
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=slave,  # getpass writes its prompt to the terminal
            env={**env, "PYTHONPATH": str(ROOT)},
            start_new_session=True,  # no controlling terminal: getpass uses stdin
        )
        seen = b""
        while b"SMTPSHELL_PASSWORD_ALICE is not set" not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, f"no password prompt: {seen!r}"
            seen += os.read(master, 1024)
        os.write(master, PASSWORD.encode() + b"\n")
        out, _ = process.communicate(timeout=60)
        while select.select([master], [], [], 0)[0]:  # what the terminal showed afterwards
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(slave)
        os.close(master)
    assert process.returncode == 0
    assert b"(235, " in out
    assert PASSWORD.encode() not in seen  # read with echo off


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["/connect practice --tls", "NOOP"],
        ["/connect", "VRFY x", "QUIT"],
        ["/connect practice --starttls --no-verify", "/login demo demo"],
    ],
    ids=["nothing", "tls", "quit", "no-verify"],
)
def test_every_export_imports_only_what_it_uses(lines, tmp_path):
    with new_engine(timeout=10, helo_name="client.test") as engine:
        for line in lines:
            assert engine.run_line(line).ok, line
        script = tmp_path / "session.py"
        assert engine.run_line(f"/export {script}").ok
    assert ruff_problems(script) == ""
