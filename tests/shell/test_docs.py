"""docs/commands.md is generated from the registry and committed up to date."""

from __future__ import annotations

import pathlib

from smtpshell.shell.commands import REGISTRY
from smtpshell.shell.docs import main, render_commands

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_committed_command_reference_matches_a_fresh_render():
    committed = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert committed == render_commands(), "run: python -m smtpshell.shell.docs"


def test_every_command_is_documented():
    text = render_commands()
    for spec in REGISTRY:
        assert f"`/{spec.name}`" in text and spec.usage in text


def test_generator_check_mode(tmp_path):
    path = tmp_path / "commands.md"
    assert main([str(path), "--check"]) == 1
    assert main([str(path)]) == 0
    assert main([str(path), "--check"]) == 0
