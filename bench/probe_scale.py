"""``smtpshell probe`` at scale: 1,000 loopback targets with STARTTLS at --concurrency 100.

    python -m bench.probe_scale                      # the figure in docs/benchmarks.md
    python -m bench.probe_scale --targets 200 --hang 2 --repeat 1   # a quick look

Issue 16's target: 1,000 targets, each with STARTTLS and a verified certificate, at
``--concurrency 100``, in <= 30 s with RSS <= 300 MB, in the default mode (no --tls-scan).
The practice servers run in a child process of their own (so their CPU and memory are not
counted as the probe's), each with room for every connection at once.  The probe runs as
the real command, ``python -m smtpshell probe ... --json``, in another child process: its
wall time (interpreter start-up included) and its peak RSS (``ru_maxrss`` of that child)
are what is reported.  ``--hang N`` adds N targets that accept the connection and never
greet: each must end at its own ``--timeout`` without holding the others.

Loopback only; every process it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _serve(count: int, ready_path: str) -> None:
    """Child process: ``count`` practice servers; writes their ports, runs until killed."""
    from smtpshell.server import PracticeServer

    servers = [
        PracticeServer(max_connections=2000, idle_timeout=60, auth_failure_delay=0)
        for _ in range(count)
    ]
    for server in servers:
        server.start()
    Path(ready_path).write_text(
        json.dumps({"ports": [s.port for s in servers], "cert": str(servers[0].cert_path)})
    )
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    for server in servers:
        server.stop()


class Hanging:
    """Listeners that accept and never send a greeting (the connections are kept open)."""

    def __init__(self, count: int):
        self.listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(count)]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._accept, args=(sock,), daemon=True)
            for sock in self.listeners
        ]
        for thread in self._threads:
            thread.start()

    @property
    def targets(self) -> list[str]:
        return [f"127.0.0.1:{sock.getsockname()[1]}" for sock in self.listeners]

    def _accept(self, listener: socket.socket) -> None:
        listener.settimeout(0.2)  # lets close() end the loop; nothing is timed by it
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self.listeners + self.accepted:
            sock.close()


def run_once(args: argparse.Namespace, ports: list[int], cert: str, hanging: Hanging) -> dict:
    # The hanging targets go first: they take workers at once and keep them for the whole
    # timeout, while every other target must still finish on the remaining workers.
    targets = hanging.targets + [f"127.0.0.1:{ports[i % len(ports)]}" for i in range(args.targets)]
    argv = [
        sys.executable,
        "-m",
        "smtpshell",
        "probe",
        *targets,
        "--concurrency",
        str(args.concurrency),
        "--timeout",
        str(args.timeout),
        "--ca-file",
        cert,
        "--helo",
        "bench.test",
        "--json",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    wall = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    data = json.loads(result.stdout)
    reports = data["reports"]
    hang_set = set(hanging.targets)
    normal = [r for r in reports if r["target"] not in hang_set]
    hung = [r for r in reports if r["target"] in hang_set]
    times = sorted(r["total_ms"] for r in normal)
    grades: dict[str, int] = {}
    for report in normal:
        grades[report["grade"]] = grades.get(report["grade"], 0) + 1
    return {
        "targets": len(normal),
        "hanging": len(hung),
        "exit": result.returncode,
        "ok": sum(r["ok"] for r in normal),
        "starttls": sum(bool(r["tls"] and r["tls"]["version"]) for r in normal),
        "wall_s": round(wall, 2),
        # ru_maxrss is the largest child so far: the probe is by far the largest one.
        "peak_rss_mib": round(max(peak_kib, before) / 1024, 1),
        "per_target_ms_p50": round(statistics.median(times), 1) if times else None,
        "per_target_ms_p95": round(times[int(len(times) * 0.95) - 1], 1) if times else None,
        "per_target_ms_max": round(times[-1], 1) if times else None,
        "hanging_ms": sorted(round(r["total_ms"]) for r in hung),
        "hanging_stage": sorted({r["error"]["stage"] for r in hung if r["error"]}),
        "grades": grades,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--servers", type=int, default=2, help="practice servers to spread over")
    parser.add_argument("--hang", type=int, default=3, help="targets that never greet")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    ready = Path(f"/tmp/smtpshell-probe-scale-{os.getpid()}.json")
    ready.unlink(missing_ok=True)
    serve = f"from bench.probe_scale import _serve; _serve({args.servers}, {str(ready)!r})"
    child = subprocess.Popen(
        [sys.executable, "-c", serve],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    hanging = Hanging(args.hang)
    runs = []
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() or not ready.read_text():
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the practice servers did not start")
            time.sleep(0.05)  # waiting for a child process to start, not timing anything
        info = json.loads(ready.read_text())
        for index in range(args.repeat):
            result = run_once(args, info["ports"], info["cert"], hanging)
            runs.append(result)
            print(f"run {index + 1}: {json.dumps(result)}", flush=True)
    finally:
        hanging.close()
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
        ready.unlink(missing_ok=True)
    walls = [run["wall_s"] for run in runs]
    summary = {
        "targets": args.targets,
        "concurrency": args.concurrency,
        "wall_s_median": statistics.median(walls),
        "wall_s_range": [min(walls), max(walls)],
        "peak_rss_mib_max": max(run["peak_rss_mib"] for run in runs),
        "all_ok": all(run["ok"] == run["targets"] == run["starttls"] for run in runs),
        "target": "<= 30 s and <= 300 MiB",
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
