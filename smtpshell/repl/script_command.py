"""``smtpshell run FILE [TARGET]``: run a script of shell lines with expectations (for CI).

No prompts (a missing password is an error: pass it inline or as $VARIABLE), no colour
unless stdout is a terminal (``--color`` overrides), exit code 0/1/2 as documented in
:mod:`smtpshell.shell.script`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from smtpshell.repl.command import add_connection_options, build_target


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the script; - reads standard input")
    parser.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="where to connect (default: an embedded practice server), unless the script "
        "starts with /connect",
    )
    add_connection_options(parser)
    parser.add_argument(
        "--transcript",
        metavar="PATH",
        help="write the transcript here (.txt text, .jsonl JSON Lines, .py smtplib script)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no transcript: failures, or one summary line on success",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: when stdout is a terminal and NO_COLOR is unset)",
    )


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _read_lines(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def run(args: argparse.Namespace) -> int:
    from smtpshell.repl.render import item_lines, to_ansi, wire_fragments
    from smtpshell.shell.display import event_lines
    from smtpshell.shell.exports import format_for_path, render_export
    from smtpshell.shell.registry import UsageError
    from smtpshell.shell.results import plural
    from smtpshell.shell.script import EXIT_USAGE, run_script
    from smtpshell.wiring import engine_for_options

    name = "<stdin>" if args.file == "-" else args.file
    try:
        target = build_target(args)
        lines = _read_lines(args.file)
    except (UsageError, OSError, UnicodeDecodeError) as error:
        print(f"smtpshell run: {error}", file=sys.stderr)
        return EXIT_USAGE
    color = _use_color(args.color, sys.stdout)
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="backslashreplace")  # a C locale must not crash on server text

    engine = engine_for_options(args, target, scripted=True)

    def show_event(event) -> None:
        for line in event_lines(event, engine.reveal):
            out.write(to_ansi(wire_fragments(line), color) + "\n")

    def show_result(number: int, line: str, result) -> None:
        for item in result.items:
            for fragments in item_lines(item):
                out.write(to_ansi(fragments, color) + "\n")
        out.flush()

    counts = {"lines": 0, "expectations": 0}

    def count_result(number: int, line: str, result) -> None:
        if number:
            counts["lines"] += 1
            word = line.strip().split(None, 1)[0].lower() if line.strip() else ""
            counts["expectations"] += word in ("expect", "/expect")

    def on_result(number: int, line: str, result) -> None:
        count_result(number, line, result)
        if not args.quiet:
            show_result(number, line, result)

    if not args.quiet:
        engine.subscribe(show_event)
    try:
        outcome = run_script(lines, engine, target=target, on_result=on_result)
    finally:
        engine.shutdown()
    if args.transcript:
        fmt = format_for_path(args.transcript)
        text = render_export(fmt, engine.transcript.events(), engine.steps, reveal=False)
        try:
            fd = os.open(args.transcript, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            print(f"smtpshell run: cannot write the transcript: {error}", file=sys.stderr)
            return EXIT_USAGE
    out.flush()
    if outcome.ok and args.quiet:
        print(
            f"{name}: ok, {plural(counts['lines'], 'line')} run, "
            f"{plural(counts['expectations'], 'expectation')} held"
        )
    if not outcome.ok:
        where = f"{name}:{outcome.line_number}" if outcome.line_number else name
        shown = f": {outcome.line}" if outcome.line else ""
        print(f"{where}{shown}\n  {outcome.reason}", file=sys.stderr)
    return outcome.exit_code
