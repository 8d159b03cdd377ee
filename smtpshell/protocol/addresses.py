"""Addresses for MAIL FROM / RCPT TO: quoted exactly as smtplib does, or refused.

smtplib's ``quoteaddr`` runs the argument through ``email.utils.parseaddr``, which silently
rewrites what it cannot parse: ``"a@x.com, b@y.com"`` becomes ``<a@x.com>`` and a second
recipient vanishes.  smtpshell quotes the same well-formed inputs to the same bytes, and
refuses (``ValueError``) any input whose address would not survive quoting verbatim.
"""

from __future__ import annotations

import email.utils
import functools
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
    for char in _CONTROL:
        if char in value:
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


def envelope_address(addrstring: str) -> str:
    """The ``<path>`` to send for an address, identical to smtplib's when nothing is lost.

    Accepted: ``user@host``, ``<user@host>``, ``Name <user@host>``, and ``""``/``<>`` for the
    null reverse-path.  Anything ``parseaddr`` would rewrite or truncate is a ValueError.
    """
    if not isinstance(addrstring, str):
        raise TypeError(f"address must be str, not {type(addrstring).__name__}")
    return _envelope_path(addrstring)


@functools.lru_cache(maxsize=1024)
def _envelope_path(addrstring: str) -> str:
    """envelope_address's work, cached: parsing with email.utils costs about 10 us, and a
    sender quotes the same few addresses (each twice per sendmail) message after message.
    Refusals raise, so they are never cached."""
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
