"""``--baseline OLD.json``: what changed since an earlier ``--json`` report.

Targets are matched by ``host:port``.  For each, the changes a mail admin cares about: a
finding appeared or cleared, the certificate rotated, a capability vanished or appeared,
the verdict or the grade moved.  Targets that appeared or went away are changes too.
Everything the old report says came from a server: it is escaped before it is shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpshell.probe.findings import Finding
from smtpshell.probe.report import ProbeReport
from smtpshell.protocol.display import SafeText, display

__all__ = [
    "KINDS",
    "BaselineError",
    "Change",
    "Comparison",
    "compare",
    "load_baseline",
    "render_changes",
]


class BaselineError(ValueError):
    """The baseline file cannot be used (a usage error, exit status 2)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One difference; ``kind`` is one of the ``KINDS``."""

    target: str
    kind: str
    text: SafeText

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "kind": self.kind, "text": str(self.text)}


KINDS = (
    "target-added",
    "target-removed",
    "finding-appeared",
    "finding-cleared",
    "certificate-rotated",
    "capability-added",
    "capability-removed",
    "verdict-changed",
    "grade-changed",
)


@dataclass(slots=True)
class Comparison:
    baseline: str
    changes: list[Change] = field(default_factory=list)
    #: (target, finding id) pairs that are new since the baseline.
    new_findings: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.baseline,
            "changes": [change.to_dict() for change in self.changes],
            "new_findings": [{"target": t, "id": i} for t, i in self.new_findings],
        }


def load_baseline(path: str) -> dict[str, Mapping[str, Any]]:
    """The reports of an earlier ``--json`` document, by target; BaselineError if unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    reports = data.get("reports") if isinstance(data, dict) else None
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        raise BaselineError(f"{path} is not a `smtpshell probe --json` document")
    return {str(report.get("target")): report for report in reports}


def _capabilities(report: Mapping[str, Any]) -> set[str]:
    caps = report.get("capabilities_after_tls") or report.get("capabilities_before_tls") or []
    return {str(cap.get("keyword", "")).upper() for cap in caps if isinstance(cap, dict)}


def _fingerprint(report: Mapping[str, Any]) -> str | None:
    tls = report.get("tls") or {}
    cert = tls.get("certificate") if isinstance(tls, dict) else None
    return cert.get("sha256_fingerprint") if isinstance(cert, dict) else None


def _findings(report: Mapping[str, Any]) -> dict[str, Finding]:
    found: dict[str, Finding] = {}
    for item in report.get("findings") or ():
        try:
            finding = Finding.from_dict(item)
        except ValueError:
            continue
        found.setdefault(finding.id, finding)
    return found


def compare(
    old: Mapping[str, Mapping[str, Any]], reports: Sequence[ProbeReport], path: str
) -> Comparison:
    """The :class:`Comparison` of ``reports`` with the baseline ``old``."""
    result = Comparison(path)

    def add(target: str, kind: str, text: str) -> None:
        result.changes.append(Change(target, kind, display(text)))

    seen = set()
    for report in reports:
        target = report.target
        seen.add(target)
        now = report.to_dict()
        before = old.get(target)
        if before is None:
            add(target, "target-added", "not in the baseline")
            result.new_findings += [(target, f.id) for f in report.findings]
            continue
        old_findings, new_findings = _findings(before), {f.id: f for f in report.findings}
        for finding_id in sorted(new_findings.keys() - old_findings.keys()):
            finding = new_findings[finding_id]
            add(
                target,
                "finding-appeared",
                f"{finding.severity.label} {finding_id}: {finding.title}",
            )
            result.new_findings.append((target, finding_id))
        for finding_id in sorted(old_findings.keys() - new_findings.keys()):
            add(target, "finding-cleared", f"{finding_id}: {old_findings[finding_id].title}")
        old_print, new_print = _fingerprint(before), _fingerprint(now)
        if old_print and new_print and old_print != new_print:
            add(target, "certificate-rotated", f"sha256 {old_print} -> {new_print}")
        old_caps, new_caps = _capabilities(before), _capabilities(now)
        if old_caps and new_caps:
            for keyword in sorted(new_caps - old_caps):
                add(target, "capability-added", keyword)
            for keyword in sorted(old_caps - new_caps):
                add(target, "capability-removed", keyword)
        for key, kind in (("verdict", "verdict-changed"), ("grade", "grade-changed")):
            was = before.get(key)
            if was is not None and was != now[key]:
                add(target, kind, f"{was} -> {now[key]}")
    for target in old:
        if target not in seen:
            add(target, "target-removed", "in the baseline, not probed now")
    return result


def render_changes(comparison: Comparison) -> str:
    """Text for people: one line per change, or a line saying nothing changed."""
    head = f"changes since {display(comparison.baseline)}:"
    if not comparison.changes:
        return f"{head} none"
    width = max(len(change.kind) for change in comparison.changes)
    lines = [head]
    for change in comparison.changes:
        lines.append(f"  {display(change.target)}  {change.kind:<{width}}  {change.text}")
    return "\n".join(lines)
