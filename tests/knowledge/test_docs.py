"""The committed reference pages equal a fresh render, so docs never drift from data."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpshell.knowledge import docs

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"


@pytest.mark.parametrize("name", sorted(docs.PAGES))
def test_committed_page_is_fresh(name):
    committed = (REFERENCE / name).read_text(encoding="utf-8")
    assert committed == docs.PAGES[name](), (
        f"docs/reference/{name} is stale: run `python -m smtpshell.knowledge.docs`"
    )


def test_main_writes_and_checks(tmp_path, capsys):
    assert docs.main([str(tmp_path), "--check"]) == 1
    assert docs.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(docs.PAGES)
    capsys.readouterr()
    assert docs.main([str(tmp_path), "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_pages_mention_every_entry():
    from smtpshell.knowledge import ENHANCED_STATUS_CODES, EXTENSIONS, REPLY_CODES

    pages = docs.render_all()
    for code in REPLY_CODES:
        assert f"| {code} |" in pages["reply-codes.md"]
    for code in ENHANCED_STATUS_CODES:
        assert f"| {code} |" in pages["enhanced-status-codes.md"]
    for keyword in EXTENSIONS:
        assert f"\n## {keyword}\n" in pages["extensions.md"]


def test_pipes_in_cells_are_escaped():
    assert "`BODY=7BIT\\|8BITMIME`" in docs.render_all()["extensions.md"]
