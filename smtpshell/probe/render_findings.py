"""Findings, verdict and grade as text: grouped by severity, most severe first.

Pure functions of a report.  Evidence is already display-safe (``Finding.evidence`` is a
``SafeText``, escaped where the finding was made); nothing here re-derives a protocol fact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from smtpshell.probe.findings import Finding, Severity, sort_findings
from smtpshell.probe.report import ProbeReport

__all__ = ["SEVERITY_COLOURS", "findings_lines", "severity_counts", "verdict_line"]

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


def findings_lines(
    report: ProbeReport, style: Style, row: Callable[[str, str], str], indent: str = "  "
) -> list[str]:
    """The "verdict" and "findings" rows and the findings grouped by severity."""
    lines = [row("verdict", verdict_line(report))]
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
