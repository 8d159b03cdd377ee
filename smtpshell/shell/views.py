"""What a face shows about the session, as data: status, TLS, features.

``/status``, ``/tls`` and ``/features`` render these views as tables; the TUI inspector
reads the same views, so no face runs a command to read its printed output.  Every value
that a server controls (certificate fields, EHLO keywords and parameters, mechanism names)
is a :class:`~smtpshell.protocol.display.SafeText`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple

from smtpshell.knowledge import FeatureInfo, describe_feature
from smtpshell.protocol.capabilities import Capabilities, parse_capabilities
from smtpshell.protocol.display import SafeText, display

if TYPE_CHECKING:
    from smtpshell.shell.engine import Engine

__all__ = ["FeatureRow", "Row", "Views", "capabilities_of"]


class Row(NamedTuple):
    """One labelled fact: ``("version", "TLSv1.3")``."""

    label: str
    value: str


class FeatureRow(NamedTuple):
    """One advertised extension, explained; server text escaped."""

    keyword: SafeText
    params: SafeText
    meaning: SafeText
    source: str
    info: FeatureInfo


def capabilities_of(client: object) -> Capabilities:
    """The client's last EHLO answer as the capabilities model (empty without one)."""
    if client is None or not getattr(client, "does_esmtp", False):
        return Capabilities()
    return parse_capabilities(getattr(client, "ehlo_resp", None))


def explain_feature(keyword: SafeText, params: SafeText) -> FeatureRow:
    info = describe_feature(_raw(keyword), _raw(params))
    meaning = display(info.interpretation or info.summary)
    safe = info._replace(
        keyword=display(info.keyword),
        params=display(info.params),
        interpretation=display(info.interpretation),
        items=tuple((display(name), display(note)) for name, note in info.items),
    )
    return FeatureRow(keyword, params, meaning, info.rfc, safe)


def _raw(text: SafeText) -> str:
    raw = text.raw
    return raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")


def _name(entries: object) -> SafeText:
    parts = []
    for rdn in entries or ():  # type: ignore[attr-defined]
        for key, value in rdn:
            parts.append(f"{key}={value}")
    return display(", ".join(parts))


def _unverified_certificate_rows(der: bytes) -> list[Row]:
    """An unverified peer's certificate, decoded for display only (trust nothing in it)."""
    try:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        return [
            Row("subject", display(cert.subject.rfc4514_string())),
            Row("issuer", display(cert.issuer.rfc4514_string())),
            Row("valid", f"{cert.not_valid_before_utc} to {cert.not_valid_after_utc}"),
        ]
    except Exception:  # display only: a broken certificate is shown by its hash
        return [Row("certificate", "could not be decoded")]


def certificate_rows(cert: dict | None, der: bytes | None) -> list[Row]:  # type: ignore[type-arg]
    rows: list[Row] = []
    if cert:
        rows.append(Row("subject", _name(cert.get("subject"))))
        rows.append(Row("issuer", _name(cert.get("issuer"))))
        valid = f"{cert.get('notBefore')} to {cert.get('notAfter')}"
        rows.append(Row("valid", display(valid)))
        names = ", ".join(f"{k}:{v}" for k, v in cert.get("subjectAltName", ()))
        rows.append(Row("names", display(names) if names else "-"))
    elif der:
        rows += _unverified_certificate_rows(der)
    if der:
        rows.append(Row("sha256", hashlib.sha256(der).hexdigest()))
    return rows


class Views:
    """The engine's session, as rows a face styles (``engine.views``)."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def capabilities(self) -> Capabilities:
        return capabilities_of(self._engine.client)

    def features(self) -> tuple[FeatureRow, ...] | None:
        """Each advertised extension explained; None before any EHLO answer."""
        client = self._engine.client
        if client is None or not client.does_esmtp:
            return None
        return tuple(explain_feature(cap.keyword, cap.params) for cap in self.capabilities())

    def tls(self) -> tuple[Row, ...] | None:
        """The TLS session and the certificate; None without TLS."""
        client = self._engine.client
        info = client.tls_info() if client is not None else None
        if info is None:
            return None
        rows = [
            Row("version", display(str(info.get("version")))),
            Row("cipher", display(f"{info.get('cipher')} ({info.get('bits')} bits)")),
            Row("verified", "yes" if info.get("verified") else "NO: any certificate was accepted"),
            Row("host name checked", "yes" if info.get("hostname_checked") else "no"),
            Row("server name (SNI)", display(str(info.get("server_hostname")))),
        ]
        rows += certificate_rows(info.get("peer_cert"), info.get("peer_cert_der"))
        return tuple(rows)

    def status(self) -> tuple[Row, ...]:
        """Where the session is, in full (what the prompt shows, and more)."""
        engine = self._engine
        s = engine.status()
        client = engine.client
        session = client.session if client is not None else None
        recipients = ", ".join(session.recipients) if session and session.recipients else ""
        replay = engine.replay
        rows = (
            Row("target", display(s.target) if s.target else "-"),
            Row("connected", "yes" if s.connected else "no"),
            Row("protocol", "LMTP" if s.lmtp else "SMTP"),
            Row("TLS", ("verified" if s.tls_verified else "NOT verified") if s.tls else "no"),
            Row("authenticated as", display(s.user) if s.user else "-"),
            Row("stage", s.stage),
            Row("sender", display(session.mail_from) if session and session.mail_from else "-"),
            Row("recipients", display(recipients) if recipients else "-"),
            Row("last reply", display(str(engine.last_reply)) if engine.last_reply else "-"),
            Row("mode", s.mode.value),
            Row("secrets", "REVEALED" if s.reveal else "redacted"),
        )
        if replay is not None:
            rows += (Row("replay", f"{replay.label} of {display(replay.path)}"),)
        return rows
