"""``smtpshell probe``: what SMTP servers offer (extensions, TLS, AUTH), many at once.

``configure`` only touches argparse so ``smtpshell --help`` stays fast; ``run`` imports the
client, dnspython and the renderers when a probe really runs.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

EPILOG = """\
TARGET is host, host:port, [ipv6]:port, smtp://host[:port] or smtps://host[:port].
A bare domain (with a dot, and no port given) is resolved through its MX records,
lowest preference first; a domain without MX records is probed itself (RFC 5321 5.1).
With --lmtp, TARGET is an LMTP server over TCP (port 2003 unless given; no MX lookup)
or the absolute path of its Unix socket, such as /run/dovecot/lmtp.

exit status:
  0  every target was probed and every certificate verified
  1  at least one target failed (DNS, connection, protocol, TLS), or a certificate did
     not verify (unless --insecure)
  2  usage error (bad option or TARGET, unreadable --ca-file)
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600 seconds")
    return value


def _bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``probe`` options to ``parser``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="server or mail domain")
    connection = parser.add_argument_group("connection")
    connection.add_argument(
        "--port",
        type=_bounded_int(1, 65535),
        help="port for targets that do not name one (default 25; 465 with --implicit-tls)",
    )
    connection.add_argument(
        "--implicit-tls",
        action="store_true",
        help="TLS from the first byte (RFC 8314); automatic on port 465 and for smtps://",
    )
    connection.add_argument(
        "--no-starttls", action="store_true", help="do not upgrade with STARTTLS even if offered"
    )
    connection.add_argument(
        "--lmtp",
        action="store_true",
        help="speak LMTP (LHLO, RFC 2033): TCP (default port 2003) or a Unix socket path",
    )
    connection.add_argument(
        "--timeout",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="for the connection, each reply and each DNS lookup (default %(default)s)",
    )
    connection.add_argument(
        "--helo", metavar="NAME", help="name to send in EHLO/HELO (default: this host's FQDN)"
    )
    connection.add_argument(
        "--mx",
        action="store_true",
        help="treat every bare name as a mail domain and probe its MX hosts",
    )
    tls = parser.add_argument_group("TLS")
    tls.add_argument(
        "--ca-file",
        metavar="PEM",
        help="also trust the CA certificate(s) in PEM (a private CA, a test server)",
    )
    tls.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify certificates (details are still shown, marked unverified)",
    )
    checks = parser.add_argument_group("checks and output")
    checks.add_argument(
        "--vrfy", metavar="ADDRESS", help="also send VRFY ADDRESS and report the reply"
    )
    checks.add_argument(
        "--concurrency",
        type=_bounded_int(1, 256),
        default=4,
        metavar="N",
        help="targets probed at the same time (default %(default)s)",
    )
    checks.add_argument(
        "--json", action="store_true", help="print one JSON document (smtpshell/probe/schema.json)"
    )


def _usage_error(message: str) -> int:
    print(f"smtpshell probe: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _has_control(text: str) -> bool:
    return any(ord(ch) <= 32 or ord(ch) == 127 for ch in text)


def _wants_colour(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def exit_status(reports) -> int:
    """0 when every report is ok; 1 otherwise (see ``ProbeReport.ok``)."""
    return EXIT_OK if reports and all(report.ok for report in reports) else EXIT_FAILED


def run(args: argparse.Namespace, *, resolver=None) -> int:
    """Probe every TARGET and print the reports; the exit status is in the epilog."""
    from smtpshell.probe.core import ProbeOptions, tls_context
    from smtpshell.probe.render import render_json, render_text
    from smtpshell.probe.runner import Progress, run_probes
    from smtpshell.probe.targets import TargetSyntaxError, parse_target

    try:
        specs = [parse_target(text) for text in args.targets]
    except TargetSyntaxError as error:
        return _usage_error(str(error))
    for option, value in (("--vrfy", args.vrfy), ("--helo", args.helo)):
        if value is not None and (not value.strip() or _has_control(value)):
            return _usage_error(f"{option} needs a value without spaces or control characters")
    if args.lmtp and (args.implicit_tls or args.mx):
        other = "--implicit-tls" if args.implicit_tls else "--mx"
        return _usage_error(f"--lmtp cannot be combined with {other}")
    if args.lmtp and any(spec.implicit_tls for spec in specs):
        return _usage_error("--lmtp cannot probe an smtps:// target")
    if not args.lmtp and any(spec.is_socket for spec in specs):
        return _usage_error("a Unix socket path is an LMTP target: add --lmtp")
    if args.ca_file:
        try:
            tls_context(args.ca_file)
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            return _usage_error(f"cannot use --ca-file {args.ca_file}: {error}")
    options = ProbeOptions(
        port=args.port,
        implicit_tls=args.implicit_tls,
        starttls=not args.no_starttls,
        timeout=args.timeout,
        helo=args.helo,
        verify=not args.insecure,
        ca_file=args.ca_file,
        vrfy=args.vrfy,
        mx=args.mx,
        concurrency=args.concurrency,
        lmtp=args.lmtp,
    )
    reports = run_probes(specs, options, resolver=resolver, progress=Progress(sys.stderr))
    if args.json:
        output = render_json(reports, options)
    else:
        output = render_text(reports, colour=_wants_colour(sys.stdout))
    try:
        print(output, flush=True)
    except BrokenPipeError:  # `smtpshell probe ... | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return exit_status(reports)
