"""Lesson blocks laid out as lines of ``(style class, text)`` fragments, for every face.

UI-free: the classes (``class:learn.step``, ``class:learn.pre`` ...) name what a piece of
text is; each face maps them to its own styles (the REPL face to prompt_toolkit's, in
:mod:`smtpshell.repl.lesson`; the TUI's lesson panel to Rich's).  Prose is wrapped to the
width the face asks for, preformatted tables under their second column.  Presenter mode (a
projector at the back of a classroom) adds a blank line before every block.
"""

from __future__ import annotations

import textwrap

from smtpshell.learn.teach import Block, BlockKind

__all__ = ["Fragments", "block_lines"]

#: ``(style class, text)`` pairs: prompt_toolkit's formatted-text shape, as plain data.
Fragments = list[tuple[str, str]]

_HEADINGS: dict[BlockKind, tuple[str, str]] = {
    BlockKind.LESSON: ("class:learn.lesson", " {title} "),
    BlockKind.STEP: ("class:learn.step", "── {title}"),
    BlockKind.DONE: ("class:learn.done", "✓ {title}"),
    BlockKind.NOT_YET: ("class:learn.not-yet", "✗ {title}"),
    BlockKind.HINT: ("class:learn.type", "? {title}"),
    BlockKind.SOLUTION: ("class:learn.type", "? {title}"),
    BlockKind.EXPLAIN: ("class:learn.heading", "» {title}"),
    BlockKind.FEATURES: ("class:learn.heading", "» {title}"),
    BlockKind.AUTH: ("class:learn.heading", "» {title}"),
    BlockKind.STORED: ("class:learn.heading", "» {title}"),
    BlockKind.FINISHED: ("class:learn.done", "★ {title}"),
    BlockKind.INFO: ("class:learn.heading", "· {title}"),
}

#: Blocks that start a new part of the lesson get a blank line before them.
_SPACED = (BlockKind.LESSON, BlockKind.STEP, BlockKind.FINISHED)


def _line_style(text: str) -> str:
    if text.startswith(("Type: ", "Try: ")):
        return "class:learn.type"
    if text.startswith("(") and text.endswith(")"):
        return "class:learn.aside"
    return "class:learn.text"


def block_lines(block: Block, *, width: int = 88, presenter: bool = False) -> list[Fragments]:
    """A block as lines of fragments: a heading, then its lines, prose wrapped to ``width``."""
    out: list[Fragments] = []
    if presenter or block.kind in _SPACED:
        out.append([])
    style, template = _HEADINGS[block.kind]
    out.append([(f"{style}", template.format(title=block.title))])
    indent = "   "
    for text in block.lines:
        for piece in text.split("\n") if text.startswith("  ") else [text]:
            if piece.startswith("  "):
                out.extend(
                    [("class:learn.pre", part)] for part in _wrap_columns(indent + piece, width)
                )
                continue
            wrapped = textwrap.wrap(
                piece, max(20, width - len(indent)), break_on_hyphens=False
            ) or [""]
            line_style = _line_style(piece)
            out.extend([(line_style, indent + part)] for part in wrapped)
    return out


def _wrap_columns(line: str, width: int) -> list[str]:
    """A preformatted line that is too wide, wrapped under its second column (where the
    first run of two spaces after the first word ends), so tables stay readable."""
    line = line.rstrip()
    if len(line) <= width:
        return [line]
    start = len(line) - len(line.lstrip())
    gap = line.find("  ", start)
    column = len(line) - len(line[gap:].lstrip()) if gap > 0 else start
    if column > width // 2:
        column = start + 4
    return textwrap.wrap(line, width, subsequent_indent=" " * column, break_on_hyphens=False) or [
        line
    ]
