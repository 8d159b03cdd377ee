"""The client's own cost per sendmail() and per NOOP, measured two ways that noise can't move much.

    python -m bench.client_cpu                      # CPU time against Postfix's smtp-sink
    python -m bench.client_cpu --instructions       # callgrind instructions, instant socket
    python -m bench.client_cpu --root DIR [--root DIR2]   # other checkouts, interleaved

CPU: ``time.thread_time()`` per call of smtplib and of each checkout's smtpshell, over one
connection to ``smtp-sink`` (a separate process, on its own CPU as in ``python -m bench``),
rounds interleaved, medians.  The default transcript is filled first (10,000 events) and
has one subscriber, as in a face.

Instructions: ``valgrind --tool=callgrind`` of a process whose socket answers each command
at once (no kernel, no server), ``(instructions for N calls - for 0 calls) / N`` with
PYTHONHASHSEED=0; about +-3,000 instructions from run to run.  Needs valgrind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = (b"Subject: bench\r\n\r\n" + (b"x" * 70 + b"\r\n") * 14)[:1000]
FROM, TO = "a@example.com", ["b@example.com"]


class InstantSocket:
    """A socket that answers every command at once: only the client's own work is counted."""

    family = socket.AF_UNIX

    def __init__(self) -> None:
        self._idle = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # something to poll
        self._out = [b"220 instant ESMTP\r\n"]
        self._data = False
        self._timeout: float | None = 30.0

    def fileno(self) -> int:
        return self._idle.fileno()

    # Socket options go to the idle socket: so a client that asks the kernel to time-stamp
    # what it receives (smtpshell on Linux) takes the same path as on a real socket.
    def setsockopt(self, *args: Any) -> None:
        self._idle.setsockopt(*args)

    def getsockopt(self, *args: Any) -> Any:
        return self._idle.getsockopt(*args)

    def gettimeout(self) -> float | None:
        return self._timeout

    def settimeout(self, value: float | None) -> None:
        self._timeout = value

    def getpeername(self) -> tuple[str, int]:
        return ("127.0.0.1", 25)

    def sendall(self, data: bytes) -> None:
        if self._data:
            if data.endswith(b"\r\n.\r\n"):
                self._data = False
                self._out.append(b"250 2.0.0 Ok: queued as ABCDEF\r\n")
            return
        verb = data[:4].upper()
        if verb == b"EHLO":
            self._out.append(b"250-instant\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n")
        elif verb == b"DATA":
            self._data = True
            self._out.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        else:
            self._out.append(b"250 2.1.0 Ok\r\n" if verb != b"QUIT" else b"221 Bye\r\n")

    def recv(self, size: int) -> bytes:
        return self._out.pop(0)

    def close(self) -> None:
        self._idle.close()

    def shutdown(self, how: int) -> None:
        pass


def instant_client(module: Any) -> Any:
    """An ``module.SMTP`` on an InstantSocket, greeted, its transcript full, one subscriber."""

    class Instant(module.SMTP):  # type: ignore[misc, name-defined]
        def _get_socket(self, host: str, port: int, timeout: float | None) -> Any:
            sock = InstantSocket()
            self._announce_connect(sock, host, port)
            return sock

    client = Instant("instant.example", 25, local_hostname="bench.example")
    client.transcript.subscribe(lambda event: None)
    client.ehlo()
    for _ in range(1_100):
        client.sendmail(FROM, TO, MESSAGE)
    return client


_PROGRAM = """import runpy, sys
sys.path.insert(0, {root!r})
import smtpshell
here = runpy.run_path({here!r})  # this file, whichever checkout is measured
FROM, TO, MESSAGE = here["FROM"], here["TO"], here["MESSAGE"]
c = here["instant_client"](smtpshell)
def _run(n):
    for _ in range(n):
        {statement}
_run(int(sys.argv[1]))
"""
STATEMENTS = {"sendmail 1 KB": "c.sendmail(FROM, TO, MESSAGE)", "noop": "c.noop()"}


def _callgrind(program: str, count: int) -> int:
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    argv += [sys.executable, "-c", program, str(count)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    err = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stderr
    match = re.search(r"Collected : (\d+)", err)
    if match is None:
        raise RuntimeError(f"no callgrind total in: {err[-300:]}")
    return int(match.group(1))


def instructions(roots: list[Path], calls: int) -> None:
    for root in roots:
        for label, statement in STATEMENTS.items():
            program = _PROGRAM.format(root=str(root), here=__file__, statement=statement)
            per_call = (_callgrind(program, calls) - _callgrind(program, 0)) // calls
            print(f"{root!s:40s} {label:15s} {per_call:9,d} instructions per call")


def _load(root: Path) -> Any:
    """``smtpshell`` imported from ``root`` (a fresh copy of the package each time)."""
    for name in [n for n in sys.modules if n == "smtpshell" or n.startswith("smtpshell.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("smtpshell")
    finally:
        sys.path.pop(0)


def _one_round(module: Any, port: int, count: int) -> tuple[float, float]:
    client = module.SMTP("127.0.0.1", port, local_hostname="bench.example")
    warm = 50
    if hasattr(client, "transcript"):
        client.transcript.subscribe(lambda event: None)
        warm = 1_100  # fills the default transcript: its steady state
    for _ in range(warm):
        client.sendmail(FROM, TO, MESSAGE)
    start = time.thread_time()
    for _ in range(count):
        client.sendmail(FROM, TO, MESSAGE)
    send = (time.thread_time() - start) / count * 1e6
    start = time.thread_time()
    for _ in range(count * 3):
        client.noop()
    noop = (time.thread_time() - start) / (count * 3) * 1e6
    client.quit()
    return send, noop


def cpu(roots: list[Path], count: int, rounds: int) -> None:
    import smtplib

    from bench.services import Services

    clients: dict[str, Any] = {"smtplib": smtplib}
    clients.update({str(root): _load(root) for root in roots})
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    with Services() as services:
        port = services.smtp_sink()
        if port is None:
            raise SystemExit("smtp-sink (Postfix) is not installed")
        for _ in range(rounds):
            for name, module in clients.items():
                results[name].append(_one_round(module, port, count))
    for name, pairs in results.items():
        send = statistics.median(p[0] for p in pairs)
        noop = statistics.median(p[1] for p in pairs)
        print(f"{name:40s} sendmail {send:6.1f} us CPU   noop {noop:5.1f} us CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client_cpu")
    parser.add_argument("--root", type=Path, action="append", help="checkout(s) to measure")
    parser.add_argument("--instructions", action="store_true", help="callgrind, instant socket")
    parser.add_argument("--calls", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    roots = args.root or [ROOT]
    if args.instructions:
        instructions(roots, args.calls)
    else:
        cpu(roots, args.calls // 10, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
