"""The domain-policy part of a text report: DANE, MTA-STS, TLS-RPT, identity, findings.

Data in, lines out; every DNS name, TXT value, policy line and certificate field goes
through ``protocol.display`` (a domain's DNS is as server-controlled as a banner).
"""

from __future__ import annotations

from collections.abc import Callable

from smtpshell.protocol.display import display

__all__ = ["policy_lines"]

_IDENTITY = (
    ("mx", "MX name"),
    ("ptr", "PTR"),
    ("fcrdns", "forward-confirmed"),
    ("banner_host", "banner host"),
    ("ehlo_name", "EHLO name"),
    ("certificate_sans", "certificate SANs"),
    ("mta_sts_mx", "MTA-STS mx"),
)


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(display(str(item)) for item in value) or "-"
    return display(str(value))


def policy_lines(report, style: Callable[[str, str], str], row: Callable[[str, str], str]):
    """Rows for ``report.policy`` (none when the policy pass did not run)."""
    policy = report.policy
    if policy is None:
        return []
    lines: list[str] = []
    if policy.authenticated_by:
        lines.append(row("policy", style(f"authenticated by {policy.authenticated_by}", "green")))
    elif policy.delivery_fails:
        lines.append(row("policy", style("a sender following the policy will NOT deliver", "red")))
    dane = policy.dane
    if dane is not None:
        colour = {"authenticated": "green", "mismatch": "red", "bogus": "red"}.get(dane.state)
        text = f"{dane.state} (DNSSEC {dane.dnssec}): {display(dane.detail)}"
        lines.append(row("DANE", style(text, colour) if colour else text))
        for match in dane.matches or []:
            mark = "match" if match.matched else display(match.why_not or "no match")
            lines.append(row("", f"TLSA {display(match.record.text[:60])}  {mark}"))
    domain = policy.domain_policy
    if domain is not None:
        if domain.sts_records:
            fetched = domain.policy
            if domain.fetch is not None and domain.fetch.error:
                text = style(f"policy unavailable: {display(domain.fetch.error)}", "red")
            elif fetched is not None:
                text = f"mode {display(str(fetched.mode))}, max_age {fetched.max_age}"
                if policy.mta_sts_state:
                    text += f"; this MX: {policy.mta_sts_state}"
            else:
                text = "record present"
            lines.append(row("MTA-STS", text))
        else:
            lines.append(row("MTA-STS", "no policy published"))
        if domain.tlsrpt is not None:
            rua = ", ".join(display(uri) for uri in domain.tlsrpt.rua) or "-"
            lines.append(row("TLS-RPT", f"{display(str(domain.tlsrpt.version))} rua={rua}"))
        elif not domain.tlsrpt_records:
            lines.append(row("TLS-RPT", "no record"))
    identity = policy.identity
    if identity:
        mismatches = set(identity.get("mismatches", ()))
        lines.append(row("identity", ""))
        for key, label in _IDENTITY:
            text = _value(identity.get(key))
            if key in mismatches:
                text = style(f"{text}  (differs)", "yellow")
            lines.append(row("", f"  {label:<18}{text}"))
    for line in policy.consistency:
        lines.append(row("differs", style(display(line), "yellow")))
    return lines  # the policy's findings are among the report's, shown with them
