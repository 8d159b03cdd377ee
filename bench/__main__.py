"""``python -m bench``: run the benchmarks of issue 8, print a table, write JSON.

    python -m bench                # the full run behind docs/benchmarks.md (a few minutes)
    python -m bench --quick        # a smoke run: same code paths, fewer repetitions
    python -m bench --sections 1,3 # only some sections

Run it from the repository root with the project's virtualenv.  Loopback only; every
server and proxy it starts is stopped before it exits, even on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench.sections import SECTIONS, Config, Row, Section
from bench.services import ROOT, smtp_sink_path

DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"


def machine() -> dict:
    """What the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        first = Path("/proc/meminfo").read_text().splitlines()[0]
        memory = f"{int(first.split()[1]) // 1024} MiB"
    except (OSError, IndexError, ValueError):
        pass
    versions = {}
    for name in ("aiosmtplib", "textual", "prompt_toolkit"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    sink = smtp_sink_path()
    postfix = None
    if sink:
        try:
            postfix = (
                subprocess.run(
                    ["postconf", "-h", "mail_version"], capture_output=True, text=True, timeout=10
                ).stdout.strip()
                or None
            )
        except OSError:
            postfix = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "smtp_sink": sink,
        "postfix": postfix,
        "commit": commit,
        **versions,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 1 else f"{value:.2g}"


def _ratio_text(row: Row) -> str:
    return ", ".join(f"{r:.2f}x {peer}" for peer, r in row.ratios.items() if peer != row.name)


def render(sections: list[Section]) -> str:
    header = ("#", "measure", "value", "unit", "+-", "ratio", "target", "result", "note")
    table = [header]
    for section in sections:
        for row in section.rows:
            spread = f"{row.spread * 100:.0f}%" if row.value is not None and row.spread else ""
            table.append(
                (
                    str(section.number),
                    row.name,
                    _fmt(row.value),
                    row.unit,
                    spread,
                    _ratio_text(row),
                    row.target,
                    row.status,
                    row.note,
                )
            )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for index, cells in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    for section in sections:
        for note in section.notes:
            lines.append(f"[{section.number}] {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions")
    parser.add_argument("--sections", default=",".join(map(str, SECTIONS)), help="e.g. 1,3")
    parser.add_argument("--delay-ms", type=float, default=5.0, help="proxy latency each way")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    args = parser.parse_args(argv)
    chosen = sorted({int(s) for s in args.sections.split(",") if s.strip()})
    unknown = [n for n in chosen if n not in SECTIONS]
    if unknown:
        parser.error(f"no such section: {unknown}")
    # SIGTERM must unwind through the `with Services()` blocks so helpers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cfg = Config(quick=args.quick, delay_ms=args.delay_ms)
    started = time.monotonic()
    results: list[Section] = []
    for number in chosen:
        print(f"section {number} ...", file=sys.stderr, flush=True)
        try:
            results.append(SECTIONS[number](cfg))
        except Exception as exc:
            traceback.print_exc()
            results.append(Section(number, SECTIONS[number].__name__, notes=[f"failed: {exc}"]))
    report = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "sections": [s.to_dict() for s in results],
    }
    print(render(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json} ({report['seconds']} s)", file=sys.stderr)
    return 1 if any(s.notes and s.notes[0].startswith("failed:") for s in results) else 0


if __name__ == "__main__":
    sys.exit(main())
