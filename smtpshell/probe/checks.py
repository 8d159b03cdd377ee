"""From what a probe saw to what it means: findings, the transport verdict and the grade.

Pure functions of a :class:`ProbeReport` (plus the time, for certificate expiry): the probe
collects facts, this module judges them, so the rules are table-tested without a server and
every renderer reads the same conclusions.  The rules are documented in docs/probe.md.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterable

from smtpshell.probe.findings import (
    Finding,
    PortRole,
    Severity,
    TransportVerdict,
    grade,
    make_finding,
    sort_findings,
)
from smtpshell.probe.report import CipherResult, ProbeReport, TLSScan

__all__ = [
    "CERT_EXPIRY_HIGH_DAYS",
    "CERT_EXPIRY_LOW_DAYS",
    "SIZE_MINIMUM",
    "assess",
    "banner_software",
    "cipher_weaknesses",
    "findings_for",
    "mangled_starttls",
    "role_of",
    "severity_at_least",
    "transport_verdict",
]

#: A SIZE below this is a finding: 10 MB, decimal (Postfix's default 10240000 passes).
SIZE_MINIMUM = 10_000_000
CERT_EXPIRY_HIGH_DAYS = 14
CERT_EXPIRY_LOW_DAYS = 30

#: Software names that, followed by a dotted version, reveal what to attack.
_SOFTWARE = (
    r"Postfix|Exim|Sendmail|qmail|OpenSMTPD|Haraka|MDaemon|Zimbra|hMailServer|IMail|Kerio"
    r"|CommuniGate(?: Pro)?|MailEnable|Courier|Domino|Exchange|Microsoft ESMTP MAIL Service"
    r"|Axigen|Halon|Momentum|PowerMTA|GreenMail|Apache James|smtpd|aiosmtpd|Python SMTP"
    r"|Smail|Mercury|SmarterMail|Kerio Connect|IceWarp|Stalwart|Maddy|Chasquid"
)
_VERSION = r"v?(\d+(?:\.\d+)+[\w.-]*)"
_BANNER_VERSION = re.compile(
    rf"(?P<name>{_SOFTWARE})(?:[ /,:(-]+(?:version:?\s*)?|\s+v){_VERSION}"
    rf"|\bversion:?\s*(?P<bare>\d+(?:\.\d+)+)",
    re.IGNORECASE,
)
_PLAINTEXT_MECHANISMS = ("PLAIN", "LOGIN")
#: ``add(finding_id, evidence, stage)``: how the rule groups report a finding.
_Add = Callable[[str, "str | bytes", "str | None"], None]


def _target(report: ProbeReport) -> str:
    return report.target


def role_of(report: ProbeReport) -> PortRole:
    try:
        return PortRole(report.role)
    except ValueError:
        return PortRole.RELAY


def banner_software(banner: str) -> str | None:
    """The "Software version" a banner gives away, or None (dates and hosts are not one)."""
    match = _BANNER_VERSION.search(banner)
    if match is None:
        return None
    return match.group(0).strip()


def mangled_starttls(keywords: Iterable[str]) -> str | None:
    """An EHLO keyword that looks like STARTTLS rewritten by a middlebox (XXXXXXXA ...)."""
    for keyword in keywords:
        upper = keyword.upper()
        if upper == "STARTTLS" or len(upper) != len("STARTTLS"):
            continue
        if set(upper) <= {"X"} or upper.startswith("XXXX"):
            return keyword
        if sum(a != b for a, b in zip(upper, "STARTTLS", strict=True)) <= 2:
            return keyword
    return None


def cipher_weaknesses(cipher: CipherResult | str, protocol: str | None = None) -> list[str]:
    """The finding ids an OpenSSL cipher suite name deserves (empty for a sound one)."""
    name = cipher if isinstance(cipher, str) else cipher.name
    protocol = protocol if protocol is not None else getattr(cipher, "protocol", None)
    upper = name.upper()
    found: list[str] = []
    if "NULL" in upper.replace("ANULL", ""):
        found.append("tls.cipher.null")
    if upper.startswith("EXP") or "EXPORT" in upper:
        found.append("tls.cipher.export")
    if upper.startswith(("ADH", "AECDH")) or "ANON" in upper:
        found.append("tls.cipher.anonymous")
    if "RC4" in upper:
        found.append("tls.cipher.rc4")
    if "DES-CBC3" in upper or "3DES" in upper:
        found.append("tls.cipher.3des")
    tls13 = upper.startswith("TLS_") or protocol == "TLSv1.3"
    aead = any(mode in upper for mode in ("GCM", "CHACHA20", "CCM"))
    if not tls13 and not aead and upper.endswith("-SHA") and "RC4" not in upper:
        found.append("tls.cipher.cbc_sha1")
    forward_secret = tls13 or upper.startswith(("ECDHE", "DHE", "EDH", "ADH", "AECDH"))
    if not forward_secret and "NULL" not in upper:
        found.append("tls.cipher.no_forward_secrecy")
    return found


def transport_verdict(report: ProbeReport) -> TransportVerdict:
    """How mail to this port travels (docs/probe.md, "Verdict").

    Over TLS and verified (chain and name): PKIX-authenticated.  Over TLS otherwise
    (including ``--insecure``, which checks nothing): encrypted, unauthenticated.  No
    STARTTLS offered, or a STARTTLS that fails (senders then fall back to plaintext):
    plaintext only.  A probe that stopped before it could tell: not determined.
    """
    tls = report.tls
    error = report.error
    if tls is not None and tls.version is not None and not _handshake_failed(report):
        policy = report.policy  # part 2: what the domain publishes can authenticate it
        if policy is not None and policy.verdict is not None:
            return policy.verdict
        if tls.verification == "verified":
            return TransportVerdict.PKIX
        return TransportVerdict.ENCRYPTED
    if report.implicit_tls:
        return TransportVerdict.UNKNOWN
    if report.starttls_offered is False and report.capabilities_before_tls is not None:
        return TransportVerdict.PLAINTEXT
    if report.starttls_offered and error is not None and error.stage == "starttls":
        return TransportVerdict.PLAINTEXT
    if report.greeting is not None and report.greeting.command == "HELO":
        return TransportVerdict.PLAINTEXT  # no EHLO, no STARTTLS (RFC 3207 needs EHLO)
    return TransportVerdict.UNKNOWN


def _handshake_failed(report: ProbeReport) -> bool:
    error = report.error
    return error is not None and error.stage in ("starttls", "unverified-retry")


def findings_for(report: ProbeReport, *, now: datetime.datetime | None = None) -> list[Finding]:
    """Every finding the facts in ``report`` support, most severe first."""
    role = role_of(report)
    target = _target(report)
    out: list[Finding] = []

    def add(finding_id: str, evidence: str | bytes, stage: str | None = None) -> None:
        out.append(make_finding(finding_id, evidence, target=target, stage=stage, role=role))

    _smtp_findings(report, add)
    _starttls_findings(report, role, add)
    _certificate_findings(report, add, now)
    _tls_findings(report, add)
    policy = report.policy
    if policy is not None:  # part 2: DANE, MTA-STS, TLS-RPT, addresses (probe/policy/)
        if policy.authenticated_by == "dane":
            out = [_under_dane(finding) for finding in out]
        out += policy.findings
    unique: dict[tuple[str, str | None, str], Finding] = {}
    for finding in out:
        unique.setdefault((finding.id, finding.stage, finding.evidence), finding)
    return sort_findings(unique.values())


#: PKIX facts a DANE-authenticated server may ignore: DANE-EE needs no CA and no name
#: (RFC 7672 §3.1.1, RFC 7671 §5.1).  They stay reported, as info.
_DANE_EXCUSES = ("cert.self_signed", "cert.untrusted", "cert.name_mismatch")


def _under_dane(finding: Finding) -> Finding:
    if finding.id not in _DANE_EXCUSES:
        return finding
    return dataclasses.replace(finding, severity=Severity.INFO)


def _smtp_findings(report: ProbeReport, add: _Add) -> None:
    seen_421: set[str] = set()
    for reply in report.replies_421:
        seen_421.add(reply.stage)
        add("smtp.reply_421", f"{reply.code} {reply.text}", reply.stage)
    error = report.error
    if error is not None and error.code == 421 and error.stage not in seen_421:
        add("smtp.reply_421", f"421 {error.message}", error.stage)
    if report.early_talk:
        add("smtp.pre_greeting_talker", report.early_talk, "banner")
    early = report.early_client
    if early is not None and early.answered:
        said = f": {early.reply.code} {early.reply.text}" if early.reply is not None else ""
        add("smtp.early_client_answered", f"{early.outcome}{said}", "early-talk")
    if report.banner is not None:
        software = banner_software(report.banner.text)
        if software:
            add(
                "smtp.banner.software_version",
                f"{report.banner.code} {report.banner.text} (reveals: {software})",
                "banner",
            )
    if report.vrfy is not None and report.vrfy.code in (250, 251):
        vrfy = report.vrfy
        add("smtp.vrfy.confirms_user", f"VRFY {vrfy.address}: {vrfy.code} {vrfy.text}", "vrfy")
    if report.expn is not None and report.expn.code == 250:
        expn = report.expn
        add("smtp.expn.confirms_user", f"EXPN {expn.address}: {expn.code} {expn.text}", "expn")
    size = report.size
    if size is not None and size.limit and size.limit < SIZE_MINIMUM:
        add("smtp.size.below_10mb", f"SIZE {size.limit} ({size.human})", "ehlo")


def _starttls_findings(report: ProbeReport, role: PortRole, add: _Add) -> None:
    if report.implicit_tls:
        error = report.error
        if error is not None and error.stage == "connect" and "TLS" in error.type:
            add("tls.handshake_failed", f"{error.type}: {error.message}", "connect")
        return
    before = report.capabilities_before_tls
    if before is not None:
        keywords = [cap.keyword for cap in before]
        mangled = mangled_starttls(keywords)
        if mangled is not None:
            add("starttls.mangled_keyword", f"EHLO keyword {mangled!r} instead of STARTTLS", "ehlo")
        if report.starttls_offered is False:
            add("starttls.not_offered", "EHLO offers: " + (" ".join(keywords) or "nothing"), "ehlo")
    elif report.greeting is not None and report.greeting.command == "HELO":
        add("starttls.not_offered", "EHLO refused; HELO has no extensions", "helo")
    mechanisms = [m.upper() for m in report.auth_before_tls or ()]
    plaintext = [m for m in _PLAINTEXT_MECHANISMS if m in mechanisms]
    if plaintext:
        add(
            "auth.plaintext_before_tls",
            "AUTH " + " ".join(report.auth_before_tls or ()) + " (before STARTTLS)",
            "ehlo",
        )
    error = report.error
    if error is not None and error.stage == "starttls":
        if error.code is not None:
            add("starttls.refused", f"STARTTLS: {error.code} {error.message}", "starttls")
        elif error.type != "Cancelled":
            add("starttls.handshake_failed", f"{error.type}: {error.message}", "starttls")
    enforcement = report.enforcement
    if enforcement is None:
        return
    mail = enforcement.mail_from
    if mail is not None and 200 <= mail.code < 300:
        add("submission.mail_before_tls", f"MAIL FROM:<> -> {mail.code} {mail.text}", "submission")
    auth = enforcement.auth
    if auth is not None and auth.code in (235, 334):
        add(
            "submission.auth_before_tls",
            f"AUTH {enforcement.auth_mechanism} -> {auth.code} {auth.text}",
            "submission",
        )
    injection = enforcement.injection
    if injection is not None and injection.answered_inside_tls:
        reply = injection.reply
        said = f": {reply.code} {reply.text}" if reply is not None else ""
        add("starttls.command_injection", f"{injection.outcome}{said}", "injection")


def _certificate_findings(report: ProbeReport, add: _Add, now: datetime.datetime | None) -> None:
    tls = report.tls
    if tls is None:
        return
    stage = "connect" if tls.mode == "implicit" else "starttls"
    if tls.certificate_error:
        add("cert.unreadable", tls.certificate_error, stage)
    cert = tls.certificate
    if cert is None:
        return
    now = now or datetime.datetime.now(datetime.UTC)
    not_after = _parse_time(cert.not_after)
    not_before = _parse_time(cert.not_before)
    subject = cert.subject_cn or cert.subject
    if not_after is not None:
        days = (not_after - now).total_seconds() / 86400
        when = f"notAfter {cert.not_after} ({subject})"
        if days < 0:
            add("cert.expired", when, stage)
        elif days <= CERT_EXPIRY_HIGH_DAYS:
            add("cert.expires_14d", when, stage)
        elif days <= CERT_EXPIRY_LOW_DAYS:
            add("cert.expires_30d", when, stage)
    if not_before is not None and not_before > now:
        add("cert.not_yet_valid", f"notBefore {cert.not_before} ({subject})", stage)
    if tls.hostname_matches is False:
        names = ", ".join((*cert.dns_names, *cert.ip_addresses)) or "no subjectAltName"
        add("cert.name_mismatch", f"{tls.server_hostname} not in [{names}]", stage)
    if tls.verification != "verified":
        if cert.self_signed:
            add("cert.self_signed", f"subject = issuer = {cert.subject}", stage)
        elif tls.verification == "failed" and tls.verify_code not in _REPORTED_ELSEWHERE:
            detail = tls.verify_error or "verification failed"
            add("cert.untrusted", f"{detail} (issuer {cert.issuer})", stage)


#: OpenSSL verify codes other findings already name: expired (10), not yet valid (9),
#: host name (62) and IP address (64) mismatch.  Any other failure is "untrusted".
_REPORTED_ELSEWHERE = frozenset({9, 10, 62, 64})


def _parse_time(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_VERSION_IDS = {
    "SSLv3": "tls.version.ssl3",
    "TLSv1": "tls.version.tls1_0",
    "TLSv1.1": "tls.version.tls1_1",
}


def _tls_findings(report: ProbeReport, add: _Add) -> None:
    tls = report.tls
    stage = "tls-scan"
    if tls is not None:
        where = "connect" if tls.mode == "implicit" else "starttls"
        if tls.version in _VERSION_IDS:
            add(_VERSION_IDS[tls.version], f"negotiated {tls.version} {tls.cipher}", where)
        for finding_id in cipher_weaknesses(tls.cipher or "", tls.version) if tls.cipher else ():
            add(finding_id, f"negotiated {tls.cipher} ({tls.version})", where)
    scan = report.tls_scan
    if scan is None:
        return
    _scan_findings(scan, add, stage)


def _scan_findings(scan: TLSScan, add: _Add, stage: str) -> None:
    for result in scan.versions:
        if result.accepted and result.version in _VERSION_IDS:
            add(_VERSION_IDS[result.version], f"{result.version} handshake accepted", stage)
        by_id: dict[str, list[str]] = {}
        for cipher in result.ciphers:
            for finding_id in cipher_weaknesses(cipher):
                by_id.setdefault(finding_id, []).append(cipher.name)
        for finding_id, names in by_id.items():
            add(finding_id, f"{result.version}: " + ", ".join(names), stage)
        if result.cipher_order == "client":
            add("tls.cipher_order.client", f"{result.version}: the client's order wins", stage)
    tested = {result.version for result in scan.versions}
    accepted = {result.version for result in scan.versions if result.accepted}
    if {"TLSv1.2", "TLSv1.3"} <= tested and not accepted & {"TLSv1.2", "TLSv1.3"}:
        add("tls.version.no_tls1_2", "accepted: " + (", ".join(sorted(accepted)) or "none"), stage)
    elif "TLSv1.3" in tested and "TLSv1.3" not in accepted and accepted:
        add("tls.version.no_tls1_3", "accepted: " + ", ".join(sorted(accepted)), stage)


def assess(report: ProbeReport, *, now: datetime.datetime | None = None) -> ProbeReport:
    """Fill ``findings``, ``verdict`` and ``grade`` in ``report`` (and return it)."""
    report.findings = findings_for(report, now=now)
    verdict = transport_verdict(report)
    report.verdict = verdict.value
    tls13 = report.tls is not None and report.tls.version == "TLSv1.3"
    letter = grade(verdict, report.findings, role_of(report), tls13=tls13)
    report.grade = letter.value
    return report


def severity_at_least(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [finding for finding in findings if finding.severity >= threshold]
