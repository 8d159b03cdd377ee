"""DANE for SMTP (RFC 7672): TLSA records matched against the chain a server presents.

Pure: the lookups come in as :class:`~.dnsquery.Lookup` values and the chain as DER bytes,
so every rule is table-tested without a server.  The rules (docs/probe.md, "DANE"):

* TLSA records live at ``_PORT._tcp.HOST`` (RFC 7672 §2.2.3, with the CNAME-expanded host
  name tried first when the host is an alias with a secure answer);
* only DNSSEC-secure records count; insecure records mean "DANE does not apply";
  a SERVFAIL (bogus) means a DANE client cannot deliver to this host at all (§2.2);
* usable records are DANE-TA(2) and DANE-EE(3) with a known selector (0 full certificate,
  1 SubjectPublicKeyInfo) and matching type (0 exact, 1 SHA-256, 2 SHA-512) (RFC 6698 §2.1,
  RFC 7672 §3.1); PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (§3.1.3);
* DANE-EE(3) matches the leaf; names and dates are ignored (§3.1.1, RFC 7671 §5.1);
* DANE-TA(2) matches an issuer certificate (or its key) presented in the chain; the chain
  from the leaf up to it must be signed link by link, and the leaf must name the host
  (the MX host name or the TLSA base domain, §3.2.2) and be within its dates (§3.1.2);
* secure usable records and no match: delivery must fail (§2.2, "authentication failure").
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "DaneResult",
    "TLSARecord",
    "association_data",
    "evaluate",
    "tlsa_name",
]

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "Cert", 1: "SPKI"}
MATCHING = {0: "Full", 1: "SHA2-256", 2: "SHA2-512"}
#: A rollover pair needs this many distinct usable records (current + next).
ROLLOVER_MINIMUM = 2

State = Literal[
    "authenticated",  # secure, usable records, the chain matched
    "mismatch",  # secure, usable records, nothing matched: delivery must fail
    "unusable",  # secure records, none usable: TLS without authentication (§2.2)
    "insecure",  # records (or their absence) not DNSSEC-validated: DANE does not apply
    "bogus",  # SERVFAIL: DANE clients defer mail to this host
    "absent",  # secure proof that there are no TLSA records
    "no-tls",  # secure usable records, but no TLS session to check them against
    "indeterminate",  # no answer (timeout)
]


def tlsa_name(host: str, port: int) -> str:
    """``_25._tcp.mx.example.com`` (RFC 6698 §3, RFC 7672 §2.2.3)."""
    return f"_{port}._tcp.{host.rstrip('.')}"


@dataclass(frozen=True, slots=True)
class TLSARecord:
    usage: int
    selector: int
    mtype: int
    data: bytes

    @classmethod
    def from_rdata(cls, rdata) -> TLSARecord:
        return cls(int(rdata.usage), int(rdata.selector), int(rdata.mtype), bytes(rdata.cert))

    @property
    def usable(self) -> bool:
        return self.usage in (2, 3) and self.selector in SELECTORS and self.mtype in MATCHING

    @property
    def text(self) -> str:
        """``3 1 1 ab12...`` as in a zone file, with its mnemonic (RFC 7218)."""
        names = "/".join(
            table.get(value, str(value))
            for table, value in (
                (USAGES, self.usage),
                (SELECTORS, self.selector),
                (MATCHING, self.mtype),
            )
        )
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()} ({names})"


def association_data(der: bytes, selector: int, mtype: int) -> bytes:
    """The association data a TLSA record with ``selector``/``mtype`` has for ``der``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if selector == 0:
        selected = der
    elif selector == 1:
        cert = x509.load_der_x509_certificate(der)
        selected = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        raise ValueError(f"unknown TLSA selector {selector}")
    if mtype == 0:
        return selected
    if mtype == 1:
        return hashlib.sha256(selected).digest()
    if mtype == 2:
        return hashlib.sha512(selected).digest()
    raise ValueError(f"unknown TLSA matching type {mtype}")


@dataclass(frozen=True, slots=True)
class RecordMatch:
    """One TLSA record and what it matched (``depth``: 0 the leaf, 1 its issuer ...)."""

    record: TLSARecord
    depth: int | None
    why_not: str | None = None

    @property
    def matched(self) -> bool:
        return self.depth is not None and self.why_not is None


@dataclass(slots=True)
class DaneResult:
    """DANE for one host and port: the records, their DNSSEC status, and the outcome."""

    host: str
    port: int
    state: State
    tlsa_name: str
    dnssec: str
    records: list[TLSARecord] = field(default_factory=list)
    matches: list[RecordMatch] = field(default_factory=list)
    detail: str = ""
    chain_length: int = 0

    @property
    def authenticated(self) -> bool:
        return self.state == "authenticated"

    @property
    def delivery_fails(self) -> bool:
        """A DANE sender (Postfix, Exim with DNSSEC) would not deliver to this host."""
        return self.state in ("mismatch", "bogus", "no-tls")

    @property
    def usable(self) -> list[TLSARecord]:
        return [record for record in self.records if record.usable]

    @property
    def rollover_ready(self) -> bool:
        """Whether a "current + next" pair is published (RFC 7671 §8.1, RFC 7672 §8.1):
        at least two distinct usable records, so one key or CA can be replaced while the
        other still matches."""
        return len({(r.usage, r.selector, r.mtype, r.data) for r in self.usable}) >= (
            ROLLOVER_MINIMUM
        )

    def to_dict(self) -> dict:
        return {
            "host": self.host,
            "port": self.port,
            "tlsa_name": self.tlsa_name,
            "dnssec": self.dnssec,
            "state": self.state,
            "authenticated": self.authenticated,
            "delivery_fails": self.delivery_fails,
            "detail": self.detail,
            "rollover_ready": self.rollover_ready if self.usable else None,
            "records": [
                {
                    "text": m.record.text,
                    "usable": m.record.usable,
                    "matched": m.matched,
                    "depth": m.depth,
                    "why_not": m.why_not,
                }
                for m in self.matches
            ]
            or [{"text": r.text, "usable": r.usable} for r in self.records],
        }


def _load(der: bytes):
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


def _signed_by(cert, issuer) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # InvalidSignature, ValueError (names differ), TypeError (key type)
        return False
    return True


def _within_dates(cert, now: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _match_record(
    record: TLSARecord,
    chain: Sequence[bytes],
    names: Sequence[str],
    now: datetime.datetime,
) -> RecordMatch:
    if not record.usable:
        why = "PKIX usage: unusable for SMTP" if record.usage in (0, 1) else "unknown parameters"
        return RecordMatch(record, None, why)
    positions = [0] if record.usage == 3 else range(1, len(chain))
    for depth in positions:
        try:
            data = association_data(chain[depth], record.selector, record.mtype)
        except Exception:  # an unreadable certificate in the chain matches nothing
            continue
        if data != record.data:
            continue
        if record.usage == 3:
            return RecordMatch(record, 0)
        return RecordMatch(record, depth, _ta_problem(chain, depth, names, now))
    if record.usage == 2 and len(chain) < 2:
        return RecordMatch(record, None, "the server presented no issuer certificates")
    return RecordMatch(record, None, "matches no certificate in the chain")


def _ta_problem(
    chain: Sequence[bytes], depth: int, names: Sequence[str], now: datetime.datetime
) -> str | None:
    """Why a DANE-TA match at ``depth`` does not authenticate, or None when it does."""
    from smtpshell.probe.certificate import hostname_matches, summarize_certificate

    try:
        certs = [_load(der) for der in chain[: depth + 1]]
    except Exception as exc:
        return f"unreadable certificate in the chain: {exc}"
    for lower, upper in itertools.pairwise(certs):
        if not _signed_by(lower, upper):
            return "the chain from the leaf to the trust anchor is not signed link by link"
    if not _within_dates(certs[0], now):
        return "the server certificate is outside its validity dates"
    summary = summarize_certificate(chain[0])
    if not any(hostname_matches(name, summary.dns_names, summary.ip_addresses) for name in names):
        return "the server certificate names neither " + " nor ".join(names)
    return None


def evaluate(
    host: str,
    port: int,
    lookups: Sequence,
    chain: Sequence[bytes] | None,
    *,
    now: datetime.datetime | None = None,
) -> DaneResult:
    """DANE for ``host``:``port`` from its TLSA lookups (first answer with records wins, in
    the order of RFC 7672 §2.2.3) and the presented chain (leaf first; None: no TLS)."""
    now = now or datetime.datetime.now(datetime.UTC)
    chosen = next((lk for lk in lookups if lk.records or lk.error), lookups[0])
    base = chosen.name
    if chosen.dnssec == "bogus":
        return DaneResult(host, port, "bogus", base, "bogus", detail=chosen.error or "SERVFAIL")
    if chosen.dnssec == "indeterminate":
        return DaneResult(host, port, "indeterminate", base, "indeterminate", detail=chosen.error)
    records = [TLSARecord.from_rdata(rdata) for rdata in chosen.records]
    result = DaneResult(host, port, "absent", base, chosen.dnssec, records)
    if not records:
        result.state = "absent" if chosen.secure else "insecure"
        result.detail = "no TLSA records" + ("" if chosen.secure else " (not DNSSEC-validated)")
        return result
    if not chosen.secure:
        result.state = "insecure"
        result.detail = "insecure: DANE does not apply (the TLSA answer is not DNSSEC-validated)"
        return result
    chain = list(chain or [])
    result.chain_length = len(chain)
    names = [host.rstrip(".")]
    base_host = base.split("._tcp.", 1)[-1]
    if base_host.lower() != names[0].lower():
        names.append(base_host)
    if chain:
        result.matches = [_match_record(record, chain, names, now) for record in records]
    else:
        result.matches = [
            RecordMatch(record, None, "not checked: no TLS session") for record in records
        ]
    if not result.usable:
        result.state = "unusable"
        result.detail = "no usable TLSA record: TLS is required but not authenticated"
    elif not chain:
        result.state = "no-tls"
        result.detail = "secure TLSA records but no TLS session: a DANE sender will not deliver"
    elif any(match.matched for match in result.matches):
        result.state = "authenticated"
        used = next(match for match in result.matches if match.matched)
        result.detail = f"matched {used.record.text.split(' (')[0][:24]}... at depth {used.depth}"
    else:
        result.state = "mismatch"
        result.detail = "no usable TLSA record matches the presented chain"
    return result
