"""The TUI in a real pseudo-terminal: a hostile server's payloads never reach it raw."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.hostile import hostile_script
from tests.support.pty_io import read_pty
from tests.support.scripted import ScriptedServer

pty = pytest.importorskip("pty")
ROOT = Path(__file__).resolve().parents[2]


def test_tui_in_a_real_terminal_never_receives_the_payloads(tmp_path):
    with ScriptedServer(hostile_script) as server:
        primary, secondary = pty.openpty()
        os.set_blocking(primary, True)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path),
            "TERM": "xterm-256color",
            "COLUMNS": "160",
            "LINES": "50",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "smtpshell", "tui", f"{server.host}:{server.port}"],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            close_fds=True,
        )
        os.close(secondary)
        out = bytearray()
        try:
            deadline = time.monotonic() + 60
            read_pty(primary, out, deadline, until=b"mx.hostile")  # the banner is on screen
            os.write(primary, b"EHLO me\r")
            read_pty(primary, out, deadline, until=b"EVIL")  # the EHLO answer is on screen
            os.write(primary, b"\x11")  # ctrl+q
            read_pty(primary, out, deadline)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            os.close(primary)
    text = out.decode("utf-8", "surrogateescape")
    # Textual draws with its own CSI sequences; none of the server's may be among them.
    for marker in ("\x1b]52", "\x1b]8;;http://evil", "\u202e", "\u009b", "\udc9b", "\x7f"):
        assert marker not in text, (marker, text[-1500:])
    # Textual's own OSC 22 (pointer shape) ends with BEL; any other BEL is the server's
    assert "\x07" not in re.sub(r"\x1b\]22;[^\x07\x1b]*\x07", "", text)
    assert "\\x1b]52;c;Zm9vYmFy" in text  # shown escaped instead
