"""MTA-STS (RFC 8461): the TXT record, the HTTPS policy, and whether the MX hosts match it.

Parsing and matching are pure; :func:`fetch_policy` is the one piece of I/O (HTTPS, with
certificate verification, no redirects, a size cap and a deadline).  The rules are in
docs/probe.md, "MTA-STS".
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from smtpshell.protocol.display import SafeText, display

__all__ = [
    "MAX_POLICY_BYTES",
    "FetchResult",
    "Policy",
    "StsRecord",
    "fetch_policy",
    "mx_matches",
    "parse_policy",
    "parse_sts_record",
    "policy_host",
    "policy_url",
]

#: The largest policy body read (RFC 8461 sets no limit; real policies are < 1 KiB).
MAX_POLICY_BYTES = 64 * 1024
#: RFC 8461 §3.2: max_age "up to 31557600" (one year).
MAX_AGE_LIMIT = 31_557_600
#: Shorter than a day defeats the point of caching a policy (RFC 8461 §10.2 advises weeks).
MAX_AGE_ADVISED = 86_400
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_MODES = ("enforce", "testing", "none")


def policy_host(domain: str) -> str:
    return f"mta-sts.{domain.rstrip('.')}"


def policy_url(domain: str) -> str:
    """The well-known URL (RFC 8461 §3.3): what the user sees, whatever the test override."""
    return f"https://{policy_host(domain)}/.well-known/mta-sts.txt"


# ------------------------------------------------------------------------------ TXT record


@dataclass(frozen=True, slots=True)
class StsRecord:
    """A parsed ``_mta-sts`` TXT record: ``v=STSv1; id=...`` (RFC 8461 §3.1)."""

    text: str
    id: str | None
    error: str | None = None


def txt_text(rdata) -> SafeText:
    """A TXT record's strings joined (RFC 7208 §3.3 style), as display-safe text.

    Parsing works on the escaped text: every valid record is printable ASCII, which
    ``display`` leaves as it is, and a control character turns into a visible escape that
    no field's grammar accepts."""
    return display(b"".join(rdata.strings))


def parse_sts_record(text: str) -> StsRecord:
    """``v=STSv1`` first, then ``id`` (1 to 32 letters and digits); other fields ignored."""
    fields = [part.strip() for part in text.split(";")]
    pairs: list[tuple[str, str]] = []
    for part in fields:
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            return StsRecord(text, None, f"field without '=': {part!r}")
        pairs.append((key.strip(), value.strip()))
    if not pairs or pairs[0] != ("v", "STSv1"):
        return StsRecord(text, None, "the record does not start with v=STSv1")
    ids = [value for key, value in pairs if key == "id"]
    if len(ids) != 1:
        return StsRecord(text, None, "the record needs exactly one id field")
    if not _ID.match(ids[0]):
        return StsRecord(text, ids[0], f"id {ids[0]!r} is not 1 to 32 letters and digits")
    return StsRecord(text, ids[0])


def sts_records(txt_rdatas: Sequence) -> list[str]:
    """The TXT strings that are MTA-STS records (start with ``v=STSv1``), in order."""
    texts = [txt_text(rdata) for rdata in txt_rdatas]
    return [text for text in texts if text.replace(" ", "").startswith("v=STSv1")]


# ------------------------------------------------------------------------------ policy


@dataclass(slots=True)
class Policy:
    """A parsed policy file (RFC 8461 §3.2)."""

    version: str | None = None
    mode: str | None = None
    max_age: int | None = None
    mx: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "mode": self.mode,
            "max_age": self.max_age,
            "mx": list(self.mx),
            "errors": list(self.errors),
        }


def parse_policy(body: str) -> Policy:
    """``key: value`` lines (CRLF or LF).  Unknown keys are ignored (§3.2); the first
    ``version``, ``mode`` and ``max_age`` count, every ``mx`` adds a pattern."""
    policy = Policy()
    seen: set[str] = set()
    for number, raw in enumerate(body.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            policy.errors.append(f"line {number}: no ':' in {line!r}")
            continue
        key, value = key.strip(), value.strip()
        if key == "mx":
            policy.mx.append(value)
            continue
        if key in seen:
            continue
        seen.add(key)
        if key == "version":
            policy.version = value
        elif key == "mode":
            policy.mode = value
        elif key == "max_age":
            if value.isascii() and value.isdigit() and len(value) <= 10:
                policy.max_age = int(value)
            else:
                policy.errors.append(f"max_age {value!r} is not a number of seconds")
    if policy.version != "STSv1":
        policy.errors.append(f"version is {policy.version!r}, not 'STSv1'")
    if policy.mode not in _MODES:
        policy.errors.append(f"mode is {policy.mode!r}, not one of {', '.join(_MODES)}")
    if policy.max_age is None and not any("max_age" in e for e in policy.errors):
        policy.errors.append("max_age is missing")
    elif policy.max_age is not None and policy.max_age > MAX_AGE_LIMIT:
        policy.errors.append(f"max_age {policy.max_age} is above {MAX_AGE_LIMIT} (one year)")
    if policy.mode in ("enforce", "testing") and not policy.mx:
        policy.errors.append(f"mode {policy.mode} needs at least one mx line")
    return policy


def mx_matches(host: str, pattern: str) -> bool:
    """RFC 8461 §4.1: a pattern matches the host exactly, or ``*.`` stands for exactly one
    leftmost label (``*.example.com`` matches ``mx.example.com``, not ``a.b.example.com``
    nor ``example.com``).  Case-insensitive; a final dot is ignored."""
    host = host.rstrip(".").lower()
    pattern = pattern.strip().rstrip(".").lower()
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return host == pattern


def covering_pattern(host: str, patterns: Sequence[str]) -> str | None:
    return next((pattern for pattern in patterns if mx_matches(host, pattern)), None)


# ------------------------------------------------------------------------------ fetch


@dataclass(slots=True)
class FetchResult:
    """What the policy URL returned; ``error`` says why there is no policy body."""

    url: str
    status: int | None = None
    content_type: str | None = None
    body: str | None = None
    error: str | None = None
    kind: Literal["ok", "tls", "redirect", "status", "media-type", "size", "network"] = "ok"


class _Connection(http.client.HTTPSConnection):
    """HTTPS to ``address`` while the TLS name, Host header and check use ``host``."""

    def __init__(self, host: str, address: tuple[str, int], context, timeout: float):
        super().__init__(host, 443, timeout=timeout, context=context)
        self._address = address
        self._tls_context = context

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)


def fetch_policy(
    domain: str,
    *,
    context: ssl.SSLContext,
    timeout: float = 10.0,
    connect_to: tuple[str, int] | None = None,
    max_bytes: int = MAX_POLICY_BYTES,
) -> FetchResult:
    """GET the policy (RFC 8461 §3.3): verified TLS for ``mta-sts.DOMAIN``, no redirects,
    media type ``text/plain``, at most ``max_bytes``, all within ``timeout`` seconds.

    ``connect_to`` sends the connection elsewhere (tests: a local HTTPS server) while the
    name that is verified, sent and shown stays ``mta-sts.DOMAIN``.  Never raises.
    """
    host = policy_host(domain)
    url = policy_url(domain)
    result = FetchResult(url)
    deadline = time.monotonic() + timeout
    connection = _Connection(host, connect_to or (host, 443), context, timeout)
    try:
        connection.request(
            "GET",
            "/.well-known/mta-sts.txt",
            headers={"User-Agent": "smtpshell-probe", "Accept": "text/plain"},
        )
        response = connection.getresponse()
        result.status = response.status
        result.content_type = response.getheader("Content-Type")
        if 300 <= response.status < 400:
            location = response.getheader("Location") or "(no Location)"
            result.kind, result.error = (
                "redirect",
                (
                    f"HTTP {response.status} redirect to {location}: RFC 8461 §3.3 forbids"
                    " following redirects"
                ),
            )
            return result
        if response.status != 200:
            result.kind, result.error = "status", f"HTTP {response.status} {response.reason}"
            return result
        media = (result.content_type or "").split(";", 1)[0].strip().lower()
        if media != "text/plain":
            result.kind = "media-type"
            result.error = f"media type is {result.content_type!r}, not text/plain (§3.3)"
            return result
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the policy did not arrive within {timeout:g} s")
            if connection.sock is not None:  # a trickling server cannot stretch the deadline
                connection.sock.settimeout(remaining)
            chunk = response.read1(16384)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                result.kind = "size"
                result.error = f"the policy is larger than {max_bytes} bytes"
                return result
            chunks.append(chunk)
        # Lines split on the raw bytes, each made display-safe: the parsed values (mode,
        # patterns) are then safe to show, and a control character cannot hide in them.
        lines = b"".join(chunks).split(b"\n")
        result.body = "\n".join(display(line.removesuffix(b"\r")) for line in lines)
    except ssl.SSLCertVerificationError as exc:
        result.kind = "tls"
        result.error = f"certificate verification failed: {exc.verify_message or exc}"
    except ssl.SSLError as exc:
        result.kind, result.error = "tls", f"TLS handshake failed: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        result.kind = "network"
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    finally:
        connection.close()
    return result
