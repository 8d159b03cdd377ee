"""Regenerate ``screenshots/learn-*.svg`` for docs/teaching.md, from real lesson runs.

Run it from the repository root: ``python -m smtpshell.repl.lesson_screenshots``.

Each picture is a real lesson: the REPL face runs against the practice server, its output
is captured as styled fragments (exactly what a terminal would print), the typed lines are
echoed after the prompt, and rich renders the result as an SVG terminal.  Nothing is drawn
by hand, so the pictures follow the code.  Progress and certificates go to a temporary data
directory: your own progress is never touched.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SHOTS", "Shot", "render_shot", "rich_style"]

WIDTH = 100


@dataclass(frozen=True)
class Shot:
    name: str
    title: str
    lesson: str
    typed: tuple[str, ...]
    start_at: int = 0  # resume at this step (the steps before are replayed, not shown)
    presenter: bool = False
    show_intro: bool = True


SHOTS = (
    Shot(
        "learn-step",
        "smtpshell learn 3: a wrong command, then the right one",
        "03-envelope-vs-headers",
        ("MAIL FROM:<me@example.com>", "EHLO client.example"),
    ),
    Shot(
        "learn-errors",
        "smtpshell learn 6: a temporary refusal, explained",
        "06-errors-and-retries",
        ("RCPT TO:<someone@busy.example>",),
        start_at=2,
        show_intro=False,
    ),
    Shot(
        "learn-presenter-auth",
        "smtpshell learn 8 --presenter: AUTH PLAIN decoded, password masked",
        "08-auth",
        ("AUTH PLAIN AGRlbW8AZGVtbw==",),
        start_at=2,
        presenter=True,
        show_intro=False,
    ),
)

_COLOURS = {
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "white",
}


def rich_style(rule: str) -> str:
    """A prompt_toolkit style rule (``bold ansicyan bg:ansiblue``) in rich's words."""
    out = []
    for word in rule.split():
        background = word.startswith("bg:")
        name = word.removeprefix("bg:").removeprefix("ansi")
        if name.startswith("bright") and name[6:] in _COLOURS:
            name = f"bright_{name[6:]}"
        if name in _COLOURS or name.startswith("bright_"):
            out.append(f"on {name}" if background else name)
        elif name in ("bold", "italic", "reverse", "underline"):
            out.append(name)
    return " ".join(out)


def render_shot(shot: Shot, directory: Path) -> Path:
    """Run ``shot`` and save it as ``directory/<name>.svg``; returns the path."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console
    from rich.text import Text

    from smtpshell.learn.catalog import find_lesson
    from smtpshell.learn.layout import block_lines
    from smtpshell.learn.progress import ProgressStore
    from smtpshell.learn.runner import LessonRunner
    from smtpshell.repl.lesson import LessonRepl, style_rules
    from smtpshell.wiring import new_engine

    ref = find_lesson(shot.lesson)
    progress = ProgressStore(Path(tempfile.mkdtemp()) / "progress.json")
    if shot.start_at:
        progress.record(ref.key, shot.start_at, 0)
    runner = LessonRunner(
        ref.load(), new_engine(timeout=10), key=ref.key, progress=progress, presenter=shot.presenter
    )
    printed: list[list[tuple[str, str]]] = []
    with create_pipe_input() as pipe:
        face = LessonRepl(
            runner, input=pipe, output=DummyOutput(), printer=printed.append, width=WIDTH - 2
        )
        try:
            if shot.show_intro:
                for line in block_lines(runner.lesson_block(), width=WIDTH - 2):
                    printed.append(line)
            face.start()
            for typed in shot.typed:
                # Echoed with its secrets <redacted>: a screenshot never shows a credential.
                shown = runner.engine.shown_line(typed)
                printed.append([*face.prompt_fragments(), ("", shown)])
                face.run_line(typed)
            printed.append(face.prompt_fragments())
            face._printer = lambda fragments: None  # the goodbye (QUIT) is not part of it
        finally:
            face.call(face._close)
    styles = {name: rich_style(rule) for name, rule in style_rules(shot.presenter).items()}
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
    for fragments in printed:
        text = Text(no_wrap=False)
        for style, part in fragments:
            text.append(part, style=styles.get(style.removeprefix("class:"), ""))
        console.print(text)
    path = directory / f"{shot.name}.svg"
    console.save_svg(str(path), title=shot.title)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", default="screenshots", help="folder (default %(default)s)")
    args = parser.parse_args(argv)
    os.environ["SMTPSHELL_DATA_DIR"] = tempfile.mkdtemp(prefix="smtpshell-shots-")
    directory = Path(args.out)
    directory.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        print(render_shot(shot, directory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
