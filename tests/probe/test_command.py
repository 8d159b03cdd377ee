"""``smtpshell probe`` end to end: arguments, output, exit codes, concurrency, progress."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys

import pytest

from smtpshell.cli import main
from smtpshell.probe import command
from smtpshell.probe.core import Cancellation, ProbeOptions, probe_target
from smtpshell.probe.report import ProbeReport
from smtpshell.probe.runner import Progress, run_probes
from smtpshell.probe.targets import Target, parse_target


def probe(*argv: str, resolver=None) -> int:
    """Run the command as the CLI would, with an injectable resolver."""
    parser = argparse.ArgumentParser(prog="smtpshell probe")
    command.configure(parser)
    return command.run(parser.parse_args(list(argv)), resolver=resolver)


def test_verified_probe_exits_0_and_prints_the_report(practice, capsys):
    address = f"{practice.host}:{practice.port}"
    status = main(["probe", address, "--ca-file", str(practice.cert_path), "--helo", "t.test"])
    out, err = capsys.readouterr()
    assert status == 0
    assert out.startswith(f"{address}  OK\n")
    assert "verification   verified" in out and "capabilities" in out
    assert err == ""  # stderr is not a terminal: no progress noise


def test_unverified_certificate_exits_1_unless_insecure(practice, capsys):
    address = f"{practice.host}:{practice.port}"
    assert main(["probe", address]) == 1
    assert "CERTIFICATE NOT VERIFIED" in capsys.readouterr().out
    assert main(["probe", address, "--insecure"]) == 0
    assert "not checked (--insecure)" in capsys.readouterr().out


def test_many_targets_one_bad_json(practice, closed_port, capsys):
    good = f"{practice.host}:{practice.port}"
    implicit = f"smtps://{practice.host}:{practice.tls_port}"
    bad = f"127.0.0.1:{closed_port}"
    argv = ["probe", good, bad, implicit, good, "--json", "--concurrency", "3"]
    status = main([*argv, "--ca-file", str(practice.cert_path), "--timeout", "5"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1
    assert [r["input"] for r in data["reports"]] == [good, bad, implicit, good]  # input order
    assert [r["ok"] for r in data["reports"]] == [True, False, True, True]
    assert data["reports"][1]["error"]["stage"] == "connect"
    assert data["reports"][2]["tls"]["mode"] == "implicit"
    assert data["summary"] == {"targets": 4, "ok": 3, "failed": 1}
    assert data["options"]["concurrency"] == 3


def test_mx_domain_through_injected_resolver(practice, resolver, capsys):
    # local.test has "MX 5 localhost."; --port points the exchanger at the practice server
    status = probe(
        "local.test",
        "missing.test",
        "--mx",
        "--port",
        str(practice.port),
        "--insecure",
        "--json",
        resolver=resolver,
    )
    data = json.loads(capsys.readouterr().out)
    first, second = data["reports"]
    assert status == 1
    assert (first["host"], first["mx"]["domain"], first["ok"]) == ("localhost", "local.test", True)
    assert second["error"]["type"] == "NXDOMAIN" and second["address"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["host:notaport"], "port must be a number"),
        (["[::1"], "missing ']'"),
        (["localhost", "--vrfy", "a\x1bb"], "--vrfy needs a value"),
        (["localhost", "--helo", "two words"], "--helo needs a value"),
        (["localhost", "--ca-file", "/nonexistent/ca.pem"], "cannot use --ca-file"),
        (["localhost", "--lmtp", "--implicit-tls"], "--lmtp cannot be combined with"),
        (["localhost", "--lmtp", "--mx"], "--lmtp cannot be combined with --mx"),
        (["smtps://localhost", "--lmtp"], "--lmtp cannot probe an smtps:// target"),
        (["/run/dovecot/lmtp"], "a Unix socket path is an LMTP target: add --lmtp"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(["probe", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smtpshell probe: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["--concurrency", "0"], ["--timeout", "-1"], ["--port", "70000"], ["--bogus"], []],
)
def test_argparse_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["probe", *(["localhost"] if argv else []), *argv])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["probe", "--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "usage error" in out and "--concurrency N" in out


def test_parser_is_cheap():
    code = (
        "import argparse, sys\n"
        "from smtpshell.probe import command\n"
        "command.configure(argparse.ArgumentParser())\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('dns', 'cryptography')"
        " or m.startswith('smtpshell.probe.core')]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ------------------------------------------------------------------------------ runner pieces


def test_progress_draws_only_when_enabled():
    report = ProbeReport("a", "a", 25, False)
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.start(2)
    progress.begin(0, "a:25")
    assert progress.line() == "probing 0/2 done: 0 ok, 0 failed | a:25"
    progress.end(0, report)
    progress.finish()
    assert "\rprobing 1/2 done: 1 ok, 0 failed" in stream.getvalue().replace("\x1b[K", "")
    assert stream.getvalue().endswith("\r\x1b[K")  # the line is wiped before output

    quiet = io.StringIO()  # StringIO is not a terminal: disabled by default
    silent = Progress(quiet)
    silent.start(1)
    silent.end(0, report)
    silent.finish()
    assert quiet.getvalue() == ""


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert command._wants_colour(Terminal()) is True
    assert command._wants_colour(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert command._wants_colour(Terminal()) is False


def test_run_probes_keeps_order_with_one_worker(practice, closed_port, options):
    specs = [parse_target(f"127.0.0.1:{closed_port}"), parse_target(f"127.0.0.1:{practice.port}")]
    reports = run_probes(specs, options, progress=Progress(enabled=False))
    assert [r.port for r in reports] == [closed_port, practice.port]
    assert reports[0].error is not None and reports[1].error is None


def test_cancelled_run_probes_nothing(practice, options):
    cancel = Cancellation()
    cancel.cancel()
    report = probe_target(Target("x", practice.host, practice.port, False), options, cancel=cancel)
    assert report.error.type == "Cancelled" and report.banner is None


def test_cancellation_aborts_tracked_clients():
    aborted = []

    class FakeClient:
        def abort(self) -> None:
            aborted.append(self)

    cancel = Cancellation()
    first = FakeClient()
    cancel.track(first)
    cancel.cancel()
    assert aborted == [first]
    late = FakeClient()
    cancel.track(late)  # a connection opened after Ctrl-C is aborted at once
    assert aborted == [first, late]


def test_exit_status():
    ok = ProbeReport("a", "a", 25, False)
    assert command.exit_status([ok]) == 0
    assert command.exit_status([]) == 1  # nothing probed is not success
    bad = ProbeReport("b", "b", 25, False)
    bad.error = object()  # any error
    assert command.exit_status([ok, bad]) == 1


def test_options_defaults_match_the_cli():
    parser = argparse.ArgumentParser()
    command.configure(parser)
    args = parser.parse_args(["localhost"])
    assert (args.timeout, args.concurrency) == (ProbeOptions().timeout, ProbeOptions().concurrency)


def test_lmtp_targets_default_to_port_2003_without_mx():
    from smtpshell.probe.targets import needs_dns, resolve_spec

    options = ProbeOptions(lmtp=True)
    spec = parse_target("mail.example.com")
    assert not needs_dns(spec, options)
    (target,) = resolve_spec(spec, options)
    assert (target.host, target.port, target.implicit_tls) == ("mail.example.com", 2003, False)


def test_a_socket_path_is_one_lmtp_server_without_dns():
    from smtpshell.probe.report import format_address
    from smtpshell.probe.targets import needs_dns, resolve_spec

    options = ProbeOptions(lmtp=True, port=24)
    spec = parse_target("/run/dovecot/lmtp")
    assert spec.is_socket and spec.names_one_server and not needs_dns(spec, options)
    (target,) = resolve_spec(spec, options)
    assert (target.host, target.port) == ("/run/dovecot/lmtp", 0)
    assert format_address(target.host, target.port) == "/run/dovecot/lmtp"
