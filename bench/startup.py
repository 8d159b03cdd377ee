"""Start-up times: ``import smtpshell``, the REPL's first prompt, the TUI's first frame.

The faces are timed as a person sees them: the command runs in a pseudo-terminal, and the
clock stops when the screen shows the prompt or the first frame.  A face that is not built
yet is reported as "not available yet" rather than failing the run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass

from bench.services import ROOT, reap_process_group

_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
#: Cursor position request; prompt_toolkit and Textual may wait for the answer.
_CPR = b"\x1b[6n"
_ALT_SCREEN = b"\x1b[?1049h"


#: Bytecode for the children goes here, never into the working tree.
_PYCACHE = tempfile.mkdtemp(prefix="smtpshell-bench-pycache-")


def child_env(bytecode: bool = True) -> dict[str, str]:
    """The environment for a timed child: bytecode cached, as after ``pip install``.

    A checkout run with PYTHONDONTWRITEBYTECODE=1 compiles every smtpshell module from
    source on every start; that is not what users run, so the cache is on (in a temp dir)
    unless ``bytecode=False`` asks for the uncached cost.
    """
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def import_time(runs: int, bytecode: bool = True) -> list[float]:
    """Seconds to ``import smtpshell`` in fresh interpreters (the import only, no start-up).

    One uncounted run first fills the bytecode cache."""
    code = "import time; t = time.perf_counter(); import smtpshell; print(time.perf_counter() - t)"
    values = []
    for index in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=child_env(bytecode),
            capture_output=True,
            text=True,
            timeout=60,
        )
        out.check_returncode()
        if index:
            values.append(float(out.stdout.strip()))
    return values


def face_available(name: str) -> bool:
    """True when the CLI dispatcher knows the subcommand (the face has been wired in)."""
    from smtpshell.cli import SUBCOMMANDS

    return name in SUBCOMMANDS


@dataclass
class PtyRun:
    seconds: float | None
    how: str
    output: bytes


def _visible(data: bytes) -> bytes:
    return _ANSI.sub(b"", data).replace(b"\r", b"").strip()


def run_in_pty(
    argv: list[str],
    *,
    first_frame: bool,
    timeout: float = 20.0,
    quiet: float = 0.3,
    size: tuple[int, int] = (40, 120),
) -> PtyRun:
    """Start ``argv`` on a pty and time until it shows something to work with.

    REPL (``first_frame=False``): the end of the first burst of output, i.e. the last
    write before the program went quiet for ``quiet`` seconds waiting for a keystroke.
    TUI (``first_frame=True``): the first write, after the switch to the alternate
    screen, that puts visible text on it.
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    env = child_env() | {"TERM": "xterm-256color", "COLUMNS": str(size[1]), "LINES": str(size[0])}
    data_dir = tempfile.mkdtemp(prefix="smtpshell-bench-")
    env["SMTPSHELL_DATA_DIR"] = data_dir

    def controlling_tty() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    start = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_tty,
    )
    os.close(slave)
    output = b""
    last_write: float | None = None
    seconds: float | None = None
    how = "timed out"
    try:
        deadline = start + timeout
        while time.perf_counter() < deadline:
            wait = quiet if last_write is not None else deadline - time.perf_counter()
            ready, _, _ = select.select([master], [], [], max(0.0, wait))
            now = time.perf_counter()
            if not ready:
                if last_write is not None and not first_frame:
                    seconds, how = last_write - start, "prompt drawn, then waiting for input"
                    break
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                how = f"exited with {process.wait()} before showing anything to work with"
                break
            output += chunk
            last_write = now
            for _ in range(chunk.count(_CPR)):
                os.write(master, b"\x1b[1;1R")
            if first_frame and _ALT_SCREEN in output:
                after = output.split(_ALT_SCREEN, 1)[1]
                if len(_visible(after).replace(b" ", b"")) >= 10:
                    seconds, how = now - start, "first frame on the alternate screen"
                    break
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        reap_process_group(process)
        os.close(master)
    return PtyRun(seconds, how, output)


def face_times(face: str, target: str, runs: int) -> tuple[list[float], str]:
    """Repeated pty runs of ``smtpshell FACE TARGET``; returns the times and how each ended."""
    argv = [sys.executable, "-m", "smtpshell", face, target]
    values: list[float] = []
    how = ""
    for index in range(runs + 1):  # the first run fills the bytecode cache, uncounted
        run = run_in_pty(argv, first_frame=face == "tui")
        if index == 0 and run.seconds is not None:
            continue
        how = run.how
        if run.seconds is None:
            tail = _visible(run.output[-400:]).decode("utf-8", "replace")
            return [], f"{run.how}: {tail!r}"
        values.append(run.seconds)
    return values, how
