"""``smtpshell tui [TARGET]``: start the full-screen interface.

``configure`` only touches argparse, so ``smtpshell --help`` never loads Textual.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="host[:port] or a URL (smtp://, smtps://, submission://, lmtp://); "
        "without it, the embedded practice server",
    )
    from smtpshell.shell.options import add_connection_options

    add_connection_options(parser)
    parser.add_argument(
        "--no-connect",
        action="store_true",
        help="start without connecting (F2 opens the connect dialog)",
    )
    parser.add_argument(
        "--light", action="store_true", help="start with the light theme (F9 switches)"
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="neither read nor write the command history file",
    )


def run(args: argparse.Namespace) -> int:
    from smtpshell.shell.history import HistoryFile
    from smtpshell.shell.options import target_from_args
    from smtpshell.shell.registry import UsageError

    try:
        target = target_from_args(args)
    except UsageError as error:
        print(f"smtpshell tui: {error}", file=sys.stderr)
        return 2
    from smtpshell.tui.app import SmtpShellApp
    from smtpshell.wiring import engine_for_options

    history = None if args.no_history else HistoryFile()
    engine = engine_for_options(args, target, history=history)
    app = SmtpShellApp(
        target,
        engine=engine,
        connect=not args.no_connect,
        history_file=history,
    )
    if args.light:
        app.theme = "textual-light"
    try:
        app.run()
    finally:
        app.engine.shutdown()
    return int(app.return_code or 0)
