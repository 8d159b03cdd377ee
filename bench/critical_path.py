"""The client's work on each round trip's critical path, against smtplib's.

    python -m bench.critical_path                    # this checkout
    python -m bench.critical_path --root OLD --root NEW
    python -m bench.critical_path --real             # NOOP on real sockets, smtp-sink

On a loopback round trip the server's reply wakes a client blocked in ``recv()``.  What the
client does between that ``recv()`` returning and its next ``sendall()`` adds to every round
trip; what it does between ``sendall()`` and the next ``recv()`` overlaps with the server's
work.  This measures both, in microseconds (median), with a socket that answers at once (no
kernel, no server: only the client's own code), for NOOP and for each step of a 1 KB
``sendmail()``: MAIL's reply to RCPT, RCPT's reply to DATA, 354 to the body, and the end
of the data to the next message's MAIL (which includes the next call's local checks).
The transcript is full and has one subscriber, as in a face; for the last column, ``NOOP
unheard``, nobody subscribes (a script using the smtplib API).  Timing code adds about
0.1 us to each figure, the same for every client.

``--real``: the NOOP's critical path on a real loopback socket to Postfix's smtp-sink (the
client's socket wrapped by a timing proxy, the same for every client; 10 rounds of 2,000
NOOPs, interleaved, medians).  After a blocking read the caches are cold, so each figure is
about twice the instant socket's: this is what a round trip really pays.  It also shows
the time from each write to the next read and the whole round trip: work after the write
is free only while the server is slower than it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.client_cpu import FROM, MESSAGE, TO, InstantSocket

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("MAIL>RCPT", "RCPT>DATA", "354>body", "end>MAIL")
#: NOOP with nobody subscribed to the transcript: a script using the smtplib API.
UNHEARD = "NOOP unheard"
_ns = time.perf_counter_ns


class _Lines:
    """``makefile("rb")`` for smtplib: reads lines from the instant socket."""

    def __init__(self, sock: TimedSocket) -> None:
        self._sock = sock
        self._buffer = b""

    def readline(self, size: int = -1) -> bytes:
        while b"\n" not in self._buffer:
            self._buffer += self._sock.recv(65536)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def close(self) -> None:
        pass


class TimedSocket(InstantSocket):
    """Records, for each write, the time since the last read returned (the critical path),
    and for each read, the time since the last write (the overlapped part)."""

    def __init__(self) -> None:
        super().__init__()
        self.received_at = 0
        self.sent_at = 0
        self.critical: list[int] = []
        self.overlapped: list[int] = []

    def recv(self, size: int) -> bytes:
        if self.sent_at:
            self.overlapped.append(_ns() - self.sent_at)
        data = super().recv(size)
        self.received_at = _ns()
        return data

    def sendall(self, data: bytes) -> None:
        if self.received_at:
            self.critical.append(_ns() - self.received_at)
        super().sendall(data)
        self.sent_at = _ns()

    def makefile(self, mode: str) -> _Lines:
        return _Lines(self)

    def reset(self) -> None:
        self.received_at = self.sent_at = 0
        self.critical.clear()
        self.overlapped.clear()


def _client(module: Any) -> tuple[Any, TimedSocket, Any]:
    sockets: list[TimedSocket] = []

    class Timed(module.SMTP):  # type: ignore[misc, name-defined]
        def _get_socket(self, host: str, port: int, timeout: float | None) -> Any:
            sock = TimedSocket()
            sockets.append(sock)
            if hasattr(self, "_announce_connect"):
                self._announce_connect(sock, host, port)
            return sock

    client = Timed("instant.example", 25, local_hostname="bench.example")
    unsubscribe = None
    if hasattr(client, "transcript"):
        unsubscribe = client.transcript.subscribe(lambda event: None)
    client.ehlo()
    for _ in range(1_300):  # fills the default transcript: its steady state
        client.sendmail(FROM, TO, MESSAGE)
    return client, sockets[0], unsubscribe


def measure(module: Any, messages: int = 5_000) -> dict[str, tuple[float, float]]:
    """step -> (critical, overlapped) microseconds, medians."""
    client, sock, unsubscribe = _client(module)
    gc.disable()
    try:
        sock.reset()
        for _ in range(messages * 4):
            client.noop()
        out = {"NOOP": (statistics.median(sock.critical), statistics.median(sock.overlapped))}
        sock.reset()
        for _ in range(messages):
            client.sendmail(FROM, TO, MESSAGE)
    finally:
        gc.enable()
    # Writes: MAIL, RCPT, DATA, body; the first MAIL follows no read of this run.
    for index, step in enumerate(STEPS):
        critical = sock.critical[index::4]
        overlapped = sock.overlapped[(index + 1) % 4 :: 4]
        out[step] = (statistics.median(critical), statistics.median(overlapped))
    if unsubscribe is not None:
        unsubscribe()
    gc.disable()
    try:
        sock.reset()
        for _ in range(messages * 4):
            client.noop()
        out[UNHEARD] = (statistics.median(sock.critical), statistics.median(sock.overlapped))
    finally:
        gc.enable()
    return {step: (c / 1000, o / 1000) for step, (c, o) in out.items()}


_PROGRAM = """import json, sys
sys.path.insert(0, {root!r})
import smtpshell
sys.path.insert(0, {bench!r})
from bench.critical_path import measure
print(json.dumps(measure(smtpshell)))
"""


def _measure_root(root: Path) -> dict[str, tuple[float, float]]:
    import json

    program = _PROGRAM.format(root=str(root), bench=str(ROOT))
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return {k: tuple(v) for k, v in json.loads(out.stdout).items()}  # type: ignore[misc]


class _Proxy:
    """A real socket, with the time from each read's return to the next write recorded."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.received_at = 0
        self.sent_at = 0
        self.critical: list[int] = []
        self.after_write: list[int] = []
        self.round_trip: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv(self, size: int, *flags: int) -> bytes:
        called = _ns()
        data: bytes = self._sock.recv(size, *flags)
        if not flags:  # a peek is not a read
            self.received_at = _ns()
            if self.sent_at:
                self.after_write.append(called - self.sent_at)
                self.round_trip.append(self.received_at - self.sent_at)
        return data

    def sendall(self, data: bytes) -> None:
        if self.received_at:
            self.critical.append(_ns() - self.received_at)
        self._sock.sendall(data)
        self.sent_at = _ns()

    def reset(self) -> None:
        self.received_at = self.sent_at = 0
        self.critical.clear()
        self.after_write.clear()
        self.round_trip.clear()

    def makefile(self, mode: str) -> _Lines:
        return _Lines(self)  # type: ignore[arg-type]


def _real_client(module: Any, port: int, listening: bool = True) -> Any:
    class Proxied(module.SMTP):  # type: ignore[misc, name-defined]
        def _get_socket(self, host: str, port: int, timeout: float | None) -> Any:
            self.proxy = _Proxy(super()._get_socket(host, port, timeout))
            return self.proxy

    client = Proxied("127.0.0.1", port, local_hostname="bench.example")
    if listening and hasattr(client, "transcript"):
        client.transcript.subscribe(lambda event: None)
    client.ehlo()
    return client


def real_noop(
    modules: dict[str, Any], rounds: int = 10, count: int = 2_000
) -> dict[str, tuple[float, float, float]]:
    """name -> (critical path, write to next read, round trip) of a NOOP on real sockets to
    smtp-sink, microseconds (medians).  ``smtpshell`` has a subscriber, as in a face;
    ``smtpshell unheard`` has none."""
    from bench.services import Services, pin_self

    samples: dict[str, list[tuple[float, float, float]]] = {}
    with Services() as services:
        port = services.smtp_sink()
        if port is None:
            raise SystemExit("smtp-sink (Postfix) is not installed")
        pin_self()
        clients = {name: _real_client(module, port) for name, module in modules.items()}
        if "smtpshell" in modules:
            clients["smtpshell unheard"] = _real_client(modules["smtpshell"], port, False)
        for _ in range(rounds):
            for name, client in clients.items():
                proxy = client.proxy
                proxy.reset()
                gc.disable()
                for _ in range(count):
                    client.noop()
                gc.enable()
                figures = (proxy.critical, proxy.after_write, proxy.round_trip)
                sample = tuple(statistics.median(f) / 1000 for f in figures)
                samples.setdefault(name, []).append(sample)  # type: ignore[arg-type]
        for client in clients.values():
            client.quit()
    return {
        name: tuple(statistics.median(s[i] for s in values) for i in range(3))  # type: ignore[misc]
        for name, values in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    import smtplib

    parser = argparse.ArgumentParser(prog="python -m bench.critical_path")
    parser.add_argument("--root", type=Path, action="append", help="checkout(s) to measure")
    parser.add_argument("--real", action="store_true", help="NOOP on real sockets, smtp-sink")
    args = parser.parse_args(argv)
    if args.real:
        import smtpshell

        result = real_noop({"smtplib": smtplib, "smtpshell": smtpshell})
        print(f"{'NOOP on a real socket, us (median)':36s}  critical  after write  round trip")
        for name, (critical, after, trip) in result.items():
            print(f"{name:36s}  {critical:8.2f}  {after:10.2f}  {trip:10.2f}")
        return 0
    rows = {"smtplib": measure(smtplib)}
    rows.update({str(root): _measure_root(root) for root in args.root or [ROOT]})
    steps = ("NOOP", *STEPS, UNHEARD)
    print(f"{'us, median (critical / overlapped)':40s}" + "".join(f"{s:>16s}" for s in steps))
    for name, result in rows.items():
        cells = "".join(f"{result[s][0]:8.2f} /{result[s][1]:6.2f}" for s in steps)
        print(f"{name:40s}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
