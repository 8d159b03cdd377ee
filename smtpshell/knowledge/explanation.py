"""``explain(code, text)``: one reply, explained from the tables, for any input at all.

The REPL prints ``Explanation.short`` inline after each reply and ``long`` on request; the
teaching mode adds the enhanced code's meaning.  Unknown codes fall back on the digit rules
(RFC 5321 §4.2.1) and unregistered enhanced codes on their subject (RFC 3463 §3), so an
odd server still gets an answer instead of an exception.
"""

from __future__ import annotations

from typing import NamedTuple

from smtpshell.knowledge.enhanced import (
    ENHANCED_CLASSES,
    ENHANCED_SUBJECTS,
    lookup_enhanced,
    pairing_note,
    parse_enhanced,
)
from smtpshell.knowledge.replies import (
    CATEGORY_MEANINGS,
    CLASS_MEANINGS,
    reply_class,
    reply_code,
)

__all__ = ["Explanation", "explain"]


class Explanation(NamedTuple):
    """Everything known about one reply; ``known`` is False when only digit rules applied."""

    code: int
    short: str
    long: str
    rfc: str
    reply_class: str
    known: bool
    enhanced: str | None = None
    enhanced_title: str | None = None
    enhanced_description: str | None = None
    enhanced_rfc: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def transient(self) -> bool:
        """A 4xx reply: the same command may work later."""
        return 400 <= self.code <= 499

    @property
    def permanent(self) -> bool:
        """A 5xx reply: repeating the same command unchanged will fail again."""
        return 500 <= self.code <= 599


def _as_text(text: object) -> str:
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", "replace")
    if isinstance(text, str):
        return text
    return ""


def _first_line(text: str) -> str:
    return text.lstrip(" ").split("\n", 1)[0].rstrip("\r")


def _fallback(code: int) -> tuple[str, str, str]:
    """short, long, rfc for a code outside the table, from its first two digits."""
    if not 100 <= code <= 599:
        return (
            "Not a valid reply code",
            "SMTP reply codes are three digits from 2xx to 5xx (RFC 5321 §4.2).  This value "
            "cannot come from a conforming server; the reply is malformed.",
            "RFC 5321 §4.2",
        )
    klass_title, klass_text = CLASS_MEANINGS[code // 100]
    second = (code // 10) % 10
    cat_title, cat_text = CATEGORY_MEANINGS.get(second, ("Unspecified", "not assigned"))
    short = f"{klass_title.split(' reply')[0]} ({cat_title.lower()})"
    long = (
        f"{code} is not a code smtpshell knows, so it is read by its digits.  "
        f"First digit {code // 100}: {klass_title.lower()}. {klass_text}  "
        f"Second digit {second}: {cat_title.lower()}, {cat_text}."
    )
    return short, long, "RFC 5321 §4.2.1"


def explain(code: int, text: str | bytes = "") -> Explanation:
    """Explain a reply code and (optionally) its text, never raising.

    *text* is the reply text after the code (first line is enough); when it starts with an
    RFC 2034 enhanced status code, that code is looked up too.
    """
    try:
        code = int(code)
    except (TypeError, ValueError, OverflowError):
        code = 0
    entry = reply_code(code)
    if entry is not None:
        short, long, rfc, known = entry.short, entry.long, entry.rfc, True
    else:
        (short, long, rfc), known = _fallback(code), False

    notes: list[str] = []
    enhanced = title = description = erfc = None
    parsed = parse_enhanced(_first_line(_as_text(text)))
    if parsed is not None:
        enhanced = parsed.code
        status = lookup_enhanced(parsed)
        subject = ENHANCED_SUBJECTS.get(parsed.subject)
        if status is not None:
            title, description, erfc = status.title, status.description, status.rfc
            if status.deprecated:
                notes.append(f"{status.code} is deprecated in the IANA registry.")
        elif subject is not None:
            title = f"{subject.title} (unregistered detail {parsed.detail})"
            description = subject.description
            erfc = subject.rfc
        else:
            klass = ENHANCED_CLASSES[parsed.klass]
            title = f"{klass.title} (unregistered subject {parsed.subject})"
            description = klass.description
            erfc = klass.rfc
        pairing = pairing_note(code, parsed)
        if pairing is not None:
            notes.append(pairing)
    return Explanation(
        code=code,
        short=short,
        long=long,
        rfc=rfc,
        reply_class=reply_class(code),
        known=known,
        enhanced=enhanced,
        enhanced_title=title,
        enhanced_description=description,
        enhanced_rfc=erfc,
        notes=tuple(notes),
    )
