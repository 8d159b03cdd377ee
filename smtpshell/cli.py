"""The ``smtpshell`` command line: one dispatcher, each subcommand in the layer that owns it.

Subcommand modules are imported only when chosen, so ``smtpshell serve`` never pays for
Textual and ``smtpshell --help`` stays quick.  Each module provides ``configure(parser)``
(cheap: argparse only) and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from smtpshell import __version__

#: name -> (module, one-line help).  The module is imported lazily.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("smtpshell.server.command", "run the practice SMTP server in the foreground"),
    "demo": ("smtpshell.demo", "walk through one SMTP session against the practice server"),
    "repl": ("smtpshell.repl.command", "the line-based interactive shell"),
    "run": (
        "smtpshell.repl.script_command",
        "run an smtpshell script, e.g. for CI tests (the default on piped input)",
    ),
    "send": (
        "smtpshell.repl.send_command",
        "send one message from the command line, as swaks does",
    ),
    "probe": ("smtpshell.probe.command", "probe what SMTP servers offer: extensions, TLS, AUTH"),
    "tui": ("smtpshell.tui.command", "the full-screen interface (the default in a terminal)"),
    "learn": ("smtpshell.learn_command", "guided SMTP lessons against the practice server"),
    "class": (
        "smtpshell.class_command",
        "run a class: one shared practice server, the roster's accounts, a live dashboard",
    ),
    "grade": (
        "smtpshell.classroom.grade_command",
        "autograde a student's SMTP client against a recording server and a rubric",
    ),
}


def default_subcommand() -> list[str]:
    """What plain ``smtpshell [TARGET]`` runs: the TUI in a terminal, the script runner on
    piped input (lines from stdin, plain output), and the REPL otherwise."""
    if not sys.stdin.isatty():
        return ["run", "-"]
    return ["tui"] if sys.stdout.isatty() else ["repl"]


def _build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="smtpshell",
        description="Step through SMTP sessions, see every byte, learn every reply.",
        epilog="Without a COMMAND, 'smtpshell [TARGET] [options]' opens the full-screen TUI "
        "in a terminal, and runs piped input as a script ('smtpshell run -'): "
        "'echo \"EHLO me\" | smtpshell'.  'smtpshell COMMAND --help' lists a command's "
        "options; every face takes the same connection and TLS options.",
    )
    parser.add_argument("--version", action="version", version=f"smtpshell {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    parsers = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        parsers[name] = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(parsers[name])
    return parser, parsers


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv[:0] = default_subcommand()
    parser, parsers = _build_parser()
    if argv[0] in parsers:
        # Intermixed, so options may come between positionals: probe a --json b.
        args = parsers[argv[0]].parse_intermixed_args(argv[1:])
        args.subcommand = argv[0]
    else:
        args = parser.parse_args(argv)
    module = importlib.import_module(SUBCOMMANDS[args.subcommand][0])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
