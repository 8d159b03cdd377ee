"""Styled fragments for transcript lines and result items, and their ANSI form.

Fragments are ``(style, text)`` pairs, prompt_toolkit's formatted-text shape, built
without importing prompt_toolkit so the script runner can reuse them (``to_ansi``).
What a line says comes from :mod:`smtpshell.shell.display`; only the colour is chosen here.
"""

from __future__ import annotations

from smtpshell.shell.display import WireLine, format_item, format_latency
from smtpshell.shell.results import Item, Level, Note, Table, Text

__all__ = ["STYLE_RULES", "Fragments", "item_lines", "to_ansi", "wire_fragments"]

Fragments = list[tuple[str, str]]

#: prompt_toolkit style rules (class -> style).  The ANSI map below mirrors them.
STYLE_RULES: dict[str, str] = {
    "client": "ansicyan",
    "server.2": "ansigreen",
    "server.3": "ansiyellow",
    "server.4": "ansimagenta",
    "server.5": "ansired",
    "server": "",
    "event": "ansiblue",
    "latency": "ansibrightblack",
    "hint": "ansibrightblack italic",
    "odd": "ansired reverse",
    "secret": "ansiyellow",
    "info": "",
    "ok": "ansigreen",
    "warn": "ansiyellow",
    "error": "ansired bold",
    "title": "bold",
    "preformatted": "",
    "prompt.target": "ansicyan",
    "prompt.tls": "ansigreen",
    "prompt.insecure": "ansired",
    "prompt.user": "ansimagenta",
    "prompt.stage": "ansiyellow",
    "prompt.mode": "ansiyellow bold",
    "prompt.raw": "ansiwhite bg:ansired bold",
    "prompt.arrow": "bold",
    "input.command": "ansicyan bold",
    "input.unknown": "ansired",
    "input.verb": "ansigreen bold",
    "input.option": "ansiblue",
    "input.variable": "ansimagenta",
    "toolbar": "reverse",
}

_ANSI = {
    "client": "36",
    "server.2": "32",
    "server.3": "33",
    "server.4": "35",
    "server.5": "31",
    "event": "34",
    "latency": "90",
    "hint": "90",
    "odd": "31;7",
    "secret": "33",
    "ok": "32",
    "warn": "33",
    "error": "31;1",
    "title": "1",
}


def to_ansi(fragments: Fragments, color: bool) -> str:
    """One line of fragments as text, with SGR colours when ``color``."""
    out = []
    for style, text in fragments:
        code = _ANSI.get(style.removeprefix("class:")) if color else None
        out.append(f"\x1b[{code}m{text}\x1b[0m" if code else text)
    return "".join(out)


def wire_fragments(line: WireLine, *, hints: bool = True) -> Fragments:
    """``C: ...`` / ``S: 250 ...  [3 ms] -- explanation`` as styled fragments."""
    if line.direction == "*":
        return [("class:event", f"* {line.text}")]
    if line.direction == "C":
        style = "class:secret" if line.secret else "class:client"
    else:
        code = line.code if line.code is not None else _code_of(line.text)
        style = f"class:server.{code // 100}" if code and 100 <= code < 600 else "class:server"
    frags: Fragments = [(style, f"{line.direction}: {line.text}")]
    if line.ending:
        frags.append(("class:odd", f" <{line.ending}>"))
    if line.latency is not None:
        frags.append(("class:latency", f"  [{format_latency(line.latency)}]"))
    if hints and line.hint:
        frags.append(("class:hint", f"  {line.hint}"))
    return frags


def _code_of(text: str) -> int | None:
    return int(text[:3]) if text[:3].isascii() and text[:3].isdigit() else None


_LEVEL_STYLE = {
    Level.INFO: "class:info",
    Level.OK: "class:ok",
    Level.HINT: "class:hint",
    Level.WARN: "class:warn",
    Level.ERROR: "class:error",
}


def item_lines(item: Item) -> list[Fragments]:
    """A result item as styled lines."""
    if isinstance(item, Note):
        return [[(_LEVEL_STYLE[item.level], line)] for line in format_item(item)]
    lines = format_item(item)
    title = bool(isinstance(item, Table | Text) and item.title)
    out: list[Fragments] = []
    for index, line in enumerate(lines):
        style = "class:title" if title and index == 0 else "class:info"
        out.append([(style, line)])
    return out
