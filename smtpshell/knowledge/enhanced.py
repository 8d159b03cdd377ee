"""Enhanced mail system status codes (``class.subject.detail``), as data with sources.

Classes and subjects come from RFC 3463 §2-3; the enumerated codes from the IANA "SMTP
Enhanced Status Codes" registry (RFC 5248) and the RFCs that registered them, including the
registry's "Associated basic status code" column (``EnhancedStatus.basic``).  The parser
reads a code at the start of a reply text the way RFC 2034 §4 puts it there, and
:func:`pairing_note` says when a reply pairs a basic and an enhanced code in a way RFC 2034
§4 forbids or the registry does not list.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "ENHANCED_CLASSES",
    "ENHANCED_STATUS_CODES",
    "ENHANCED_SUBJECTS",
    "REGISTRY",
    "EnhancedClass",
    "EnhancedCode",
    "EnhancedStatus",
    "EnhancedSubject",
    "lookup_enhanced",
    "pairing_note",
    "parse_enhanced",
]

#: Where the enumerated codes and their associated basic codes come from.
REGISTRY = "IANA SMTP Enhanced Status Codes registry"


class EnhancedClass(NamedTuple):
    """The first field: 2 success, 4 persistent transient failure, 5 permanent failure."""

    klass: int
    title: str
    description: str
    rfc: str


class EnhancedSubject(NamedTuple):
    """The second field: which part of the mail system the status is about."""

    subject: int
    title: str
    description: str
    rfc: str


class EnhancedStatus(NamedTuple):
    """One registered ``X.subject.detail`` entry; ``code`` is spelled with a literal X."""

    subject: int
    detail: int
    title: str
    description: str
    rfc: str
    deprecated: bool = False
    #: The registry's "Associated basic status code" column, as written there
    #: ("451, 550", "5XX", "Any", "Not given").
    basic: str = "Not given"

    @property
    def code(self) -> str:
        return f"X.{self.subject}.{self.detail}"

    @property
    def associated(self) -> tuple[str, ...]:
        """The basic codes the registry lists ("550", or "5XX" for any 5xx); () when the
        registry gives none or allows any."""
        return tuple(_BASIC_CODE.findall(self.basic))


class EnhancedCode(NamedTuple):
    """A parsed enhanced code plus the reply text that follows it."""

    klass: int
    subject: int
    detail: int
    rest: str

    @property
    def code(self) -> str:
        return f"{self.klass}.{self.subject}.{self.detail}"

    def __str__(self) -> str:
        return self.code


_3463 = "RFC 3463"


def _iana(document: str) -> str:
    """The source of a code the registry took from a document without a section to cite."""
    return f"IANA enhanced status codes registry ({document})"


ENHANCED_CLASSES: MappingProxyType[int, EnhancedClass] = MappingProxyType(
    {
        2: EnhancedClass(
            2,
            "Success",
            "The action the report is about succeeded; detail codes may say that a "
            "transformation was needed.",
            "RFC 3463 §2",
        ),
        4: EnhancedClass(
            4,
            "Persistent transient failure",
            "The message is valid but a temporary condition stopped or delayed it; sending "
            "again later may succeed.",
            "RFC 3463 §2",
        ),
        5: EnhancedClass(
            5,
            "Permanent failure",
            "Resending the message in its current form will not succeed; the message or the "
            "destination has to change.",
            "RFC 3463 §2",
        ),
    }
)

ENHANCED_SUBJECTS: MappingProxyType[int, EnhancedSubject] = MappingProxyType(
    {
        s.subject: s
        for s in (
            EnhancedSubject(
                0,
                "Other or undefined status",
                "No further subject information is available.",
                "RFC 3463 §3.1",
            ),
            EnhancedSubject(
                1,
                "Addressing status",
                "About the sender or recipient address: its syntax or validity.  Usually the "
                "sender can correct it and try again.",
                "RFC 3463 §3.2",
            ),
            EnhancedSubject(
                2,
                "Mailbox status",
                "About the destination mailbox, which is generally under the recipient's control.",
                "RFC 3463 §3.3",
            ),
            EnhancedSubject(
                3,
                "Mail system status",
                "About the destination mail system, generally under its administrator's control.",
                "RFC 3463 §3.4",
            ),
            EnhancedSubject(
                4,
                "Network and routing status",
                "About the delivery network: connections, DNS and other directory or routing "
                "services between the systems.",
                "RFC 3463 §3.5",
            ),
            EnhancedSubject(
                5,
                "Mail delivery protocol status",
                "About the protocol exchange itself: invalid commands, syntax, arguments, "
                "implementation errors.",
                "RFC 3463 §3.6",
            ),
            EnhancedSubject(
                6,
                "Message content or media status",
                "About the content of the message: media types, conversions, encodings.",
                "RFC 3463 §3.7",
            ),
            EnhancedSubject(
                7,
                "Security or policy status",
                "About security and policy: authorisation, authentication, filtering, "
                "cryptographic operations and sender-authentication checks.",
                "RFC 3463 §3.8",
            ),
        )
    }
)

_S = EnhancedStatus

_STATUSES: tuple[EnhancedStatus, ...] = (
    _S(0, 0, "Other undefined status",
       "Only the class of the condition is known; there is no more specific code for it.",
       "RFC 3463 §3.1"),
    # X.1 addressing
    _S(1, 0, "Other address status",
       "Something about an address in the envelope caused this status.", "RFC 3463 §3.2"),
    _S(1, 1, "Bad destination mailbox address",
       "The mailbox does not exist: the part left of the '@' is not valid at the destination.",
       "RFC 3463 §3.2"),
    _S(1, 2, "Bad destination system address",
       "The destination system does not exist or cannot accept mail: the part right of the "
       "'@' is not a valid mail domain.", "RFC 3463 §3.2"),
    _S(1, 3, "Bad destination mailbox address syntax",
       "The recipient address is syntactically invalid.", "RFC 3463 §3.2"),
    _S(1, 4, "Destination mailbox address ambiguous",
       "The address matches more than one recipient at the destination.", "RFC 3463 §3.2"),
    _S(1, 5, "Destination address valid",
       "The recipient address is valid (used in positive replies to RCPT).", "RFC 3463 §3.2"),
    _S(1, 6, "Destination mailbox has moved, no forwarding address",
       "The address was valid once but mail is no longer accepted for it.", "RFC 3463 §3.2"),
    _S(1, 7, "Bad sender's mailbox address syntax",
       "The sender (MAIL FROM) address is syntactically invalid.", "RFC 3463 §3.2"),
    _S(1, 8, "Bad sender's system address",
       "The sender's domain does not exist or cannot accept returned mail.", "RFC 3463 §3.2"),
    _S(1, 9, "Message relayed to non-compliant mailer",
       "The address was valid but the message was relayed to a system that does not speak "
       "this protocol, so no further status can be given.", "RFC 3886 §3.3.4"),
    _S(1, 10, "Recipient address has null MX",
       "The recipient's domain publishes a null MX: it accepts no mail.",
       _iana("RFC 7505, RFC 7504")),
    # X.2 mailbox
    _S(2, 0, "Other or undefined mailbox status",
       "The mailbox exists but something about it caused this status.", "RFC 3463 §3.3"),
    _S(2, 1, "Mailbox disabled, not accepting messages",
       "The mailbox exists but does not accept messages, temporarily or for good.",
       "RFC 3463 §3.3"),
    _S(2, 2, "Mailbox full",
       "The recipient is over quota; deleting mail could make room, so this is normally "
       "a transient condition.", "RFC 3463 §3.3"),
    _S(2, 3, "Message length exceeds administrative limit",
       "The message is larger than this mailbox's per-message limit.", "RFC 3463 §3.3"),
    _S(2, 4, "Mailing list expansion problem",
       "The address is a mailing list that could not be expanded.", "RFC 3463 §3.3"),
    # X.3 mail system
    _S(3, 0, "Other or undefined mail system status",
       "The destination system normally accepts mail but something about it caused this "
       "status.", "RFC 3463 §3.4"),
    _S(3, 1, "Mail system full",
       "The destination system is out of storage (not something the recipient can fix).",
       "RFC 3463 §3.4"),
    _S(3, 2, "System not accepting network messages",
       "The host is not accepting messages now (shutdown, overload, maintenance).",
       "RFC 3463 §3.4"),
    _S(3, 3, "System not capable of selected features",
       "Features requested for the message are not supported by the destination system.",
       "RFC 3463 §3.4"),
    _S(3, 4, "Message too big for system",
       "The message exceeds the system-wide size limit.", "RFC 3463 §3.4"),
    _S(3, 5, "System incorrectly configured",
       "The system is not configured in a way that lets it accept this message.",
       "RFC 3463 §3.4"),
    _S(3, 6, "Requested priority was changed",
       "The message was accepted but its MT-PRIORITY was changed by the server.",
       _iana("RFC 6710")),
    # X.4 network and routing
    _S(4, 0, "Other or undefined network or routing status",
       "Something went wrong in the network and no more specific code fits.", "RFC 3463 §3.5"),
    _S(4, 1, "No answer from host",
       "The outbound connection attempt was not answered.", "RFC 3463 §3.5"),
    _S(4, 2, "Bad connection",
       "A connection was made but the transaction could not complete (timeout, poor link).",
       "RFC 3463 §3.5"),
    _S(4, 3, "Directory server failure",
       "A directory server, such as DNS, was unavailable.", "RFC 3463 §3.5"),
    _S(4, 4, "Unable to route",
       "The next hop could not be determined from the routing information available.",
       "RFC 3463 §3.5"),
    _S(4, 5, "Mail system congestion",
       "The mail system is congested; try again later.", "RFC 3463 §3.5"),
    _S(4, 6, "Routing loop detected",
       "The message was forwarded too many times (a routing or forwarding loop).",
       "RFC 3463 §3.5"),
    _S(4, 7, "Delivery time expired",
       "The message was too old for the rejecting system: queued too long or past its "
       "time-to-live.", "RFC 3463 §3.5"),
    # X.5 protocol
    _S(5, 0, "Other or undefined protocol status",
       "Something was wrong with the protocol exchange and no more specific code fits.",
       "RFC 3463 §3.6"),
    _S(5, 1, "Invalid command",
       "A command was out of sequence or not supported.", "RFC 3463 §3.6"),
    _S(5, 2, "Syntax error",
       "A command could not be interpreted: bad syntax or unrecognised.", "RFC 3463 §3.6"),
    _S(5, 3, "Too many recipients",
       "More recipients than the protocol could deliver in one transaction; the rest should "
       "go in a later one.", "RFC 3463 §3.6"),
    _S(5, 4, "Invalid command arguments",
       "A valid command had invalid arguments: out of range or unrecognised features.",
       "RFC 3463 §3.6"),
    _S(5, 5, "Wrong protocol version",
       "A protocol version mismatch could not be resolved automatically.", "RFC 3463 §3.6"),
    _S(5, 6, "Authentication exchange line is too long",
       "An AUTH response line was longer than the server accepts for the selected mechanism.",
       "RFC 4954 §6"),
    # X.6 content or media
    _S(6, 0, "Other or undefined media error",
       "Something about the content made the message undeliverable and no more specific code "
       "fits.", "RFC 3463 §3.7"),
    _S(6, 1, "Media not supported",
       "The media type of the message is not supported on the path.", "RFC 3463 §3.7"),
    _S(6, 2, "Conversion required and prohibited",
       "The content must be converted for delivery but conversion is not permitted.",
       "RFC 3463 §3.7"),
    _S(6, 3, "Conversion required but not supported",
       "The content must be converted but no host on the path can do it (for example 8-bit "
       "content towards a 7-bit-only hop).", "RFC 3463 §3.7"),
    _S(6, 4, "Conversion with loss performed",
       "The message was delivered after a conversion that lost some information.",
       "RFC 3463 §3.7"),
    _S(6, 5, "Conversion failed",
       "A required conversion was attempted and failed.", "RFC 3463 §3.7"),
    _S(6, 6, "Message content not available",
       "Content referenced by URL (BURL) could not be fetched from the remote system.",
       "RFC 4468 §5"),
    _S(6, 7, "Non-ASCII addresses not permitted for that sender/recipient",
       "A non-ASCII address was used where it is not accepted.", "RFC 6531 §3.5"),
    _S(6, 8, "UTF-8 string reply is required, but not permitted by the SMTP client",
       "The reply would need UTF-8 (for example to show a mailbox name) but the client did "
       "not ask for SMTPUTF8.", "RFC 6531 §3.7.4.2"),
    _S(6, 9, "UTF-8 header message cannot be transferred",
       "A message with UTF-8 header fields cannot be passed to one or more recipients, so it "
       "is rejected.", "RFC 6531 §3.5"),
    _S(6, 10, "UTF-8 string reply is required, but not permitted by the SMTP client",
       "Duplicate registration of X.6.8; deprecated, use X.6.8.", "RFC 6531 §4.2",
       deprecated=True),
    # X.7 security or policy
    _S(7, 0, "Other or undefined security status",
       "Something security related caused this status, or policy forbids saying more.",
       "RFC 3463 §3.8"),
    _S(7, 1, "Delivery not authorized, message refused",
       "The sender is not authorised to send to this destination (per-host or per-recipient "
       "policy, relaying denied).", "RFC 3463 §3.8"),
    _S(7, 2, "Mailing list expansion prohibited",
       "The sender may not send to this mailing list.", "RFC 3463 §3.8"),
    _S(7, 3, "Security conversion required but not possible",
       "Delivery needed a conversion between secure messaging protocols that was not possible.",
       "RFC 3463 §3.8"),
    _S(7, 4, "Security features not supported",
       "The message uses security features the delivery protocol cannot support.",
       "RFC 3463 §3.8"),
    _S(7, 5, "Cryptographic failure",
       "A system authorised to validate or decrypt the message lacked a valid key or similar.",
       "RFC 3463 §3.8"),
    _S(7, 6, "Cryptographic algorithm not supported",
       "A system authorised to validate or decrypt the message does not support the "
       "algorithm.", "RFC 3463 §3.8"),
    _S(7, 7, "Message integrity failure",
       "The message was corrupted or altered, so it could not be validated.", "RFC 3463 §3.8"),
    _S(7, 8, "Authentication credentials invalid",
       "AUTH failed because the credentials are wrong or insufficient; ask the user for new "
       "ones.", "RFC 4954 §6"),
    _S(7, 9, "Authentication mechanism is too weak",
       "The chosen SASL mechanism is weaker than policy allows for this user; use another.",
       "RFC 4954 §6"),
    _S(7, 10, "Encryption needed",
       "A strong privacy layer (such as TLS) is needed to use the requested authentication "
       "mechanism, mainly for plaintext mechanisms.",
       _iana("RFC 5248")),
    _S(7, 11, "Encryption required for requested authentication mechanism",
       "The mechanism may only be used on an encrypted connection.", "RFC 4954 §6"),
    _S(7, 12, "A password transition is needed",
       "Authenticate once with a plaintext mechanism so the server can enable the selected "
       "one.", "RFC 4954 §6"),
    _S(7, 13, "User account disabled",
       "Authentication worked but the account is disabled; only an administrator can fix it.",
       _iana("RFC 5248")),
    _S(7, 14, "Trust relationship required",
       "The submission server needs a configured trust relationship with a third-party "
       "server to fetch the message content (BURL).", _iana("RFC 5248")),
    _S(7, 15, "Priority level is too low",
       "The MT-PRIORITY is below what the server accepts, perhaps only for now.",
       _iana("RFC 6710")),
    _S(7, 16, "Message is too big for the specified priority",
       "The message is too large for the MT-PRIORITY requested.", _iana("RFC 6710")),
    _S(7, 17, "Mailbox owner has changed",
       "RRVS: the recipient mailbox has not been held by the same owner since the given time.",
       _iana("RFC 7293")),
    _S(7, 18, "Domain owner has changed",
       "RRVS: the recipient's domain has changed owner since the given time.", _iana("RFC 7293")),
    _S(7, 19, "RRVS test cannot be completed",
       "RRVS: the server did not record the timestamp needed to evaluate the request.",
       _iana("RFC 7293")),
    _S(7, 20, "No passing DKIM signature found",
       "The message carries no DKIM signature that verifies.", _iana("RFC 7372")),
    _S(7, 21, "No acceptable DKIM signature found",
       "DKIM signatures verify, but none is acceptable to local policy.", _iana("RFC 7372")),
    _S(7, 22, "No valid author-matched DKIM signature found",
       "DKIM signatures verify, but none is from a domain matching the From address.",
       _iana("RFC 7372")),
    _S(7, 23, "SPF validation failed",
       "The SPF check returned 'fail' and local policy rejects such mail.", _iana("RFC 7372")),
    _S(7, 24, "SPF validation error",
       "Evaluating SPF produced an error (temporary or permanent).", _iana("RFC 7372")),
    _S(7, 25, "Reverse DNS validation failed",
       "The client's IP address failed a reverse DNS check required by local policy.",
       _iana("RFC 7372")),
    _S(7, 26, "Multiple authentication checks failed",
       "More than one sender-authentication check failed; which ones is not stated.",
       _iana("RFC 7372")),
    _S(7, 27, "Sender address has null MX",
       "The sender's domain publishes a null MX, so no bounce could be returned to it.",
       _iana("RFC 7505")),
    _S(7, 28, "Mail flood detected",
       "The message looks like part of a flood of similar abusive messages.",
       _iana("draft-levine-mailbomb-header")),
    _S(7, 29, "ARC validation failure",
       "The message's Authenticated Received Chain did not validate.", "RFC 8617 §5.2.2"),
    _S(7, 30, "REQUIRETLS support required",
       "The message requires TLS on every hop (REQUIRETLS) and the next hop does not offer it.",
       _iana("RFC 8689")),
)  # fmt: skip

_BASIC_CODE = re.compile(r"\b[2-5](?:[0-9]{2}|XX)\b")

#: The registry's "Associated basic status code" column, per code, as the registry writes
#: it.  "Not given" and "Any" pair with anything of the right class.
_BASIC: dict[str, str] = {
    "X.0.0": "Any",
    "X.1.0": "Not given",
    "X.1.1": "451, 550",
    "X.1.2": "Not given",
    "X.1.3": "501",
    "X.1.4": "Not given",
    "X.1.5": "250",
    "X.1.6": "Not given",
    "X.1.7": "Not given",
    "X.1.8": "451, 501",
    "X.1.9": "Not given",
    "X.1.10": "556",
    "X.2.0": "Not given",
    "X.2.1": "Not given",
    "X.2.2": "552",
    "X.2.3": "552",
    "X.2.4": "450, 452",
    "X.3.0": "221, 250, 421, 451, 550, 554",
    "X.3.1": "452",
    "X.3.2": "453, 521",
    "X.3.3": "Not given",
    "X.3.4": "552, 554",
    "X.3.5": "Not given",
    "X.3.6": "250 or 251",
    "X.4.0": "Not given",
    "X.4.1": "451",
    "X.4.2": "421",
    "X.4.3": "451, 550",
    "X.4.4": "Not given",
    "X.4.5": "451",
    "X.4.6": "Not given",
    "X.4.7": "Not given",
    "X.5.0": "220, 250, 251, 252, 253, 451, 452, 454, 458, 459, 501, 502, 503, 554",
    "X.5.1": "430, 500, 501, 503, 530, 550, 554, 555",
    "X.5.2": "500, 501, 502, 550, 555",
    "X.5.3": "451",
    "X.5.4": "451, 501, 502, 503, 504, 550, 555",
    "X.5.5": "Not given",
    "X.5.6": "500",
    "X.6.0": "Not given",
    "X.6.1": "Not given",
    "X.6.2": "Not given",
    "X.6.3": "554",
    "X.6.4": "250",
    "X.6.5": "Not given",
    "X.6.6": "554",
    "X.6.7": "553, 550",
    "X.6.8": "252, 553, 550",
    "X.6.9": "550",
    "X.6.10": "Not given",
    "X.7.0": "220, 235, 450, 454, 500, 501, 503, 504, 530, 535, 550",
    "X.7.1": "451, 454, 502, 503, 533, 550, 551",
    "X.7.2": "550",
    "X.7.3": "Not given",
    "X.7.4": "504",
    "X.7.5": "Not given",
    "X.7.6": "Not given",
    "X.7.7": "Not given",
    "X.7.8": "535, 554",
    "X.7.9": "534",
    "X.7.10": "523",
    "X.7.11": "524, 538",
    "X.7.12": "422, 432",
    "X.7.13": "525",
    "X.7.14": "535, 554",
    "X.7.15": "450, 550 (other 4XX or 5XX codes are allowed)",
    "X.7.16": "552 (other 4XX or 5XX codes are allowed)",
    "X.7.17": "5XX",
    "X.7.18": "5XX",
    "X.7.19": "5XX",
    "X.7.20": "550",
    "X.7.21": "550",
    "X.7.22": "550",
    "X.7.23": "550",
    "X.7.24": "451, 550",
    "X.7.25": "550",
    "X.7.26": "550",
    "X.7.27": "550",
    "X.7.28": "Not given",  # the registry row for X.7.28 has no usable value in this column
    "X.7.29": "550",
    "X.7.30": "550",
}

#: "X.subject.detail" -> EnhancedStatus, read-only.
ENHANCED_STATUS_CODES: MappingProxyType[str, EnhancedStatus] = MappingProxyType(
    {s.code: s._replace(basic=_BASIC[s.code]) for s in _STATUSES}
)

_DIGITS = frozenset("0123456789")


def _field(s: str) -> int | None:
    """A subject or detail: 1*3DIGIT without leading zeros (RFC 3463 §2)."""
    if not 1 <= len(s) <= 3 or not _DIGITS.issuperset(s):
        return None
    if len(s) > 1 and s[0] == "0":
        return None
    return int(s)


def parse_enhanced(text: str | bytes) -> EnhancedCode | None:
    """Parse ``class "." subject "." detail`` at the start of a reply text (RFC 2034 §4).

    RFC 2034 puts the code first and follows it with one or more spaces; a code that is the
    whole text is accepted too.  Anything else (leading zeros, a class other than 2/4/5,
    more than three digits, a glued word) gives None, so plain text is never misread.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    head, sep, rest = text.partition(" ")
    parts = head.split(".")
    if len(parts) != 3 or parts[0] not in ("2", "4", "5"):
        return None
    subject, detail = _field(parts[1]), _field(parts[2])
    if subject is None or detail is None:
        return None
    return EnhancedCode(int(parts[0]), subject, detail, rest.lstrip(" ") if sep else "")


def lookup_enhanced(code: str | EnhancedCode) -> EnhancedStatus | None:
    """The registry entry for "5.1.1", "X.1.1" or a parsed code; None when not registered."""
    if isinstance(code, EnhancedCode):
        return ENHANCED_STATUS_CODES.get(f"X.{code.subject}.{code.detail}")
    if not isinstance(code, str):
        return None
    parts = code.strip().split(".")
    if len(parts) != 3:
        return None
    return ENHANCED_STATUS_CODES.get("X." + ".".join(parts[1:]))


def _pairs(reply_code: int, patterns: tuple[str, ...]) -> bool:
    text = str(reply_code)
    return any(p == text or (p.endswith("XX") and p[0] == text[0]) for p in patterns)


def pairing_note(reply_code: int, enhanced: str | EnhancedCode) -> str | None:
    """A sentence when a reply pairs its basic and enhanced codes in an unusual way, else None.

    Two checks: RFC 2034 §4 requires the enhanced class to agree with the reply's first
    digit (2xx with 2.X.X, 4xx with 4.X.X, 5xx with 5.X.X) and puts no enhanced code on
    3xx replies; and the IANA registry lists, for most codes, the basic codes it is
    associated with, so ``250 5.1.1`` or ``550 5.1.5`` is a pairing the registry does not
    list.  Pure: no I/O, never raises on odd input (an unparsable code gives None).
    """
    try:
        code = int(reply_code)
    except (TypeError, ValueError, OverflowError):
        return None
    parsed = enhanced if isinstance(enhanced, EnhancedCode) else parse_enhanced(str(enhanced))
    if parsed is None or not 200 <= code <= 599:
        return None
    if code // 100 == 3:
        return "RFC 2034 §4 puts no enhanced code on 3xx replies."
    parts = []
    if parsed.klass != code // 100:
        parts.append(
            f"Enhanced class {parsed.klass} disagrees with reply {code}: RFC 2034 §4 requires "
            f"a {code // 100}xx reply to carry a {code // 100}.X.X code, so trust the basic "
            "code."
        )
    status = lookup_enhanced(parsed)
    if status is not None and status.associated and not _pairs(code, status.associated):
        parts.append(
            f"The {REGISTRY} lists {status.code} with {status.basic}, not with {code}: a "
            "pairing it does not list, so go by the basic code."
        )
    return "  ".join(parts) or None
