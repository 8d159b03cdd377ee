"""Server halves of the SASL mechanisms the practice server teaches, as pure functions.

aiosmtpd ships PLAIN and LOGIN.  CRAM-MD5 (RFC 2195), XOAUTH2 (Google's bearer-token
format), OAUTHBEARER (RFC 7628) and SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677) live
here with no I/O, so they are checked against the RFC test vectors; the session module only
moves their challenges and responses over the wire.

The practice server has passwords, not tokens: for the OAuth mechanisms the account's
password *is* its bearer token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass


def check_password(users: Mapping[str, str], name: str, password: str) -> bool:
    """True when ``name`` is an account and ``password`` is its password (constant time)."""
    expected = users.get(name)
    return expected is not None and hmac.compare_digest(
        expected.encode("utf-8"), password.encode("utf-8")
    )


# --- CRAM-MD5 -------------------------------------------------------------------------------


def cram_md5_challenge(hostname: str) -> bytes:
    """A fresh RFC 2195 challenge: ``<random.timestamp@hostname>`` (sent base64-encoded)."""
    return f"<{secrets.randbelow(10**10)}.{secrets.token_hex(4)}@{hostname}>".encode()


def cram_md5_verify(users: Mapping[str, str], challenge: bytes, response: bytes) -> str | None:
    """The account name when ``response`` (``name SP hex-digest``) answers ``challenge``."""
    name_bytes, _, digest = response.strip().rpartition(b" ")
    name = name_bytes.decode("utf-8", "replace")
    password = users.get(name)
    if password is None:
        return None
    expected = hmac.new(password.encode("utf-8"), challenge, hashlib.md5).hexdigest()
    return name if hmac.compare_digest(expected.encode(), digest.lower()) else None


# --- XOAUTH2 and OAUTHBEARER ----------------------------------------------------------------


@dataclass(frozen=True)
class BearerCredentials:
    """The account and token carried by an XOAUTH2 or OAUTHBEARER initial response."""

    user: str
    token: str


def parse_xoauth2(response: bytes) -> BearerCredentials | None:
    """``user=NAME^Aauth=Bearer TOKEN^A^A`` -> credentials, or None when malformed."""
    fields = _kv_fields(response.split(b"\x01"))
    return _bearer(fields.get("user"), fields.get("auth"))


def parse_oauthbearer(response: bytes) -> BearerCredentials | None:
    """RFC 7628 ``n,a=NAME,^Ahost=...^Aauth=Bearer TOKEN^A^A`` -> credentials, or None."""
    gs2_header, sep, rest = response.partition(b"\x01")
    if not sep:
        return None
    gs2 = gs2_header.decode("utf-8", "replace").split(",")
    user = next((part[2:] for part in gs2 if part.startswith("a=")), None)
    fields = _kv_fields(rest.split(b"\x01"))
    return _bearer(_unescape_saslname(user) if user else None, fields.get("auth"))


def oauth_error_challenge() -> bytes:
    """The JSON error a server sends (as a 334 challenge) before refusing a bad token."""
    return json.dumps({"status": "invalid_token", "schemes": "bearer", "scope": "mail"}).encode()


def _kv_fields(parts: list[bytes]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in parts:
        key, eq, value = part.decode("utf-8", "replace").partition("=")
        if eq:
            fields[key] = value
    return fields


def _bearer(user: str | None, auth: str | None) -> BearerCredentials | None:
    if not user or not auth or not auth.lower().startswith("bearer "):
        return None
    return BearerCredentials(user, auth[len("bearer ") :].strip())


# --- SCRAM ----------------------------------------------------------------------------------

SCRAM_HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}
SCRAM_ITERATIONS = 4096


class ScramError(ValueError):
    """The client's SCRAM message is malformed or asks for something unsupported."""


def _unescape_saslname(name: str) -> str:
    if "=" in name.replace("=2C", "").replace("=3D", ""):
        raise ScramError("bad escape in user name")
    return name.replace("=2C", ",").replace("=3D", "=")


def _attributes(message: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in message.split(","):
        key, eq, value = part.partition("=")
        if not eq or len(key) != 1:
            raise ScramError(f"malformed SCRAM attribute {part!r}")
        attributes[key] = value
    return attributes


class ScramServer:
    """One SCRAM exchange, server side: ``first()`` then ``final()``.

    ``salt`` and ``nonce`` are random unless given; tests give them to replay RFC vectors.
    Channel binding is not offered (no ``-PLUS`` variant): a ``p=`` GS2 flag is refused.
    """

    def __init__(
        self,
        mechanism: str,
        users: Mapping[str, str],
        *,
        salt: bytes | None = None,
        nonce: str | None = None,
        iterations: int = SCRAM_ITERATIONS,
    ) -> None:
        self.hash_name = SCRAM_HASHES[mechanism]
        self._users = users
        self._salt = salt if salt is not None else secrets.token_bytes(16)
        self._server_nonce = nonce if nonce is not None else secrets.token_urlsafe(18)
        self._iterations = iterations
        self.user: str | None = None
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""

    def first(self, client_first: bytes) -> bytes:
        """Answer ``n,,n=user,r=cnonce`` with ``r=nonce,s=salt,i=iterations``."""
        text = client_first.decode("utf-8")
        flag, _, rest = text.partition(",")
        if flag.startswith("p="):
            raise ScramError("channel binding is not supported")
        if flag not in ("n", "y"):
            raise ScramError("bad GS2 header")
        _authzid, sep, bare = rest.partition(",")
        if not sep:
            raise ScramError("bad GS2 header")
        attributes = _attributes(bare)
        if "m" in attributes or "n" not in attributes or "r" not in attributes:
            raise ScramError("client-first-message needs n= and r=")
        self.user = _unescape_saslname(attributes["n"])
        self._client_first_bare = bare
        self._nonce = attributes["r"] + self._server_nonce
        salt = base64.b64encode(self._salt).decode()
        self._server_first = f"r={self._nonce},s={salt},i={self._iterations}"
        return self._server_first.encode()

    def final(self, client_final: bytes) -> bytes | None:
        """Check the proof in ``c=..,r=..,p=..``: ``v=signature`` when it holds, else None."""
        text = client_final.decode("utf-8")
        without_proof, sep, proof_part = text.rpartition(",p=")
        if not sep:
            raise ScramError("client-final-message has no proof")
        attributes = _attributes(without_proof)
        if attributes.get("r") != self._nonce:
            raise ScramError("nonce mismatch")
        password = self._users.get(self.user or "")
        if password is None:
            return None
        salted = hashlib.pbkdf2_hmac(
            self.hash_name, password.encode("utf-8"), self._salt, self._iterations
        )
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.hash_name, client_key).digest()
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        client_signature = self._hmac(stored_key, auth_message)
        try:
            proof = base64.b64decode(proof_part, validate=True)
        except ValueError:
            raise ScramError("proof is not base64") from None
        if len(proof) != len(client_signature):
            return None
        recovered_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
        if not hmac.compare_digest(hashlib.new(self.hash_name, recovered_key).digest(), stored_key):
            return None
        server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return b"v=" + base64.b64encode(server_signature)

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self.hash_name).digest()
