"""``smtpshell probe``: what SMTP servers offer (extensions, TLS, AUTH), as data.

The pieces, each usable on its own:

* :func:`parse_target` / :func:`resolve_targets`: TARGET text to host:port (MX lookups),
* :func:`probe_target`: one server to a :class:`ProbeReport` (never raises),
* :func:`run_probes`: many servers concurrently,
* :func:`render_text` / :func:`render_json`: reports for people and for programs,
* :data:`REGISTRY`, :class:`Finding`, :class:`Severity`, :class:`TransportVerdict`,
  :class:`Grade`: the findings model every report carries (``report.findings``).

Names load lazily: ``smtpshell --help`` imports the ``probe`` command's parser, which must
not pay for the client, dnspython or cryptography.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpshell.probe.core import Cancellation, ProbeOptions, probe_target
    from smtpshell.probe.findings import REGISTRY, Finding, Grade, Severity, TransportVerdict
    from smtpshell.probe.render import render_json, render_text
    from smtpshell.probe.report import SCHEMA_VERSION, ProbeIssue, ProbeReport
    from smtpshell.probe.runner import run_probes
    from smtpshell.probe.targets import (
        Target,
        TargetSyntaxError,
        parse_target,
        resolve_targets,
    )

_EXPORTS = {
    "Cancellation": "smtpshell.probe.core",
    "ProbeOptions": "smtpshell.probe.core",
    "probe_target": "smtpshell.probe.core",
    "REGISTRY": "smtpshell.probe.findings",
    "Finding": "smtpshell.probe.findings",
    "Grade": "smtpshell.probe.findings",
    "Severity": "smtpshell.probe.findings",
    "TransportVerdict": "smtpshell.probe.findings",
    "render_json": "smtpshell.probe.render",
    "render_text": "smtpshell.probe.render",
    "SCHEMA_VERSION": "smtpshell.probe.report",
    "ProbeIssue": "smtpshell.probe.report",
    "ProbeReport": "smtpshell.probe.report",
    "run_probes": "smtpshell.probe.runner",
    "Target": "smtpshell.probe.targets",
    "TargetSyntaxError": "smtpshell.probe.targets",
    "parse_target": "smtpshell.probe.targets",
    "resolve_targets": "smtpshell.probe.targets",
}

__all__ = [
    "REGISTRY",
    "SCHEMA_VERSION",
    "Cancellation",
    "Finding",
    "Grade",
    "ProbeIssue",
    "ProbeOptions",
    "ProbeReport",
    "Severity",
    "Target",
    "TargetSyntaxError",
    "TransportVerdict",
    "parse_target",
    "probe_target",
    "render_json",
    "render_text",
    "resolve_targets",
    "run_probes",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
