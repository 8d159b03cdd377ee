"""The engine is UI-free: no terminal library is imported anywhere under smtpshell/shell."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORBIDDEN = ("prompt_toolkit", "textual", "rich", "smtpshell.repl", "smtpshell.tui", "curses")


def test_shell_modules_never_import_a_ui():
    for path in sorted((ROOT / "smtpshell" / "shell").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"


def test_importing_the_engine_loads_no_ui_and_no_server():
    code = (
        "import sys, smtpshell.shell, smtpshell.shell.commands; "
        f"bad = [m for m in sys.modules if m.startswith({(*FORBIDDEN, 'aiosmtpd')!r})]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_script_runner_does_not_load_prompt_toolkit():
    code = (
        "import sys, smtpshell.repl.script_command, smtpshell.repl.render; "
        "bad = [m for m in sys.modules if m.startswith('prompt_toolkit')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
