"""EHLO capabilities as an ordered list, and what changed across STARTTLS.

``smtpshell.protocol.parse_ehlo`` gives smtplib's lower-cased dict, which is right for the
client but loses what a person reading a probe wants: the keywords as the server spelled
them, in the order it sent them.  Pure functions, table-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Capability",
    "CapabilityChange",
    "CapabilityDiff",
    "auth_mechanisms",
    "diff_capabilities",
    "parse_capabilities",
    "size_limit",
]

#: Keywords whose parameters are an unordered set: a reordering is not a change.
_SET_VALUED = frozenset({"AUTH"})


@dataclass(frozen=True, slots=True)
class Capability:
    """One advertised extension: ``SIZE 10240000`` -> ``Capability("SIZE", "10240000")``."""

    keyword: str
    params: str = ""

    def __str__(self) -> str:
        return f"{self.keyword} {self.params}".rstrip()


@dataclass(frozen=True, slots=True)
class CapabilityChange:
    """A keyword offered both times, with different parameters."""

    keyword: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class CapabilityDiff:
    """What the EHLO after TLS offers that the one before did not, and the reverse."""

    added: tuple[Capability, ...] = ()
    removed: tuple[Capability, ...] = ()
    changed: tuple[CapabilityChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def parse_capabilities(ehlo_message: bytes | str) -> list[Capability]:
    """The extensions in an EHLO reply message (LF-joined lines; the first is the greeting).

    Keywords are upper-cased (RFC 5321 §2.4: case-insensitive).  The legacy ``AUTH=MECH``
    form (RFC 4954 §1 notes old servers send it) is folded into ``AUTH``, and repeated
    keywords are merged, so each keyword appears once, where it first appeared.
    """
    text = (
        ehlo_message.decode("utf-8", "backslashreplace")
        if isinstance(ehlo_message, bytes)
        else ehlo_message
    )
    merged: dict[str, list[str]] = {}
    for line in text.split("\n")[1:]:
        words = line.strip().split(None, 1)
        if not words:
            continue
        keyword, params = words[0], words[1] if len(words) > 1 else ""
        if "=" in keyword:
            keyword, _, legacy = keyword.partition("=")
            params = f"{legacy} {params}".strip()
        keyword = keyword.upper()
        tokens = merged.setdefault(keyword, [])
        for token in params.split():
            if keyword not in _SET_VALUED or token.upper() not in (t.upper() for t in tokens):
                tokens.append(token)
    return [Capability(keyword, " ".join(tokens)) for keyword, tokens in merged.items()]


def _normalised(capability: Capability) -> tuple[str, ...]:
    tokens = capability.params.split()
    if capability.keyword in _SET_VALUED:
        return tuple(sorted(token.upper() for token in tokens))
    return tuple(tokens)


def diff_capabilities(before: Sequence[Capability], after: Sequence[Capability]) -> CapabilityDiff:
    """Added, removed and changed keywords between two EHLO replies (order ignored)."""
    before_by_keyword = {cap.keyword: cap for cap in before}
    after_by_keyword = {cap.keyword: cap for cap in after}
    added = tuple(cap for cap in after if cap.keyword not in before_by_keyword)
    removed = tuple(cap for cap in before if cap.keyword not in after_by_keyword)
    changed = tuple(
        CapabilityChange(cap.keyword, before_by_keyword[cap.keyword].params, cap.params)
        for cap in after
        if cap.keyword in before_by_keyword
        and _normalised(cap) != _normalised(before_by_keyword[cap.keyword])
    )
    return CapabilityDiff(added, removed, changed)


def _find(capabilities: Iterable[Capability], keyword: str) -> Capability | None:
    return next((cap for cap in capabilities if cap.keyword == keyword), None)


def auth_mechanisms(capabilities: Iterable[Capability]) -> list[str]:
    """The SASL mechanisms offered by AUTH (upper case, server order); [] when none."""
    auth = _find(capabilities, "AUTH")
    return [token.upper() for token in auth.params.split()] if auth else []


def size_limit(capabilities: Iterable[Capability]) -> tuple[bool, int | None]:
    """(advertised, limit): RFC 1870 SIZE with no number, or 0, means no fixed limit.

    A parameter that is not a sane decimal is reported as no limit rather than trusted.
    """
    size = _find(capabilities, "SIZE")
    if size is None:
        return False, None
    word = size.params.split()[0] if size.params.split() else ""
    if word.isascii() and word.isdigit() and len(word) <= 20 and int(word) > 0:
        return True, int(word)
    return True, None
