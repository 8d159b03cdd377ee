"""``smtpshell send``: the one-shot sender, against real practice servers."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest

from smtpshell.cli import main
from smtpshell.practice import PracticeOptions, with_free_ports
from smtpshell.repl.send_command import EXIT_CODES, build_message
from smtpshell.server import start_practice_server


@pytest.fixture
def server() -> Iterator:
    handle = start_practice_server(
        with_free_ports(
            PracticeOptions(users=(("demo", "demo"),), reject_rcpt="nobody@", reject_code=550)
        )
    )
    yield handle
    handle.stop()


def address(handle) -> str:
    return f"{handle.host}:{handle.port}"


def parsed(handle, index: int = -1) -> email.message.EmailMessage:
    raw = handle.messages[index].data
    return email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)


def test_sends_headers_cc_bcc_and_attachment(server, tmp_path, capsys):
    attachment = tmp_path / "report.bin"
    attachment.write_bytes(bytes(range(256)))
    code = main(
        [
            "send",
            "--server",
            address(server),
            "--from",
            "me@example.com",
            "--to",
            "bob@example.com",
            "--cc",
            "carol@example.com",
            "--bcc",
            "dave@example.com",
            "--header",
            "X-Trace: 42",
            "--header",
            "Subject: chosen",
            "--body",
            "hello there",
            "--attach",
            str(attachment),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "RCPT TO:<dave@example.com>" in out
    assert "message accepted for 3 recipients" in out
    message = parsed(server)
    assert message["Subject"] == "chosen"
    assert message["X-Trace"] == "42"
    assert message["Cc"] == "carol@example.com"
    assert message["Bcc"] is None
    parts = list(message.iter_attachments())
    assert parts[0].get_filename() == "report.bin"
    assert parts[0].get_content() == bytes(range(256))
    assert message.get_body(("plain",)).get_content().strip() == "hello there"


def test_body_from_file_and_stdin(server, tmp_path, capsys, monkeypatch):
    body = tmp_path / "body.txt"
    body.write_text(".dot first\nsecond\n", encoding="utf-8")
    args = ["send", "-s", address(server), "-t", "bob@example.com", "--body", f"@{body}"]
    assert main(args) == 0
    assert parsed(server).get_content() == ".dot first\nsecond\n"
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin\n"))
    assert main([*args[:-2], "--body", "-"]) == 0
    assert parsed(server).get_content() == "from stdin\n"


def test_auth_with_password_from_environment_is_redacted(server, capsys, monkeypatch):
    monkeypatch.setenv("SEND_TEST_PW", "demo")
    code = main(
        [
            "send",
            "-s",
            address(server),
            "-t",
            "bob@example.com",
            "--auth",
            "PLAIN",
            "--user",
            "demo",
            "--password-env",
            "SEND_TEST_PW",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "AUTH PLAIN" in out
    assert "ZGVtbwBkZW1vAGRlbW8" not in out and "AGRlbW8AZGVtbw" not in out
    assert "authenticated as demo" in out


@pytest.mark.parametrize(
    ("extra", "code", "stage"),
    [
        (["--user", "demo", "--password-env", "WRONG_PW"], 6, "auth"),
        (["--to", "nobody@example.com"], 8, "rcpt"),
    ],
)
def test_exit_code_names_the_stage(server, capsys, monkeypatch, extra, code, stage):
    monkeypatch.setenv("WRONG_PW", "not-the-password")
    args = ["send", "-s", address(server), *extra]
    if "--to" not in extra:
        args += ["--to", "bob@example.com"]
    assert main(args) == code
    assert f"failed at {stage}" in capsys.readouterr().err
    assert EXIT_CODES[code][0] == stage


def test_partly_refused_recipients_still_deliver_and_exit_rcpt(server, capsys):
    args = ["send", "-s", address(server), "-t", "bob@example.com", "-t", "nobody@example.com"]
    assert main(args) == 8
    assert len(server.messages) == 1
    assert "1 recipient refused" in capsys.readouterr().out


def test_connection_refused_is_exit_3(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["send", "-s", f"127.0.0.1:{port}", "-t", "a@example.com"]) == 3
    assert "failed at connect" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("stage", "last_client_line"),
    [
        ("banner", None),
        ("ehlo", "ehlo"),
        ("mail", "MAIL FROM:<you@example.com>"),
        ("rcpt", "RCPT TO:<bob@example.com>"),
    ],
)
def test_quit_after(server, capsys, stage, last_client_line):
    args = ["send", "-s", address(server), "-t", "bob@example.com", "-f", "you@example.com"]
    assert main([*args, "--quit-after", stage]) == 0
    sent = [line[3:] for line in capsys.readouterr().out.splitlines() if line.startswith("C: ")]
    assert sent[-1] == "quit"
    if last_client_line is None:
        assert sent == ["quit"]
    else:
        assert sent[-2].startswith(last_client_line)
    assert not server.messages


def test_starttls_with_ca_file_of_the_practice_server(server, capsys):
    args = ["send", "-s", address(server), "-t", "bob@example.com", "--starttls"]
    assert main(args) == 5
    err = capsys.readouterr()
    assert "--ca-file FILE" in err.out + err.err
    assert main([*args, "--ca-file", str(server.cert_path)]) == 0
    out = capsys.readouterr().out
    assert "STARTTLS" in out
    assert len(server.messages) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-t", "bob@example.com Compose test"], "bob@example.com Compose test"),
        (["-t", "bob@example.com", "--header", "no colon"], "Name: value"),
        (["-t", "bob@example.com", "--header", "X: a\nb"], "line break"),
        (["-t", "bob@example.com", "--attach", "/nonexistent/file"], "No such file"),
        (["-t", "bob@example.com", "--auth"], "--user"),
        (["-t", "bob@example.com", "--user", "u", "--password-env", "UNSET_VAR_X"], "not set"),
        ([], "no recipient"),
        (["-t", "bob@example.com", "--starttls", "--tls"], "contradict"),
    ],
)
def test_bad_input_is_exit_2_before_any_byte(server, capsys, extra, message):
    assert main(["send", "-s", address(server), *extra]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "C: " not in captured.out
    assert not server.messages


def test_server_text_in_the_transcript_is_escaped(server, capsys):
    # A recipient the server echoes is client text; the server's reply passes display().
    assert main(["send", "-s", address(server), "-t", "bob@example.com", "-q"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_build_message_keeps_the_date_and_defaults():
    message = build_message(
        "a@example.com", ["b@example.com"], [], date="Mon, 30 Nov 2026 12:00:00 +0000"
    )
    assert message["Subject"] == "test Mon, 30 Nov 2026 12:00:00 +0000"
    assert message["Message-Id"].endswith("@example.com>")
