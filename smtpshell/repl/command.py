"""``smtpshell repl [TARGET]``: the interactive shell.

``configure`` only touches argparse (``smtpshell --help`` stays fast); ``run`` imports
prompt_toolkit and the engine.
"""

from __future__ import annotations

import argparse
import sys

from smtpshell.shell.options import add_connection_options


def build_target(args: argparse.Namespace):
    """The TARGET argument plus the connection options, as a Target (UsageError if bad)."""
    from smtpshell.shell.options import target_from_args

    return target_from_args(args)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="host[:port], smtp://, smtps://, submission://, lmtp:// URL or LMTP socket path; "
        "without it, an embedded practice server is started",
    )
    add_connection_options(parser)
    parser.add_argument(
        "--no-history", action="store_true", help="do not read or write the history file"
    )


def run(args: argparse.Namespace) -> int:
    from smtpshell.shell.history import HistoryFile
    from smtpshell.shell.registry import UsageError
    from smtpshell.wiring import engine_for_options

    try:
        target = build_target(args)
    except UsageError as error:
        print(f"smtpshell repl: {error}", file=sys.stderr)
        return 2
    from smtpshell.repl.app import Repl

    history = None if args.no_history else HistoryFile()
    engine = engine_for_options(args, target, history=history)
    return Repl(engine, history=history).run(target)
