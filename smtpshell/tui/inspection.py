"""What the inspector shows, gathered from the engine in one snapshot.

Read on the UI thread between jobs; everything here is a copy, so the widgets never touch
the live client.  The only thing remembered across snapshots is the EHLO answer seen before
STARTTLS, to show what changed once TLS was up (RFC 3207 §4.2: the server may offer
different extensions after the handshake).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpshell.knowledge import FeatureInfo, describe_feature, human_size, mechanism
from smtpshell.knowledge.auth import split_mechanisms
from smtpshell.shell import Engine, Status, Table

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
    plain_features: dict[str, str] = field(default_factory=dict)

    def observe(self, client: object, tls: bool, features: dict[str, str]) -> dict[str, str]:
        if id(client) != self.client_id:
            self.client_id, self.plain_features = id(client), {}
        if not tls and features:
            self.plain_features = dict(features)
        return self.plain_features


def _changes(before: dict[str, str], after: dict[str, str]) -> FeatureChanges:
    added = tuple(k.upper() for k in after if k not in before)
    removed = tuple(k.upper() for k in before if k not in after)
    changed = tuple(
        (k.upper(), before[k], after[k]) for k in after if k in before and before[k] != after[k]
    )
    return FeatureChanges(added, removed, changed)


def _mechanisms(params: str) -> tuple[Mechanism, ...]:
    out = []
    for name in split_mechanisms(params):
        info = mechanism(name)
        if info is None:
            out.append(Mechanism(name, False, "unknown mechanism"))
        else:
            note = info.summary
            if info.supported and info.cleartext_password:
                note += " Sends the password in the clear: use TLS."
            out.append(Mechanism(info.name, info.supported, note))
    return tuple(out)


def _tls_rows(engine: Engine) -> tuple[tuple[str, str], ...]:
    """The rows ``/tls`` shows, so the inspector and the shell never disagree."""
    spec = engine.registry.get("tls")
    if spec is None or engine.client is None or engine.client.tls_info() is None:
        return ()
    result = spec.handler(engine, engine.registry.parse("/tls"))
    for item in result.items if result is not None else ():
        if isinstance(item, Table):
            return tuple((row[0], row[-1]) for row in item.rows if row)
    return ()


def _short_reply(engine: Engine) -> str | None:
    reply = engine.last_reply
    if reply is None:
        return None
    more = " …" if len(reply.lines) > 1 else ""
    return f"{reply.code} {reply.first_line}{more}"


def gather(engine: Engine, memory: FeatureMemory) -> InspectorData:
    """One consistent-enough snapshot of the session for the inspector and status bar."""
    status = engine.status()
    client = engine.client
    if client is None:
        return InspectorData(status=status)
    session = client.session
    features = dict(client.esmtp_features) if client.does_esmtp else {}
    plain = memory.observe(client, session.tls, features)
    infos = tuple(describe_feature(k, v) for k, v in features.items())
    size = features.get("size")
    size_limit = None
    if size is not None:
        size_limit = human_size(int(size)) if size.strip().isdigit() and int(size) else "no limit"
    changes = _changes(plain, features) if session.tls and plain and features else None
    return InspectorData(
        status=status,
        greeted=session.greeted,
        esmtp=session.esmtp,
        mail_from=session.mail_from,
        recipients=tuple(session.recipients),
        in_data=session.in_data,
        features=infos,
        mechanisms=_mechanisms(features.get("auth", "")),
        size_limit=size_limit,
        tls_rows=_tls_rows(engine),
        tls_changes=changes,
        last_reply=_short_reply(engine),
    )
