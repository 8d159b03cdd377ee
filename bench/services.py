"""Start and always stop the processes a benchmark needs: smtp-sink, the sink, the proxy.

On a 2-core machine the client and the server must not fight over one core, so servers
and proxies are pinned to the last CPU and the measuring process to the first (see
``pin_self``).  Every process runs in its own session and is killed with its group on exit;
the Python helpers also exit by themselves after ``lifetime`` seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIFETIME = 900.0


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def server_cpu() -> set[int] | None:
    """The CPU servers run on: the last one, when there are at least two."""
    available = cpus()
    return {available[-1]} if len(available) >= 2 else None


def pin_self() -> set[int] | None:
    """Pin the measuring process to the first CPU (away from the servers); returns the old set."""
    available = cpus()
    if len(available) < 2:
        return None
    old = set(available)
    os.sched_setaffinity(0, {available[0]})
    return old


def reap_process_group(process: subprocess.Popen) -> None:
    """Wait for a process told to stop; kill its whole group if it takes over 5 s."""
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def smtp_sink_path() -> str | None:
    return shutil.which("smtp-sink") or next(
        (p for p in ("/usr/sbin/smtp-sink", "/usr/lib/postfix/smtp-sink") if os.path.exists(p)),
        None,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


class Services(contextlib.AbstractContextManager):
    """Owns every helper process started inside its ``with`` block."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def _start(self, argv: list[str], port: int) -> int:
        cpu = server_cpu()

        def pin() -> None:
            if cpu is not None:
                os.sched_setaffinity(0, cpu)

        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=pin,
        )
        self.processes.append(process)
        _wait_listening(port, process)
        return port

    def smtp_sink(self) -> int | None:
        """Postfix's smtp-sink on a free port (PIPELINING on), or None if not installed.

        smtp-sink is a single event-driven process: one worker, pinned to its own CPU.
        """
        path = smtp_sink_path()
        if path is None:
            return None
        port = free_port()
        argv = [path]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # required when started as root
        argv += [f"127.0.0.1:{port}", "256"]
        return self._start(argv, port)

    def chunking_sink(self) -> int:
        """bench.sink: PIPELINING and CHUNKING, which smtp-sink 3.7 does not offer."""
        port = free_port()
        argv = [sys.executable, "-m", "bench.sink", str(port), "--lifetime", str(LIFETIME)]
        return self._start(argv, port)

    def proxy(self, target_port: int, delay_ms: float) -> int:
        port = free_port()
        argv = [sys.executable, "-m", "bench.proxy", str(port), str(target_port)]
        argv += ["--delay-ms", str(delay_ms), "--lifetime", str(LIFETIME)]
        return self._start(argv, port)

    def burner(self) -> subprocess.Popen:
        """A process spinning on the servers' CPU: "the other core busy" (section 6).

        It stops with the ``with`` block, or by itself after ``LIFETIME`` seconds.
        """
        cpu = server_cpu()

        def pin() -> None:
            if cpu is not None:
                os.sched_setaffinity(0, cpu)

        code = (
            "import time\n"
            f"end = time.monotonic() + {LIFETIME}\n"
            "while time.monotonic() < end:\n"
            "    sum(range(1000))\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=pin,
        )
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            reap_process_group(process)
        self.processes.clear()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Run the block on the first CPU only, then restore the affinity."""
    old = pin_self()
    try:
        yield
    finally:
        if old is not None:
            os.sched_setaffinity(0, old)
