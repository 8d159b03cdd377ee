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

from smtpshell.practice import add_arguments, options_from_namespace
from smtpshell.protocol.display import display

if TYPE_CHECKING:
    from smtpshell.server.practice import PracticeServer


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to ``parser``: the practice options table, nothing else."""
    add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; 0 on a clean stop, 2 on bad options, 1 if it cannot start."""
    try:
        server = _build_server(args)
    except ValueError as error:
        print(f"smtpshell serve: {error}", file=sys.stderr)
        return 2
    if server.allow_remote and not _loopback(server.host):
        print(
            f"WARNING: listening on {server.host}, which is not a loopback address. This server"
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
    from smtpshell.server.practice import PracticeServer

    options = options_from_namespace(args)
    if not options.allow_remote and not _loopback(options.host):
        raise ValueError(
            f"{options.host} is not a loopback address; add --allow-remote to accept mail from"
            " anyone who can reach it"
        )
    return PracticeServer.from_options(
        options, on_message=_print_arrival, on_refused=_print_refusal
    )


def _print_arrival(message: Any) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"{stamp} {display(message.summary())}", flush=True)  # client text: escaped


def _print_refusal(reason: str, peer: object) -> None:
    """The store is full: say so here too, or only the client would know (452 4.3.1)."""
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "a client"
    print(
        f"{stamp} refused mail from {display(where)}: 452 4.3.1, {reason}"
        " (restart the server, or raise --max-messages / --max-stored-bytes)",
        flush=True,
    )


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
    lines.append(
        f"  bounds: {server.max_messages} messages or {server.max_stored_bytes} bytes kept"
        f" (then 452 4.3.1), {server.max_connections} connections,"
        f" {server.max_auth_failures} failed AUTH per connection,"
        f" idle timeout {server.idle_timeout:g}s"
    )
    lines += [f"  fault: {line}" for line in server.faults.describe()]
    lines.append(f"Point any SMTP client at {address} port {server.port}.  Ctrl-C stops.")
    return "\n".join(lines)
