"""``smtpshell serve`` as a real process: starts, prints how to connect, stops on SIGINT."""

from __future__ import annotations

import importlib.util
import os
import queue
import re
import signal
import smtplib
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smtpshell.cli import SUBCOMMANDS
from smtpshell.server import PracticeServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LISTENING = re.compile(r"listening on (\S+):(\d+)")
#: Runs exactly what ``smtpshell serve`` runs: the command module's configure() and run().
LAUNCHER = (
    "import argparse, sys\n"
    "from smtpshell.server import command\n"
    "parser = argparse.ArgumentParser(prog='smtpshell serve')\n"
    "command.configure(parser)\n"
    "sys.exit(command.run(parser.parse_args(sys.argv[1:])))\n"
)


def _serve_argv() -> list[str]:
    """``python -m smtpshell serve`` once every subcommand module exists, else the launcher.

    The CLI imports all subcommand modules to build its parser, so a sibling subcommand that
    is not written yet must not make this test fail.
    """
    if all(importlib.util.find_spec(module) for module, _ in SUBCOMMANDS.values()):
        return [sys.executable, "-m", "smtpshell", "serve"]
    return [sys.executable, "-c", LAUNCHER]


class ServeProcess:
    """A ``serve`` child process whose stdout lines arrive on a queue (reads never block)."""

    def __init__(self, *args: str, data_dir: Path) -> None:
        env = {**os.environ, "SMTPSHELL_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [*_serve_argv(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []  # every stdout line consumed so far
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float = 15) -> re.Match[str]:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {pattern.pattern!r} in {self.seen}") from None
            if line is None:
                raise AssertionError(f"serve exited: {self.seen}, stderr {self.stderr()}")
            self.seen.append(line)
            if match := pattern.search(line):
                return match

    def all_output(self, timeout: float = 15) -> str:
        """Everything the process printed on stdout, once it has exited."""
        while (line := self.lines.get(timeout=timeout)) is not None:
            self.seen.append(line)
        return "".join(self.seen)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def interrupt(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=15)
        return code, self.stderr()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., ServeProcess]]:
    started: list[ServeProcess] = []

    def start(*args: str) -> ServeProcess:
        process = ServeProcess(*args, data_dir=tmp_path / "data")
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_serves_prints_arrivals_and_exits_cleanly_on_sigint(
    serve: Callable[..., ServeProcess],
) -> None:
    process = serve("--port", "0", "--user", "alice:s3cret-pw", "--reject-rcpt", "^spam@")
    match = process.wait_for_line(LISTENING)
    host, port = match[1], int(match[2])
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.login("alice", "s3cret-pw")
        client.sendmail(
            "a@example.com", ["b@example.com", "spam@x.test"], b"Subject: Hi\r\n\r\nx\r\n"
        )
    arrival = process.wait_for_line(re.compile(r"from=<a@example.com>"))
    assert "to=<b@example.com>" in arrival.string and "subject='Hi'" in arrival.string
    code, stderr = process.interrupt()
    assert code == 0
    assert "Traceback" not in stderr
    output = process.all_output()
    assert "accounts: alice (passwords as given)" in output
    assert "s3cret-pw" not in output + stderr
    assert output.rstrip().endswith("practice server stopped.")


def test_banner_shows_the_default_account_and_every_listener(
    serve: Callable[..., ServeProcess], short_dir: Path
) -> None:
    socket_path = str(short_dir / "lmtp.sock")
    process = serve(
        "--port",
        "0",
        "--tls-port",
        "0",
        "--lmtp-socket",
        socket_path,
        "--drop-on",
        "data",
        "--delay",
        "MAIL=0.5",
    )
    process.wait_for_line(re.compile("Ctrl-C"))
    banner = "".join(process.seen)
    assert re.search(r"implicit TLS on 127\.0\.0\.1:\d+", banner)
    assert f"LMTP on unix socket {socket_path}" in banner
    assert "account: user 'demo', password 'demo'" in banner
    assert "fault: drop the connection without a reply on DATA" in banner
    assert "fault: delay 0.5s before replying to MAIL" in banner
    assert "also: PIPELINING CHUNKING BINARYMIME DSN" in banner
    code, stderr = process.interrupt()
    assert code == 0 and "Traceback" not in stderr


def test_sigterm_also_stops_cleanly(serve: Callable[..., ServeProcess]) -> None:
    process = serve("--port", "0")
    process.wait_for_line(LISTENING)
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(timeout=15) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--host", "0.0.0.0"],  # non-loopback needs --allow-remote
        ["--user", "nopassword"],
        ["--delay", "MAIL"],
        ["--delay", "FOO=1"],
        ["--reject-rcpt", "("],
        ["--reject-code", "250"],
        ["--cert", "only-a-cert.pem"],
    ],
)
def test_bad_options_exit_2_with_a_message(
    serve: Callable[..., ServeProcess], args: list[str]
) -> None:
    process = serve("--port", "0", *args)
    assert process.proc.wait(timeout=15) == 2
    stderr = process.stderr()
    assert stderr.startswith("smtpshell serve: ") and "Traceback" not in stderr


def test_busy_port_exits_1(serve: Callable[..., ServeProcess], server: PracticeServer) -> None:
    process = serve("--port", str(server.port))
    assert process.proc.wait(timeout=15) == 1
    assert "cannot start" in process.stderr()


def test_extension_switches_reach_the_server() -> None:
    """--no-pipelining/--no-chunking/--no-dsn play a server without those extensions."""
    import argparse

    from smtpshell.server import command

    parser = argparse.ArgumentParser()
    command.configure(parser)
    default = command._build_server(parser.parse_args([]))
    assert default.extensions == ["PIPELINING", "CHUNKING", "BINARYMIME", "DSN"]
    args = parser.parse_args(["--port", "0", "--no-pipelining", "--no-chunking", "--no-dsn"])
    server = command._build_server(args)
    assert (server.pipelining, server.chunking, server.dsn) == (False, False, False)
    assert "also: no PIPELINING, CHUNKING or DSN" in command._banner(server)
    with server, smtplib.SMTP(server.host, server.port, timeout=10) as client:
        client.ehlo("client.test")
        offered = set(client.esmtp_features)
    assert not offered & {"pipelining", "chunking", "binarymime", "dsn"}
    assert {"size", "8bitmime", "smtputf8", "enhancedstatuscodes"} <= offered
