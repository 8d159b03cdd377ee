"""``smtpshell repl [TARGET]``: the interactive shell.

``configure`` only touches argparse (``smtpshell --help`` stays fast); ``run`` imports
prompt_toolkit and the engine.
"""

from __future__ import annotations

import argparse
import sys


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """TARGET and the options that shape the first connection (shared with ``run``)."""
    group = parser.add_argument_group("connection")
    group.add_argument("--starttls", action="store_true", help="upgrade with STARTTLS at once")
    group.add_argument("--tls", action="store_true", help="implicit TLS (port 465)")
    group.add_argument(
        "--no-verify", action="store_true", help="accept any certificate (testing only)"
    )
    group.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    group.add_argument("--helo", metavar="NAME", help="the name EHLO/HELO send by default")
    group.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for a reply (default %(default)s)",
    )


def build_target(args: argparse.Namespace):
    """The TARGET argument plus the connection options, as a Target (UsageError if bad)."""
    from smtpshell.shell.target import Security, parse_target

    target = parse_target(args.target)
    if args.starttls:
        target = target.replace(security=Security.STARTTLS)
    if args.tls:
        target = target.replace(security=Security.TLS)
    if args.no_verify:
        target = target.replace(verify=False)
    if args.lmtp:
        target = target.replace(lmtp=True)
    if args.helo:
        target = target.replace(helo=args.helo)
    return target


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
    from smtpshell.wiring import new_engine

    try:
        target = build_target(args)
    except UsageError as error:
        print(f"smtpshell repl: {error}", file=sys.stderr)
        return 2
    from smtpshell.repl.app import Repl

    history = None if args.no_history else HistoryFile()
    engine = new_engine(timeout=args.timeout, helo_name=args.helo, history=history)
    return Repl(engine, history=history).run(target)
