"""``--emit-script DIR``: one ``smtpshell run`` script per finding a session can show.

Each script replays the finding step by step, with ``expect`` lines that hold while the
server still behaves the same way, so ``smtpshell run`` exits 0 while the finding stands
and 1 once it is fixed.  ``smtpshell run`` prints each step; every line is what a person
types in the REPL or the TUI, so it can be walked through by hand there too.

Written to ``DIR/TARGET/ID.smtp`` (TARGET with anything but letters, digits, ``.`` and
``-`` replaced by ``_``).  The first lines are comments: the finding, its evidence, and a
``# run:`` line with the exact command to replay it.  Findings that no plain session can
show (certificate and TLS parameters, timing) get no script; docs/probe.md lists which do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from smtpshell.probe.checks import banner_software
from smtpshell.probe.findings import REGISTRY, Finding
from smtpshell.probe.report import ProbeReport

__all__ = ["emit_scripts", "script_for"]

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")


def _slug(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "target"


def _words(text: str) -> str:
    """Text safe for one script line: no control characters, no line breaks."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def _ehlo(helo: str) -> list[str]:
    return [f"EHLO {helo}", "expect 250"]


def _body(report: ProbeReport, finding: Finding, helo: str) -> list[str] | None:
    fid = finding.id
    quit_ = ["QUIT", "expect 221"]
    if fid == "smtp.banner.software_version" and report.banner is not None:
        software = banner_software(report.banner.text)
        if not software:
            return None
        return [
            "# the greeting (read on connect) names the software and its version",
            f"expect 220 {_words(software)}",
            *quit_,
        ]
    if fid == "smtp.reply_421":
        if finding.stage == "ehlo":
            return ["EHLO " + helo, "expect 421"]
        if finding.stage == "starttls":
            return [*_ehlo(helo), "STARTTLS", "expect 421"]
        return None
    if fid == "smtp.vrfy.confirms_user" and report.vrfy is not None:
        return [*_ehlo(helo), f"VRFY {_words(report.vrfy.address)}", "expect 25x", *quit_]
    if fid == "smtp.expn.confirms_user" and report.expn is not None:
        return [*_ehlo(helo), f"EXPN {_words(report.expn.address)}", "expect 250", *quit_]
    if fid == "smtp.size.below_10mb" and report.size is not None and report.size.limit:
        if not report.implicit_tls and report.capabilities_after_tls is not None:
            before = {
                str(cap.name): str(cap.params) for cap in report.capabilities_before_tls or ()
            }
            if before.get("SIZE") != str(report.size.limit):
                return None  # only visible after STARTTLS: not a plain session
        return [*_ehlo(helo), f"expect feature SIZE {report.size.limit}", *quit_]
    if report.implicit_tls:
        return None
    if fid == "starttls.not_offered" and report.capabilities_before_tls is not None:
        return [*_ehlo(helo), "expect not feature STARTTLS", *quit_]
    if fid == "starttls.refused" and report.error is not None and report.error.code:
        return [*_ehlo(helo), "STARTTLS", f"expect {report.error.code}", *quit_]
    if fid == "auth.plaintext_before_tls":
        offered = [str(m).upper() for m in report.auth_before_tls or ()]
        mechanism = next((m for m in ("PLAIN", "LOGIN") if m in offered), None)
        if mechanism is None:
            return None
        return [*_ehlo(helo), f"expect feature AUTH {mechanism}", *quit_]
    enforcement = report.enforcement
    if fid == "submission.mail_before_tls":
        return [*_ehlo(helo), "MAIL FROM:<>", "expect 2xx", "RSET", "expect 250", *quit_]
    if fid == "submission.auth_before_tls" and enforcement is not None:
        asked = _words(enforcement.auth_mechanism or "PLAIN")
        return [
            *_ehlo(helo),
            "# no credentials: the server's 334 is answered with * (cancel), which",
            "# RFC 4954 says gets 501; a server that refuses AUTH before TLS says 530",
            f"AUTH {asked}",
            "*",
            "expect 501",
            *quit_,
        ]
    return None


def _run_flags(report: ProbeReport) -> str:
    if not report.implicit_tls:
        return ""
    verified = report.tls is not None and report.tls.verification == "verified"
    return " --tls" if verified else " --tls --no-verify"


def script_for(report: ProbeReport, finding: Finding, *, helo: str, path: str) -> str | None:
    """The script text for ``finding``, or None when no session can show it."""
    spec = REGISTRY.get(finding.id)
    if spec is None or not spec.replayable:
        return None
    body = _body(report, finding, helo)
    if body is None:
        return None
    header = [
        f"# smtpshell probe finding {finding.id} ({finding.severity.label}) on {report.target}",
        f"# {finding.title}",
        f"# evidence: {_words(finding.evidence)}",
        f"# reference: {finding.reference}",
        f"# run: smtpshell run {path} {report.target}{_run_flags(report)}",
        "# exit status 0: the finding still stands; 1: the server no longer behaves this way",
        "",
    ]
    return "\n".join(header + body) + "\n"


def emit_scripts(reports: Sequence[ProbeReport], directory: str | Path, *, helo: str) -> list[Path]:
    """Write every script; the paths written, in report and finding order."""
    root = Path(directory)
    written: list[Path] = []
    for report in reports:
        folder = root / _slug(report.target)
        for finding in report.findings:
            path = folder / f"{finding.id}.smtp"
            text = script_for(report, finding, helo=helo, path=str(path))
            if text is None or path in written:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
