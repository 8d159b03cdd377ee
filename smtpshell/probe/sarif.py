"""``--sarif FILE``: SARIF 2.1.0, one result per finding, one rule per registry id.

The rules are the whole registry (so a result's ``ruleIndex`` is stable across runs), each
with its title, remedy, reference and default level.  A target is not a file: each result
names it as a logical location and as an ``smtp://`` (or ``smtps://``) artifact URI, and
carries a partial fingerprint (target + id) so code-scanning services track it over runs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from smtpshell.probe.findings import REGISTRY, Finding, Severity
from smtpshell.probe.report import ProbeReport

__all__ = ["LEVELS", "SARIF_SCHEMA", "render_sarif", "sarif_document"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://smtpshell.invalid/docs/probe"
#: SARIF levels: error, warning, note (§3.27.10).
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
#: GitHub code scanning reads a CVSS-like score from ``security-severity``.
_SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_RULE_INDEX = {finding_id: index for index, finding_id in enumerate(REGISTRY)}


def _rules() -> list[dict[str, Any]]:
    rules = []
    for spec in REGISTRY.values():
        rules.append(
            {
                "id": spec.id,
                "name": "".join(part.title() for part in spec.id.replace("_", ".").split(".")),
                "shortDescription": {"text": spec.title},
                "fullDescription": {"text": f"{spec.title}. {spec.remedy}"},
                "help": {"text": f"{spec.remedy} Reference: {spec.reference}."},
                "defaultConfiguration": {"level": LEVELS[spec.severity]},
                "properties": {
                    "severity": spec.severity.label,
                    "reference": spec.reference,
                    "security-severity": _SCORES[spec.severity],
                    "tags": list(dict.fromkeys(["security", "smtp", spec.id.split(".", 1)[0]])),
                },
            }
        )
    return rules


def _uri(report: ProbeReport) -> str:
    scheme = "smtps" if report.implicit_tls else "smtp"
    return f"{scheme}://{report.target}"


def _result(
    report: ProbeReport, finding: Finding, new: set[tuple[str, str]] | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.id,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.title}: {finding.evidence}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": _uri(report)}},
                "logicalLocations": [
                    {"name": report.target, "fullyQualifiedName": _uri(report), "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"smtpshellFinding/v1": f"{report.target}|{finding.id}"},
        "properties": {
            "severity": finding.severity.label,
            "reference": finding.reference,
            "stage": finding.stage,
            "verdict": report.verdict,
            "grade": report.grade,
        },
    }
    if finding.id in _RULE_INDEX:
        result["ruleIndex"] = _RULE_INDEX[finding.id]
    if new is not None:  # with --baseline (SARIF §3.27.24)
        result["baselineState"] = "new" if (report.target, finding.id) in new else "unchanged"
    return result


def sarif_document(reports: Sequence[ProbeReport], comparison: Any = None) -> dict[str, Any]:
    """The SARIF log; with a ``--baseline`` comparison, each result has ``baselineState``."""
    from smtpshell import __version__

    new = set(comparison.new_findings) if comparison is not None else None
    results = [_result(report, finding, new) for report in reports for finding in report.findings]
    failed = [report for report in reports if report.error is not None]
    invocation: dict[str, Any] = {"executionSuccessful": not failed}
    if failed:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {
                    "text": f"{report.target}: failed at {report.error.stage}: {report.error.type}"
                },
            }
            for report in failed
            if report.error is not None
        ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "smtpshell probe",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": _rules(),
                    }
                },
                "invocations": [invocation],
                "results": results,
            }
        ],
    }


def render_sarif(reports: Sequence[ProbeReport], comparison: Any = None) -> str:
    return json.dumps(sarif_document(reports, comparison), indent=2)
