"""The EHLO capabilities model: one parse, one SIZE rule, one AUTH list, one STARTTLS diff.

Every face and the probe read an EHLO answer through :func:`parse_capabilities`, so they
cannot disagree about what a server offers.  (``protocol.ehlo.parse_ehlo`` stays: it is
smtplib's lower-cased ``esmtp_features`` dict, kept key for key for compatibility.)

- Keywords keep the server's spelling and order; ``Capability.name`` is the upper-cased
  form used for lookups (RFC 5321 §2.4: keywords are case-insensitive).  A keyword that
  appears twice keeps its first place; its parameters are those of the last line, as in
  smtplib (AUTH accumulates the mechanisms of every AUTH line instead).
- The legacy ``AUTH=MECH`` form (RFC 4954 §1 notes old servers send it) is folded into AUTH.
- Every piece of server text is exposed as :class:`~smtpshell.protocol.display.SafeText`.
- SIZE follows RFC 1870 §4: not advertised, advertised without a number (no information),
  ``0`` (no fixed maximum), or a limit in bytes; a value that is not 1*20 ASCII digits is
  ``INVALID`` and never reaches ``int()``.
- The diff across STARTTLS compares keywords by name and AUTH as a set of mechanisms; other
  parameters compare as written.

Pure, immutable, and total: any bytes parse without raising.
"""

from __future__ import annotations

import enum

from smtpshell.protocol.display import SafeText, display

TYPE_CHECKING = False  # typing and dataclasses cost import time; the client imports this
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

__all__ = [
    "Capabilities",
    "Capability",
    "CapabilityChange",
    "CapabilityDiff",
    "SizeKind",
    "SizeLimit",
    "auth_mechanisms",
    "diff_capabilities",
    "parse_capabilities",
    "size_limit",
]

#: Keywords whose parameters are an unordered set of case-insensitive tokens.
_SET_VALUED = frozenset({"AUTH"})
#: RFC 1870 §3: size-value ::= 1*20DIGIT
_MAX_SIZE_DIGITS = 20


class _Record:
    """An immutable value with ``__slots__`` fields: equality, hash, repr and ``_asdict``.

    (Not a dataclass: generating dataclasses costs milliseconds on ``import smtpshell``.)
    """

    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def _asdict(self) -> dict[str, Any]:
        """Plain data for JSON: nested records become dicts, tuples become lists."""
        return {name: _plain(getattr(self, name)) for name in self.__slots__}


def _plain(value: object) -> Any:
    if isinstance(value, _Record):
        return value._asdict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, SafeText):
        return str(value)
    return value


def _init(record: _Record, **values: object) -> None:
    for name, value in values.items():
        object.__setattr__(record, name, value)


def _tokens(params: str) -> tuple[str, ...]:
    """Space- or TAB-separated words (not str.split(): it would also eat \x1c-\x1f, \x85...)."""
    return tuple(word for word in params.replace("\t", " ").split(" ") if word)


class Capability(_Record):
    """One advertised extension: ``size 10240000`` -> ``Capability("size", "10240000")``.

    ``keyword`` and ``params`` are display-safe (``.raw`` on each keeps the server's text).
    """

    __slots__ = ("keyword", "params")
    keyword: SafeText
    params: SafeText

    def __init__(self, keyword: str | bytes, params: str | bytes = "") -> None:
        _init(self, keyword=display(keyword), params=display(params))

    @property
    def name(self) -> SafeText:
        """The keyword upper-cased, for lookups and comparison."""
        return display(_raw_str(self.keyword).upper())

    @property
    def args(self) -> tuple[SafeText, ...]:
        """The parameters, one display-safe word each."""
        return tuple(display(token) for token in _tokens(_raw_str(self.params)))

    def __str__(self) -> str:
        return f"{self.keyword} {self.params}".rstrip()


class CapabilityChange(_Record):
    """A keyword offered both times, with different parameters."""

    __slots__ = ("after", "before", "keyword")
    keyword: SafeText
    before: SafeText
    after: SafeText

    def __init__(self, keyword: str | bytes, before: str | bytes, after: str | bytes) -> None:
        _init(self, keyword=display(keyword), before=display(before), after=display(after))

    @property
    def name(self) -> SafeText:
        """The keyword upper-cased, for lookups and comparison."""
        return display(_raw_str(self.keyword).upper())


class CapabilityDiff(_Record):
    """What the EHLO after STARTTLS offers that the one before did not, and the reverse."""

    __slots__ = ("added", "changed", "removed")
    added: tuple[Capability, ...]
    removed: tuple[Capability, ...]
    changed: tuple[CapabilityChange, ...]

    def __init__(
        self,
        added: tuple[Capability, ...] = (),
        removed: tuple[Capability, ...] = (),
        changed: tuple[CapabilityChange, ...] = (),
    ) -> None:
        _init(self, added=tuple(added), removed=tuple(removed), changed=tuple(changed))

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


class SizeKind(enum.Enum):
    """What an EHLO answer says about the message size limit (RFC 1870)."""

    ABSENT = "absent"  # SIZE not advertised: nothing known
    NO_NUMBER = "no-number"  # "SIZE" alone: the extension, but no limit announced
    UNLIMITED = "unlimited"  # "SIZE 0": no fixed maximum
    LIMIT = "limit"  # "SIZE n": messages over n bytes are refused
    INVALID = "invalid"  # a parameter that is not 1*20 ASCII digits


class SizeLimit(_Record):
    """The SIZE extension as data: ``kind``, the limit in bytes when there is one, the text."""

    __slots__ = ("kind", "limit", "text")
    kind: SizeKind
    limit: int | None
    text: SafeText

    def __init__(self, kind: SizeKind, limit: int | None = None, text: str | bytes = "") -> None:
        _init(self, kind=kind, limit=limit, text=display(text))

    @property
    def advertised(self) -> bool:
        return self.kind is not SizeKind.ABSENT

    @property
    def max_bytes(self) -> int | None:
        """The enforceable maximum (a positive number of bytes), else None."""
        return self.limit if self.kind is SizeKind.LIMIT else None

    @classmethod
    def from_params(cls, params: str | None) -> SizeLimit:
        """RFC 1870 semantics for the parameter text of a SIZE line (None: not advertised)."""
        if params is None:
            return cls(SizeKind.ABSENT)
        word = params.split(" ", 1)[0].strip()
        if not word:
            return cls(SizeKind.NO_NUMBER)
        # str.isdigit() accepts "²" and other non-ASCII digits that int() rejects.
        if not (word.isascii() and word.isdigit() and len(word) <= _MAX_SIZE_DIGITS):
            return cls(SizeKind.INVALID, None, word)
        value = int(word)
        return cls(SizeKind.UNLIMITED if value == 0 else SizeKind.LIMIT, value, word)


def _split_line(line: str) -> tuple[str, str]:
    """A capability line as (keyword, params), the legacy ``AUTH=`` form unfolded."""
    keyword, _, params = line.replace("\t", " ").strip(" \r").partition(" ")
    if "=" in keyword:
        keyword, _, legacy = keyword.partition("=")
        params = f"{legacy} {params}"
    return keyword, " ".join(_tokens(params))


class Capabilities(_Record):
    """The extensions of one EHLO answer, in the server's order, each keyword once."""

    __slots__ = ("greeting", "items")
    greeting: SafeText
    items: tuple[Capability, ...]

    def __init__(self, greeting: str | bytes = "", items: Sequence[Capability] = ()) -> None:
        _init(self, greeting=display(greeting), items=tuple(items))

    def __iter__(self) -> Iterator[Capability]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __contains__(self, keyword: object) -> bool:
        return isinstance(keyword, str) and self.get(keyword) is not None

    def get(self, keyword: str) -> Capability | None:
        """The capability named ``keyword`` (any case), or None."""
        wanted = keyword.upper()
        return next((cap for cap in self.items if _upper_raw(cap) == wanted), None)

    @property
    def keywords(self) -> tuple[SafeText, ...]:
        return tuple(cap.keyword for cap in self.items)

    @property
    def size(self) -> SizeLimit:
        cap = self.get("SIZE")
        return SizeLimit.from_params(None if cap is None else _raw_str(cap.params))

    @property
    def auth(self) -> tuple[SafeText, ...]:
        """SASL mechanisms offered (upper case, deduplicated, server order); () when none."""
        cap = self.get("AUTH")
        if cap is None:
            return ()
        names = dict.fromkeys(token.upper() for token in _tokens(_raw_str(cap.params)))
        return tuple(display(name) for name in names)

    def diff(self, after: Capabilities | Sequence[Capability]) -> CapabilityDiff:
        """What changed from this answer (before STARTTLS) to ``after``."""
        return diff_capabilities(self.items, tuple(after))


def _raw_str(text: SafeText) -> str:
    raw = text.raw
    return raw if isinstance(raw, str) else raw.decode("utf-8", "surrogateescape")


def _upper_raw(cap: Capability) -> str:
    return _raw_str(cap.keyword).upper()


def parse_capabilities(ehlo_message: bytes | str | None) -> Capabilities:
    """The extensions in an EHLO reply message (LF-joined lines; the first is the greeting).

    Never raises: undecodable bytes are kept and shown escaped.
    """
    if not ehlo_message:
        return Capabilities()
    text = (
        ehlo_message
        if isinstance(ehlo_message, str)
        else bytes(ehlo_message).decode("utf-8", "surrogateescape")
    )
    lines = text.split("\n")
    spelled: dict[str, str] = {}
    merged: dict[str, list[str]] = {}
    for line in lines[1:]:
        keyword, params = _split_line(line)
        if not keyword:
            continue
        name = keyword.upper()
        spelled.setdefault(name, keyword)
        tokens = merged.setdefault(name, [])
        if name not in _SET_VALUED:
            tokens[:] = _tokens(params)  # smtplib's rule: the last line wins
            continue
        for token in _tokens(params):
            if token.upper() not in tokens:
                tokens.append(token.upper())
    items = tuple(Capability(spelled[name], " ".join(tokens)) for name, tokens in merged.items())
    return Capabilities(display(lines[0].rstrip("\r")), items)


def _normalised(capability: Capability) -> tuple[str, ...]:
    tokens = _tokens(_raw_str(capability.params))
    if _upper_raw(capability) in _SET_VALUED:
        return tuple(sorted({token.upper() for token in tokens}))
    return tokens


def diff_capabilities(
    before: Sequence[Capability] | Capabilities, after: Sequence[Capability] | Capabilities
) -> CapabilityDiff:
    """Added, removed and changed keywords between two EHLO answers (order ignored).

    The one rule everywhere: keywords match by name (any case), AUTH compares as a set.
    """
    before_by_name = {_upper_raw(cap): cap for cap in before}
    after_by_name = {_upper_raw(cap): cap for cap in after}
    added = tuple(cap for cap in after if _upper_raw(cap) not in before_by_name)
    removed = tuple(cap for cap in before if _upper_raw(cap) not in after_by_name)
    changed = tuple(
        CapabilityChange(cap.keyword, old.params, cap.params)
        for cap in after
        if (old := before_by_name.get(_upper_raw(cap))) is not None
        and _normalised(cap) != _normalised(old)
    )
    return CapabilityDiff(added, removed, changed)


def auth_mechanisms(capabilities: Capabilities | Sequence[Capability]) -> tuple[SafeText, ...]:
    """The SASL mechanisms offered by AUTH (upper case, server order); () when none."""
    return _as_capabilities(capabilities).auth


def size_limit(capabilities: Capabilities | Sequence[Capability]) -> SizeLimit:
    """The SIZE limit of an EHLO answer, with RFC 1870 semantics."""
    return _as_capabilities(capabilities).size


def _as_capabilities(capabilities: Capabilities | Sequence[Capability]) -> Capabilities:
    if isinstance(capabilities, Capabilities):
        return capabilities
    return Capabilities(items=tuple(capabilities))
