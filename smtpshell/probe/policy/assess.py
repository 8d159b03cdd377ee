"""The domain-policy pass of a probe run: every address of every MX, DANE, MTA-STS, TLS-RPT,
identity, and the findings they lead to.

Two entry points, both used by :func:`smtpshell.probe.runner.run_probes`:

* :func:`expand_addresses`: before probing, one target per A/AAAA record of each MX host;
* :func:`assess_policies`: after probing, the DNS and HTTPS checks, run concurrently on the
  runner's pool (each lookup and fetch bounded by ``--timeout``, so one slow answer holds
  nothing else up), attached to each report as a :class:`PolicyReport`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from smtpshell.probe.findings import (
    Finding,
    PortRole,
    TransportVerdict,
    make_finding,
    port_role,
    sort_findings,
)
from smtpshell.probe.policy import dane as dane_mod
from smtpshell.probe.policy import mtasts, tlsrpt
from smtpshell.probe.policy.dnsquery import Lookup, SharedLookups, lookup

__all__ = ["DomainPolicy", "PolicyReport", "assess_policies", "expand_addresses"]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------ addresses


def expand_addresses(
    targets: Sequence,
    resolver: Any,
    timeout: float,
    mapper=map,
    *,
    pinned_only: bool = False,
    family: int = 0,
) -> list:
    """Each MX-derived target becomes one target per A and AAAA record of its host (IPv4
    first, in address order, so runs compare).

    Without ``pinned_only``, targets named directly and hosts without addresses in DNS stay
    as they are (connected by name, through the system's resolver).  With it (the user
    gave ``--nameserver``: every DNS query goes there), named targets are expanded too, and
    a host without addresses becomes a failed target rather than a lookup elsewhere.
    ``family`` 4 or 6 (``-4``/``-6``) looks up only A or only AAAA records.
    """
    from smtpshell.probe.report import ProbeIssue

    def expand(target) -> list:
        if resolver is None or target.error or _is_ip(target.host) or target.host.startswith("/"):
            return [target]
        if target.mx is None and not pinned_only:
            return [target]
        addresses: list[str] = []
        errors: list[str] = []
        for rdtype in {4: ("A",), 6: ("AAAA",)}.get(family, ("A", "AAAA")):
            found = lookup(resolver, target.host, rdtype, timeout=timeout)
            addresses += [rdata.address for rdata in found.records]
            if found.error:
                errors.append(f"{rdtype}: {found.error}")
        if not addresses:
            if not pinned_only:
                return [target]
            wanted = {4: "A", 6: "AAAA"}.get(family, "A or AAAA")
            why = "; ".join(errors) or f"no {wanted} record"
            issue = ProbeIssue("resolve", "NoAddress", f"{target.host}: {why}")
            return [replace(target, error=issue)]
        ordered = sorted(set(addresses), key=lambda a: (":" in a, ipaddress.ip_address(a)))
        return [replace(target, address=address) for address in ordered]

    return [t for group in mapper(expand, targets) for t in group]


# ------------------------------------------------------------------------------ domain


@dataclass(slots=True)
class DomainPolicy:
    """What a mail domain publishes: its MTA-STS record and policy, its TLS-RPT record."""

    domain: str
    sts_records: list[str] = field(default_factory=list)
    sts_record: mtasts.StsRecord | None = None
    sts_dnssec: str | None = None
    fetch: mtasts.FetchResult | None = None
    policy: mtasts.Policy | None = None
    tlsrpt_records: list[str] = field(default_factory=list)
    tlsrpt: tlsrpt.TlsRptRecord | None = None
    lookup_errors: list[str] = field(default_factory=list)
    findings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def enforced_policy(self) -> mtasts.Policy | None:
        """The policy a sender applies: a valid fetched policy from a single valid record."""
        usable = self.policy is not None and self.policy.valid
        record = self.sts_record
        if usable and record is not None and record.error is None and len(self.sts_records) == 1:
            return self.policy
        return None

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "mta_sts": {
                "records": list(self.sts_records),
                "id": self.sts_record.id if self.sts_record else None,
                "record_error": self.sts_record.error if self.sts_record else None,
                "url": self.fetch.url if self.fetch else mtasts.policy_url(self.domain),
                "fetch_error": self.fetch.error if self.fetch else None,
                "policy": self.policy.to_dict() if self.policy else None,
            },
            "tls_rpt": {
                "records": list(self.tlsrpt_records),
                "parsed": self.tlsrpt.to_dict() if self.tlsrpt else None,
            },
            "lookup_errors": list(self.lookup_errors),
        }


def _txt_strings(found: Lookup) -> list[str]:
    return [mtasts.txt_text(rdata) for rdata in found.records]


def domain_policy(domain: str, ask: Callable[[str, str], Lookup], options: Any) -> DomainPolicy:
    """The MTA-STS and TLS-RPT checks for ``domain`` (RFC 8461 §3, RFC 8460 §3)."""
    from smtpshell.probe.core import tls_context

    result = DomainPolicy(domain)
    timeout = options.timeout
    found = ask(f"_mta-sts.{domain}", "TXT")
    result.sts_dnssec = found.dnssec
    if found.error:
        result.lookup_errors.append(f"_mta-sts.{domain} TXT: {found.error}")
    result.sts_records = mtasts.sts_records(found.records)
    if len(result.sts_records) > 1:
        result.findings.append(("mtasts.record.multiple", " | ".join(result.sts_records)))
    if result.sts_records:
        result.sts_record = mtasts.parse_sts_record(result.sts_records[0])
        if result.sts_record.error:
            result.findings.append(
                ("mtasts.record.invalid", f"{result.sts_records[0]}: {result.sts_record.error}")
            )
        result.fetch = mtasts.fetch_policy(
            domain,
            context=tls_context(options.ca_file),
            timeout=timeout,
            connect_to=options.mta_sts_connect,
        )
        if result.fetch.error:
            result.findings.append(
                ("mtasts.policy.unavailable", f"{result.fetch.url}: {result.fetch.error}")
            )
        elif result.fetch.body is not None:
            policy = result.policy = mtasts.parse_policy(result.fetch.body)
            if policy.errors:
                result.findings.append(("mtasts.policy.invalid", "; ".join(policy.errors)))
            elif policy.mode == "testing":
                result.findings.append(("mtasts.mode.testing", "mode: testing"))
            elif policy.mode == "none":
                result.findings.append(("mtasts.mode.none", "mode: none"))
            if policy.max_age is not None and policy.max_age < mtasts.MAX_AGE_ADVISED:
                result.findings.append(("mtasts.max_age.short", f"max_age: {policy.max_age}"))
    rpt = ask(tlsrpt.tlsrpt_name(domain), "TXT")
    if rpt.error:
        result.lookup_errors.append(f"{tlsrpt.tlsrpt_name(domain)} TXT: {rpt.error}")
    result.tlsrpt_records = tlsrpt.tlsrpt_records(_txt_strings(rpt))
    if len(result.tlsrpt_records) > 1:
        result.findings.append(("tlsrpt.multiple", " | ".join(result.tlsrpt_records)))
    elif result.tlsrpt_records:
        result.tlsrpt = tlsrpt.parse_tlsrpt(result.tlsrpt_records[0])
        if result.tlsrpt.errors:
            evidence = f"{result.tlsrpt_records[0]}: {'; '.join(result.tlsrpt.errors)}"
            result.findings.append(("tlsrpt.invalid", evidence))
    elif not rpt.error:
        result.findings.append(("tlsrpt.missing", f"no TXT v=TLSRPTv1 at {rpt.name}"))
    return result


# ------------------------------------------------------------------------------ per target


@dataclass(slots=True)
class PolicyReport:
    """The policy checks for one probed address."""

    domain: str | None
    dane: dane_mod.DaneResult | None = None
    domain_policy: DomainPolicy | None = None
    mta_sts_pattern: str | None = None
    mta_sts_state: str | None = None  # "authenticated", "not-covered", "certificate" ...
    identity: dict[str, Any] = field(default_factory=dict)
    consistency: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def authenticated_by(self) -> str | None:
        """ "dane" or "mta-sts" when the published policy authenticates this server."""
        if self.dane is not None and self.dane.authenticated:
            return "dane"
        # RFC 8461 §2: MTA-STS never overrides a failing DANE validation.
        if self.dane is not None and self.dane.delivery_fails:
            return None
        if self.mta_sts_state == "authenticated":
            return "mta-sts"
        return None

    @property
    def verdict(self) -> TransportVerdict | None:
        """The transport verdict the published policy earns (None: it earns none)."""
        by = self.authenticated_by
        if by == "dane":
            return TransportVerdict.DANE
        if by == "mta-sts":
            return TransportVerdict.MTA_STS
        return None

    @property
    def delivery_fails(self) -> bool:
        """A sender following the published policy would not deliver here."""
        if self.dane is not None and self.dane.delivery_fails:
            return True
        return self.mta_sts_state in ("not-covered", "certificate", "no-tls")

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "authenticated_by": self.authenticated_by,
            "verdict": self.verdict.value if self.verdict is not None else None,
            "delivery_fails": self.delivery_fails,
            "dane": self.dane.to_dict() if self.dane else None,
            "mta_sts_pattern": self.mta_sts_pattern,
            "mta_sts_state": self.mta_sts_state,
            "domain_policy": self.domain_policy.to_dict() if self.domain_policy else None,
            "identity": dict(self.identity),
            "consistency": list(self.consistency),
            "findings": [finding.to_dict() for finding in sort_findings(self.findings)],
        }


def _dane_for(report, ask: Callable[[str, str], Lookup]) -> dane_mod.DaneResult:
    host = report.host
    names = [dane_mod.tlsa_name(host, report.port)]
    # RFC 7672 §2.2.3: for an alias with a secure answer, the expanded name comes first.
    address = ask(host, "A")
    if address.secure and address.canonical and address.canonical.lower() != host.lower():
        names.insert(0, dane_mod.tlsa_name(address.canonical, report.port))
    lookups = [ask(name, "TLSA") for name in names]
    tls_done = report.tls is not None and report.tls.version is not None
    chain = report.peer_chain if tls_done else None
    return dane_mod.evaluate(host, report.port, lookups, chain)


def _identity(report, ask: Callable[[str, str], Lookup], patterns: Sequence[str]) -> dict:
    import dns.reversename

    from smtpshell.probe.certificate import hostname_matches

    mx = report.host
    address = report.address
    identity: dict[str, Any] = {"mx": mx, "address": address}
    ptr_names: list[str] = []
    confirmed = None
    if address and _is_ip(address):
        reverse = dns.reversename.from_address(address).to_text()
        ptr_names = [r.target.to_text().rstrip(".") for r in ask(reverse, "PTR").records]
        confirmed = False
        rdtype = "AAAA" if ":" in address else "A"
        for name in ptr_names:
            forward = ask(name, rdtype)
            if any(
                ipaddress.ip_address(r.address) == ipaddress.ip_address(address)
                for r in forward.records
            ):
                confirmed = True
    identity["ptr"] = ptr_names
    identity["fcrdns"] = confirmed
    banner = report.banner.text.split() if report.banner else []
    identity["banner_host"] = banner[0] if banner else None
    greeting = report.greeting.reply.text.split() if report.greeting else []
    identity["ehlo_name"] = greeting[0] if greeting else None
    cert = report.tls.certificate if report.tls is not None else None
    identity["certificate_sans"] = list(cert.dns_names) if cert else []
    identity["mta_sts_mx"] = list(patterns)
    mismatches = []
    for key in ("banner_host", "ehlo_name"):
        if identity[key] and identity[key].rstrip(".").lower() != mx.rstrip(".").lower():
            mismatches.append(key)
    if ptr_names and not any(n.lower() == mx.rstrip(".").lower() for n in ptr_names):
        mismatches.append("ptr")
    if confirmed is False:
        mismatches.append("fcrdns")
    if cert and not hostname_matches(mx, cert.dns_names, cert.ip_addresses):
        mismatches.append("certificate_sans")
    if patterns and mtasts.covering_pattern(mx, patterns) is None:
        mismatches.append("mta_sts_mx")
    identity["mismatches"] = mismatches
    return identity


def _consistency(reports: Sequence) -> dict[int, list[str]]:
    """Differences between the addresses of one host:port, keyed by report index."""
    from smtpshell.protocol.capabilities import diff_capabilities

    groups: dict[tuple[str, int], list[int]] = {}
    for index, report in enumerate(reports):
        if report.address:
            groups.setdefault((report.host.lower(), report.port), []).append(index)
    out: dict[int, list[str]] = {}

    def facts(report) -> dict[str, str]:
        tls = report.tls
        cert = tls.certificate if tls is not None else None
        return {
            "reachable": "yes" if report.error is None or report.error.stage != "connect" else "no",
            "STARTTLS": str(report.starttls_offered),
            "TLS version": str(tls.version if tls else None),
            "certificate": cert.sha256_fingerprint[:23] if cert else "none",
            "verification": tls.verification if tls else "none",
        }

    for indexes in groups.values():
        if len(indexes) < 2:
            continue
        first = reports[indexes[0]]
        base = facts(first)
        for index in indexes[1:]:
            other = reports[index]
            if facts(other)["reachable"] != base["reachable"]:  # nothing else to compare
                reachable = facts(other)["reachable"]
                out[index] = [f"reachable: {reachable} (vs {base['reachable']} at {first.address})"]
                continue
            diffs = [
                f"{key}: {value} (vs {base[key]} at {first.address})"
                for key, value in facts(other).items()
                if value != base[key]
            ]
            if first.capabilities is not None and other.capabilities is not None:
                diff = diff_capabilities(first.capabilities, other.capabilities)
                if not diff.empty:
                    added = " ".join(str(c.keyword) for c in diff.added)
                    removed = " ".join(str(c.keyword) for c in diff.removed)
                    changed = " ".join(str(c.keyword) for c in diff.changed)
                    diffs.append(
                        f"EHLO differs from {first.address}: +[{added}] -[{removed}] ~[{changed}]"
                    )
            if diffs:
                out[index] = diffs
    return out


def _role(report) -> PortRole:
    return port_role(report.port, implicit_tls=report.implicit_tls)


def assess_policies(
    reports: Sequence,
    resolver: Any,
    options: Any,
    *,
    mapper: Callable = map,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Attach a :class:`PolicyReport` to every report whose host is a name.

    ``mapper`` runs the per-domain and per-report work (the runner passes its pool's
    ``map``).  Never raises for DNS or HTTPS trouble: failures become findings or details.
    """
    if resolver is None:
        return
    ask = SharedLookups(resolver, options.timeout)
    domains = sorted({r.mx.domain for r in reports if r.mx is not None})
    if progress:
        progress(f"checking the policies of {len(domains)} domain(s), {len(reports)} target(s)...")
    policies = dict(
        zip(domains, mapper(lambda d: domain_policy(d, ask, options), domains), strict=True)
    )
    consistency = _consistency(reports)

    def one(indexed) -> None:
        index, report = indexed
        if _is_ip(report.host) or report.host.startswith("/") or getattr(options, "lmtp", False):
            return  # an address literal, a Unix socket, LMTP: no domain publishes for these
        domain = report.mx.domain if report.mx is not None else None
        domain_result = policies.get(domain) if domain else None
        policy = PolicyReport(domain, domain_policy=domain_result)
        role = _role(report)

        def add(finding_id: str, evidence: str, severity=None) -> None:
            policy.findings.append(
                make_finding(
                    finding_id,
                    evidence,
                    target=report.target,
                    stage="policy",
                    role=role,
                    severity=severity,
                )
            )

        policy.dane = _dane_for(report, ask)
        _dane_findings(policy.dane, add)
        patterns: list[str] = []
        if domain_result is not None:
            for finding_id, evidence in domain_result.findings:
                add(finding_id, evidence)
            enforced = domain_result.enforced_policy
            if enforced is not None and enforced.mode in ("enforce", "testing"):
                patterns = enforced.mx
                _mta_sts_for(policy, report, enforced, add)
        policy.identity = _identity(report, ask, patterns)
        if policy.identity.get("fcrdns") is False:
            add("mx.rdns.not_confirmed", f"{report.address}: PTR {policy.identity['ptr'] or '-'}")
        policy.consistency = consistency.get(index, [])
        if policy.consistency:
            add("mx.address.inconsistent", f"{report.address}: " + "; ".join(policy.consistency))
        error = report.error
        if report.address and ":" in report.address and error and error.stage == "connect":
            add("mx.ipv6.unreachable", f"[{report.address}]:{report.port}: {report.error.message}")
        report.policy = policy
        from smtpshell.probe.checks import assess

        assess(report)  # findings, verdict and grade again, with the policy's part

    list(mapper(one, list(enumerate(reports))))


def _dane_findings(result: dane_mod.DaneResult, add) -> None:
    evidence = f"{result.tlsa_name}: {result.detail}"
    if result.state == "mismatch":
        records = ", ".join(r.text for r in result.usable)
        add("dane.mismatch", f"{evidence}; records: {records}")
    elif result.state == "bogus":
        add("dane.bogus", evidence)
    elif result.state == "no-tls":
        add("dane.no_tls", evidence)
    elif result.state == "unusable":
        add("dane.unusable", evidence)
    elif result.state == "insecure" and result.records:
        add("dane.insecure", evidence)
    if result.dnssec != "secure":
        return
    for record in result.records:
        if record.usage in (0, 1):
            add("dane.pkix_usage", f"{result.tlsa_name}: {record.text}")
    if result.state == "authenticated":
        for match in result.matches:
            if match.record.usable and not match.matched:
                add(
                    "dane.stale_record", f"{result.tlsa_name}: {match.record.text}: {match.why_not}"
                )
    if result.usable and not result.rollover_ready:
        add("dane.no_rollover", f"{result.tlsa_name}: {result.usable[0].text}")


def _mta_sts_for(policy: PolicyReport, report, enforced: mtasts.Policy, add) -> None:
    """RFC 8461 §4: the MX host must match a pattern and present a PKIX-valid certificate
    naming it.  Findings are high in enforce mode and low in testing mode."""
    from smtpshell.probe.findings import Severity

    severity = None if enforced.mode == "enforce" else Severity.LOW
    policy.mta_sts_pattern = mtasts.covering_pattern(report.host, enforced.mx)
    tls = report.tls
    if policy.mta_sts_pattern is None:
        state = "not-covered"
        add(
            "mtasts.mx.not_covered",
            f"{report.host} matches none of: {', '.join(enforced.mx)}",
            severity,
        )
    elif tls is None or report.error is not None:
        state = "no-tls"
        add("mtasts.tls_missing", f"{report.target}: no TLS session", severity)
    elif tls.verification != "verified":
        state = "certificate"
        why = tls.verify_error or f"verification {tls.verification}"
        add("mtasts.certificate", f"{report.target}: {why}", severity)
    else:
        state = "authenticated"
    if enforced.mode == "testing" and state != "authenticated":
        state = f"testing-{state}"  # reported, never a delivery failure (§5)
    policy.mta_sts_state = state
