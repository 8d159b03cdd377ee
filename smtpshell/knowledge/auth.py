"""SASL mechanism facts for AUTH (RFC 4954): what each sends and what smtpshell supports.

The inspector contrasts "offered by the server" with "supported by smtpshell", and the
teaching mode says, before the user types a password, whether it will cross the wire in the
clear.  Support is data (``support``), so adding SCRAM later is a one-word change here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, NamedTuple

from smtpshell.protocol.capabilities import Capability, auth_mechanisms

__all__ = [
    "SASL_MECHANISMS",
    "Mechanism",
    "Support",
    "mechanism",
    "split_mechanisms",
]

#: "supported": works in smtpshell now; "planned": on the roadmap; "unsupported": not planned.
Support = Literal["supported", "planned", "unsupported"]


class Mechanism(NamedTuple):
    """One SASL mechanism as seen from an SMTP client."""

    name: str
    rfc: str
    summary: str
    wire: str
    cleartext_password: bool
    support: Support
    notes: str = ""

    @property
    def supported(self) -> bool:
        return self.support == "supported"


_MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "PLAIN",
        "RFC 4616 §2",
        "Username and password in one message.",
        "One base64 line: authzid NUL authcid NUL password, usually as the initial response "
        "('AUTH PLAIN <base64>').",
        True,
        "supported",
        "Base64 is an encoding, not encryption: use it only inside TLS.",
    ),
    Mechanism(
        "LOGIN",
        "draft-murchison-sasl-login (never an RFC)",
        "Legacy username, then password prompts.",
        "Server sends 334 'Username:' and 334 'Password:' (base64); the client answers each "
        "with one base64 line.",
        True,
        "supported",
        "Obsolete but still widely offered, notably by Microsoft servers.  Only inside TLS.",
    ),
    Mechanism(
        "CRAM-MD5",
        "RFC 2195 §2",
        "Challenge-response with HMAC-MD5.",
        "Server sends a base64 challenge; the client answers base64('user ' + hex "
        "HMAC-MD5(password, challenge)).",
        False,
        "supported",
        "The password never travels, but a recorded exchange allows an offline dictionary "
        "attack and the server must store a password equivalent (RFC 2195 §2).  The IANA SASL "
        "Mechanisms registry lists it as LIMITED.",
    ),
    Mechanism(
        "XOAUTH2",
        "Google/Microsoft documentation (non-standard)",
        "OAuth 2.0 bearer token, vendor format.",
        "One base64 line: 'user=' user ^A 'auth=Bearer ' token ^A ^A; on failure the server "
        "sends a 334 with a JSON error and expects an empty line.",
        False,
        "supported",
        "No password is sent, but the bearer token is a credential in its own right: use TLS.",
    ),
    Mechanism(
        "OAUTHBEARER",
        "RFC 7628 §3",
        "OAuth 2.0 bearer token, standard format.",
        "One base64 line: GS2 header 'n,a=user,' ^A 'auth=Bearer ' token ^A ^A.",
        False,
        "supported",
        "The standardised successor of XOAUTH2; the token is a credential: use TLS.",
    ),
    Mechanism(
        "SCRAM-SHA-1",
        "RFC 5802 §5",
        "Salted challenge-response, mutual authentication.",
        "client-first (user, nonce), server-first (salt, iterations), client-final (proof), "
        "server-final (server signature), each base64.",
        False,
        "supported",
        "The server proves it knows the password too; nothing replayable crosses the wire.",
    ),
    Mechanism(
        "SCRAM-SHA-256",
        "RFC 7677 §3",
        "SCRAM with SHA-256.",
        "Same four-message exchange as SCRAM-SHA-1, with SHA-256.",
        False,
        "supported",
        "Preferred over SCRAM-SHA-1.",
    ),
    Mechanism(
        "EXTERNAL",
        "RFC 4422 Appendix A",
        "Identity from outside SASL (TLS client certificate).",
        "The client sends only an optional authorisation identity ('=' for none); the server "
        "takes the identity from the TLS layer.",
        False,
        "unsupported",
    ),
    Mechanism(
        "GSSAPI",
        "RFC 4752 §3",
        "Kerberos V5 through GSS-API.",
        "GSS-API tokens in base64, several round trips.",
        False,
        "unsupported",
    ),
    Mechanism(
        "DIGEST-MD5",
        "RFC 2831 §2 (moved to Historic by RFC 6331)",
        "Historic digest challenge-response.",
        "Server sends a digest challenge with realm and nonce; the client returns a response hash.",
        False,
        "unsupported",
        "Historic: interoperability problems and weak security.",
    ),
    Mechanism(
        "NTLM",
        "Microsoft [MS-SMTPNTLM] (non-standard)",
        "Microsoft NTLM challenge-response.",
        "Three base64 NTLM messages (negotiate, challenge, authenticate).",
        False,
        "unsupported",
    ),
    Mechanism(
        "ANONYMOUS",
        "RFC 4505 §2",
        "No credentials, optional trace string.",
        "One base64 line carrying an optional trace (often an e-mail address).",
        False,
        "unsupported",
    ),
)

#: NAME -> Mechanism, read-only.
SASL_MECHANISMS: MappingProxyType[str, Mechanism] = MappingProxyType(
    {m.name: m for m in _MECHANISMS}
)


def mechanism(name: str) -> Mechanism | None:
    """The entry for a mechanism name (case-insensitive), or None for an unknown one."""
    return SASL_MECHANISMS.get(name.strip().upper())


def split_mechanisms(params: str) -> list[str]:
    """The mechanism names in an EHLO AUTH parameter string, upper-cased, order kept.

    The capabilities model's rule (``protocol.capabilities``), names display-safe.

    Accepts the legacy ``AUTH=PLAIN LOGIN`` spelling (leading '=') as well.
    """
    return list(auth_mechanisms([Capability("AUTH", params.lstrip("="))]))
