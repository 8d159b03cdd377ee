"""What the lesson says about what just happened, as :class:`Block` data for any face.

Everything here is read from the knowledge tables and from transcript events as a renderer
sees them: an AUTH payload is only ever looked at in its redacted form, so the decoded
exchange names the user and the *shape* of each answer (``base64('' NUL 'demo' NUL
'****')``) without the password ever being read, let alone shown.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smtpshell.knowledge import describe_feature, explain_reply, mechanism
from smtpshell.protocol.capabilities import Capability, diff_capabilities
from smtpshell.protocol.display import display
from smtpshell.shell.results import ReplyRecord, plural
from smtpshell.transcript import AuthFacts, Event, EventKind, escape_bytes

__all__ = [
    "MASK",
    "Block",
    "BlockKind",
    "auth_block",
    "features_block",
    "reply_block",
    "stored_block",
]

#: What a password or token is shown as: always the same length, so it tells nothing.
MASK = "****"


class BlockKind(enum.StrEnum):
    LESSON = "lesson"  # the lesson's title, introduction and server setup
    STEP = "step"  # a step's title, explanation and what to type
    DONE = "done"  # a step was completed (its takeaway follows as lines)
    NOT_YET = "not_yet"  # the step is not done yet: why, and the hint
    HINT = "hint"
    SOLUTION = "solution"
    EXPLAIN = "explain"  # a reply, explained from the tables
    FEATURES = "features"  # EHLO keywords explained, or what changed since the last EHLO
    AUTH = "auth"  # the AUTH exchange decoded, secrets masked
    STORED = "stored"  # what the practice server kept of an accepted message
    FINISHED = "finished"  # the lesson is complete
    INFO = "info"  # anything else the lesson says (resumed, press Enter ...)


@dataclass(frozen=True, slots=True)
class Block:
    """A titled group of lines.  A line starting with two spaces is preformatted (wire
    text, tables); other lines are prose a face may wrap."""

    kind: BlockKind
    title: str
    lines: tuple[str, ...] = ()


# --------------------------------------------------------------------------- replies


def reply_block(reply: ReplyRecord, *, presenter: bool = False) -> Block:
    """The reply explained: short form normally, the long form for a projector."""
    info = explain_reply(reply.code, reply.first_line)
    head, klass, enhanced = info.headline, info.reply_class, info.enhanced
    lines: list[str] = []
    if presenter:
        lines.append(f"{head.text} ({head.source})")
    else:
        lines.append(f"{klass.title if klass else 'Not a valid SMTP reply code'} ({head.source}).")
    if enhanced is not None:
        detail = f"Enhanced status {enhanced.title.replace(' ', ': ', 1)}"
        if presenter and enhanced.text:
            detail += f". {enhanced.text}"
        lines.append(f"{detail} ({enhanced.source}).")
    if info.advice is not None:
        advice = info.advice
        lines.append(f"{advice.title}: {advice.text} ({advice.source}).")
    lines.extend(info.notes)
    return Block(BlockKind.EXPLAIN, head.title, tuple(lines))


# --------------------------------------------------------------------------- features


def features_block(
    features: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    *,
    presenter: bool = False,
) -> Block:
    """Every keyword the first time; afterwards what changed, which is the lesson of
    STARTTLS (RFC 3207 §4.2: the client must forget what it knew and ask again)."""
    if previous is None:
        rows = [_feature_row(k, v, presenter) for k, v in features.items()]
        title = f"{plural(len(rows), 'extension')} advertised"
        return Block(BlockKind.FEATURES, title, tuple(rows))
    diff = diff_capabilities(_as_capabilities(previous), _as_capabilities(features))
    if diff.empty:
        return Block(BlockKind.FEATURES, "The same extensions as the last EHLO")
    lines = [f"new: {_feature_row(c.keyword, c.params, presenter).strip()}" for c in diff.added]
    lines += [f"gone: {c.name}" for c in diff.removed]
    lines += [f"changed: {c.name} {c.before} -> {c.after}" for c in diff.changed]
    return Block(BlockKind.FEATURES, "The extensions changed since the last EHLO", tuple(lines))


def _as_capabilities(features: Mapping[str, str]) -> list[Capability]:
    """smtplib's feature dict as the capabilities model (for its one STARTTLS diff rule)."""
    return [Capability(keyword.upper(), params.strip()) for keyword, params in features.items()]


def _feature_row(keyword: str, params: str, presenter: bool) -> str:
    """``  KEYWORD  title: parameters (RFC)``; a face wraps it under the second column."""
    info = describe_feature(keyword, params)
    what = info.title
    if info.params:
        short = info.interpretation and (presenter or len(info.interpretation) < 60)
        what += f": {display(info.interpretation)}" if short else f": {display(info.params)}"
    row = f"  {display(info.keyword):<20} {what}" + (f" ({info.rfc})" if info.rfc else "")
    return display(row)


# --------------------------------------------------------------------------- AUTH


def _decode_challenge(text: bytes) -> str:
    try:
        decoded = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return escape_bytes(text.strip())
    # Quoted, not repr(): repr would escape the escapes, and a NUL would show as \\x00.
    return f"'{escape_bytes(decoded)}'" if decoded else "(empty)"


def _answer_shape(name: str, challenge: str | None, user: str | None) -> str:
    """What a client answer carries, with the secret masked: from the mechanism's rules,
    never from the answer's bytes."""
    who = repr(user) if user else "<user>"
    plain_user = user or "<user>"
    if name == "PLAIN":
        return f"base64( '' NUL {who} NUL '{MASK}' )   authorisation id, user, password"
    if name == "LOGIN":
        if challenge is not None and "pass" in challenge.lower():
            return f"base64('{MASK}')   the password, only base64-encoded"
        return f"base64({who})   the user name"
    if name == "CRAM-MD5":
        return f"base64({who} + ' ' + hex HMAC-MD5(password, challenge))   no password"
    if name.startswith("SCRAM-"):
        if challenge is not None and challenge.strip("'").startswith("v="):
            return "(empty)   the server's signature checked: it knows the password too"
        if challenge is not None and "s=" in challenge and "i=" in challenge:
            return "base64('c=biws,r=<nonce>,p=<client proof>')   proof, not the password"
        return f"base64('n,,n={plain_user},r=<client nonce>')   client-first message"
    if name == "XOAUTH2":
        return f"base64('user={plain_user}' ^A 'auth=Bearer {MASK}' ^A ^A)   token masked"
    if name == "OAUTHBEARER":
        return f"base64('n,a={plain_user},' ^A 'auth=Bearer {MASK}' ^A ^A)   token masked"
    return "<secret, not shown>"


def auth_block(
    events: Iterable[Event],
    user: str | None = None,
    *,
    tls: bool = False,
    presenter: bool = False,
) -> Block | None:
    """The AUTH exchange in ``events`` decoded, secrets masked; None when there was none.

    ``user`` is who the session is logged in as afterwards (the client's notes name it
    too); only redacted forms of secret events are read.
    """
    name: str | None = None
    challenge: str | None = None
    lines: list[str] = []
    for event in events:
        facts = event.facts
        if event.kind is EventKind.INFO and isinstance(facts, AuthFacts) and facts.mechanism:
            name = facts.mechanism.upper()
            user = str(facts.user or user or "") or None
        elif event.kind is EventKind.SENT:
            shown = display(event.shown(False).rstrip(b"\r\n"))
            words = shown.split()
            if len(words) >= 2 and words[0].upper() == "AUTH":
                name, challenge = words[1].upper(), None
                if event.secret:
                    lines.append(f"C: AUTH {name} {_answer_shape(name, None, user)}")
                else:
                    lines.append(f"C: AUTH {name}   (no initial response: the server asks)")
            elif name is not None and event.secret:
                lines.append(f"C: {_answer_shape(name, challenge, user)}")
            elif name is not None and shown.strip() == "*":
                lines.append("C: *   (the client gives up the exchange)")
        elif event.kind is EventKind.RECEIVED and name is not None and event.final:
            code = event.code
            text = event.data.rstrip(b"\r\n").split(b"\n")[-1][4:]
            if code == 334:
                challenge = _decode_challenge(text)
                lines.append(f"S: 334 {challenge}   (base64-decoded)")
            else:
                lines.append(f"S: {code} {escape_bytes(text.strip())}")
    if not lines:
        return None
    info = mechanism(name) if name else None
    body = [f"  {line}" for line in lines]
    if info is not None:
        body.append(f"{info.name} ({info.rfc}): {info.wire}")
        if presenter and info.notes and not info.cleartext_password:
            body.append(info.notes)
        if info.cleartext_password:
            body.append(
                "Base64 is an encoding, not encryption: whoever sees this line can read the "
                "password" + (" - here only TLS protects it." if tls else ", and there is no TLS.")
            )
    body.append(
        f"smtpshell redacts AUTH data in the log, history and exports; here it is masked as {MASK}."
    )
    return Block(BlockKind.AUTH, "What the AUTH exchange carried (decoded)", tuple(body))


# --------------------------------------------------------------------------- messages


def stored_block(message: Any, *, presenter: bool = False) -> Block:
    """What the practice server kept: envelope and headers side by side, the lesson of
    envelope vs headers (RFC 5321 §2.3.1 vs RFC 5322)."""
    head, _, body = bytes(message.data).partition(b"\r\n\r\n")
    headers = [escape_bytes(line) for line in head.split(b"\r\n") if line]
    wanted = ("from:", "to:", "cc:", "subject:", "return-path:", "delivered-to:")
    shown = [h for h in headers if presenter or h.lower().startswith(wanted)]
    lines = [
        f"  envelope  MAIL FROM:<{escape_bytes(message.mail_from.encode())}>",
        *(f"  envelope  RCPT TO:<{escape_bytes(r.encode())}>" for r in message.rcpt_tos),
        *(f"  header    {h}" for h in shown),
    ]
    body_lines = [escape_bytes(line) for line in body.split(b"\r\n")]
    limit = 8 if presenter else 4
    for line in _trimmed(body_lines)[:limit]:
        lines.append(f"  body      {line}")
    how = [message.protocol]
    if message.tls:
        how.append("over TLS")
    if message.authenticated_as:
        how.append(f"authenticated as {message.authenticated_as}")
    lines.append(f"{plural(message.size, 'byte')}, {', '.join(how)}.")
    return Block(BlockKind.STORED, "What the practice server stored", tuple(lines))


def _trimmed(lines: Sequence[str]) -> list[str]:
    out = list(lines)
    while out and not out[-1]:
        out.pop()
    return out
