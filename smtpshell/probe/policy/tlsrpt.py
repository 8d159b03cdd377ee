"""TLS-RPT (RFC 8460): where a domain wants reports about failed TLS delivery.

Pure: the TXT strings of ``_smtp._tls.DOMAIN`` in, a parsed record or errors out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["TlsRptRecord", "parse_tlsrpt", "tlsrpt_name"]

#: Visible ASCII without a backslash (RFC 3986 §2): records arrive display-escaped, so a
#: control character shows as ``\xNN`` and is rejected with the backslash.
_URI = re.compile(r"^(mailto:[!-?A-\[\]-~]+@[!-?A-\[\]-~]+|https://[!-\[\]-~]+)$", re.IGNORECASE)


def tlsrpt_name(domain: str) -> str:
    return f"_smtp._tls.{domain.rstrip('.')}"


@dataclass(slots=True)
class TlsRptRecord:
    text: str
    version: str | None = None
    rua: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "version": self.version,
            "rua": list(self.rua),
            "errors": list(self.errors),
        }


def parse_tlsrpt(text: str) -> TlsRptRecord:
    """RFC 8460 §3: ``v=TLSRPTv1`` first, then ``rua=`` with comma-separated ``mailto:`` or
    ``https:`` URIs (commas and semicolons inside a URI are %-encoded)."""
    record = TlsRptRecord(text)
    parts = [part.strip() for part in text.split(";") if part.strip()]
    pairs = []
    for part in parts:
        key, eq, value = part.partition("=")
        if not eq:
            record.errors.append(f"field without '=': {part!r}")
            continue
        pairs.append((key.strip(), value.strip()))
    if pairs and pairs[0][0] == "v":
        record.version = pairs[0][1]
    if record.version != "TLSRPTv1":
        record.errors.append("the record does not start with v=TLSRPTv1")
    ruas = [value for key, value in pairs if key == "rua"]
    if len(ruas) != 1:
        record.errors.append("the record needs exactly one rua field")
    for value in ruas[:1]:
        for uri in (item.strip() for item in value.split(",")):
            if _URI.match(uri):
                record.rua.append(uri)
            else:
                record.errors.append(f"rua {uri!r} is not a mailto: or https: URI")
    return record


def tlsrpt_records(texts: Sequence[str]) -> list[str]:
    """The TXT strings that claim to be TLS-RPT records (start with ``v=TLSRPTv1``)."""
    return [text for text in texts if text.replace(" ", "").startswith("v=TLSRPTv1")]
