"""Findings: what a probe concludes about a server, in terms a mail admin can act on.

Pure data, no I/O.  Three parts, each read by every renderer (text, JSON, SARIF, docs):

* :data:`REGISTRY`: every finding id the probe can report, with its default severity, a
  one-line title, the reference (RFC/BCP and section) and what to do about it.  The JSON
  schema, docs/probe.md and the SARIF rules are all checked against this one table.
* :class:`Finding`: one finding about one target: the id, its severity, the title, the
  evidence (display-safe: the reply, the certificate field, the TLS parameter), the
  reference, and where it was seen (``target``, ``stage``).
* :class:`TransportVerdict` and :func:`grade`: how well mail to this port is protected, and
  the letter grade whose rules docs/probe.md documents.

Ids are dotted and stable (``tls.version.tls1_0``, ``auth.plaintext_before_tls``): a CI
baseline compares them across runs, so an id is never renamed, only retired.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smtpshell.protocol.display import SafeText, display

__all__ = [
    "REGISTRY",
    "Finding",
    "FindingSpec",
    "Grade",
    "PortRole",
    "Severity",
    "TransportVerdict",
    "grade",
    "make_finding",
    "port_role",
    "sort_findings",
    "worst_severity",
]


class Severity(enum.IntEnum):
    """How urgent a finding is; ordered, so ``severity >= Severity.HIGH`` works."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in JSON, SARIF and on the command line."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` (any case) to ``Severity.HIGH``; ``ValueError`` for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(member.label for member in cls)
            raise ValueError(f"unknown severity {text!r} (one of: {names})") from None

    def __str__(self) -> str:
        return self.label


class PortRole(enum.Enum):
    """What a port is for, which decides what a finding weighs (docs/probe.md, "Verdict").

    ``relay`` is server-to-server (port 25, LMTP): STARTTLS is opportunistic there, so
    plaintext is normal and an unverified certificate is common.  ``submission`` is a mail
    client's port with STARTTLS (587, or ``--submission``): it must refuse mail and AUTH
    before TLS (RFC 8314 §3).  ``submissions`` is implicit TLS (465, RFC 8314 §3.3).
    """

    RELAY = "relay"
    SUBMISSION = "submission"
    SUBMISSIONS = "submissions"

    @property
    def is_submission(self) -> bool:
        return self is not PortRole.RELAY


def port_role(port: int, *, implicit_tls: bool = False, submission: bool = False) -> PortRole:
    """The role of ``port``: 465 / implicit TLS, 587 / ``--submission``, else relay."""
    if implicit_tls:
        return PortRole.SUBMISSIONS
    if submission or port == 587:
        return PortRole.SUBMISSION
    return PortRole.RELAY


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """One registry row: what an id means, how bad it is, and where the rule comes from.

    ``submission_severity`` replaces ``severity`` on submission ports, where the same fact
    weighs more (plaintext AUTH on 587 is not the same as on 25).
    """

    id: str
    severity: Severity
    title: str
    reference: str
    remedy: str
    submission_severity: Severity | None = None
    #: Whether ``--emit-script`` can write a ``smtpshell run`` script that shows it.
    replayable: bool = False

    def severity_for(self, role: PortRole | None) -> Severity:
        if role is not None and role.is_submission and self.submission_severity is not None:
            return self.submission_severity
        return self.severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "submission_severity": (
                self.submission_severity.label if self.submission_severity else None
            ),
            "title": self.title,
            "reference": self.reference,
            "remedy": self.remedy,
            "replayable": self.replayable,
        }


S = Severity
_SPECS = (
    # ---------------------------------------------------------------- connection / SMTP
    FindingSpec(
        "smtp.reply_421",
        S.MEDIUM,
        "The server answered 421 (service not available) and closed the session",
        "RFC 5321 §3.8, §4.2.2",
        "Look at the server's load, rate limits and block lists; 421 at the greeting often"
        " means the probing address is refused.",
        replayable=True,
    ),
    FindingSpec(
        "smtp.pre_greeting_talker",
        S.MEDIUM,
        "The server sends data before its greeting is complete or before it is asked",
        "RFC 5321 §3.1, §4.3.1",
        "A server speaks only in turn: one 220 greeting, then one reply per command. Extra"
        " lines make clients fall out of step with the session.",
    ),
    FindingSpec(
        "smtp.early_client_answered",
        S.LOW,
        "The server answers a client that talks before the greeting",
        "RFC 5321 §3.1, §4.3.1",
        "Wait before greeting and refuse early talkers, as spam bots do not wait (Postfix:"
        " postscreen_greet_action = enforce; Exim: smtp_enforce_sync; Sendmail: greet_pause).",
    ),
    FindingSpec(
        "smtp.banner.software_version",
        S.LOW,
        "The banner names the server software and its version",
        "RFC 5321 §7.5",
        "Drop the version from the greeting (Postfix: smtpd_banner = $myhostname ESMTP).",
        replayable=True,
    ),
    FindingSpec(
        "smtp.vrfy.confirms_user",
        S.LOW,
        "VRFY confirms that a mailbox exists",
        "RFC 5321 §3.5.3, §7.3",
        "Answer VRFY with 252 (Postfix: disable_vrfy_command = yes).",
        replayable=True,
    ),
    FindingSpec(
        "smtp.expn.confirms_user",
        S.LOW,
        "EXPN expands a mailing list or mailbox",
        "RFC 5321 §3.5.3, §7.3",
        "Refuse EXPN with 502 or 252.",
        replayable=True,
    ),
    FindingSpec(
        "smtp.size.below_10mb",
        S.LOW,
        "The SIZE limit is below 10 MB",
        "RFC 1870 §4",
        "Most senders expect at least 10 MB (after base64, attachments grow by a third).",
        replayable=True,
    ),
    # ---------------------------------------------------------------- STARTTLS
    FindingSpec(
        "starttls.not_offered",
        S.MEDIUM,
        "STARTTLS is not offered: mail to this port travels in plaintext",
        "RFC 3207 §4; RFC 8314 §3",
        "Configure a certificate and enable STARTTLS (Postfix: smtpd_tls_security_level = may).",
        submission_severity=S.HIGH,
        replayable=True,
    ),
    FindingSpec(
        "starttls.handshake_failed",
        S.HIGH,
        "STARTTLS is offered but the TLS handshake fails",
        "RFC 3207 §4.1; RFC 8314 §3",
        "Senders that follow the offer cannot deliver over TLS, and many retry in plaintext:"
        " fix the certificate and key files and the allowed protocols.",
    ),
    FindingSpec(
        "tls.handshake_failed",
        S.HIGH,
        "The TLS handshake on the implicit-TLS port fails",
        "RFC 8314 §3.3",
        "Check the certificate and key files and the allowed protocols of the TLS listener.",
    ),
    FindingSpec(
        "starttls.refused",
        S.HIGH,
        "STARTTLS is offered but the command is refused",
        "RFC 3207 §4",
        "Offer STARTTLS only when it works (a 454 usually means the TLS files are missing).",
        replayable=True,
    ),
    FindingSpec(
        "starttls.command_injection",
        S.HIGH,
        "Commands sent with STARTTLS in one packet are answered inside TLS",
        "RFC 3207 §4.2; RFC 2920 §3.1; CVE-2011-0411",
        "The server must discard what it buffered before the handshake; upgrade the MTA.",
    ),
    FindingSpec(
        "starttls.mangled_keyword",
        S.MEDIUM,
        "The EHLO reply carries a damaged STARTTLS keyword",
        "RFC 3207 §4",
        "A middlebox (firewall 'SMTP fixup') is probably rewriting the session: turn that"
        " inspection off so clients see STARTTLS.",
    ),
    FindingSpec(
        "submission.mail_before_tls",
        S.HIGH,
        "The submission port accepts MAIL FROM before STARTTLS",
        "RFC 3207 §4; RFC 8314 §3.3",
        "Require TLS on submission: refuse with 530 5.7.0 until STARTTLS"
        " (Postfix: smtpd_tls_security_level = encrypt in master.cf).",
        replayable=True,
    ),
    FindingSpec(
        "submission.auth_before_tls",
        S.HIGH,
        "The submission port takes AUTH before STARTTLS",
        "RFC 4954 §4; RFC 8314 §3.3",
        "Refuse AUTH with 530 5.7.0 until STARTTLS (Postfix: smtpd_tls_auth_only = yes).",
        replayable=True,
    ),
    FindingSpec(
        "auth.plaintext_before_tls",
        S.MEDIUM,
        "AUTH PLAIN or LOGIN is offered before TLS",
        "RFC 4954 §4, §14; RFC 4616 §6",
        "Offer password mechanisms only over TLS (Postfix: smtpd_tls_auth_only = yes).",
        submission_severity=S.HIGH,
        replayable=True,
    ),
    # ---------------------------------------------------------------- certificate
    FindingSpec(
        "cert.expired",
        S.HIGH,
        "The certificate has expired",
        "RFC 5280 §4.1.2.5",
        "Renew the certificate and reload the server.",
    ),
    FindingSpec(
        "cert.not_yet_valid",
        S.HIGH,
        "The certificate is not valid yet",
        "RFC 5280 §4.1.2.5",
        "Check the server's clock and the certificate's notBefore.",
    ),
    FindingSpec(
        "cert.expires_14d",
        S.MEDIUM,
        "The certificate expires within 14 days",
        "RFC 5280 §4.1.2.5",
        "Renew now; check that automatic renewal reloads the mail server.",
    ),
    FindingSpec(
        "cert.expires_30d",
        S.LOW,
        "The certificate expires within 30 days",
        "RFC 5280 §4.1.2.5",
        "Plan the renewal; check that automatic renewal reloads the mail server.",
    ),
    FindingSpec(
        "cert.name_mismatch",
        S.MEDIUM,
        "The certificate does not name the host",
        "RFC 6125 §6; RFC 7817 §3",
        "Add the host name (the MX name, the submission host) to the certificate's SANs.",
        submission_severity=S.HIGH,
    ),
    FindingSpec(
        "cert.self_signed",
        S.MEDIUM,
        "The certificate is self-signed",
        "RFC 5280 §6.1; RFC 7817 §3",
        "Use a certificate from a public CA (or publish DANE TLSA records for it).",
        submission_severity=S.HIGH,
    ),
    FindingSpec(
        "cert.untrusted",
        S.MEDIUM,
        "The certificate chain does not verify",
        "RFC 5280 §6.1; RFC 7817 §3",
        "Serve the full chain (leaf and intermediates) from a trusted CA.",
        submission_severity=S.HIGH,
    ),
    FindingSpec(
        "cert.unreadable",
        S.MEDIUM,
        "The certificate cannot be parsed",
        "RFC 5280 §4",
        "Replace the certificate with a well-formed X.509 v3 certificate.",
    ),
    # ---------------------------------------------------------------- TLS parameters
    FindingSpec(
        "tls.version.ssl3",
        S.HIGH,
        "SSL 3.0 is accepted",
        "RFC 7568 §1",
        "Allow TLS 1.2 and later only (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
    ),
    FindingSpec(
        "tls.version.tls1_0",
        S.MEDIUM,
        "TLS 1.0 is accepted",
        "RFC 8996 §2; BCP 195 (RFC 9325 §3.1.1)",
        "Allow TLS 1.2 and later only (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
    ),
    FindingSpec(
        "tls.version.tls1_1",
        S.MEDIUM,
        "TLS 1.1 is accepted",
        "RFC 8996 §3; BCP 195 (RFC 9325 §3.1.1)",
        "Allow TLS 1.2 and later only (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
    ),
    FindingSpec(
        "tls.version.no_tls1_2",
        S.HIGH,
        "Neither TLS 1.2 nor TLS 1.3 is accepted",
        "BCP 195 (RFC 9325 §3.1.1)",
        "Upgrade the TLS library and allow TLS 1.2 and 1.3.",
    ),
    FindingSpec(
        "tls.version.no_tls1_3",
        S.INFO,
        "TLS 1.3 is not accepted",
        "BCP 195 (RFC 9325 §3.1.1)",
        "Allow TLS 1.3 where the TLS library supports it.",
    ),
    FindingSpec(
        "tls.cipher.null",
        S.CRITICAL,
        "A NULL cipher (no encryption) is accepted",
        "BCP 195 (RFC 9325 §4.1)",
        "Remove NULL suites (OpenSSL: !eNULL).",
    ),
    FindingSpec(
        "tls.cipher.anonymous",
        S.MEDIUM,
        "An anonymous cipher (no server authentication) is accepted",
        "BCP 195 (RFC 9325 §4.1); RFC 7435 §1",
        "Remove anonymous suites (OpenSSL: !aNULL) unless opportunistic-only is intended.",
        # Opportunistic STARTTLS between MTAs authenticates nobody anyway (RFC 7435): an
        # anonymous suite there is Postfix's default, not a hole.  A client that logs in
        # must know whom it talks to.
        submission_severity=S.HIGH,
    ),
    FindingSpec(
        "tls.cipher.export",
        S.CRITICAL,
        "An EXPORT-grade cipher is accepted",
        "BCP 195 (RFC 9325 §4.1)",
        "Remove EXPORT suites (OpenSSL: !EXPORT).",
    ),
    FindingSpec(
        "tls.cipher.rc4",
        S.HIGH,
        "An RC4 cipher is accepted",
        "RFC 7465 §2",
        "Remove RC4 suites (OpenSSL: !RC4).",
    ),
    FindingSpec(
        "tls.cipher.3des",
        S.MEDIUM,
        "A 3DES cipher is accepted (Sweet32)",
        "BCP 195 (RFC 9325 §4.1)",
        "Remove 3DES suites (OpenSSL: !3DES).",
    ),
    FindingSpec(
        "tls.cipher.cbc_sha1",
        S.LOW,
        "A CBC cipher with SHA-1 is accepted",
        "BCP 195 (RFC 9325 §4.2)",
        "Prefer AEAD suites (AES-GCM, ChaCha20-Poly1305); keep CBC-SHA1 only for old peers.",
    ),
    FindingSpec(
        "tls.cipher.no_forward_secrecy",
        S.LOW,
        "A cipher without forward secrecy (static RSA key exchange) is accepted",
        "BCP 195 (RFC 9325 §4.1)",
        "Prefer ECDHE/DHE suites (OpenSSL: !kRSA).",
    ),
    FindingSpec(
        "tls.cipher_order.client",
        S.INFO,
        "The server follows the client's cipher order",
        "BCP 195 (RFC 9325 §4.2)",
        "Let the server choose (Postfix: tls_preempt_cipherlist = yes).",
    ),
    # ---------------------------------------------------------------- DANE (part 2)
    FindingSpec(
        "dane.mismatch",
        S.HIGH,
        "DNSSEC-signed TLSA records exist but none matches the certificate chain",
        "RFC 7672 §2.2, §3.1; RFC 6698 §2.1",
        "DANE senders will not deliver to this host: publish TLSA records for the key or CA"
        " the server uses now (keep the old record until the new one is everywhere).",
    ),
    FindingSpec(
        "dane.bogus",
        S.HIGH,
        "The TLSA lookup fails DNSSEC validation (SERVFAIL)",
        "RFC 7672 §2.1.1, §2.2",
        "DANE senders defer mail to this host: fix the zone's signatures (check with"
        " delv or dnsviz) or the delegation's DS records.",
    ),
    FindingSpec(
        "dane.no_tls",
        S.HIGH,
        "DNSSEC-signed TLSA records exist but the server does not complete TLS",
        "RFC 7672 §2.2",
        "TLSA records promise STARTTLS: offer it and make the handshake work, or withdraw"
        " the records.",
    ),
    FindingSpec(
        "dane.unusable",
        S.MEDIUM,
        "TLSA records exist but none is usable for SMTP",
        "RFC 7672 §3.1.3; RFC 6698 §2.1",
        "Publish DANE-EE(3) or DANE-TA(2) records with selector 0/1 and matching type 0/1/2;"
        " senders fall back to unauthenticated TLS.",
    ),
    FindingSpec(
        "dane.pkix_usage",
        S.LOW,
        "A TLSA record uses PKIX-TA(0) or PKIX-EE(1), which SMTP senders ignore",
        "RFC 7672 §3.1.3",
        "Replace it with DANE-EE(3) 3 1 1 or DANE-TA(2) 2 1 1.",
    ),
    FindingSpec(
        "dane.stale_record",
        S.LOW,
        "A usable TLSA record matches nothing in the chain (a stale or future key)",
        "RFC 7671 §8.1; RFC 7672 §8.1",
        "Fine while it is the 'next' key of a rollover; remove records of retired keys.",
    ),
    FindingSpec(
        "dane.no_rollover",
        S.INFO,
        "Only one usable TLSA record: no 'current + next' pair for a key rollover",
        "RFC 7671 §8.1; RFC 7672 §8.1",
        "Publish the next key's record (or a 2 1 1 record for the issuing CA) before the"
        " certificate is replaced, so the change does not break delivery.",
    ),
    FindingSpec(
        "dane.insecure",
        S.INFO,
        "TLSA records exist but are not DNSSEC-validated: DANE does not apply",
        "RFC 7672 §2.1.1",
        "Sign the zone (and publish DS at the parent), or check that the resolver validates.",
    ),
    # ---------------------------------------------------------------- MTA-STS (part 2)
    FindingSpec(
        "mtasts.record.invalid",
        S.MEDIUM,
        "The _mta-sts TXT record is malformed",
        "RFC 8461 §3.1",
        "Publish one TXT record: v=STSv1; id=<1-32 letters and digits>.",
    ),
    FindingSpec(
        "mtasts.record.multiple",
        S.MEDIUM,
        "More than one _mta-sts TXT record: senders treat the domain as having no policy",
        "RFC 8461 §3.1",
        "Keep exactly one v=STSv1 record.",
    ),
    FindingSpec(
        "mtasts.policy.unavailable",
        S.MEDIUM,
        "The MTA-STS record exists but the policy cannot be fetched",
        "RFC 8461 §3.3",
        "Senders then deliver as if there were no policy (RFC 8461 §3.3): serve"
        " https://mta-sts.DOMAIN/.well-known/mta-sts.txt as text/plain with a valid"
        " certificate for mta-sts.DOMAIN, directly (no redirect).",
    ),
    FindingSpec(
        "mtasts.policy.invalid",
        S.MEDIUM,
        "The MTA-STS policy is malformed",
        "RFC 8461 §3.2",
        "Lines 'version: STSv1', 'mode: enforce|testing|none', 'max_age: SECONDS', and one"
        " 'mx: PATTERN' per MX.",
    ),
    FindingSpec(
        "mtasts.mode.testing",
        S.INFO,
        "The MTA-STS policy is in testing mode: senders report failures but still deliver",
        "RFC 8461 §5",
        "Switch to mode: enforce once TLS-RPT reports are clean.",
    ),
    FindingSpec(
        "mtasts.mode.none",
        S.INFO,
        "The MTA-STS policy is mode none: the domain has withdrawn its policy",
        "RFC 8461 §5, §8.3",
        "Nothing to do if intended; otherwise publish mode: testing or enforce.",
    ),
    FindingSpec(
        "mtasts.max_age.short",
        S.LOW,
        "The MTA-STS max_age is under a day, which leaves little protection between fetches",
        "RFC 8461 §3.2, §10.2",
        "Use weeks (max_age: 1209600 or more) once the policy is stable.",
    ),
    FindingSpec(
        "mtasts.mx.not_covered",
        S.HIGH,
        "An MX host is not covered by the MTA-STS policy's mx patterns",
        "RFC 8461 §4.1",
        "Add the MX host (or a *.domain pattern) to the policy, change its id, or fix the MX.",
    ),
    FindingSpec(
        "mtasts.certificate",
        S.HIGH,
        "The MX certificate does not satisfy MTA-STS (untrusted chain or wrong name)",
        "RFC 8461 §4.2",
        "Serve a publicly trusted certificate naming the MX host.",
    ),
    FindingSpec(
        "mtasts.tls_missing",
        S.HIGH,
        "The MTA-STS policy requires TLS but the MX does not complete STARTTLS",
        "RFC 8461 §4.2, §5",
        "Offer STARTTLS with a valid certificate on every MX.",
    ),
    # ---------------------------------------------------------------- TLS-RPT (part 2)
    FindingSpec(
        "tlsrpt.invalid",
        S.LOW,
        "The TLS-RPT record is malformed",
        "RFC 8460 §3",
        "Publish v=TLSRPTv1; rua=mailto:reports@DOMAIN (or an https: URI).",
    ),
    FindingSpec(
        "tlsrpt.multiple",
        S.LOW,
        "More than one TLS-RPT record: senders ignore them all",
        "RFC 8460 §3",
        "Keep exactly one v=TLSRPTv1 record.",
    ),
    FindingSpec(
        "tlsrpt.missing",
        S.INFO,
        "No TLS-RPT record: nobody hears about failed TLS deliveries",
        "RFC 8460 §3",
        "Publish _smtp._tls TXT v=TLSRPTv1; rua=mailto:... with DANE or MTA-STS.",
    ),
    # ---------------------------------------------------------------- addresses (part 2)
    FindingSpec(
        "mx.address.inconsistent",
        S.MEDIUM,
        "The addresses of one MX host answer differently",
        "RFC 5321 §5.1",
        "Every address of a host must serve the same configuration: check the odd one out"
        " (certificate, STARTTLS, TLS version, extensions).",
    ),
    FindingSpec(
        "mx.ipv6.unreachable",
        S.MEDIUM,
        "An IPv6 address of the MX host does not answer",
        "RFC 5321 §5.1; RFC 3974",
        "Fix IPv6 routing and the firewall, or remove the AAAA record.",
    ),
    FindingSpec(
        "mx.rdns.not_confirmed",
        S.LOW,
        "The address has no forward-confirmed reverse DNS (PTR)",
        "RFC 1912 §2.1; M3AAWG outbound guidelines",
        "Publish a PTR whose name resolves back to the address (many receivers check it).",
    ),
)
del S

#: Every finding id, with its default severity, title, reference and remedy.
REGISTRY: Mapping[str, FindingSpec] = {spec.id: spec for spec in _SPECS}


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding about one target.

    ``evidence`` is display-safe (:class:`SafeText`): it may quote the server (a reply, a
    certificate field), so it is escaped where it is made, never later.
    """

    id: str
    severity: Severity
    title: str
    evidence: SafeText
    reference: str
    target: str | None = None
    stage: str | None = None

    @property
    def spec(self) -> FindingSpec | None:
        return REGISTRY.get(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "title": self.title,
            "evidence": str(self.evidence),
            "reference": self.reference,
            "target": self.target,
            "stage": self.stage,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A finding read back from JSON (a ``--baseline`` report); ``ValueError`` if bad."""
        try:
            return cls(
                id=str(data["id"]),
                severity=Severity.parse(str(data["severity"])),
                title=str(data.get("title", "")),
                evidence=display(str(data.get("evidence", ""))),
                reference=str(data.get("reference", "")),
                target=data.get("target"),
                stage=data.get("stage"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a finding: {exc}") from None


def make_finding(
    finding_id: str,
    evidence: str | bytes,
    *,
    target: str | None = None,
    stage: str | None = None,
    role: PortRole | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A :class:`Finding` for a registered id; the evidence is escaped here.

    The severity is the registry's for ``role`` unless given.  ``KeyError`` for an id that
    is not in :data:`REGISTRY`: every id a probe reports is documented.
    """
    spec = REGISTRY[finding_id]
    return Finding(
        id=finding_id,
        severity=severity if severity is not None else spec.severity_for(role),
        title=spec.title,
        evidence=display(evidence),
        reference=spec.reference,
        target=target,
        stage=stage,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by id: the order every renderer shows."""
    return sorted(findings, key=lambda f: (-f.severity, f.id, f.target or "", f.evidence))


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    return max((finding.severity for finding in findings), default=None)


class TransportVerdict(enum.Enum):
    """How mail to this port is protected in transit, weakest first.

    Part 2 (DNS policy) adds the DANE and MTA-STS levels: a sender that follows the
    domain's published policy authenticates the server even without a public CA.
    """

    UNKNOWN = "not determined"
    PLAINTEXT = "plaintext only"
    ENCRYPTED = "encrypted, unauthenticated"
    PKIX = "encrypted, PKIX-authenticated"
    MTA_STS = "encrypted, MTA-STS-authenticated"
    DANE = "encrypted, DANE-authenticated"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]

    @property
    def encrypted(self) -> bool:
        return self.rank >= _VERDICT_RANK[TransportVerdict.ENCRYPTED]

    @property
    def authenticated(self) -> bool:
        return self.rank >= _VERDICT_RANK[TransportVerdict.PKIX]


_VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(TransportVerdict)}


class Grade(enum.Enum):
    """The letter grade; rules in :func:`grade` and docs/probe.md ("Grade")."""

    A_PLUS = "A+"
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    F = "F"
    UNKNOWN = "-"

    def __str__(self) -> str:
        return self.value


_LETTERS = (Grade.A_PLUS, Grade.A, Grade.B, Grade.C, Grade.D, Grade.F)
#: The best grade a target can get with a finding of this severity.
_CAP = {
    Severity.INFO: Grade.A,
    Severity.LOW: Grade.A,
    Severity.MEDIUM: Grade.B,
    Severity.HIGH: Grade.C,
    Severity.CRITICAL: Grade.F,
}


def _worse(first: Grade, second: Grade) -> Grade:
    return first if _LETTERS.index(first) >= _LETTERS.index(second) else second


def grade(
    verdict: TransportVerdict, findings: Iterable[Finding], role: PortRole, *, tls13: bool = False
) -> Grade:
    """The letter grade for one target (docs/probe.md, "Grade").

    1. Start from the verdict and the port's role: authenticated is A; encrypted but
       unauthenticated is B on a relay port (opportunistic TLS, RFC 7435) and C on a
       submission port; plaintext only is D on a relay port and F on a submission port;
       undetermined (the probe failed) is "-".
    2. Cap by the worst finding: critical F, high C, medium B, low or info A.
    3. A becomes A+ when TLS 1.3 was negotiated and no finding is above info.
    """
    if verdict is TransportVerdict.UNKNOWN:
        return Grade.UNKNOWN
    findings = list(findings)
    if verdict.authenticated:
        letter = Grade.A
    elif verdict is TransportVerdict.ENCRYPTED:
        letter = Grade.C if role.is_submission else Grade.B
    else:
        letter = Grade.F if role.is_submission else Grade.D
    worst = worst_severity(findings)
    if worst is not None:
        letter = _worse(letter, _CAP[worst])
    if letter is Grade.A and tls13 and (worst is None or worst <= Severity.INFO):
        letter = Grade.A_PLUS
    return letter
