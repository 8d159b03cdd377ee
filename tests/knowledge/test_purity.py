"""The knowledge package stays pure: no faces, no server, no I/O at import."""

from __future__ import annotations

import subprocess
import sys


def test_import_pulls_no_ui_or_server():
    code = (
        "import sys, smtpshell.knowledge\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'prompt_toolkit', 'aiosmtpd') or m == 'smtpshell.knowledge.docs']\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
