"""``smtpshell demo``: the zero-setup walk-through runs end to end and leaks nothing."""

from __future__ import annotations

import os
import subprocess
import sys


def run_demo(tmp_path, *args):
    env = {**os.environ, "SMTPSHELL_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "smtpshell", "demo", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_demo_walks_a_whole_session(tmp_path):
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "S: 220 ",
        "C: STARTTLS",
        "TLS established",
        "(certificate verified)",
        "S: 235 ",
        "C: ..This line starts with a dot.",
        "S: 221 ",
    ):
        assert expected in out
    assert "C: <redacted>" in out
    assert "Traceback" not in result.stderr
