"""What the inspector shows, gathered from the engine in one snapshot.

Read on the UI thread between jobs; everything here is a copy, so the widgets never touch
the live client.  The only thing remembered across snapshots is the EHLO answer seen before
STARTTLS, to show what changed once TLS was up (RFC 3207 §4.2: the server may offer
different extensions after the handshake).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpshell.knowledge import FeatureInfo, human_size, mechanism
from smtpshell.protocol.capabilities import Capabilities, SizeKind, SizeLimit
from smtpshell.protocol.display import SafeText, display
from smtpshell.shell import Engine, Status

__all__ = [
    "FeatureChanges",
    "FeatureMemory",
    "InspectorData",
    "Mechanism",
    "gather",
    "target_label",
]


def target_label(status: Status) -> str:
    """The target, short: the practice server's address changes every run, its port not."""
    target = status.target or "?"
    if status.practice:
        return "practice server :" + target.split("?", 1)[0].rsplit(":", 1)[-1]
    return target


@dataclass(frozen=True, slots=True)
class Mechanism:
    """An AUTH mechanism the server offers, and whether smtpshell can use it."""

    name: str
    supported: bool
    note: str


@dataclass(frozen=True, slots=True)
class FeatureChanges:
    """EHLO keywords before STARTTLS vs after: what TLS unlocked or withdrew."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, str, str], ...]  # keyword, before, after


@dataclass(frozen=True, slots=True)
class InspectorData:
    """Everything the inspector renders (plain data: cheap to compare and to test)."""

    status: Status
    greeted: bool = False
    esmtp: bool = False
    mail_from: str | None = None
    recipients: tuple[str, ...] = ()
    in_data: bool = False
    features: tuple[FeatureInfo, ...] = ()
    mechanisms: tuple[Mechanism, ...] = ()
    size_limit: str | None = None
    tls_rows: tuple[tuple[str, str], ...] = ()
    tls_changes: FeatureChanges | None = None
    last_reply: str | None = None

    @property
    def keywords(self) -> tuple[str, ...]:
        return tuple(f.keyword for f in self.features)


@dataclass
class FeatureMemory:
    """Remembers the last EHLO answer of a plain-text session, per client object."""

    client_id: int | None = None
    plain: Capabilities = field(default_factory=Capabilities)

    def observe(self, client: object, tls: bool, capabilities: Capabilities) -> Capabilities:
        if id(client) != self.client_id:
            self.client_id, self.plain = id(client), Capabilities()
        if not tls and capabilities:
            self.plain = capabilities
        return self.plain


def _changes(before: Capabilities, after: Capabilities) -> FeatureChanges:
    """The one STARTTLS diff rule (protocol.capabilities), as the inspector shows it."""
    diff = before.diff(after)
    return FeatureChanges(
        tuple(cap.keyword for cap in diff.added),
        tuple(cap.keyword for cap in diff.removed),
        tuple((change.keyword, change.before, change.after) for change in diff.changed),
    )


def _mechanisms(names: tuple[SafeText, ...]) -> tuple[Mechanism, ...]:
    out = []
    for name in names:
        info = mechanism(name)  # known names are printable ASCII: escaped == raw
        if info is None:
            out.append(Mechanism(name, False, "unknown mechanism"))
        else:
            note = info.summary
            if info.supported and info.cleartext_password:
                note += " Sends the password in the clear: use TLS."
            out.append(Mechanism(display(info.name), info.supported, note))
    return tuple(out)


def _size_label(size: SizeLimit) -> str | None:
    if size.kind is SizeKind.ABSENT:
        return None
    if size.kind is SizeKind.LIMIT and size.limit is not None:
        return human_size(size.limit)
    if size.kind is SizeKind.INVALID:
        return f"unreadable ({size.text})"
    return "no limit"


def _short_reply(engine: Engine) -> str | None:
    reply = engine.last_reply
    if reply is None:
        return None
    more = " …" if len(reply.lines) > 1 else ""
    return display(f"{reply.code} {reply.first_line}{more}")


def gather(engine: Engine, memory: FeatureMemory) -> InspectorData:
    """One consistent-enough snapshot of the session for the inspector and status bar."""
    status = engine.status()
    client = engine.client
    if client is None or not client.session.connected:
        # No session (never connected, QUIT, or a reconnect that failed half-way): nothing
        # a server said earlier describes it any more.
        return InspectorData(status=status)
    session = client.session
    views = engine.views
    caps = views.capabilities()
    plain = memory.observe(client, session.tls, caps)
    rows = views.features() or ()
    changes = _changes(plain, caps) if session.tls and plain and caps else None
    return InspectorData(
        status=status,
        greeted=session.greeted,
        esmtp=session.esmtp,
        mail_from=display(session.mail_from) if session.mail_from is not None else None,
        recipients=tuple(display(r) for r in session.recipients),
        in_data=session.in_data,
        features=tuple(row.info for row in rows),
        mechanisms=_mechanisms(caps.auth),
        size_limit=_size_label(caps.size),
        tls_rows=tuple((row.label, row.value) for row in views.tls() or ()),
        tls_changes=changes,
        last_reply=_short_reply(engine),
    )
