"""Run the README's run command under a real pseudo-terminal, as a new user would.

Usage: python3 .ci/smoke_tui.py 'COMMAND'

The command installs smtpshell and opens the TUI against the embedded practice server.  This
waits for the first frame that shows the server's greeting, presses Ctrl+Q and checks that the
program exits 0.  Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

#: pip builds and installs the wheel first: give it time on a cold cache.
FIRST_FRAME_TIMEOUT = 600.0
EXIT_TIMEOUT = 30.0
#: The practice server's greeting, as the TUI's log shows it (``S: 220 ...``).
GREETING = re.compile(rb"220[ -]")
ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78]"  # charset, keypad, cursor save
)


def read_until(fd: int, deadline: float, want: re.Pattern[bytes] | None) -> tuple[bytes, bool]:
    """Read the terminal until ``want`` shows on screen (or EOF when ``want`` is None)."""
    seen = bytearray()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return bytes(seen), want is None
        if not chunk:
            return bytes(seen), want is None
        seen += chunk
        if want is not None and want.search(ANSI.sub(b"", bytes(seen[-200_000:]))):
            return bytes(seen), True
    return bytes(seen), False


def main() -> int:
    command = sys.argv[1]
    pid, fd = pty.fork()
    if pid == 0:  # the child: a login-like shell running the README's command
        os.environ["TERM"] = "xterm-256color"
        os.execvp("bash", ["bash", "-c", command])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    output, ok = read_until(fd, time.monotonic() + FIRST_FRAME_TIMEOUT, GREETING)
    if not ok:
        os.kill(pid, 9)
        tail = ANSI.sub(b"", output)[-3000:].decode("utf-8", "replace")
        print(f"smoke: no greeting on screen within {FIRST_FRAME_TIMEOUT:.0f} s\n{tail}")
        return 1
    print("smoke: the TUI shows the practice server's greeting; pressing Ctrl+Q")
    os.write(fd, b"\x11")
    read_until(fd, time.monotonic() + EXIT_TIMEOUT, None)
    deadline = time.monotonic() + EXIT_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            print(f"smoke: the command exited with {code}")
            return 0 if code == 0 else 1
        time.sleep(0.2)
    os.kill(pid, 9)
    print(f"smoke: still running {EXIT_TIMEOUT:.0f} s after Ctrl+Q")
    return 1


if __name__ == "__main__":
    sys.exit(main())
