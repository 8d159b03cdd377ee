"""A hostile server's bytes never reach the REPL's output raw (issue 12: display safety)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time

import pytest

from smtpshell.shell.target import Target
from tests.support.hostile import PAYLOADS, hostile_script, raw_controls
from tests.support.pty_io import read_pty
from tests.support.scripted import ScriptedServer

ENTER, CTRL_D = "\r", "\x04"
LINES = (
    "EHLO me",
    "/features",
    "/status",
    "/explain",
    "MAIL FROM:<a@example.com>",
    "RCPT TO:<b@example.com>",
    "VRFY x",
    "/explain",
    "BOGUS",
    "NOOP",  # a bare CR in the reply: refused as malformed, the connection closes
)


def test_repl_pipe_input_shows_hostile_replies_escaped(run_repl):
    with ScriptedServer(hostile_script) as server:
        keys = "".join(line + ENTER for line in LINES) + CTRL_D
        session = run_repl(keys, Target(host=server.host, port=server.port))
    text = session.text
    assert raw_controls(text) == []
    assert "\n  X-\\x1b[2J\\x1b[3J\\x1b[H\\x1b]52;c;Zm9vYmFy\\x07" in text  # a /features row
    assert "\\u202eevil" in text and "\\x9b31m" in text
    assert PAYLOADS["markup"] in text  # shown as typed, never interpreted


PROMPT = re.compile(rb"> (\x1b\[[0-9;?]*[A-Za-z])*$")  # a prompt waiting for input


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_repl_in_a_real_terminal_shows_hostile_replies_escaped(tmp_path):
    with ScriptedServer(hostile_script) as server:
        primary, secondary = pty.openpty()
        env = {
            **os.environ,
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path),
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smtpshell",
                "repl",
                "--no-history",
                f"{server.host}:{server.port}",
            ],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            close_fds=True,
        )
        os.close(secondary)
        output = bytearray()
        try:
            deadline = time.monotonic() + 40
            for line in LINES:
                read_pty(primary, output, deadline, until=PROMPT)  # the prompt
                os.write(primary, line.encode() + b"\r")
            read_pty(primary, output, deadline, until=PROMPT)
            os.write(primary, b"/exit\r")  # not Ctrl-D: a cooked tty would eat it as EOF
            read_pty(primary, output, deadline)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(primary)
    text = output.decode("utf-8", "surrogateescape")
    assert "EVIL" in text, text[-2000:]  # the session really ran
    # prompt_toolkit draws with its own escape sequences; the server's must not be among
    # them: no OSC at all, no link, no bidi override, no C1, no BEL.
    for marker in ("\x1b]52", "\x1b]8;", "\u202e", "\u009b", "\udc9b", "\x07", "\x7f"):
        assert marker not in text, (marker, text[-2000:])
    assert "\\x1b]52;c;Zm9vYmFy\\x07" in text
