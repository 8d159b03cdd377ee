"""``smtpshell serve``: the practice server in the foreground until Ctrl-C.

``configure`` only touches argparse so ``smtpshell --help`` stays fast; ``run`` imports the
server (and aiosmtpd) when it is really needed.
"""

from __future__ import annotations

import argparse
import datetime
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from smtpshell.protocol.display import display

if TYPE_CHECKING:
    from smtpshell.server.faults import Faults
    from smtpshell.server.practice import PracticeServer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser``."""
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    listen.add_argument(
        "--port", type=int, default=2525, help="SMTP port, 0 = any free port (default %(default)s)"
    )
    listen.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not loopback: anyone who can reach it can send mail here",
    )
    listen.add_argument(
        "--tls-port",
        type=int,
        metavar="PORT",
        help="also listen with implicit TLS (like port 465) on PORT",
    )
    listen.add_argument("--lmtp-socket", metavar="PATH", help="also speak LMTP on this Unix socket")
    listen.add_argument(
        "--hostname",
        default="localhost",
        help="name the server gives itself in replies (default %(default)s)",
    )

    tls = parser.add_argument_group("TLS (STARTTLS is always offered)")
    tls.add_argument(
        "--cert",
        metavar="PEM",
        help="certificate chain to present instead of the generated self-signed one (needs --key)",
    )
    tls.add_argument("--key", metavar="PEM", help="private key for --cert")

    auth = parser.add_argument_group("AUTH")
    auth.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="an account AUTH accepts; repeatable (default: demo:demo)",
    )
    auth.add_argument(
        "--auth-require-tls",
        action="store_true",
        help="offer AUTH only after STARTTLS (or on --tls-port)",
    )

    mail = parser.add_argument_group("mail")
    mail.add_argument(
        "--size",
        type=int,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="largest message accepted, advertised as SIZE; 0 = no limit (default %(default)s)",
    )
    mail.add_argument(
        "--no-pipelining",
        dest="pipelining",
        action="store_false",
        help="do not advertise PIPELINING (RFC 2920), like an old server",
    )
    mail.add_argument(
        "--no-chunking",
        dest="chunking",
        action="store_false",
        help="do not offer BDAT (CHUNKING, BINARYMIME; RFC 3030)",
    )
    mail.add_argument(
        "--no-dsn",
        dest="dsn",
        action="store_false",
        help="do not accept DSN parameters (RET ENVID NOTIFY ORCPT; RFC 3461)",
    )
    mail.add_argument(
        "--maildir",
        metavar="DIR",
        help="also store every message in this Maildir (default: memory only)",
    )

    faults = parser.add_argument_group(
        "fault injection (CMD: HELO EHLO LHLO STARTTLS AUTH MAIL "
        "RCPT DATA BDAT EOM RSET NOOP VRFY EXPN HELP QUIT; EOM is the "
        "end of the message: the dot, or BDAT LAST)"
    )
    faults.add_argument(
        "--delay",
        action="append",
        default=[],
        metavar="CMD=SECONDS",
        help="wait before replying to CMD; repeatable",
    )
    faults.add_argument("--reject-rcpt", metavar="REGEX", help="refuse recipients matching REGEX")
    faults.add_argument(
        "--reject-code",
        type=int,
        default=550,
        metavar="CODE",
        help="reply code for --reject-rcpt: 5xx permanent, 4xx temporary (default %(default)s)",
    )
    faults.add_argument(
        "--reply-421-on", metavar="CMD", help="answer CMD with 421 and close the connection"
    )
    faults.add_argument(
        "--drop-on", metavar="CMD", help="close the connection without replying when CMD arrives"
    )
    faults.add_argument(
        "--slow-greeting",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait before sending the 220 greeting",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 on bad options, 1 if it cannot start."""
    try:
        server = _build_server(args)
    except ValueError as error:
        print(f"smtpshell serve: {error}", file=sys.stderr)
        return 2
    if args.allow_remote and not _loopback(args.host):
        print(
            f"WARNING: listening on {args.host}, which is not a loopback address. This server"
            " accepts mail from anyone who can reach it, and its accounts are practice accounts.",
            file=sys.stderr,
            flush=True,
        )
    try:
        server.start()
    except OSError as error:
        print(f"smtpshell serve: cannot start: {error}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    try:
        print(_banner(server), flush=True)
        stop.wait()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut shutdown
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("practice server stopped.", flush=True)
    return 0


_STOP_SIGNALS = tuple(
    sig for sig in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if sig
)


def _loopback(host: str) -> bool:
    from smtpshell.server.practice import is_loopback

    return is_loopback(host)


def _build_server(args: argparse.Namespace) -> PracticeServer:
    from smtpshell.server.practice import PracticeServer, parse_user

    users: dict[str, str] | None = None
    if args.user:
        users = dict(parse_user(spec) for spec in args.user)
    if not args.allow_remote and not _loopback(args.host):
        raise ValueError(
            f"{args.host} is not a loopback address; add --allow-remote to accept mail from"
            " anyone who can reach it"
        )
    return PracticeServer(
        args.host,
        args.port,
        users,
        tls_port=args.tls_port,
        cert=args.cert,
        key=args.key,
        auth_require_tls=args.auth_require_tls,
        lmtp_socket=args.lmtp_socket,
        size_limit=args.size or None,
        maildir=args.maildir,
        faults=_build_faults(args),
        on_message=_print_arrival,
        hostname=args.hostname,
        allow_remote=args.allow_remote,
        pipelining=args.pipelining,
        chunking=args.chunking,
        dsn=args.dsn,
    )


def _build_faults(args: argparse.Namespace) -> Faults:
    import re

    from smtpshell.server.faults import Faults

    delays: dict[str, float] = {}
    for spec in args.delay:
        command, sep, seconds = spec.partition("=")
        try:
            delays[command] = float(seconds)
        except ValueError:
            sep = ""
        if not sep:
            raise ValueError(f"--delay wants CMD=SECONDS, not {spec!r}")
    try:
        pattern = re.compile(args.reject_rcpt) if args.reject_rcpt else None
    except re.error as error:
        raise ValueError(f"--reject-rcpt: {error}") from None
    return Faults(
        delay=delays,
        reject_rcpt=pattern,
        reject_code=args.reject_code,
        reply_421_on=args.reply_421_on,
        drop_on=args.drop_on,
        slow_greeting=args.slow_greeting,
    )


def _print_arrival(message: Any) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} {display(message.summary())}", flush=True)  # client text: escaped


def _banner(server: PracticeServer) -> str:
    from smtpshell.server.practice import DEFAULT_PASSWORD, DEFAULT_USER
    from smtpshell.server.session import MECHANISMS

    address = f"[{server.host}]" if ":" in server.host else server.host
    lines = [f"smtpshell practice server listening on {address}:{server.port} (SMTP, STARTTLS)"]
    if server.tls_port is not None:
        lines.append(f"  implicit TLS on {address}:{server.tls_port}")
    if server.lmtp_socket:
        lines.append(f"  LMTP on unix socket {server.lmtp_socket}")
    when = "after STARTTLS" if server.auth_require_tls else "with or without TLS"
    lines.append(f"  AUTH {' '.join(MECHANISMS)} ({when})")
    lines.append(f"  also: {' '.join(server.extensions) or 'no PIPELINING, CHUNKING or DSN'}")
    if server.users == {DEFAULT_USER: DEFAULT_PASSWORD}:
        lines.append(f"  account: user {DEFAULT_USER!r}, password {DEFAULT_PASSWORD!r}")
    else:
        lines.append(f"  accounts: {', '.join(sorted(server.users))} (passwords as given)")
    lines.append(f"  certificate: {server.cert_path}")
    if server.maildir is not None:
        lines.append(f"  messages: stored in Maildir {server.maildir}")
    else:
        lines.append("  messages: kept in memory until the server stops")
    lines += [f"  fault: {line}" for line in server.faults.describe()]
    lines.append(f"Point any SMTP client at {address} port {server.port}.  Ctrl-C stops.")
    return "\n".join(lines)
