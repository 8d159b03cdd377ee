"""CI gates: ``--fail-on SEVERITY`` and ``--require tls1.2|starttls|verified|dane|mta-sts``.

Pure functions of the reports; the command turns what they return into the exit status
(docs/probe.md, "Exit status").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smtpshell.probe.findings import Finding, Severity, TransportVerdict
from smtpshell.probe.report import ProbeReport

__all__ = ["REQUIREMENTS", "failing_findings", "unmet_requirement"]

#: What ``--require`` accepts, with what it demands of every target.
REQUIREMENTS = {
    "starttls": "mail to the port is encrypted (STARTTLS works, or implicit TLS)",
    "tls1.2": "TLS 1.2 or later is negotiated, and (with --tls-scan) nothing older is accepted",
    "verified": "the certificate verifies: chain and host name (PKIX-authenticated)",
    "dane": "DNSSEC-signed TLSA records match the server's chain (DANE-authenticated, RFC 7672)",
    "mta-sts": "an MTA-STS policy covers the MX and its certificate verifies"
    " (MTA-STS-authenticated, RFC 8461)",
}
_POLICY_VERDICTS = {"dane": TransportVerdict.DANE, "mta-sts": TransportVerdict.MTA_STS}
_OLD_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1")


def _verdict(report: ProbeReport) -> TransportVerdict:
    try:
        return TransportVerdict(report.verdict)
    except ValueError:
        return TransportVerdict.UNKNOWN


def unmet_requirement(report: ProbeReport, requirement: str) -> str | None:
    """Why ``report`` fails ``requirement``, or None when it meets it."""
    verdict = _verdict(report)
    if requirement == "starttls":
        return None if verdict.encrypted else f"not encrypted: {verdict.value}"
    if requirement == "verified":
        return None if verdict.authenticated else f"not authenticated: {verdict.value}"
    if requirement in _POLICY_VERDICTS:
        wanted = _POLICY_VERDICTS[requirement]
        if verdict is wanted:
            return None
        policy = report.policy
        if policy is None:
            return "no domain policy was checked (a target named by address, or --no-policy)"
        return f"not {wanted.value.removeprefix('encrypted, ')}: {verdict.value}"
    if requirement == "tls1.2":
        tls = report.tls
        if tls is None or tls.version is None or not verdict.encrypted:
            return "no TLS session"
        if tls.version in _OLD_VERSIONS:
            return f"negotiated {tls.version}"
        scan = report.tls_scan
        if scan is not None:
            old = [v.version for v in scan.versions if v.accepted and v.version in _OLD_VERSIONS]
            if old:
                return "also accepts " + ", ".join(old)
        return None
    raise ValueError(f"unknown requirement {requirement!r}")


def failing_findings(
    findings: Iterable[Finding], threshold: Severity, *, only: Sequence[tuple[str, str]] = ()
) -> list[Finding]:
    """Findings at or above ``threshold``; with ``only``, just those (target, id) pairs."""
    wanted = set(only)
    return [
        finding
        for finding in findings
        if finding.severity >= threshold
        and (not wanted or (finding.target or "", finding.id) in wanted)
    ]
