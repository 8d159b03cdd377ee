"""Checks on a Python export as a program of its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

#: The rules an exported script is held to: syntax, imports, names, bugbear, pyupgrade.
RUFF_RULES = "E4,E7,E9,F,W,I,B,UP"


def ruff_problems(script: Path) -> str:
    """What ``ruff check`` finds in ``script`` under RUFF_RULES ("" when it passes)."""
    checked = subprocess.run(
        ["ruff", "check", "--isolated", "--select", RUFF_RULES, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return "" if checked.returncode == 0 else checked.stdout or checked.stderr
