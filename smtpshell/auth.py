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

#: Password mechanisms ``login(..., mechanisms=...)`` can run, strongest first.
PASSWORD_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN")

#: Token mechanisms for ``login_oauth2()``.
TOKEN_MECHANISMS = ("OAUTHBEARER", "XOAUTH2")

#: Every mechanism the core can run.
SUPPORTED_MECHANISMS = PASSWORD_MECHANISMS + TOKEN_MECHANISMS


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


def xoauth2_response(user: str, token: str) -> str:
    """Google/Microsoft XOAUTH2: ``user=U ^A auth=Bearer T ^A ^A``."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer_response(user: str, token: str, host: str = "", port: int = 0) -> str:
    """RFC 7628 §3.1 OAUTHBEARER client response, with the RFC 5801 GS2 header."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    fields = [f"n,a={authzid},"]
    if host:
        fields.append(f"host={host}")
    if port:
        fields.append(f"port={port}")
    fields.append(f"auth=Bearer {token}")
    return "\x01".join(fields) + "\x01\x01"


class ScramClient:
    """SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) as an smtplib authobject.

    Called with no challenge it returns the client-first message; with the server-first
    message it returns the client-final (with the proof); with the server-final message it
    checks the server's signature, so a server that does not know the password is caught.
    No channel binding (``n,,``): SMTP AUTH over STARTTLS rarely offers the -PLUS variants.
    """

    def __init__(self, hash_name: str, user: str, password: str, nonce: str | None = None):
        import secrets

        if hash_name not in ("sha1", "sha256"):
            raise ValueError(f"unsupported SCRAM hash: {hash_name!r}")
        self.hash_name = hash_name
        self.user = user.replace("=", "=3D").replace(",", "=2C")
        self._password = Secret(password)
        self.nonce = nonce or secrets.token_urlsafe(18)
        self._client_first_bare = f"n={self.user},r={self.nonce}"
        self._auth_message: str | None = None
        self._salted: bytes | None = None
        self.verified = False

    def __repr__(self) -> str:
        return f"ScramClient({self.hash_name!r}, user={self.user!r})"

    def __call__(self, challenge: bytes | None = None) -> str:
        if challenge is None:
            return "n,," + self._client_first_bare
        if self._auth_message is None:
            return self._client_final(challenge)
        self._verify(challenge)
        return ""

    def _client_final(self, server_first: bytes) -> str:
        import hashlib

        fields = _scram_fields(server_first)
        nonce, salt_b64, iterations = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if not nonce.startswith(self.nonce) or not iterations.isdigit():
            raise ValueError("SCRAM server-first message is malformed or has a foreign nonce")
        iterations_n = int(iterations)
        if not 1 <= iterations_n <= 1_000_000:
            raise ValueError(f"SCRAM iteration count out of range: {iterations_n}")
        salt = decode_challenge(salt_b64.encode())
        self._salted = hashlib.pbkdf2_hmac(
            self.hash_name, self._password.encode("utf-8"), salt, iterations_n
        )
        without_proof = f"c=biws,r={nonce}"
        self._auth_message = ",".join(
            (self._client_first_bare, server_first.decode("ascii"), without_proof)
        )
        client_key = hmac.digest(self._salted, b"Client Key", self.hash_name)
        stored_key = hashlib.new(self.hash_name, client_key).digest()
        signature = hmac.digest(stored_key, self._auth_message.encode(), self.hash_name)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    def _verify(self, server_final: bytes) -> None:
        assert self._salted is not None and self._auth_message is not None
        fields = _scram_fields(server_final)
        if "e" in fields:
            raise ValueError(f"SCRAM server error: {fields['e']}")
        server_key = hmac.digest(self._salted, b"Server Key", self.hash_name)
        expected = hmac.digest(server_key, self._auth_message.encode(), self.hash_name)
        if not hmac.compare_digest(decode_challenge(fields.get("v", "").encode()), expected):
            raise ValueError("SCRAM server signature does not match: the server is not who it says")
        self.verified = True


def _scram_fields(message: bytes) -> dict[str, str]:
    try:
        text = message.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("SCRAM message is not ASCII") from None
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def user_from_response(mechanism: str, response: str | bytes) -> str | None:
    """The user name a client response names, for showing *who* authenticated.

    Only the identity is extracted, never the password; ``None`` when the response does
    not name one (or is not valid base64).  Used for hand-typed AUTH exchanges, where the
    client did not choose the user itself.
    """
    try:
        raw = base64.b64decode(response.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    mechanism = mechanism.upper()
    name: bytes | None = None
    if mechanism == "PLAIN":
        parts = raw.split(b"\0")
        name = parts[1] if len(parts) == 3 else None
    elif mechanism == "LOGIN":
        name = raw
    elif mechanism == "CRAM-MD5":
        name = raw.rsplit(b" ", 1)[0] if b" " in raw else None
    elif mechanism.startswith("SCRAM-"):
        fields = raw.split(b",")[2:]
        name = next((f[2:] for f in fields if f.startswith(b"n=")), None)
    elif mechanism == "OAUTHBEARER":
        header = raw.split(b"\x01", 1)[0].split(b",")
        name = next((f[2:] for f in header if f.startswith(b"a=")), None)
    elif mechanism == "XOAUTH2":
        first = raw.split(b"\x01", 1)[0]
        name = first[5:] if first.startswith(b"user=") else None
    if not name:
        return None
    text = name.decode("utf-8", "replace")
    if mechanism.startswith("SCRAM-") or mechanism == "OAUTHBEARER":
        text = text.replace("=2C", ",").replace("=3D", "=")
    return text
