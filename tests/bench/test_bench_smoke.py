"""The benchmark harness runs end to end and writes well-formed JSON.

Only that: timing belongs in ``python -m bench``, never in an assertion here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.services import smtp_sink_path  # noqa: E402


@pytest.mark.timeout(300)
def test_quick_run_completes_and_writes_json(tmp_path: Path) -> None:
    if smtp_sink_path() is None:
        pytest.skip("Postfix smtp-sink is not installed")
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert {"nproc", "python", "cpu"} <= set(report["machine"])
    numbers = [section["number"] for section in report["sections"]]
    assert numbers == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for section in report["sections"]:
        assert section["rows"], section
        for row in section["rows"]:
            assert row["status"] in {"PASS", "MISS", "info", "n/a"}
            assert row["value"] is None or isinstance(row["value"], int | float)
