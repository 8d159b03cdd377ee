"""Colours the line being typed: shell commands, SMTP verbs, options, $VARIABLES."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from smtpshell.knowledge import command
from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.registry import PREFIX

__all__ = ["ShellLexer", "lex_line"]


def lex_line(text: str, engine: Engine) -> StyleAndTextTuples:
    """Styled fragments for one input line (message lines stay plain)."""
    if engine.mode in (Mode.DATA, Mode.COMPOSE, Mode.SECRET) or not text.strip():
        return [("", text)]
    head_end = len(text) - len(text.lstrip())
    word_end = text.find(" ", head_end)
    word_end = len(text) if word_end < 0 else word_end
    head = text[head_end:word_end]
    if head.startswith(PREFIX):
        known = engine.registry.get(head) is not None or len(head) == 1
        style = "class:input.command" if known else "class:input.unknown"
    else:
        style = "class:input.verb" if command(head) is not None else ""
    out: StyleAndTextTuples = [("", text[:head_end]), (style, head)]
    for index, word in enumerate(text[word_end:].split(" ")):
        if index:
            out.append(("", " "))
        if word.startswith("--") and head.startswith(PREFIX):
            out.append(("class:input.option", word))
        elif word.startswith("$") and len(word) > 1:
            out.append(("class:input.variable", word))
        else:
            out.append(("", word))
    return out


class ShellLexer(Lexer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines

        def get_line(number: int) -> StyleAndTextTuples:
            return lex_line(lines[number], self.engine) if number < len(lines) else []

        return get_line
