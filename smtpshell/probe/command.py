"""``smtpshell probe``: what SMTP servers offer (extensions, TLS, AUTH), many at once.

``configure`` only touches argparse so ``smtpshell --help`` stays fast; ``run`` imports the
client, dnspython and the renderers when a probe really runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smtpshell.shell.options import add_connection_options

if TYPE_CHECKING:  # the parser must stay cheap: these are only annotations
    from smtpshell.probe.baseline import Comparison
    from smtpshell.probe.core import ProbeOptions
    from smtpshell.probe.findings import Severity
    from smtpshell.probe.report import ProbeReport

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

EPILOG = """\
TARGET is host, host:port, [ipv6]:port, smtp://host[:port] or smtps://host[:port].
A bare domain (with a dot, and no port given) is resolved through its MX records,
lowest preference first; a domain without MX records is probed itself (RFC 5321 5.1).
With --lmtp, TARGET is an LMTP server over TCP (port 2003 unless given; no MX lookup)
or the absolute path of its Unix socket, such as /run/dovecot/lmtp.

Port 587 (or any port with --submission) is a submission port: MAIL and AUTH before
STARTTLS must be refused with 530, and STARTTLS is checked for command injection.

exit status:
  0  every target was probed, every certificate verified, and every gate passed
  1  a target failed (DNS, connection, protocol, TLS), a certificate did not verify
     (unless --no-verify), the domain's published policy (DANE, MTA-STS in enforce mode)
     says a sender must not deliver to it, a finding reached --fail-on, or a --require
     was not met
  2  usage error (bad option or TARGET, unreadable --ca-file, --cert, --key or
     --baseline, an unknown --ciphers list, unwritable --sarif or --emit-script, a
     malformed --nameserver)
"""


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


PROBE_HELPS = {
    "starttls": "upgrade with STARTTLS when offered (the default; --no-starttls turns it off)",
    "tls": "TLS from the first byte (RFC 8314); automatic on port 465 and for smtps://",
    "no_verify": "do not verify certificates (details are still shown, marked unverified)",
    "ca_file": "also trust the CA certificate(s) in FILE (a private CA, a test server)",
    "tls_min": "lowest TLS version to offer (1.0 to 1.3); --tls-scan tries none below it",
    "tls_max": "highest TLS version to offer; --tls-scan tries none above it",
    "ciphers": "OpenSSL cipher list (TLS 1.2 and below); --tls-scan tries only these suites",
    "timeout": "for the connection, each reply and each DNS lookup (default %(default)s)",
    "helo": "name to send in EHLO/HELO (default: this host's FQDN)",
    "lmtp": "speak LMTP (LHLO, RFC 2033): TCP (default port 2003) or a Unix socket path",
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``probe`` options to ``parser``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="server or mail domain")
    connection = parser.add_argument_group("connection")
    connection.add_argument(
        "--port",
        type=_bounded_int(1, 65535),
        help="port for targets that do not name one (default 25; 465 with --tls)",
    )
    connection.add_argument(
        "--no-starttls", action="store_true", help="do not upgrade with STARTTLS even if offered"
    )
    connection.add_argument(
        "--mx",
        action="store_true",
        help="treat every bare name as a mail domain and probe its MX hosts",
    )
    # The option set every face shares (smtpshell.shell.options), with probe's older names
    # kept as aliases and its own defaults: a probe waits 10 seconds, not 60.
    add_connection_options(
        parser,
        timeout=10.0,
        aliases={"tls": ("--implicit-tls",), "no_verify": ("--insecure",)},
        helps=PROBE_HELPS,
    )
    policy = parser.add_argument_group("domain policy (DANE, MTA-STS, TLS-RPT)")
    policy.add_argument(
        "--nameserver",
        metavar="IP[:PORT]",
        help="send every DNS query (MX, A/AAAA, TLSA, TXT, PTR) to this resolver; it should"
        " validate DNSSEC (default: $SMTPSHELL_NAMESERVER, else the system's)",
    )
    policy.add_argument(
        "--no-policy",
        action="store_true",
        help="skip the DNS and HTTPS policy checks and probe each MX host by name only",
    )
    policy.add_argument("--mta-sts-connect", metavar="HOST:PORT", help=argparse.SUPPRESS)
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
        "--expn", metavar="LIST", help="also send EXPN LIST (a list that expands is a finding)"
    )
    checks.add_argument(
        "--submission",
        action="store_true",
        help="treat every port as a submission port (587 always is): MAIL and AUTH before"
        " STARTTLS must get 530, and STARTTLS is checked for command injection",
    )
    checks.add_argument(
        "--early-talk",
        action="store_true",
        help="on a connection of its own, send NOOP before the greeting, as spam bots do"
        " (a server that answers it is a finding; a postscreen may remember your address)",
    )
    checks.add_argument(
        "--tls-scan",
        action="store_true",
        help="enumerate TLS versions, cipher suites, their order and groups (many handshakes)",
    )
    checks.add_argument(
        "--json", action="store_true", help="print one JSON document (smtpshell/probe/schema.json)"
    )
    gates = parser.add_argument_group("CI gates and artifacts")
    gates.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        type=_severity,
        help="exit 1 when a finding is at or above SEVERITY (info, low, medium, high, critical);"
        " with --baseline, only findings new since the baseline count",
    )
    gates.add_argument(
        "--require",
        action="append",
        choices=("tls1.2", "starttls", "verified", "dane", "mta-sts"),
        default=[],
        help="exit 1 unless every target meets this; repeatable (dane, mta-sts: the"
        " domain's published policy authenticates it)",
    )
    gates.add_argument(
        "--baseline", metavar="OLD.json", help="report what changed since an earlier --json run"
    )
    gates.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 to FILE")
    gates.add_argument(
        "--emit-script",
        metavar="DIR",
        help="write one `smtpshell run` script per finding a session can replay",
    )


def _severity(text: str) -> Severity:
    from smtpshell.probe.findings import Severity

    try:
        return Severity.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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


def gate_failures(
    reports: Sequence[ProbeReport],
    *,
    fail_on: Severity | None = None,
    requirements: Sequence[str] = (),
    comparison: Comparison | None = None,
) -> list[str]:
    """Why the CI gates fail, one line each (empty: every gate passed)."""
    from smtpshell.probe.gates import failing_findings, unmet_requirement

    problems: list[str] = []
    if fail_on is not None:
        only = comparison.new_findings if comparison is not None else ()
        for report in reports:
            if comparison is not None and not only:
                break
            for finding in failing_findings(report.findings, fail_on, only=only):
                new = " (new since the baseline)" if comparison is not None else ""
                problems.append(
                    f"{report.target}: {finding.severity.label} finding {finding.id}{new}"
                    f" reaches --fail-on {fail_on.label}"
                )
    for requirement in requirements:
        for report in reports:
            reason = unmet_requirement(report, requirement)
            if reason is not None:
                problems.append(f"{report.target}: --require {requirement}: {reason}")
    return problems


def run(args: argparse.Namespace, *, resolver=None) -> int:
    """Probe every TARGET and print the reports; the exit status is in the epilog."""
    from smtpshell.probe.core import ProbeOptions, tls_context
    from smtpshell.probe.render import render_json, render_text
    from smtpshell.probe.runner import Progress, run_probes
    from smtpshell.probe.targets import TargetSyntaxError, parse_target
    from smtpshell.shell.options import apply_connection_options
    from smtpshell.shell.target import Target

    try:
        specs = [parse_target(text) for text in args.targets]
    except TargetSyntaxError as error:
        return _usage_error(str(error))
    for option, value in (("--vrfy", args.vrfy), ("--helo", args.helo), ("--expn", args.expn)):
        if value is not None and (not value.strip() or _has_control(value)):
            return _usage_error(f"{option} needs a value without spaces or control characters")
    if args.lmtp and (args.tls or args.mx):
        other = "--tls" if args.tls else "--mx"
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
    if args.starttls and args.no_starttls:
        return _usage_error("--starttls and --no-starttls contradict each other: choose one")
    try:  # the shared checks: contradictions, unreadable --cert/--key, unknown --ciphers
        shared = apply_connection_options(Target(), args)
    except ValueError as error:
        return _usage_error(str(error))
    nameserver = args.nameserver or os.environ.get("SMTPSHELL_NAMESERVER") or None
    if nameserver:
        from smtpshell.probe.policy.dnsquery import parse_nameserver

        try:
            parse_nameserver(nameserver)
        except ValueError as error:
            return _usage_error(str(error))
    connect_to = None
    if args.mta_sts_connect:
        host, _, port = args.mta_sts_connect.rpartition(":")
        if not host or not port.isdigit():
            return _usage_error("--mta-sts-connect needs HOST:PORT")
        connect_to = (host.strip("[]"), int(port))
    baseline = None
    if args.baseline:
        from smtpshell.probe.baseline import BaselineError, load_baseline

        try:
            baseline = load_baseline(args.baseline)
        except BaselineError as error:
            return _usage_error(str(error))
    options = ProbeOptions(
        port=args.port,
        implicit_tls=args.tls,
        starttls=not args.no_starttls,
        timeout=args.timeout,
        helo=args.helo,
        verify=not args.no_verify,
        ca_file=args.ca_file,
        tls=shared.tls,
        family=shared.family,
        source_address=shared.source,
        vrfy=args.vrfy,
        mx=args.mx,
        concurrency=args.concurrency,
        nameserver=nameserver,
        policy=not args.no_policy,
        mta_sts_connect=connect_to,
        submission=args.submission,
        tls_scan=args.tls_scan,
        expn=args.expn,
        early_talk=args.early_talk,
        lmtp=args.lmtp,
    )
    reports = run_probes(specs, options, resolver=resolver, progress=Progress(sys.stderr))
    comparison = None
    if baseline is not None:
        from smtpshell.probe.baseline import compare, render_changes

        comparison = compare(baseline, reports, args.baseline)
    if args.json:
        output = render_json(reports, options, baseline=comparison)
    else:
        output = render_text(reports, colour=_wants_colour(sys.stdout))
        if comparison is not None:
            output += "\n\n" + render_changes(comparison)
    written = _write_artifacts(args, reports, options, comparison)
    if isinstance(written, int):
        return written
    try:
        print(output, flush=True)
    except BrokenPipeError:  # `smtpshell probe ... | head`: the reader left; not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    problems = gate_failures(
        reports, fail_on=args.fail_on, requirements=args.require, comparison=comparison
    )
    for problem in problems:
        print(f"smtpshell probe: gate: {problem}", file=sys.stderr)
    status = exit_status(reports)
    return EXIT_FAILED if problems else status


def _write_artifacts(
    args: argparse.Namespace,
    reports: Sequence[ProbeReport],
    options: ProbeOptions,
    comparison: Comparison | None = None,
) -> list[str] | int:
    """--sarif and --emit-script; a usage error (2) when a file cannot be written."""
    written: list[str] = []
    if args.sarif:
        from smtpshell.probe.sarif import render_sarif

        try:
            with open(args.sarif, "w", encoding="utf-8") as handle:
                handle.write(render_sarif(reports, comparison) + "\n")
        except OSError as error:
            return _usage_error(f"cannot write --sarif {args.sarif}: {error}")
        written.append(args.sarif)
    if args.emit_script:
        from smtpshell.probe.core import default_helo_name
        from smtpshell.probe.scripts import emit_scripts

        try:
            paths = emit_scripts(
                reports, args.emit_script, helo=options.helo or default_helo_name()
            )
        except OSError as error:
            return _usage_error(f"cannot write --emit-script {args.emit_script}: {error}")
        written += [str(path) for path in paths]
        print(
            f"smtpshell probe: wrote {len(paths)} script(s) to {args.emit_script}", file=sys.stderr
        )
    return written
