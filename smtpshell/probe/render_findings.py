"""Findings, verdict and grade as text: grouped by severity, most severe first.

Pure functions of a report.  Evidence is already display-safe (``Finding.evidence`` is a
``SafeText``, escaped where the finding was made); nothing here re-derives a protocol fact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from smtpshell.probe.findings import Finding, Severity, sort_findings
from smtpshell.probe.report import ProbeReport, Reply
from smtpshell.protocol.display import display

__all__ = [
    "SEVERITY_COLOURS",
    "check_lines",
    "findings_lines",
    "severity_counts",
    "verdict_line",
]

#: The colour a severity is shown in (the style names of render.py).
SEVERITY_COLOURS = {
    Severity.CRITICAL: "red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "dim",
    Severity.INFO: "dim",
}

Style = Callable[[str, str], str]


def severity_counts(findings: Sequence[Finding]) -> str:
    """``"1 high, 2 low"``: most severe first, severities without findings left out."""
    counts = {severity: 0 for severity in reversed(Severity)}
    for finding in findings:
        counts[finding.severity] += 1
    return ", ".join(f"{count} {severity.label}" for severity, count in counts.items() if count)


def verdict_line(report: ProbeReport) -> str:
    return f"{report.verdict}  (grade {report.grade}, {report.role} port)"


def _reply(reply: Reply | None) -> str:
    return display(f"{reply.code} {reply.text}".strip()) if reply is not None else "no reply"


def check_lines(report: ProbeReport, row: Callable[[str, str], str]) -> list[str]:
    """What the extra checks saw: enforcement, injection, early talk, the TLS scan."""
    lines: list[str] = []
    enforcement = report.enforcement
    if enforcement is not None and enforcement.mail_from is not None:
        lines.append(row("before TLS", f"MAIL FROM:<> -> {_reply(enforcement.mail_from)}"))
        if enforcement.auth is not None:
            asked = f"AUTH {enforcement.auth_mechanism}"
            lines.append(row("", f"{asked} -> {_reply(enforcement.auth)}"))
    if enforcement is not None and enforcement.injection is not None:
        lines.append(row("injection", display(enforcement.injection.outcome)))
    if report.early_client is not None:
        lines.append(row("early talk", display(report.early_client.outcome)))
    scan = report.tls_scan
    if scan is not None:
        label = "TLS scan"
        for result in scan.versions:
            if not result.accepted:
                text = f"{result.version}: refused"
            else:
                names = [cipher.name for cipher in result.ciphers]
                suites = f"{len(names)} suite(s)" if result.ciphers_enumerated else "negotiated"
                order = f", {result.cipher_order} order" if result.cipher_order else ""
                text = f"{result.version}: {suites}{order}: {' '.join(names)}"
            lines.append(row(label, text))
            label = ""
        if scan.groups_tested:
            groups = " ".join(scan.groups) or "none"
            lines.append(row(label, f"ECDHE groups (TLS 1.2): {groups}"))
        if scan.untestable:
            lines.append(row("", "not testable here: " + ", ".join(scan.untestable)))
    return lines


def findings_lines(
    report: ProbeReport, style: Style, row: Callable[[str, str], str], indent: str = "  "
) -> list[str]:
    """The checks' rows, the "verdict" and "findings" rows, the findings by severity."""
    lines = [*check_lines(report, row), row("verdict", verdict_line(report))]
    findings = sort_findings(report.findings)
    if not findings:
        lines.append(row("findings", "none"))
        return lines
    lines.append(row("findings", f"{len(findings)} ({severity_counts(findings)})"))
    current: Severity | None = None
    for finding in findings:
        if finding.severity is not current:
            current = finding.severity
            lines.append(indent + style(current.label.upper(), SEVERITY_COLOURS[current]))
        lines.append(f"{indent * 2}{finding.id}  {finding.title}")
        lines.append(f"{indent * 4}evidence: {finding.evidence}")
        lines.append(f"{indent * 4}see: {finding.reference}")
    return lines
