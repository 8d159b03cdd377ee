"""``python -m bench.probe_scale`` runs end to end on a small scale and writes its JSON.

No time or memory is asserted here (that is the bench's job, docs/benchmarks.md): only
that every target was probed over STARTTLS and that the hanging one ended at its stage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_probe_scale_smoke(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    argv = ["--targets", "20", "--concurrency", "5", "--hang", "1", "--timeout", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.probe_scale", *argv, "--repeat", "1", "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(out.read_text())
    run = data["runs"][0]
    assert run["targets"] == run["ok"] == run["starttls"] == 20
    assert run["hanging"] == 1 and run["hanging_stage"] == ["banner"]
    assert data["summary"]["all_ok"] is True
