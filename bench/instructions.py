"""CPU instructions per call of the protocol layer's hot-path functions, under callgrind.

    python -m bench.instructions            # this checkout
    python -m bench.instructions --root DIR # another checkout (a before/after comparison)

Wall-clock micro-benchmarks on a shared two-core box moved by +-50 % from run to run;
instruction counts do not move at all, so small per-call savings can be measured.  Each
figure is ``(instructions for N calls - instructions for 0 calls) / N`` of one Python
process, counted by ``valgrind --tool=callgrind``.  Needs valgrind; not part of
``python -m bench`` (it takes a minute and measures instructions, not time).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, setup, statement): each statement is run N times in a loop.
CASES = (
    (
        "envelope_address, one address",
        "from smtpshell.protocol import envelope_address",
        "envelope_address('sink@example.com')",
    ),
    (
        "envelope_address, 10,000 distinct, again (per address)",
        "from smtpshell.protocol import envelope_address\n"
        "A = [f'user{i}@example.com' for i in range(10000)]\n"
        "for a in A: envelope_address(a)",
        "for a in A: envelope_address(a)",
    ),
    (
        "parse_final_line, one-line reply seen before",
        "from smtpshell.protocol.replies import parse_final_line",
        "parse_final_line(b'250 2.0.0 Ok: queued as ABCDEF\\r\\n')",
    ),
    (
        "parse_final_line, one-line reply never seen (a new queue id each time)",
        "from smtpshell.protocol.replies import parse_final_line\n"
        "L = [b'250 2.0.0 Ok: queued as %06d\\r\\n' % i for i in range(100000)]\n"
        "it = iter(L)",
        "parse_final_line(next(it))",
    ),
    (
        "Reply.as_tuple, one-line reply",
        "from smtpshell.protocol.replies import parse_final_line\n"
        "r = parse_final_line(b'250 2.0.0 Ok: queued as ABCDEF\\r\\n')",
        "r.as_tuple()",
    ),
    (
        "format_command + encode_line",
        "from smtpshell.protocol.commands import encode_line, format_command",
        "encode_line(format_command('RCPT', 'TO:<sink@example.com>') + '\\r\\n', 'ascii')",
    ),
)
PER = {"envelope_address, 10,000 distinct, again (per address)": 10_000}


def _program(root: Path, setup: str, statement: str) -> str:
    return (
        f"import sys\nsys.path.insert(0, {str(root)!r})\n{setup}\n"
        f"def _run(n):\n    for _ in range(n):\n        {statement}\n"
        "_run(int(sys.argv[1]))\n"
    )


def _instructions(program: str, count: int) -> int:
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    argv += [sys.executable, "-c", program, str(count)]
    err = subprocess.run(argv, capture_output=True, text=True, check=True).stderr
    match = re.search(r"Collected : (\d+)", err)
    if match is None:
        raise RuntimeError(f"no callgrind total in: {err[-300:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    for label, setup, statement in CASES:
        calls = 10 if label in PER else args.calls
        program = _program(args.root.resolve(), setup, statement)
        spent = _instructions(program, calls) - _instructions(program, 0)
        per_call = spent / calls / PER.get(label, 1)
        print(f"{per_call:10,.0f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
