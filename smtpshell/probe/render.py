"""Reports as text for people and as JSON for programs.  Pure functions of the reports.

Every string a server or DNS controls (banner, reply texts, EHLO keywords, certificate
names, MX host names) goes through ``protocol.display`` before it reaches a terminal: a
hostile banner must not drive it.
Colour is only added when asked for (the command asks when stdout is a terminal).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from smtpshell.probe.render_findings import findings_lines
from smtpshell.probe.report import SCHEMA_VERSION, ProbeReport, TLSReport
from smtpshell.protocol.capabilities import Capability, CapabilityDiff
from smtpshell.protocol.display import SafeText, display
from smtpshell.shell.options import VERIFY_HINT

__all__ = [
    "CapabilityRow",
    "capability_rows",
    "document",
    "render_json",
    "render_report",
    "render_summary",
    "render_text",
]

_COLOURS = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}
#: Certificates closer to expiry than this are shown as a warning.
EXPIRY_WARNING_DAYS = 14
LABEL_WIDTH = 15


def _clean(text: str) -> SafeText:
    """Server-controlled text made safe for a terminal (the one escaping path)."""
    return display(text)


class _Style:
    def __init__(self, colour: bool):
        self.colour = colour

    def __call__(self, text: str, name: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOURS[name]}m{text}\x1b[0m"


class CapabilityRow(NamedTuple):
    """One keyword across STARTTLS: parameters before and after (None = not offered)."""

    keyword: str
    before: str | None
    after: str | None
    change: str  # "", "added", "removed" or "changed"


def capability_rows(
    before: Sequence[Capability] | None,
    after: Sequence[Capability] | None,
    diff: CapabilityDiff | None,
) -> list[CapabilityRow]:
    """The capabilities table: keywords in the order first seen (before TLS, then the
    ones added after), each with its parameters on both sides ("" = offered, no params)."""

    def params(caps: Sequence[Capability] | None, name: str) -> str | None:
        found = next((cap for cap in caps or () if cap.name == name), None)
        return found.params if found is not None else None

    spelled: dict[str, str] = {}  # by name: the keyword as the server first spelled it
    for cap in [*(before or ()), *(after or ())]:
        spelled.setdefault(cap.name, cap.keyword)
    changes: dict[str, str] = {}
    if diff is not None:
        changes.update({cap.name: "added" for cap in diff.added})
        changes.update({cap.name: "removed" for cap in diff.removed})
        changes.update({change.name: "changed" for change in diff.changed})
    return [
        CapabilityRow(kw, params(before, name), params(after, name), changes.get(name, ""))
        for name, kw in spelled.items()
    ]


def _table(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Left-aligned columns, two spaces apart; trailing blanks trimmed."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _status(report: ProbeReport, style: _Style) -> str:
    if report.error is not None:
        return style("FAILED", "red")
    if report.policy is not None and report.policy.delivery_fails:
        return style("FAILS ITS DOMAIN'S POLICY", "red")
    if not report.ok:
        return style("CERTIFICATE NOT VERIFIED", "red")
    return style("OK", "green")


def _reply(code: int, text: str) -> list[str]:
    lines = [_clean(line) for line in text.split("\n")] or [""]
    return [f"{code} {line}".rstrip() for line in lines]


def _verification_line(tls: TLSReport, style: _Style) -> str:
    hostname = _clean(tls.server_hostname or "")
    if tls.verification == "verified":
        text = style("verified", "green") + f": the chain is trusted and {hostname} matches"
    elif tls.verification == "skipped":
        text = style("not checked", "yellow") + " (--insecure)"
    else:
        text = style("FAILED", "red") + f": {_clean(tls.verify_error or 'unknown reason')}"
        text += f" ({VERIFY_HINT})"
    return text


def _hostname_line(tls: TLSReport, style: _Style) -> str | None:
    if tls.verification == "verified" or tls.hostname_matches is None:
        return None
    name = _clean(tls.server_hostname or "")
    if tls.hostname_matches:
        return f"{name} is one of the certificate's names"
    return style(f"{name} is NOT among the certificate's names", "red")


def _tls_lines(report: ProbeReport, style: _Style) -> list[str]:
    tls = report.tls
    if tls is None:
        return []
    mode = "implicit TLS" if tls.mode == "implicit" else "STARTTLS"
    bits = f", {tls.bits} bits" if tls.bits else ""
    rows: list[tuple[str, str]] = [
        ("TLS", f"{tls.version}, {tls.cipher}{bits} ({mode})"),
        ("verification", _verification_line(tls, style)),
    ]
    hostname = _hostname_line(tls, style)
    if hostname:
        rows.append(("host name", hostname))
    if tls.unverified_retry:
        note = "details below come from a second connection made WITHOUT verification"
        rows.append(("", style(note, "yellow")))
    cert = tls.certificate
    if cert is not None:
        names = [*cert.dns_names, *cert.ip_addresses]
        issuer = _clean(cert.issuer) + (" (self-signed)" if cert.self_signed else "")
        days = cert.days_to_expiry
        if days < 0:
            expiry = style(f"EXPIRED {-days} days ago", "red")
        else:
            expiry = f"expires in {days} days"
            if days < EXPIRY_WARNING_DAYS:
                expiry = style(expiry, "yellow")
        signature = f", signed with {cert.signature_algorithm}" if cert.signature_algorithm else ""
        rows += [
            ("certificate", _clean(cert.subject) or "(empty subject)"),
            ("  names", _clean(", ".join(names)) or "(no subjectAltName)"),
            ("  issuer", issuer),
            ("  valid", f"{cert.not_before[:10]} to {cert.not_after[:10]} ({expiry})"),
            ("  key", f"{cert.public_key}{signature}"),
            ("  sha256", cert.sha256_fingerprint),
        ]
    elif tls.certificate_error:
        rows.append(("certificate", style(f"unreadable: {tls.certificate_error}", "red")))
    if tls.chain_source == "leaf-only":
        rows.append(("  chain", "leaf only (this Python's ssl module shows no chain)"))
    else:
        rows.append(("  chain", f"{tls.chain_length} certificate(s) ({tls.chain_source})"))
        rows += [("", f"  {_clean(subject)}") for subject in tls.chain_subjects]
    return [_row(label, text) for label, text in rows]


def _row(label: str, text: str) -> str:
    return f"  {label:<{LABEL_WIDTH}}{text}".rstrip()


def _mechanisms(mechanisms: list[str] | None) -> str:
    if mechanisms is None:
        return "-"
    return _clean(" ".join(mechanisms)) if mechanisms else "none"


def _timings(report: ProbeReport) -> str:
    parts = [f"{stage} {_ms(ms)}" for stage, ms in report.timings_ms.items()]  # run order
    return ", ".join(parts) + f"; total {_ms(report.total_ms)}"


def _abbreviated(words: list[str], width: int = 28) -> str:
    """As many words as fit in ``width``, then "+N": keeps the summary table narrow."""
    shown: list[str] = []
    for index, word in enumerate(words):
        rest = len(words) - index
        if len(" ".join([*shown, word])) > width and rest > 1:
            return " ".join([*shown, f"+{rest}"])
        shown.append(word)
    return " ".join(shown)


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def render_report(report: ProbeReport, *, colour: bool = False) -> str:
    """One target in full: everything the probe learnt, then why it stopped, if it did."""
    style = _Style(colour)
    lines = [f"{style(_clean(report.target), 'bold')}  {_status(report, style)}"]  # DNS names
    if report.mx is not None:
        how = (
            "implicit MX (no MX records)"
            if report.mx.implicit
            else f"MX preference {report.mx.preference}"
        )
        lines.append(_row("found via", f"{_clean(report.mx.domain)}: {how}"))
    if report.address and report.address != report.host:
        lines.append(_row("address", _clean(report.address)))
    if report.banner is not None:
        for index, text in enumerate(_reply(report.banner.code, report.banner.text)):
            lines.append(_row("banner" if index == 0 else "", text))
    greeting = report.greeting
    if greeting is not None:
        if greeting.ehlo_refused is not None:
            refused = _reply(greeting.ehlo_refused.code, greeting.ehlo_refused.text)[0]
            lines.append(_row("EHLO", style(f"refused: {refused}", "yellow")))
        first = _reply(greeting.reply.code, greeting.reply.text)[0]
        lines.append(_row(greeting.command, first))
    if report.starttls_offered is not None and not report.implicit_tls:
        if not report.starttls_offered:
            offered = style("not offered", "yellow")
        elif report.starttls is not None:
            offered = "offered, " + _reply(report.starttls.code, report.starttls.text)[0]
        elif report.tls is None and report.error is None:
            offered = "offered, not attempted (--no-starttls)"
        else:
            offered = "offered"
        lines.append(_row("STARTTLS", offered))
    lines += _tls_lines(report, style)
    if report.auth_before_tls is not None or report.auth_after_tls is not None:
        if report.implicit_tls:
            lines.append(_row("AUTH", _mechanisms(report.auth_after_tls)))
        else:
            lines.append(_row("AUTH", f"before TLS: {_mechanisms(report.auth_before_tls)}"))
            if report.auth_after_tls is not None:
                lines.append(_row("", f"after TLS:  {_mechanisms(report.auth_after_tls)}"))
    if report.size is not None:
        size = report.size
        exact = f" ({size.limit} bytes)" if size.limit else ""
        lines.append(_row("SIZE", f"{size.human}{exact}"))
    if report.vrfy is not None:
        vrfy = report.vrfy
        reply = _reply(vrfy.code, vrfy.text)[0]
        lines.append(_row(f"VRFY {_clean(vrfy.address)}", f"{reply}  ({vrfy.meaning})"))
    lines += _capability_lines(report)
    if report.policy is not None:
        from smtpshell.probe.policy.render import policy_lines

        lines += policy_lines(report, style, _row)
    lines += findings_lines(report, style, _row)
    if report.timings_ms:
        lines.append(_row("timings", _timings(report)))
    for warning in report.warnings:
        text = f"{warning.stage}: {_clean(warning.message)}"
        lines.append(_row("warning", style(text, "yellow")))
    if report.error is not None:
        error = report.error
        code = f"{error.code} " if error.code is not None else ""
        text = f"at {error.stage}: {error.type}: {code}{_clean(error.message)}"
        lines.append(_row("FAILED", style(text, "red")))
        if error.hint:
            lines.append(_row("hint", error.hint))
    return "\n".join(lines)


def _capability_lines(report: ProbeReport) -> list[str]:
    """Offered before/after TLS as yes/-, then the parameters and what changed."""
    before, after = report.capabilities_before_tls, report.capabilities_after_tls
    if not before and not after:
        return []
    rows = capability_rows(before, after, report.capability_diff)
    if before is None or after is None:  # one side only: no TLS, or implicit TLS
        heading = "(over TLS)" if after is not None else "(no TLS)"
        table = [(row.keyword, _clean(row.before or row.after or "")) for row in rows]
        return [_row("capabilities", heading), *_table(table, indent="    ")]

    def offered(value: str | None) -> str:
        return "-" if value is None else "yes"

    table = [("", "before TLS", "after TLS", "parameters")]
    for row in rows:
        if row.change == "changed":
            text = f"{row.before} -> {row.after} (changed after TLS)"
        else:
            text = row.after if row.after is not None else row.before or ""
            if row.change:
                text = f"{text} ({row.change} after TLS)".lstrip()
        table.append((row.keyword, offered(row.before), offered(row.after), _clean(text)))
    return [_row("capabilities", ""), *_table(table, indent="    ")]


def render_summary(reports: Sequence[ProbeReport], *, colour: bool = False) -> str:
    """One line per target: the table to scan when many servers were probed."""
    style = _Style(colour)
    header = ("TARGET", "STATUS", "BANNER", "TLS", "CERT", "AUTH", "SIZE", "TIME", "GRADE")
    rows = [header]
    statuses = []
    for report in reports:
        tls = report.tls
        if report.error is not None:
            status = f"failed at {report.error.stage}"
        elif report.policy is not None and report.policy.delivery_fails:
            status = "policy fails"
        elif not report.ok:
            status = "cert not verified"
        else:
            status = "ok"
        statuses.append(status)
        auth = (
            report.auth_after_tls if report.auth_after_tls is not None else report.auth_before_tls
        )
        rows.append(
            (
                _clean(report.target),
                status,
                str(report.banner.code) if report.banner else "-",
                (tls.version or "?") if tls else "-",
                tls.verification if tls else "-",
                _clean(_abbreviated(auth) or "none") if auth is not None else "-",
                report.size.human if report.size else "-",
                _ms(report.total_ms),
                report.grade,
            )
        )
    lines = _table(rows)
    if colour:
        for index, status in enumerate(statuses, start=1):
            name = "green" if status == "ok" else "red"
            lines[index] = lines[index].replace(status, style(status, name), 1)
    ok = sum(report.ok for report in reports)
    lines.append(f"{len(reports)} target(s): {ok} ok, {len(reports) - ok} failed")
    return "\n".join(lines)


def render_text(reports: Sequence[ProbeReport], *, colour: bool = False) -> str:
    """Every report in full, then a summary table when there is more than one."""
    blocks = [render_report(report, colour=colour) for report in reports]
    if len(reports) > 1:
        blocks.append(render_summary(reports, colour=colour))
    return "\n\n".join(blocks)


def document(
    reports: Sequence[ProbeReport],
    options: Any = None,
    *,
    generated_at: datetime.datetime | None = None,
    baseline: Any = None,
) -> dict[str, Any]:
    """The ``--json`` document as a dict (``smtpshell/probe/schema.json``)."""
    from smtpshell import __version__

    when = generated_at or datetime.datetime.now(datetime.UTC)
    ok = sum(report.ok for report in reports)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "smtpshell", "version": __version__},
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "options": options.to_dict() if options is not None else None,
        "summary": {"targets": len(reports), "ok": ok, "failed": len(reports) - ok},
        "reports": [report.to_dict() for report in reports],
        "baseline": baseline.to_dict() if baseline is not None else None,
    }


def render_json(
    reports: Sequence[ProbeReport], options: Any = None, *, baseline: Any = None
) -> str:
    return json.dumps(
        document(reports, options, baseline=baseline), indent=2
    )  # ASCII: no raw C1 controls
