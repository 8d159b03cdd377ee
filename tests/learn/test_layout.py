"""Laying out blocks: headings, wrapping, presenter spacing (the core, no face)."""

from __future__ import annotations

from smtpshell.learn.layout import block_lines
from smtpshell.learn.teach import Block, BlockKind


def plain(lines) -> list[str]:
    return ["".join(text for _, text in fragments) for fragments in lines]


def test_a_step_block_is_spaced_titled_and_wrapped():
    block = Block(BlockKind.STEP, "Step 1 of 2: Greet", ("word " * 30, "Type: EHLO x"))
    lines = block_lines(block, width=40)
    text = plain(lines)
    assert text[0] == "" and text[1] == "── Step 1 of 2: Greet"
    assert all(len(line) <= 40 for line in text)
    assert lines[-1] == [("class:learn.type", "   Type: EHLO x")]


def test_preformatted_lines_keep_their_shape_and_wrap_under_their_column():
    block = Block(BlockKind.FEATURES, "t", ("  AUTH      SMTP authentication: " + "MECH " * 20,))
    text = plain(block_lines(block, width=60))
    assert text[0] == "» t"
    assert text[1].startswith("     AUTH      SMTP")
    assert len(text) > 2 and all(line.startswith(" " * 15) for line in text[2:])


def test_presenter_spaces_every_block():
    block = Block(BlockKind.EXPLAIN, "250 OK", ("fine",))
    assert plain(block_lines(block))[0] == "» 250 OK"
    assert plain(block_lines(block, presenter=True))[0] == ""
