"""SASL mechanisms as pure functions: credentials and a challenge in, a response out.

Credentials are UTF-8 (RFC 4616 §2); smtplib encodes them as ASCII and raises
UnicodeEncodeError for a non-ASCII password.  Passwords travel as :class:`Secret`, a str
whose repr never shows it, so a traceback or a debugger listing locals does not leak it.
"""

from __future__ import annotations

import base64
import binascii
import hmac

__all__ = [
    "LOGIN_PREFERENCE",
    "SUPPORTED_MECHANISMS",
    "Secret",
    "cram_md5_response",
    "decode_challenge",
    "encode_response",
    "plain_response",
]

#: What ``login()`` tries, in smtplib's order: the strongest the server offers first.
LOGIN_PREFERENCE = ("CRAM-MD5", "PLAIN", "LOGIN")

#: Every mechanism the core can run through ``login()`` or ``auth()``.
SUPPORTED_MECHANISMS = LOGIN_PREFERENCE


class Secret(str):
    """A str that is itself everywhere except in its repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


def plain_response(user: str, password: str, authzid: str = "") -> str:
    """RFC 4616: ``authzid NUL authcid NUL passwd``."""
    return f"{authzid}\0{user}\0{password}"


def cram_md5_response(user: str, password: str, challenge: bytes) -> str:
    """RFC 2195: the user name, a space, and the hex HMAC-MD5 of the challenge."""
    digest = hmac.HMAC(password.encode("utf-8"), challenge, "md5").hexdigest()
    return f"{user} {digest}"


def encode_response(response: str | bytes) -> str:
    """Base64 for the wire (RFC 4954 §4).  An empty *initial* response must be sent as
    ``=``; the caller decides, because an empty answer to a challenge is an empty line."""
    raw = response.encode("utf-8") if isinstance(response, str) else response
    return base64.b64encode(raw).decode("ascii")


def decode_challenge(text: bytes) -> bytes:
    """Strict base64 (RFC 4954 §4): anything else raises ValueError, never binascii.Error."""
    text = text.strip()
    if text == b"=":
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"malformed base64 challenge: {text[:60]!r}") from None
