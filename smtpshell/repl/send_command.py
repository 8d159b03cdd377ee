"""``smtpshell send``: one message, one command line, in swaks' habits.

The message is built with the stdlib :mod:`email` package (headers, body, attachments) and
sent through the engine, so the live transcript is escaped and redacted as in every other
face.  The exit code says at which stage it stopped (``EXIT_CODES``; docs/send.md has the
table).  Everything that can be checked before a byte is written is checked first: a bad
address, header or file is exit 2 with nothing sent.
"""

from __future__ import annotations

import argparse
import email.policy
import email.utils
import getpass
import mimetypes
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TextIO

__all__ = ["EXIT_CODES", "STAGES", "build_message", "configure", "run"]

#: The stages in order; ``--quit-after`` takes any of them ("banner" is "connect").
STAGES = ("connect", "banner", "ehlo", "starttls", "auth", "mail", "rcpt", "data")

#: exit code -> (stage, meaning), for --help and docs/send.md.
EXIT_CODES: dict[int, tuple[str, str]] = {
    0: ("", "the message was accepted (or the session stopped where --quit-after said)"),
    2: ("usage", "bad option, address, header or file: nothing was sent"),
    3: ("connect", "no connection, or the greeting was not 220"),
    4: ("ehlo", "EHLO and HELO were both refused"),
    5: ("starttls", "STARTTLS refused, or the TLS handshake or certificate check failed"),
    6: ("auth", "authentication failed, or no mechanism in common"),
    7: ("mail", "MAIL FROM refused"),
    8: ("rcpt", "a recipient was refused (the others, if any, still got the message)"),
    9: ("data", "DATA or the message itself was refused"),
}
EXIT_FOR = {stage: code for code, (stage, _) in EXIT_CODES.items() if stage}

EPILOG = (
    "exit status:\n"
    + "\n".join(f"  {code}  {text}" for code, (_stage, text) in EXIT_CODES.items())
    + "\n\nswaks users: docs/send.md translates swaks options."
)

DEFAULT_BODY = "This is a test mailing from smtpshell.\n"
_HEADER_NAME = re.compile(r"[!-9;-~]+")


class SendError(Exception):
    """A stage failed: ``code`` is the exit status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def configure(parser: argparse.ArgumentParser) -> None:
    from smtpshell.shell.options import add_connection_options

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "-s",
        "--server",
        metavar="HOST[:PORT]",
        help="where to send (host[:port] or a URL as for TARGET); "
        "default: the embedded practice server",
    )
    parser.add_argument(
        "-f", "--from", dest="from_addr", metavar="ADDRESS", help="envelope sender and From:"
    )
    parser.add_argument(
        "-t", "--to", action="append", default=[], metavar="ADDRESS", help="recipient (repeat)"
    )
    parser.add_argument("--cc", action="append", default=[], metavar="ADDRESS", help="Cc: too")
    parser.add_argument(
        "--bcc", action="append", default=[], metavar="ADDRESS", help="envelope only, no header"
    )
    parser.add_argument(
        "--header",
        "--add-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header (repeat); replaces a default one of the same name",
    )
    parser.add_argument("--subject", metavar="TEXT", help="the Subject (default: test DATE)")
    parser.add_argument(
        "--body", metavar="TEXT|@FILE|-", help="the body: text, @file, or - for standard input"
    )
    parser.add_argument(
        "--attach", action="append", default=[], metavar="FILE", help="attach FILE (repeat)"
    )
    auth = parser.add_argument_group("authentication")
    auth.add_argument(
        "-a",
        "--auth",
        nargs="?",
        const="",
        metavar="MECH",
        help="authenticate (with MECH, or the best mechanism offered)",
    )
    auth.add_argument("-au", "--user", metavar="USER", help="the account name (implies --auth)")
    auth.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from environment variable VAR (else asked on a terminal)",
    )
    parser.add_argument(
        "--quit-after",
        type=str.lower,
        choices=STAGES,
        metavar="STAGE",
        help=f"stop (with QUIT) after this stage: {', '.join(STAGES)}",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print no transcript, only the outcome"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (auto: when stdout is a terminal and NO_COLOR is unset)",
    )
    add_connection_options(parser, timeout=30.0)


# --------------------------------------------------------------------------- the message


@dataclass
class Plan:
    """Everything ``send`` will do, checked before any byte is written."""

    from_addr: str
    rcpts: list[str]
    message: bytes
    user: str | None = None
    mechanism: str | None = None
    password_var: str | None = None
    quit_after: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_body(spec: str | None, stdin: TextIO) -> str:
    if spec is None:
        return DEFAULT_BODY
    if spec == "-":
        return stdin.read()
    if spec.startswith("@"):
        return Path(spec[1:]).expanduser().read_text(encoding="utf-8")
    return spec.replace("\\n", "\n") + ("" if spec.endswith("\n") else "\n")


def _header(spec: str) -> tuple[str, str]:
    name, sep, value = spec.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"--header {spec!r}: use 'Name: value'")
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"--header {name}: the value contains a line break or NUL")
    return name, value


def build_message(
    from_addr: str,
    to: list[str],
    cc: list[str],
    *,
    subject: str | None = None,
    headers: list[str] = (),  # type: ignore[assignment]
    body: str = DEFAULT_BODY,
    attachments: list[str] = (),  # type: ignore[assignment]
    date: str | None = None,
) -> EmailMessage:
    """The message as ``send`` sends it (ValueError or OSError for bad input)."""
    message = EmailMessage(policy=email.policy.SMTP)
    date = date or email.utils.formatdate(localtime=True)
    defaults = {
        "Date": date,
        "From": from_addr,
        "To": ", ".join(to),
        "Subject": subject if subject is not None else f"test {date}",
        "Message-Id": email.utils.make_msgid(domain=_domain(from_addr)),
        "X-Mailer": "smtpshell send",
    }
    if cc:
        defaults["Cc"] = ", ".join(cc)
    given = [_header(spec) for spec in headers]
    overridden = {name.lower() for name, _ in given}
    if not to:
        defaults.pop("To")
    for name, value in defaults.items():
        if name.lower() not in overridden:
            message[name] = value
    for name, value in given:
        message[name] = value
    message.set_content(body)
    for path in attachments:
        data = Path(path).expanduser().read_bytes()
        kind, encoding = mimetypes.guess_type(path)
        if kind is None or encoding is not None:
            kind = "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        name = Path(path).name
        if maintype == "text":  # a local file, not wire bytes: UTF-8 text stays text
            try:
                text = Path(path).expanduser().read_text(encoding="utf-8")
                message.add_attachment(text, subtype=subtype, filename=name)
                continue
            except UnicodeDecodeError:
                maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip("<> ") or "smtpshell.invalid"


def make_plan(args: argparse.Namespace, *, stdin: TextIO, practice: bool) -> Plan:
    """Check every input and build the message; ValueError/OSError say what is wrong."""
    from smtpshell.protocol.addresses import envelope_address

    from_addr = args.from_addr
    if from_addr is None:
        from_addr = "you@example.com" if practice else f"{getpass.getuser()}@localhost"
    envelope_address(from_addr)
    rcpts = [*args.to, *args.cc, *args.bcc]
    for address in rcpts:
        if not address.strip():
            raise ValueError("an empty recipient address")
        envelope_address(address)
    quit_after = "connect" if args.quit_after == "banner" else args.quit_after
    reaches_rcpt = quit_after is None or STAGES.index(quit_after) >= STAGES.index("rcpt")
    if reaches_rcpt and not rcpts:
        raise ValueError("no recipient: give --to ADDRESS (or --quit-after before rcpt)")
    wants_auth = args.auth is not None or args.user is not None or args.password_env is not None
    if quit_after == "auth" and not wants_auth:
        raise ValueError("--quit-after auth needs --auth (and --user)")
    user = mechanism = None
    if wants_auth:
        user = args.user
        if not user:
            raise ValueError("--auth needs --user USER")
        mechanism = (args.auth or "").upper() or None
        if args.password_env:
            if args.password_env not in os.environ:
                raise ValueError(f"--password-env {args.password_env}: the variable is not set")
        elif not sys.stdin.isatty():
            raise ValueError("no terminal to ask for the password: use --password-env VAR")
    message = build_message(
        from_addr,
        args.to,
        args.cc,
        subject=args.subject,
        headers=args.header,
        body=_read_body(args.body, stdin),
        attachments=args.attach,
    )
    data = message.as_bytes()
    return Plan(
        from_addr=from_addr,
        rcpts=rcpts,
        message=data,
        user=user,
        mechanism=mechanism,
        password_var=args.password_env,
        quit_after=quit_after,
    )


# --------------------------------------------------------------------------- sending


def _use_color(choice: str, stream: TextIO) -> bool:
    if choice != "auto":
        return choice == "always"
    return stream.isatty() and not os.environ.get("NO_COLOR")


def send(plan: Plan, engine, target, say: Callable[..., None]) -> int:
    """Run the stages on ``engine``; the exit status.  ``say(thing, hints=False)`` shows
    each Result (its hints only when asked: they speak of shell commands), SendError or
    line of text."""
    from smtpshell.shell.target import Security

    starttls = target.security is Security.STARTTLS
    if starttls:
        target = target.replace(security=Security.PLAIN)

    def step(stage: str, result) -> None:
        say(result)
        if not result.ok:
            raise SendError(EXIT_FOR[stage], "; ".join(result.errors) or stage)

    def done(stage: str) -> bool:
        return plan.quit_after == stage

    try:
        result = engine.connect(target)
        say(result, True)  # the practice server's hint: where it runs, how to log in
        if not result.ok:
            tls_failed = target.security is Security.TLS and _tls_error(result)
            stage = "starttls" if tls_failed else "connect"
            raise SendError(EXIT_FOR[stage], "; ".join(result.errors) or "cannot connect")
        reply = engine.last_reply
        if reply is None or reply.code != 220:
            raise SendError(EXIT_FOR["connect"], "the server did not greet with 220")
        if done("connect"):
            return _quit(engine, say)
        result = engine.run_line("/ehlo")
        if result.ok and engine.last_reply is not None and engine.last_reply.code != 250:
            say(result)
            result = engine.run_line("/helo")
        step("ehlo", result)
        if engine.last_reply is None or engine.last_reply.code != 250:
            raise SendError(EXIT_FOR["ehlo"], "EHLO and HELO refused")
        if done("ehlo"):
            return _quit(engine, say)
        if starttls:
            step("starttls", engine.run_line("/starttls"))
            step("ehlo", engine.run_line("/ehlo"))
        if done("starttls"):
            return _quit(engine, say)
        if plan.user:
            var = plan.password_var or "SMTPSHELL_SEND_PASSWORD"
            if plan.mechanism:
                line = f"/auth {plan.mechanism} {plan.user} ${var}"
            else:
                line = f"/login {plan.user} ${var}"
            step("auth", engine.run_line(line))
        if done("auth"):
            return _quit(engine, say)
        return _transaction(plan, engine, say)
    except SendError as error:
        _abandon(engine)
        say(error)
        return error.code


def _tls_error(result) -> bool:
    return any("TLS" in text or "certificate" in text for text in result.errors)


def _transaction(plan: Plan, engine, say) -> int:
    from smtpshell.protocol.addresses import envelope_address

    code = _command(engine, say, "mail", f"MAIL FROM:{envelope_address(plan.from_addr)}")
    if code != 250:
        raise SendError(EXIT_FOR["mail"], f"MAIL FROM refused ({code})")
    if plan.quit_after == "mail":
        return _quit(engine, say)
    accepted = 0
    for rcpt in plan.rcpts:
        code = _command(engine, say, "rcpt", f"RCPT TO:{envelope_address(rcpt)}")
        accepted += code in (250, 251)
    refused = len(plan.rcpts) - accepted
    if not accepted:
        raise SendError(EXIT_FOR["rcpt"], _count(refused, "recipient") + " refused: nothing sent")
    if plan.quit_after == "rcpt":
        status = _quit(engine, say)
        return EXIT_FOR["rcpt"] if refused else status
    code = _command(engine, say, "data", "DATA")
    if code != 354:
        raise SendError(EXIT_FOR["data"], f"DATA refused ({code})")
    if plan.quit_after == "data":
        # Stop without a message: RSET is impossible inside DATA, so the line is closed.
        return _quit(engine, say)
    result = engine.send_data(plan.message)
    say(result)
    if not result.ok:
        raise SendError(EXIT_FOR["data"], "; ".join(result.errors) or "data")
    reply = engine.last_reply
    if reply is None or reply.code != 250:
        raise SendError(EXIT_FOR["data"], f"message refused ({reply.code if reply else 'no'})")
    _quit(engine, say)
    if refused:
        say(f"delivered to {accepted}; " + _count(refused, "recipient") + " refused")
        return EXIT_FOR["rcpt"]
    say(f"message accepted for {_count(accepted, 'recipient')}")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _command(engine, say, stage: str, line: str) -> int:
    result = engine.run_line(line)
    say(result)
    if not result.ok:
        raise SendError(EXIT_FOR[stage], "; ".join(result.errors) or stage)
    reply = engine.last_reply
    return reply.code if reply is not None else 0


def _quit(engine, say) -> int:
    result = engine.run_line("/quit")
    say(result)
    return 0


def _abandon(engine) -> None:
    engine.leave()


def run(args: argparse.Namespace) -> int:
    from smtpshell.repl.render import item_lines, to_ansi, wire_fragments
    from smtpshell.shell.display import event_lines
    from smtpshell.shell.options import target_from_args
    from smtpshell.shell.registry import UsageError
    from smtpshell.shell.results import Level, Note, Result
    from smtpshell.wiring import engine_for_options

    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(errors="backslashreplace")

    def fail(message: str, code: int = 2) -> int:
        print(f"smtpshell send: {message}", file=sys.stderr)
        return code

    try:
        target = target_from_args(args, args.server)
        plan = make_plan(args, stdin=sys.stdin, practice=target.practice)
    except (UsageError, ValueError, OSError) as error:
        return fail(str(error))
    environ = dict(os.environ)
    if plan.user and not plan.password_var:
        try:
            environ["SMTPSHELL_SEND_PASSWORD"] = getpass.getpass(f"password for {plan.user}: ")
        except (EOFError, KeyboardInterrupt):
            return fail("no password given: nothing was sent")
    color = _use_color(args.color, out)
    engine = engine_for_options(args, target, scripted=True, environ=environ)

    def show_event(event) -> None:
        for line in event_lines(event, False):
            out.write(to_ansi(wire_fragments(line), color) + "\n")
        out.flush()

    def say(thing: object, hints: bool = False) -> None:
        if isinstance(thing, Result):
            if args.quiet:
                return
            for item in thing.items:
                if (
                    not (hints or not thing.ok)
                    and isinstance(item, Note)
                    and item.level is Level.HINT
                ):
                    continue
                for fragments in item_lines(item):
                    out.write(to_ansi(fragments, color) + "\n")
        elif isinstance(thing, SendError):
            stage = EXIT_CODES[thing.code][0]
            print(f"smtpshell send: failed at {stage}: {thing}", file=sys.stderr)
        else:
            out.write(f"{thing}\n")
        out.flush()

    if not args.quiet:
        engine.subscribe(show_event)
    try:
        return send(plan, engine, target, say)
    finally:
        engine.shutdown()
