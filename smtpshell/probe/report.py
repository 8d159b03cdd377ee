"""What a probe found, as plain dataclasses: the single source for every renderer.

A report is filled in stage by stage and is never thrown away: a probe that fails at EHLO
still reports the connect time and the banner.  ``to_dict()`` is the JSON shape documented
in ``smtpshell/probe/schema.json`` (bump ``SCHEMA_VERSION`` when it changes incompatibly).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from smtpshell.probe.certificate import CertificateSummary
from smtpshell.probe.findings import Finding, Grade, TransportVerdict
from smtpshell.protocol.capabilities import Capability, CapabilityDiff

__all__ = [
    "SCHEMA_VERSION",
    "STAGES",
    "CipherResult",
    "EarlyClient",
    "Enforcement",
    "Greeting",
    "Injection",
    "MXOrigin",
    "ProbeIssue",
    "ProbeReport",
    "Reply",
    "SizeInfo",
    "StageReply",
    "TLSReport",
    "TLSScan",
    "VersionResult",
    "VrfyResult",
    "format_address",
]

#: Version of the JSON document ``--json`` prints.  2: findings, verdict, grade, role,
#: transcripts, submission enforcement, TLS scan, EXPN.
SCHEMA_VERSION = 2

#: Stages in the order a probe runs them; timings and failures are keyed by these names.
#: ``unverified-retry`` is the second connection made to see a certificate that failed
#: verification.  ``resolve`` is DNS (MX) resolution, before any connection; ``internal``
#: is a bug in the probe itself, still reported rather than raised.  ``policy`` is the
#: DNS and HTTPS pass after the probes (DANE, MTA-STS, TLS-RPT; docs/probe.md).
STAGES = (
    "resolve",
    "connect",
    "banner",
    "ehlo",
    "helo",
    "starttls",
    "unverified-retry",
    "ehlo-after-tls",
    "submission",
    "injection",
    "early-talk",
    "tls-scan",
    "vrfy",
    "expn",
    "policy",
    "quit",
    "internal",
)

Verification = Literal["verified", "failed", "skipped"]


def format_address(host: str, port: int) -> str:
    """``host:port``, with IPv6 literals in brackets so the result parses back; a Unix
    socket path as it is."""
    if host.startswith("/"):
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(slots=True)
class ProbeIssue:
    """A failure, and where it happened.

    ``type`` is the exception class (``SMTPConnectionRefused``, ``NXDOMAIN`` ...) or, for a
    refusal that raised nothing, the error smtplib would have raised (``SMTPHeloError``).
    ``code`` is the SMTP reply code when the server sent one; ``hint`` what to try next,
    when the failure has a usual cause.
    """

    stage: str
    type: str
    message: str
    code: int | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class MXOrigin:
    """How a domain led to this host: an MX record, or RFC 5321 §5.1's implicit MX."""

    domain: str
    preference: int
    implicit: bool = False


@dataclass(slots=True)
class Reply:
    code: int
    text: str


@dataclass(slots=True)
class Greeting:
    """The EHLO (or, after EHLO was refused, HELO; LHLO over LMTP) the session got going with."""

    command: Literal["EHLO", "HELO", "LHLO"]
    reply: Reply
    ehlo_refused: Reply | None = None


@dataclass(slots=True)
class TLSReport:
    """The TLS layer.  With ``unverified_retry`` the details come from a second connection
    made without verification, after the verified one failed (see ``verify_error``)."""

    mode: Literal["starttls", "implicit"]
    verification: Verification
    version: str | None = None
    cipher: str | None = None
    bits: int | None = None
    verify_error: str | None = None
    verify_code: int | None = None
    unverified_retry: bool = False
    server_hostname: str | None = None
    hostname_checked: bool = False
    hostname_matches: bool | None = None
    certificate: CertificateSummary | None = None
    certificate_error: str | None = None
    #: "verified" / "presented": the whole chain from ssl (Python 3.13+); "leaf-only" before.
    chain_source: Literal["verified", "presented", "leaf-only"] = "leaf-only"
    chain_subjects: list[str] = field(default_factory=list)

    @property
    def chain_length(self) -> int | None:
        return len(self.chain_subjects) if self.chain_source != "leaf-only" else None


@dataclass(slots=True)
class SizeInfo:
    """RFC 1870 SIZE as finally advertised (after TLS when there was TLS)."""

    limit: int | None
    human: str


@dataclass(slots=True)
class VrfyResult:
    address: str
    code: int
    text: str
    meaning: str


@dataclass(slots=True)
class StageReply:
    """A reply and the stage it came in (a 421 can end any stage)."""

    stage: str
    code: int
    text: str


@dataclass(slots=True)
class Injection:
    """The STARTTLS injection check: ``STARTTLS\\r\\nNOOP\\r\\n`` in one write.

    ``answered_inside_tls`` is the finding: the NOOP (buffered before the handshake) got a
    reply over TLS.  ``outcome`` says what happened in words; ``reply`` is that reply.
    """

    answered_inside_tls: bool | None
    outcome: str
    reply: Reply | None = None


@dataclass(slots=True)
class EarlyClient:
    """``--early-talk``: ``NOOP`` sent at once on connect, before the greeting arrived.

    ``answered`` is the finding: the server greeted and then answered the NOOP, where a
    server that guards against bots refuses or hangs up (Postfix postscreen, Exim
    ``smtp_enforce_sync``).  None: the check could not run.
    """

    answered: bool | None
    outcome: str
    reply: Reply | None = None


@dataclass(slots=True)
class Enforcement:
    """STARTTLS enforcement on a submission port, tested before STARTTLS.

    ``mail_from`` is the reply to ``MAIL FROM:<>``, ``auth`` the reply to ``AUTH
    MECHANISM`` (no credentials are ever sent: a 334 is answered with ``*``).  RFC 3207
    §4 / RFC 8314 §3.3 expect 530 5.7.0 to both.
    """

    mail_from: Reply | None = None
    auth_mechanism: str | None = None
    auth: Reply | None = None
    injection: Injection | None = None


@dataclass(slots=True)
class CipherResult:
    name: str
    protocol: str
    bits: int | None = None
    kx: str | None = None


@dataclass(slots=True)
class VersionResult:
    """One protocol version: accepted or not, and the cipher suites accepted with it."""

    version: str
    accepted: bool
    error: str | None = None
    ciphers: list[CipherResult] = field(default_factory=list)
    #: "server", "client", or None (fewer than two suites, or not determined).
    cipher_order: str | None = None
    #: False when the list could not be enumerated (TLS 1.3 suites in Python's ssl).
    ciphers_enumerated: bool = True


@dataclass(slots=True)
class TLSScan:
    """``--tls-scan``: versions, suites per version, the order, and the key-exchange groups.

    ``offered`` lists what this client could offer: a version or suite it lacks (SSL 3,
    RC4, EXPORT in OpenSSL 3) cannot be tested and is never reported as refused.
    """

    mode: Literal["starttls", "implicit"]
    versions: list[VersionResult] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    groups_tested: list[str] = field(default_factory=list)
    untestable: list[str] = field(default_factory=list)

    def accepted(self, version: str) -> bool | None:
        for result in self.versions:
            if result.version == version:
                return result.accepted
        return None


@dataclass(slots=True)
class ProbeReport:
    """Everything learnt about one host:port.  ``error`` is the failure that ended the probe."""

    input: str
    host: str
    port: int
    implicit_tls: bool
    mx: MXOrigin | None = None
    address: str | None = None
    banner: Reply | None = None
    greeting: Greeting | None = None
    capabilities_before_tls: list[Capability] | None = None
    capabilities_after_tls: list[Capability] | None = None
    capability_diff: CapabilityDiff | None = None
    starttls_offered: bool | None = None
    starttls: Reply | None = None
    tls: TLSReport | None = None
    auth_before_tls: list[str] | None = None
    auth_after_tls: list[str] | None = None
    size: SizeInfo | None = None
    vrfy: VrfyResult | None = None
    expn: VrfyResult | None = None
    #: What the server sent when it was not its turn (before or right after its greeting).
    early_talk: str | None = None
    #: ``--early-talk``: how the server treats a client that talks before the greeting.
    early_client: EarlyClient | None = None
    #: Every 421 the server sent, with the stage (it may also be the ``error``).
    replies_421: list[StageReply] = field(default_factory=list)
    enforcement: Enforcement | None = None
    tls_scan: TLSScan | None = None
    #: relay / submission / submissions (smtpshell.probe.findings.PortRole).
    role: str = "relay"
    findings: list[Finding] = field(default_factory=list)
    verdict: str = TransportVerdict.UNKNOWN.value
    grade: str = Grade.UNKNOWN.value
    #: The redacted transcript of each stage, in RFC 5321 notation (C:, S:, * notes).
    transcript: dict[str, list[str]] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    total_ms: float = 0.0
    error: ProbeIssue | None = None
    warnings: list[ProbeIssue] = field(default_factory=list)
    #: Connected to one given address of the host (one target per A/AAAA record).
    pinned: bool = False
    #: The certificates the server presented, leaf first, DER (for DANE; not in JSON).
    peer_chain: list[bytes] = field(default_factory=list, repr=False)
    #: What the domain's DNS and HTTPS policy says about this target (docs/probe.md,
    #: "Domain policy"): a ``smtpshell.probe.policy.assess.PolicyReport``, or None.
    policy: Any = None

    @property
    def target(self) -> str:
        """``host:port``; ``host:port (address)`` for one address of a pool (docs/probe.md,
        "Every address"), so findings, baselines and SARIF tell the addresses apart."""
        where = format_address(self.host, self.port)
        return f"{where} ({self.address})" if self.pinned and self.address else where

    @property
    def capabilities(self) -> list[Capability] | None:
        """The last capabilities seen: over TLS when there was TLS."""
        if self.capabilities_after_tls is not None:
            return self.capabilities_after_tls
        return self.capabilities_before_tls

    @property
    def tls_verification_failed(self) -> bool:
        return self.tls is not None and self.tls.verification == "failed"

    @property
    def ok(self) -> bool:
        """Probed to the end, any certificate verified (or verification was skipped), and
        no published policy (DANE, MTA-STS enforce) says delivery to it must fail.

        A certificate that DANE authenticates needs no public CA (RFC 7672 §3.1.1), so a
        failed PKIX verification does not count against it."""
        if self.policy is not None and self.policy.delivery_fails:
            return False
        dane = self.policy is not None and self.policy.authenticated_by == "dane"
        return self.error is None and (dane or not self.tls_verification_failed)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``smtpshell/probe/schema.json``)."""
        data = {
            "target": self.target,
            "ok": self.ok,
            **{
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if f.name not in ("peer_chain", "policy")
            },
        }
        for name, value in data.items():
            if name == "findings":
                data[name] = [finding.to_dict() for finding in value]
            elif isinstance(value, (Capability, CapabilityDiff)):
                data[name] = value._asdict()
            elif isinstance(value, list) and value and isinstance(value[0], Capability):
                data[name] = [item._asdict() for item in value]
            elif dataclasses.is_dataclass(value):
                data[name] = dataclasses.asdict(value)
            elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
                data[name] = [dataclasses.asdict(item) for item in value]
        if self.tls is not None:
            data["tls"]["chain_length"] = self.tls.chain_length
        data["policy"] = self.policy.to_dict() if self.policy is not None else None
        return data
