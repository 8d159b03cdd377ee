"""Addresses for MAIL FROM / RCPT TO: quoted exactly as smtplib does, or refused.

smtplib's ``quoteaddr`` runs the argument through ``email.utils.parseaddr``, which silently
rewrites what it cannot parse: ``"a@x.com, b@y.com"`` becomes ``<a@x.com>`` and a second
recipient vanishes.  smtpshell quotes the same well-formed inputs to the same bytes, and
refuses (``ValueError``) any input whose address would not survive quoting verbatim.
"""

from __future__ import annotations

import email.utils
import re

__all__ = ["addr_only", "check_no_control", "envelope_address", "quoteaddr"]

_CONTROL = ("\r", "\n", "\0")
# A comma or blank outside a quoted local part means a list, not one path.  Some Pythons'
# parseaddr (3.13.0; Debian 12's 3.11.2) gives up on "a@x, b@y" instead of truncating it,
# and quoteaddr then wraps the whole list in one pair of brackets: check it ourselves.
_QUOTED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_LIST_SEPARATOR = re.compile(r"[\s,]")


def check_no_control(value: str, what: str) -> None:
    """Refuse CR, LF and NUL: each could end a command early and inject another.

    The text for CR and LF is smtplib's ("prohibited newline characters: ..." with them
    escaped), so code matching smtplib's message keeps matching.
    """
    if "\r" in value or "\n" in value or "\0" in value:  # one test per command: inlined
        char = next(c for c in _CONTROL if c in value)
        shown = value.replace("\n", "\\n").replace("\r", "\\r").replace("\0", "\\0")
        kind = "NUL characters" if char == "\0" else "newline characters"
        raise ValueError(f"{what} contains prohibited {kind}: {shown}")


def quoteaddr(addrstring: str) -> str:
    """smtplib.quoteaddr, unchanged (it is public API)."""
    displayname, addr = email.utils.parseaddr(addrstring)
    if (displayname, addr) == ("", ""):
        if addrstring.strip().startswith("<"):
            return addrstring
        return f"<{addrstring}>"
    return f"<{addr}>"


def addr_only(addrstring: str) -> str:
    """smtplib's _addr_only: the bare address for VRFY and EXPN."""
    displayname, addr = email.utils.parseaddr(addrstring)
    if (displayname, addr) == ("", ""):
        return addrstring
    return addr


#: The plain forms almost every address takes: ``local@domain`` or ``<local@domain>``, with
#: a dot-atom local part (RFC 5322 §3.2.3 atext) and a domain of letters, digits, hyphens
#: and dots.  ``parseaddr`` returns such an address unchanged (a property test holds the
#: two paths to the same answer), so it is quoted without parsing.  Everything else
#: (display names, quoted local parts, address literals, whitespace, comments) is parsed.
_PLAIN = re.compile(
    r"<?([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>?"
)

#: Addresses already quoted (refusals raise and are never kept).  A plain dict, emptied
#: when full: a lookup costs the same with 1 or 16,384 distinct addresses (an LRU of
#: 1,024 doubled the CPU per RCPT past 1,024 recipients, issue 15), a full cache holds a
#: few MB at most, and past the bound an address costs one regex match (plain) or one
#: parse, never more.
_PATHS: dict[str, str] = {}
_PATHS_MAX = 16_384


def envelope_address(addrstring: str) -> str:
    """The ``<path>`` to send for an address, identical to smtplib's when nothing is lost.

    Accepted: ``user@host``, ``<user@host>``, ``Name <user@host>``, and ``""``/``<>`` for the
    null reverse-path.  Anything ``parseaddr`` would rewrite or truncate is a ValueError.
    """
    if not isinstance(addrstring, str):
        raise TypeError(f"address must be str, not {type(addrstring).__name__}")
    path = _PATHS.get(addrstring)
    if path is None:
        path = _plain_path(addrstring) or _parsed_path(addrstring)
        if len(_PATHS) >= _PATHS_MAX:
            _PATHS.clear()
        _PATHS[addrstring] = path
    return path


def _plain_path(addrstring: str) -> str | None:
    """The path of a plain address, by one regex match (``parseaddr`` costs about 10 us)."""
    match = _PLAIN.fullmatch(addrstring)
    if match is None or (addrstring[0] == "<") != (addrstring[-1] == ">"):
        return None
    return f"<{match.group(1)}>"


def _parsed_path(addrstring: str) -> str:
    """The general case: parse as smtplib does, and refuse what parsing would change."""
    check_no_control(addrstring, "address")
    quoted = quoteaddr(addrstring)
    inner = quoted[1:-1] if quoted.startswith("<") and quoted.endswith(">") else None
    given = addrstring.strip()
    if (
        inner is not None
        and "<" not in inner
        and ">" not in inner
        and not _LIST_SEPARATOR.search(_QUOTED_STRING.sub("", inner))
    ):
        if given in (inner, quoted):
            return quoted
        if (
            given.endswith(quoted)
            and given.count("<") == 1
            and given.count(">") == 1
            and inner.strip() == inner
        ):
            return quoted
    raise ValueError(
        f"address {addrstring!r} would be sent as {quoted!r}: give one address, "
        "as user@host, <user@host> or Name <user@host>"
    )
