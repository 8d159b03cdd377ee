"""``smtpshell demo``: one whole SMTP session against the practice server, every byte shown.

The zero-setup first taste: no server, no account, no typing.  It starts the practice server
on a free loopback port, then walks greeting, EHLO, STARTTLS, EHLO again, AUTH, a
transaction and QUIT, printing the wire as ``C:``/``S:`` lines with each reply explained.
"""

from __future__ import annotations

import argparse
import sys
from email.message import EmailMessage

from smtpshell.transcript import Event, EventKind, escape_bytes


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="show the AUTH payload instead of <redacted> (demo credentials only)",
    )


class _Printer:
    """Prints transcript events as they happen, with a short explanation of each reply."""

    def __init__(self, reveal: bool, out=sys.stdout):
        self.reveal = reveal
        self.out = out

    def __call__(self, event: Event) -> None:
        from smtpshell.knowledge import explain

        if event.kind in (EventKind.SENT, EventKind.RECEIVED):
            prefix = "C:" if event.kind is EventKind.SENT else "S:"
            lines = event.shown(self.reveal).split(b"\n")
            text = [escape_bytes(line.removesuffix(b"\r")) for line in lines if line]
            for line in text[:12]:
                self.out.write(f"  {prefix} {line}\n")
            if len(text) > 12:
                self.out.write(f"  {prefix} ... ({len(text) - 12} more lines)\n")
            if event.code is not None:
                latency = event.latency
                timing = f" [{latency * 1000:.1f} ms]" if latency is not None else ""
                meaning = explain(event.code, event.data[4:]).short
                self.out.write(f"       -> {meaning}{timing}\n")
        else:
            self.out.write(f"* {event.text}\n")
        self.out.flush()


def _step(title: str) -> None:
    print(f"\n== {title}")


def run(args: argparse.Namespace) -> int:
    import smtpshell
    from smtpshell.server import PracticeServer

    with PracticeServer() as server:
        user, password = next(iter(server.users.items()))
        print(
            f"Practice server on {server.host}:{server.port} "
            f"(demo account {user} / {password}); walking one session against it."
        )
        client = smtpshell.SMTP(local_hostname="demo.client.example", timeout=10)
        client.transcript.subscribe(_Printer(args.reveal_secrets))
        try:
            _step("Connect: the server greets with 220")
            client.connect(server.host, server.port)
            _step("EHLO: the server lists its extensions")
            client.ehlo()
            _step("STARTTLS: upgrade the connection, then EHLO again (features may change)")
            client.starttls(context=server.client_ssl_context())
            client.ehlo()
            _step("AUTH: the credentials travel base64-encoded (redacted here)")
            client.login(user, password)
            _step("A transaction: MAIL FROM, RCPT TO, DATA (note the dot-stuffed line)")
            message = EmailMessage()
            message["From"] = "teacher@example.org"
            message["To"] = "student@example.org"
            message["Subject"] = "Hello from smtpshell"
            message.set_content("Hello!\n.This line starts with a dot.\n")
            client.send_message(message)
            _step("QUIT")
            client.quit()
        except (smtpshell.SMTPException, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        server.wait_for_messages(1, timeout=5)
    print("\nDone. The server received 1 message. Try `smtpshell serve` and your own session.")
    return 0
