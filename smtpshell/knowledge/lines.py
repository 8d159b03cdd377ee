"""``explain_line()``: what one transcript line means, as data every face styles.

The TUI explain panel, ``/explain``, the lessons and the probe all ask this one function,
so a line is explained the same way everywhere.  It returns parts, each with its source:
the reply code, the class its first digit names, the enhanced status code (RFC 3463), the
EHLO extension or the command verb.  It never styles and never prints.

Server text it quotes back (an unknown verb, an EHLO keyword, a note) is escaped with
``protocol.display``: the result is safe to show as it is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from smtpshell.knowledge.enhanced import ENHANCED_CLASSES, lookup_enhanced, parse_enhanced
from smtpshell.knowledge.explanation import explain
from smtpshell.knowledge.extensions import describe_feature, extension
from smtpshell.knowledge.replies import CLASS_MEANINGS
from smtpshell.knowledge.verbs import command
from smtpshell.protocol.display import display

__all__ = [
    "LINE_TEXTS",
    "Cited",
    "LineExplanation",
    "LineKind",
    "explain_line",
    "explain_reply",
    "explain_term",
]


class LineKind(enum.StrEnum):
    REPLY = "reply"
    EXTENSION = "extension"  # one line of an EHLO answer
    GREETING = "greeting"  # the first line of an EHLO answer
    MALFORMED = "malformed"
    COMMAND = "command"
    ENHANCED = "enhanced"  # an enhanced status code on its own (RFC 3463)
    UNKNOWN_COMMAND = "unknown-command"
    DATA = "data"  # a line of the message body
    SECRET = "secret"  # AUTH data, redacted
    EVENT = "event"  # connect, TLS, close, a note


class Cited(NamedTuple):
    """One fact with where it comes from: ``("550 Mailbox unavailable", "...", "RFC 5321")``."""

    title: str
    text: str = ""
    source: str = ""


class LineExplanation(NamedTuple):
    """Everything known about one line; faces style the parts, never re-derive them."""

    kind: LineKind
    headline: Cited  # what the line is
    code: int | None = None
    reply_class: Cited | None = None  # what the first digit says
    enhanced: Cited | None = None  # the RFC 3463 code, its meaning and source
    items: tuple[tuple[str, str], ...] = ()  # e.g. AUTH mechanisms and their support
    notes: tuple[str, ...] = ()  # warnings: deprecated codes, class mismatches, pairings
    syntax: str | None = None  # a command's syntax
    needs: str | None = None  # the extension a command needs
    advice: Cited | None = None  # what a 4xx or 5xx means for retrying

    @property
    def sources(self) -> tuple[str, ...]:
        """Every citation, in order, without repeats."""
        cited = (self.reply_class, self.headline, self.enhanced)
        found = [part.source for part in cited if part is not None and part.source]
        return tuple(dict.fromkeys(found))


#: The prose for lines that are not in a table (the faces used to hard-code it).
LINE_TEXTS: Mapping[str, Cited] = MappingProxyType(
    {
        "secret": Cited(
            "AUTH data (secret)",
            "redacted here, in exports and in history; F6 reveals it on screen.",
            "RFC 4954 §4",
        ),
        "data": Cited(
            "Message data",
            "a line of the DATA body, or a command the tables do not know.",
            "RFC 5321 §4.1.1.4",
        ),
        "unknown": Cited(
            "{verb}",
            "not a command in smtpshell's tables (message data, or unknown).",
        ),
        "malformed": Cited(
            "Malformed reply line",
            "it does not start with a three-digit code.",
            "RFC 5321 §4.2",
        ),
        "greeting": Cited(
            "EHLO greeting line",
            "the server's name, then one extension per line (select one).",
            "RFC 5321 §4.1.1.1",
        ),
        "tls": Cited("TLS is up", "from here on the connection is encrypted.", "RFC 3207"),
        "connect": Cited("Connected", ""),
        "close": Cited("Connection closed", ""),
        "note": Cited("Note", ""),
        "transient": Cited(
            "4xx is temporary",
            "the same command may work later, so a mail server keeps the message queued and "
            "retries",
            "RFC 5321 §4.5.4.1",
        ),
        "permanent": Cited(
            "5xx is permanent",
            "the same command, sent again unchanged, fails again; a mail server gives up "
            "instead of retrying",
            "RFC 5321 §4.2.1",
        ),
    }
)

_CLASS_SOURCE = "RFC 5321 §4.2.1"


def explain_reply(code: int, text: str = "") -> LineExplanation:
    """A reply (its code and text after the code) explained: ``explain_line`` for "S" lines."""
    info = explain(code, text)
    klass = CLASS_MEANINGS.get(code // 100) if 100 <= code <= 599 else None
    reply_class = Cited(klass[0], klass[1], _CLASS_SOURCE) if klass else None
    enhanced = None
    if info.enhanced:
        title = f"{info.enhanced} {info.enhanced_title or ''}".rstrip()
        enhanced = Cited(title, info.enhanced_description or "", info.enhanced_rfc or "")
    return LineExplanation(
        LineKind.REPLY,
        Cited(f"{info.code} {info.short}", info.long, info.rfc),
        code=info.code,
        reply_class=reply_class,
        enhanced=enhanced,
        notes=info.notes,
        advice=LINE_TEXTS["transient" if info.transient else "permanent"]
        if info.transient or info.permanent
        else None,
    )


def _extension(text: str) -> LineExplanation:
    keyword, _, params = text.partition(" ")
    feature = describe_feature(keyword, params)
    return LineExplanation(
        LineKind.EXTENSION,
        Cited(
            f"{display(feature.keyword)} — {feature.title}",
            display(feature.interpretation or feature.summary),
            feature.rfc,
        ),
        items=tuple((display(name), display(note)) for name, note in feature.items),
    )


def _server_line(text: str, *, verb: str | None, first_line: bool, final: bool) -> LineExplanation:
    code_text, rest = text[:3], text[4:]
    if not (code_text.isascii() and code_text.isdigit()):
        return LineExplanation(LineKind.MALFORMED, LINE_TEXTS["malformed"])
    if verb in ("EHLO", "LHLO") and not final:
        if first_line:
            return LineExplanation(LineKind.GREETING, LINE_TEXTS["greeting"], code=int(code_text))
        return _extension(rest)
    return explain_reply(int(code_text), rest)


def _client_line(text: str, *, secret: bool, data: bool) -> LineExplanation:
    if secret:
        return LineExplanation(LineKind.SECRET, LINE_TEXTS["secret"])
    verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
    info = command(verb) if verb else None
    if info is None:
        if data:
            return LineExplanation(LineKind.DATA, LINE_TEXTS["data"])
        unknown = LINE_TEXTS["unknown"]
        title = unknown.title.format(verb=display(verb) if verb else "This line")
        return LineExplanation(LineKind.UNKNOWN_COMMAND, unknown._replace(title=title))
    return LineExplanation(
        LineKind.COMMAND,
        Cited(info.verb, info.description, info.rfc),
        syntax=info.syntax,
        needs=info.extension,
    )


def explain_line(
    direction: str,
    text: str,
    *,
    verb: str | None = None,
    first_line: bool = False,
    final: bool = True,
    secret: bool = False,
    data: bool = False,
    event: str | None = None,
) -> LineExplanation:
    """Explain one transcript line: ``direction`` is "S" (server), "C" (client) or "*".

    ``verb`` is the command a server line answers (EHLO lines are explained as extensions),
    ``first_line``/``final`` place the line in a multiline reply, ``secret`` marks AUTH
    data, ``data`` a line of the message body, ``event`` names a "*" line ("tls",
    "connect", "close"; anything else is a note).  Never raises.
    """
    if direction == "S":
        return _server_line(text, verb=verb, first_line=first_line, final=final)
    if direction == "C":
        return _client_line(text, secret=secret, data=data)
    label = LINE_TEXTS.get(event or "note", LINE_TEXTS["note"])
    body = f"{label.text} {display(text)}".strip() if label.text else display(text)
    return LineExplanation(LineKind.EVENT, label._replace(text=body))


def _enhanced(text: str) -> LineExplanation | None:
    parsed = parse_enhanced(text)
    if parsed is None or str(parsed) != text:
        return None
    klass = ENHANCED_CLASSES.get(parsed.klass)
    reply_class = Cited(klass.title, klass.description, klass.rfc) if klass else None
    entry = lookup_enhanced(parsed)
    if entry is None:
        headline = Cited(f"{parsed} (not registered)", "no entry in the IANA registry", "")
    else:
        headline = Cited(f"{parsed} {entry.title}", entry.description, entry.rfc)
    notes = ("deprecated in the registry",) if entry is not None and entry.deprecated else ()
    return LineExplanation(
        LineKind.ENHANCED, headline, reply_class=reply_class, enhanced=headline, notes=notes
    )


def explain_term(text: str) -> LineExplanation | None:
    """What ``/explain`` takes: a reply code with optional text (``550 5.1.1 no such
    user``), an enhanced status code (``5.7.1``), an EHLO keyword with optional parameters
    (``SIZE 10240000``, ``PIPELINING``) or a command verb (``RCPT``); None for anything
    else.  A keyword that is also a verb (AUTH, STARTTLS) is explained as the extension,
    with the command's syntax."""
    text = text.strip()
    word, _, rest = text.partition(" ")
    if len(word) == 3 and word.isascii() and word.isdigit():
        return explain_reply(int(word), rest)
    if word[:1].isdigit():
        return _enhanced(word) if not rest else None
    if not word.isascii() or not word.replace("-", "").replace("_", "").isalnum():
        return None
    info = command(word.upper())
    entry = extension(word)
    if entry is not None:
        found = _extension(f"{word.upper()} {rest}".rstrip())
        if not rest:  # the keyword itself, not one server's advertisement of it
            headline = found.headline._replace(text=display(entry.long or entry.summary))
            found = found._replace(headline=headline, items=())
        if info is not None:
            return found._replace(syntax=info.syntax)
        return found
    if info is not None and not rest:
        return _client_line(word, secret=False, data=False)
    return None
