"""The six measurements of issue 8, each a function returning a :class:`Section`.

Each section starts its own servers and stops them before it returns.  Ratios are always
"better is bigger" for rates and "smaller is better" for times and memory, and the target
column says which.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial

from bench import startup, tui_ingest
from bench.clients import aiosmtplib_available, open_sender, sample_message
from bench.services import ROOT, Services, pinned
from bench.stats import Sample, paired_ratio, rates

MB = 1 << 20


@dataclass(frozen=True)
class Config:
    """How much work each section does; ``quick`` is a smoke run, not a measurement."""

    quick: bool = False
    delay_ms: float = 5.0

    def pick(self, quick: int, full: int) -> int:
        return quick if self.quick else full


@dataclass
class Row:
    name: str
    value: float | None
    unit: str
    spread: float = 0.0
    ratios: dict[str, float] = field(default_factory=dict)
    target: str = ""
    status: str = "info"
    note: str = ""


@dataclass
class Section:
    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def judge(value: float | None, op: str, limit: float) -> str:
    if value is None:
        return "n/a"
    ok = value >= limit if op == ">=" else value <= limit
    return "PASS" if ok else "MISS"


def _peers() -> list[str]:
    return ["smtplib", "smtpshell"] + (["aiosmtplib"] if aiosmtplib_available() else [])


def _measure_senders(
    senders: dict[str, object],
    work: Callable[[object, int], int],
    warmup: int,
    count: int,
    repeats: int,
) -> dict[str, Sample]:
    """Warm every sender up, then time them round-robin on the measuring CPU."""
    with pinned():
        for sender in senders.values():
            work(sender, warmup)
        return rates({name: partial(work, s, count) for name, s in senders.items()}, repeats)


def _close_all(senders: dict[str, object]) -> None:
    for sender in senders.values():
        try:
            sender.close()  # type: ignore[attr-defined]
        except Exception:
            pass


# ---------------------------------------------------------------------------- 1


def throughput(cfg: Config) -> Section:
    section = Section(1, "Messages per second, one connection, loopback, transcript on")
    message = sample_message()
    with Services() as services:
        port = services.smtp_sink()
        server = "Postfix smtp-sink (one process, own CPU)"
        if port is None:
            port = services.chunking_sink()
            server = "bench.sink (smtp-sink is not installed: a Python server, slower)"
        senders = {name: open_sender(name, port) for name in _peers()}
        senders["smtpshell PIPELINING"] = open_sender("smtpshell", port, pipelining=True)
        try:
            samples = _measure_senders(
                senders,
                lambda s, n: s.send(message, n),
                warmup=cfg.pick(50, 300),
                count=cfg.pick(200, 2000),
                repeats=cfg.pick(2, 7),
            )
        finally:
            _close_all(senders)
    for name, sample in samples.items():
        row = Row(name, sample.median, "msg/s", sample.spread)
        peers = ("smtplib", "aiosmtplib")
        row.ratios = {p: paired_ratio(sample, samples[p]) for p in peers if p in samples}
        if name.startswith("smtpshell"):
            row.target, row.status = ">= 1.1x smtplib", judge(row.ratios["smtplib"], ">=", 1.1)
        section.rows.append(row)
    section.notes.append(
        f"server: {server}; message {len(message)} bytes; smtpshell records its default "
        "bounded transcript and has one subscriber counting events (a stand-in face); "
        "'smtpshell' keeps smtplib's wire (4 round trips per message), 'smtpshell PIPELINING' "
        "is the opt-in pipelining=True (2)"
    )
    return section


# ---------------------------------------------------------------------------- 2


def latency(cfg: Config) -> Section:
    delay = cfg.delay_ms / 1000
    section = Section(2, f"Messages per second through a proxy adding {cfg.delay_ms:g} ms each way")
    message = sample_message()
    count, repeats, warmup = cfg.pick(8, 30), cfg.pick(2, 5), cfg.pick(2, 3)
    with Services() as services:
        sink_port = services.smtp_sink()
        chunk_port = services.chunking_sink()
        plain_server = "smtp-sink" if sink_port is not None else "bench.sink"
        via_sink = services.proxy(sink_port or chunk_port, cfg.delay_ms)
        via_chunk = services.proxy(chunk_port, cfg.delay_ms)
        plain = {
            "smtplib": open_sender("smtplib", via_sink),
            "smtpshell": open_sender("smtpshell", via_sink),
            "smtpshell PIPELINING": open_sender("smtpshell", via_sink, pipelining=True),
        }
        if aiosmtplib_available():
            plain["aiosmtplib"] = open_sender("aiosmtplib", via_sink)
        chunked = {
            "smtplib (bench.sink)": open_sender("smtplib", via_chunk),
            "smtpshell PIPELINING+CHUNKING": open_sender(
                "smtpshell", via_chunk, pipelining=True, chunking=True
            ),
        }
        try:
            work = lambda s, n: s.send(message, n)  # noqa: E731
            samples = _measure_senders(plain, work, warmup, count, repeats)
            samples |= _measure_senders(chunked, work, warmup, count, repeats)
        finally:
            _close_all(plain)
            _close_all(chunked)
    targets = {
        "smtpshell PIPELINING": ("smtplib", 1.9),
        "smtpshell PIPELINING+CHUNKING": ("smtplib (bench.sink)", 3.5),
    }
    for name, sample in samples.items():
        round_trips = 1 / (sample.median * 2 * delay)
        row = Row(name, sample.median, "msg/s", sample.spread, note=f"{round_trips:.2f} RTT/msg")
        base = "smtplib (bench.sink)" if name.endswith("CHUNKING") else "smtplib"
        row.ratios = {base: paired_ratio(sample, samples[base])}
        if name in targets:
            peer, limit = targets[name]
            row.target = f">= {limit}x {peer}"
            row.status = judge(row.ratios[peer], ">=", limit)
        section.rows.append(row)
    section.notes.append(
        f"plain and PIPELINING rows: {plain_server}; PIPELINING+CHUNKING: bench.sink, because "
        "smtp-sink 3.7 does not offer CHUNKING (its smtplib row is the baseline for that "
        f"ratio). RTT/msg: seconds per message / {2 * cfg.delay_ms:g} ms; the floor is 1, "
        "smtplib needs 4 (MAIL, RCPT, DATA, end of data)"
    )
    return section


# ---------------------------------------------------------------------------- 3


def noop(cfg: Config) -> Section:
    section = Section(3, "NOOP round trip on loopback, against a raw socket")
    with Services() as services:
        port = services.smtp_sink() or services.chunking_sink()
        senders = {"raw socket": open_sender("raw", port)}
        senders |= {name: open_sender(name, port) for name in _peers()}
        try:
            samples = _measure_senders(
                senders,
                lambda s, n: s.noop(n),
                warmup=cfg.pick(200, 1000),
                count=cfg.pick(1000, 10000),
                repeats=cfg.pick(2, 7),
            )
        finally:
            _close_all(senders)
    for name, sample in samples.items():
        micros = 1e6 / sample.median
        ratio = 1 / paired_ratio(sample, samples["raw socket"])  # time ratio: rates inverted
        row = Row(name, micros, "us/NOOP", sample.spread, {"raw socket": ratio})
        if name == "smtpshell":
            row.target, row.status = "<= 1.1x raw socket", judge(ratio, "<=", 1.1)
        section.rows.append(row)
    section.notes.append(
        "the raw socket writes NOOP and reads until the reply's last line, nothing else"
    )
    return section


# ---------------------------------------------------------------------------- 4


def _big_run(kind: str, port: int, size: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bigmsg", kind, str(port), str(size)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.bigmsg {kind} failed: {out.stderr[-500:]}")
    return json.loads(out.stdout)


def big_message(cfg: Config) -> Section:
    size = cfg.pick(5, 50) * MB
    section = Section(4, f"One {size // MB} MB message: throughput and peak memory")
    runs: dict[str, list[dict]] = {name: [] for name in _peers()}
    with Services() as services:
        port = services.smtp_sink() or services.chunking_sink()
        for _ in range(cfg.pick(1, 3)):
            for name in runs:
                runs[name].append(_big_run(name, port, size))
    speed = {
        n: statistics.median(r["message_bytes"] / r["seconds"] / MB for r in rs)
        for n, rs in runs.items()
    }
    memory = {n: statistics.median(r["delta_rss"] for r in rs) for n, rs in runs.items()}
    message_bytes = runs["smtplib"][0]["message_bytes"]
    for name in runs:
        row = Row(f"{name} throughput", speed[name], "MB/s")
        row.ratios = {"smtplib": speed[name] / speed["smtplib"]}
        if name == "smtpshell":
            row.target, row.status = ">= 1.0x smtplib", judge(row.ratios["smtplib"], ">=", 1.0)
        section.rows.append(row)
    for name in runs:
        times = memory[name] / message_bytes
        peak = statistics.median(r["peak_rss"] for r in runs[name]) / MB
        note = f"absolute peak {peak:.0f} MB"
        row = Row(f"{name} peak memory", memory[name] / MB, "MB", note=note)
        row.ratios = {"message size": times}
        if name == "smtpshell":
            row.target, row.status = "< 1.5x message size", judge(times, "<=", 1.5)
        section.rows.append(row)
    section.notes.append(
        "each client runs in a fresh process: peak memory = ru_maxrss after sending minus "
        "ru_maxrss once connected and before the message is built; the message is one bytes "
        "object (counted once) with CRLF lines and dot-leading lines to stuff"
    )
    return section


# ---------------------------------------------------------------------------- 5


def start_up(cfg: Config) -> Section:
    section = Section(5, "Start-up")
    runs = cfg.pick(3, 10)
    imports = Sample(tuple(t * 1000 for t in startup.import_time(runs)), "ms")
    row = Row("import smtpshell", imports.median, "ms", imports.spread, target="< 50 ms")
    row.status = judge(imports.median, "<=", 50)
    section.rows.append(row)
    cold = Sample(tuple(t * 1000 for t in startup.import_time(runs, bytecode=False)), "ms")
    section.rows.append(
        Row(
            "import smtpshell, no bytecode",
            cold.median,
            "ms",
            cold.spread,
            note="PYTHONDONTWRITEBYTECODE=1: every module compiled from source",
        )
    )
    with Services() as services:
        port = services.smtp_sink() or services.chunking_sink()
        faces = (("repl", "REPL first prompt", 300), ("tui", "TUI first frame", 700))
        for face, label, limit in faces:
            if not startup.face_available(face):
                section.rows.append(
                    Row(
                        label,
                        None,
                        "ms",
                        target=f"< {limit} ms",
                        status="n/a",
                        note=f"not available yet (no `smtpshell {face}`)",
                    )
                )
                continue
            values, how = startup.face_times(face, f"127.0.0.1:{port}", cfg.pick(2, 5))
            if not values:
                section.rows.append(
                    Row(label, None, "ms", target=f"< {limit} ms", status="n/a", note=how)
                )
                continue
            sample = Sample(tuple(v * 1000 for v in values), "ms")
            section.rows.append(
                Row(
                    label,
                    sample.median,
                    "ms",
                    sample.spread,
                    target=f"< {limit} ms",
                    status=judge(sample.median, "<=", limit),
                    note=how,
                )
            )
    section.notes.append(
        "import: time of the import statement in a fresh interpreter; faces: "
        "`python -m smtpshell FACE 127.0.0.1:PORT` on a 120x40 pty, from spawn to the screen; "
        "bytecode cached (as installed) after one uncounted run"
    )
    return section


# ---------------------------------------------------------------------------- 6


def tui_log(cfg: Config) -> Section:
    count = cfg.pick(20_000, 100_000)
    section = Section(6, f"TUI log pane ingesting {count:,} events")
    targets = [
        ("time", "s", "< 2 s", 2.0),
        ("memory", "MB", "< 250 MB", 250.0),
        (
            "worst keystroke",
            "ms",
            f"< {tui_ingest.STALL * 1000:g} ms (no stall)",
            tui_ingest.STALL * 1000,
        ),
    ]
    if not tui_ingest.available():
        for name, unit, target, _ in targets:
            section.rows.append(
                Row(name, None, unit, target=target, status="n/a", note="TUI not available yet")
            )
        return section
    out = subprocess.run(
        [sys.executable, "-m", "bench.tui_ingest", str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"error": (out.stderr or out.stdout)[-300:]}
    if "error" in result:
        for name, unit, target, _ in targets:
            section.rows.append(
                Row(
                    name,
                    None,
                    unit,
                    target=target,
                    status="n/a",
                    note=f"TUI present, not measurable: {result['error']}",
                )
            )
        return section
    values = [result["seconds"], result["peak_rss"] / MB, result["max_input_latency"] * 1000]
    for (name, unit, target, limit), value in zip(targets, values, strict=True):
        section.rows.append(Row(name, value, unit, target=target, status=judge(value, "<=", limit)))
    section.notes.append(
        f"{result['keystrokes']} keystrokes pressed during ingestion; memory is the absolute "
        "peak RSS of the process running the app"
    )
    return section


SECTIONS: dict[int, Callable[[Config], Section]] = {
    1: throughput,
    2: latency,
    3: noop,
    4: big_message,
    5: start_up,
    6: tui_log,
}
