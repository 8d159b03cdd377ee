"""Layering: the client core never loads the server; the server package loads lazily."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
{imports}
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "aiosmtpd" or m.startswith("{banned}"))
assert not loaded, loaded
"""


def _assert_not_loaded(imports: str, banned: str) -> None:
    code = CHECK.format(imports=imports, banned=banned)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_client_core_never_imports_the_server() -> None:
    _assert_not_loaded(
        "import smtpshell, smtpshell.client, smtpshell.protocol, smtpshell.auth",
        "smtpshell.server",
    )


def test_serve_argument_parsing_does_not_load_aiosmtpd() -> None:
    _assert_not_loaded(
        "import argparse\nfrom smtpshell.server import command\n"
        "command.configure(argparse.ArgumentParser())",
        "smtpshell.server.practice",
    )
