"""Lesson blocks as styled fragments, for the REPL face and the screenshots.

Like :mod:`smtpshell.repl.render`, fragments are ``(style class, text)`` pairs built without
importing prompt_toolkit.  Presenter mode (a projector at the back of a classroom) means:
the long explanations (chosen by the runner), a blank line between exchanges, bold and
high-contrast colours, and no dim text anywhere.
"""

from __future__ import annotations

import textwrap

from smtpshell.learn.teach import Block, BlockKind
from smtpshell.repl.render import STYLE_RULES, Fragments

__all__ = [
    "LEARN_STYLE_RULES",
    "PRESENTER_STYLE_RULES",
    "block_lines",
    "style_rules",
]

#: The lesson's own classes, added to the REPL's.
LEARN_STYLE_RULES: dict[str, str] = {
    "learn.lesson": "bold ansiwhite bg:ansiblue",
    "learn.step": "bold ansicyan",
    "learn.text": "",
    "learn.type": "bold ansiyellow",
    "learn.done": "bold ansigreen",
    "learn.not-yet": "bold ansiyellow",
    "learn.heading": "bold",
    "learn.pre": "ansicyan",
    "learn.aside": "ansibrightblack",
    "learn.progress": "ansimagenta",
}

#: Projector overrides: every class bold or plain, none dim or italic.
PRESENTER_STYLE_RULES: dict[str, str] = {
    "client": "bold ansicyan",
    "server.2": "bold ansigreen",
    "server.3": "bold ansiyellow",
    "server.4": "bold ansimagenta",
    "server.5": "bold ansired",
    "server": "bold",
    "event": "bold ansiblue",
    "latency": "",
    "hint": "bold",
    "secret": "bold ansiyellow",
    "info": "bold",
    "learn.text": "bold",
    "learn.pre": "bold ansicyan",
    "learn.aside": "bold",
    "learn.lesson": "bold ansiblack bg:ansiwhite",
    "toolbar": "bold reverse",
}

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


def style_rules(presenter: bool) -> dict[str, str]:
    """Every style class the lesson face uses, for prompt_toolkit's ``Style.from_dict``."""
    rules = {**STYLE_RULES, **LEARN_STYLE_RULES}
    if presenter:
        rules.update(PRESENTER_STYLE_RULES)
    return rules


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
