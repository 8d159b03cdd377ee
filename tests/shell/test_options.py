"""The shared connection and TLS options: parsed once, honoured by every face."""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpshell.cli import main
from smtpshell.practice import PracticeOptions, with_free_ports
from smtpshell.server import start_practice_server
from smtpshell.shell.options import (
    VERIFY_HINT,
    add_connection_options,
    target_from_args,
    tls_context_for,
)
from smtpshell.shell.registry import UsageError
from smtpshell.shell.target import Security
from smtpshell.wiring import new_engine
from tests.support.exports import ruff_problems

ROOT = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", nargs="?")
    add_connection_options(parser)
    return parser.parse_args(argv)


@pytest.fixture
def server() -> Iterator:
    handle = start_practice_server(with_free_ports(PracticeOptions()))
    yield handle
    handle.stop()


def test_every_face_accepts_the_same_options(capsys):
    flags = ["--starttls", "--ca-file", "--cert", "--tls-min", "--ciphers", "--sni", "-4"]
    for face in ("tui", "repl", "run", "send", "learn"):
        with pytest.raises(SystemExit):
            main([face, "--help"])
        text = capsys.readouterr().out
        for flag in flags:
            assert flag in text, (face, flag)


def test_readme_example_parses():
    target = target_from_args(parse("mail.example.com:587", "--starttls"))
    assert (target.host, target.port, target.security) == (
        "mail.example.com",
        587,
        Security.STARTTLS,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--starttls", "--tls"], "contradict"),
        (["--ca-file", "/nonexistent.pem"], "not a readable file"),
        (["--ciphers", "NO-SUCH-CIPHER"], "no cipher"),
        (["--tls-min", "1.3", "--tls-max", "1.2"], "above"),
    ],
)
def test_bad_combinations_are_usage_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        target_from_args(parse("h", *argv))


def test_key_needs_cert_and_cert_must_load(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(UsageError, match="--key needs --cert"):
        target_from_args(parse("h", "--key", str(junk)))
    with pytest.raises(UsageError, match="cannot load"):
        target_from_args(parse("h", "--cert", str(junk)))


def test_tls_version_limits_and_client_certificate(tmp_path, ca):
    cert = ca.issue_cert("client.example")
    pem = tmp_path / "client.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    target = target_from_args(
        parse("h", "--tls-min", "1.2", "--tls-max", "tls1.2", "--cert", str(pem))
    )
    context = tls_context_for(target)
    assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_2


def test_tls_min_is_honoured_in_the_handshake(server):
    engine = new_engine(scripted=True, timeout=10)
    try:
        args = parse(
            "127.0.0.1", "--starttls", "--tls-min", "1.3", "--ca-file", str(server.cert_path)
        )
        target = target_from_args(args).replace(port=server.port)
        result = engine.connect(target)
        assert result.ok, result.errors
        assert engine.client.tls_info()["version"] == "TLSv1.3"
    finally:
        engine.shutdown()


def test_run_with_ca_file_verifies_and_without_names_the_next_step(server, tmp_path, capsys):
    script = tmp_path / "s.smtp"
    script.write_text("EHLO me\nexpect 250\n")
    where = f"127.0.0.1:{server.port}"
    assert main(["run", str(script), where, "--starttls"]) == 2
    captured = capsys.readouterr()
    assert VERIFY_HINT in captured.out + captured.err
    assert main(["run", str(script), where, "--starttls", "--ca-file", str(server.cert_path)]) == 0


def test_connect_in_the_session_inherits_the_command_line_tls_settings(server):
    engine = new_engine(scripted=True, timeout=10)
    try:
        args = parse("127.0.0.1", "--ca-file", str(server.cert_path))
        engine.connection_defaults = target_from_args(args)
        result = engine.run_line(f"/connect 127.0.0.1:{server.port} --starttls")
        assert result.ok, result.errors
        assert engine.client.tls_info()["verified"]
    finally:
        engine.shutdown()


def test_probe_takes_the_shared_names_for_tls_and_verification():
    parser = argparse.ArgumentParser()
    from smtpshell.probe.command import configure

    configure(parser)
    args = parser.parse_args(["mx.example.com", "--tls", "--no-verify"])
    assert args.tls and args.no_verify  # the shared dests (older names: tests/probe)


def test_the_python_export_keeps_the_tls_options_and_runs_with_them(server, tmp_path, ca):
    """--ca-file, --cert, --tls-max, --ciphers, --sni and -4 reach the exported script, which
    connects again with them (issue 19 follow-up: the export used to drop them)."""
    cert = ca.issue_cert("client.example")
    pem = tmp_path / "client.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    engine = new_engine(scripted=True, timeout=10, helo_name="client.test")
    try:
        args = parse(
            "127.0.0.1",
            *("--ca-file", str(server.cert_path), "--cert", str(pem)),
            *("--tls-max", "1.2", "--ciphers", "ECDHE+AESGCM", "--sni", "localhost", "-4"),
        )
        engine.connection_defaults = target_from_args(args)
        result = engine.run_line(f"/connect 127.0.0.1:{server.port} --starttls")
        assert result.ok, result.errors
        assert engine.client.tls_info()["version"] == "TLSv1.2"
        engine.run_line("NOOP")
        text = engine.run_line("/export --format python").items[0].body
    finally:
        engine.shutdown()
    assert "_tls_context(cafile=" in text
    assert f'cert="{pem}"' in text
    assert "maximum=ssl.TLSVersion.TLSv1_2" in text and 'ciphers="ECDHE+AESGCM"' in text
    assert 's.server_hostname = "localhost"' in text
    assert "s.address_family = socket.AF_INET" in text
    assert "import smtpshell as smtplib" in text and "import socket" in text

    script = tmp_path / "session.py"
    script.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ran = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
    )
    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout.count("(250, ") >= 2  # EHLO after STARTTLS, NOOP
    if shutil.which("ruff"):
        assert ruff_problems(script) == ""
