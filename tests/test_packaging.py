"""Import hygiene, layering and the README's promises."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORE = [
    "smtpshell/__init__.py",
    "smtpshell/client",
    "smtpshell/auth.py",
    "smtpshell/errors.py",
    "smtpshell/transcript.py",
    "smtpshell/protocol",
]
FACES = (
    "textual",
    "prompt_toolkit",
    "aiosmtpd",
    "smtpshell.server",
    "smtpshell.repl",
    "smtpshell.tui",
    "smtpshell.shell",
)


def test_import_smtpshell_pulls_in_no_ui_and_no_server():
    code = (
        "import sys, smtpshell; "
        f"bad = [m for m in sys.modules if m.startswith({FACES!r})]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def core_files():
    for entry in CORE:
        path = ROOT / entry
        yield from (sorted(path.rglob("*.py")) if path.is_dir() else [path])


def test_core_modules_never_import_faces_statically():
    for path in core_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FACES), f"{path.name} imports {name}"


def readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    after = text.split(f"<!-- {marker} -->", 1)[1]
    block = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip()


def test_ci_runs_the_readme_test_command():
    command = readme_command("test-command")
    assert "pytest" in command
    script = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in script  # .ci/run extracts and runs exactly this block


def test_readme_run_command_names_a_real_entry_point():
    command = readme_command("run-command")
    assert "python3 -m smtpshell" in command or "smtpshell" in command


def test_plain_smtpshell_on_piped_input_runs_the_lines_against_the_practice_server():
    result = subprocess.run(
        [sys.executable, "-m", "smtpshell"],
        input="NOOP\nexpect 250\n/exit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "C: NOOP" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert "Traceback" not in result.stderr


def test_no_screenshot_shows_a_credential():
    """The screenshots run against the practice server's demo account: its password must
    not appear in any encoding a session would put on the wire."""
    import base64

    forms = {
        base64.b64encode(b"\0demo\0demo").decode(),  # PLAIN
        base64.b64encode(b"demo").decode(),  # LOGIN's password answer
    }
    for svg in sorted((ROOT / "screenshots").glob("*.svg")):
        text = svg.read_text()
        assert not any(form in text for form in forms), svg.name


def test_options_may_come_between_positionals(capsys):
    import json
    import socket

    from smtpshell.cli import main

    ports = []
    for _ in range(2):  # two closed ports: bound, then released
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    code = main(["probe", f"127.0.0.1:{ports[0]}", "--json", f"127.0.0.1:{ports[1]}"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [r["target"] for r in report["reports"]] == [f"127.0.0.1:{p}" for p in ports]
