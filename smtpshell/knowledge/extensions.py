"""ESMTP extension keywords, their EHLO parameters and the MAIL/RCPT parameters they add.

The same table drives the inspector ("what does this EHLO line mean?"), completion of
``MAIL FROM:<..> SIZE=`` and the generated ``docs/reference/extensions.md``.  Sources are
the defining RFCs; vendor extensions (XCLIENT, XFORWARD) are marked ``standard=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from smtpshell.knowledge.auth import mechanism, split_mechanisms
from smtpshell.protocol.capabilities import SizeKind, SizeLimit
from smtpshell.protocol.display import display

__all__ = [
    "EXTENSIONS",
    "Extension",
    "FeatureInfo",
    "ParameterInfo",
    "describe_feature",
    "extension",
    "human_duration",
    "human_size",
    "mail_parameters",
    "rcpt_parameters",
]


class ParameterInfo(NamedTuple):
    """A MAIL FROM or RCPT TO parameter (``esmtp-keyword ["=" esmtp-value]``)."""

    name: str
    command: str  # "MAIL" or "RCPT"
    extension: str
    syntax: str
    description: str
    rfc: str
    values: tuple[str, ...] = ()  # enumerated values, for completion; () = free form / none
    takes_value: bool = True

    @property
    def completion(self) -> str:
        """What a completer inserts: ``SIZE=`` or a bare ``SMTPUTF8``."""
        return f"{self.name}=" if self.takes_value else self.name


class Extension(NamedTuple):
    """One EHLO keyword: what it means, how to read its parameter, what it adds."""

    keyword: str
    title: str
    rfc: str
    summary: str
    long: str
    ehlo_params: str
    parameters: tuple[ParameterInfo, ...] = ()
    commands: tuple[str, ...] = ()
    standard: bool = True
    obsolete: bool = False


class FeatureInfo(NamedTuple):
    """An advertised EHLO line, interpreted for display (inspector, ``ehlo`` explanation)."""

    keyword: str
    params: str
    known: bool
    standard: bool
    title: str
    summary: str
    interpretation: str
    rfc: str
    items: tuple[tuple[str, str], ...] = ()  # e.g. (("PLAIN", "supported by smtpshell"),)
    parameters: tuple[str, ...] = ()  # MAIL/RCPT parameters this feature enables


def _p(
    name: str,
    command: str,
    ext: str,
    syntax: str,
    description: str,
    rfc: str,
    values: tuple[str, ...] = (),
    takes_value: bool = True,
) -> ParameterInfo:
    return ParameterInfo(name, command, ext, syntax, description, rfc, values, takes_value)


_EXTENSIONS: tuple[Extension, ...] = (
    Extension(
        "SIZE",
        "Message size declaration",
        "RFC 1870",
        "Maximum message size the server accepts.",
        "The server announces the largest message it will take, and the client may declare its "
        "message size in MAIL FROM so a too-big message is refused before any data is sent "
        "(552 instead of a wasted upload) (RFC 1870 §4).",
        "Optional decimal number of bytes: the fixed maximum.  0 means no fixed maximum is in "
        "force; no number at all conveys no information about a maximum (RFC 1870 §3).",
        (
            _p(
                "SIZE",
                "MAIL",
                "SIZE",
                "SIZE=<bytes>",
                "Estimated size of the message in bytes, including headers and CRLFs.",
                "RFC 1870 §3",
            ),
        ),
    ),
    Extension(
        "8BITMIME",
        "8-bit MIME transport",
        "RFC 6152",
        "Accepts 8-bit text bodies.",
        "Without it, message content is US-ASCII only (RFC 5321 §2.3.1).  With it, the client may "
        "send bodies with octets above 127 by declaring BODY=8BITMIME in MAIL FROM (RFC 6152 "
        "§2).  The body is still line-oriented text with no NUL, and a line may be at most "
        "1000 octets including its CRLF (RFC 5321 §4.5.3.1.6).",
        "None.",
        (
            _p(
                "BODY",
                "MAIL",
                "8BITMIME",
                "BODY=7BIT|8BITMIME",
                "Declares the body type; 8BITMIME allows octets above 127.",
                "RFC 6152 §2",
                ("7BIT", "8BITMIME"),
            ),
        ),
    ),
    Extension(
        "BINARYMIME",
        "Binary MIME transport",
        "RFC 3030",
        "Accepts binary bodies (with CHUNKING).",
        "Allows arbitrary octets in the body, including NUL and bare CR/LF, with no line "
        "length limit (RFC 3030 §3).  Such a body cannot be dot-terminated, so it must be sent "
        "with BDAT (CHUNKING), never DATA (RFC 3030 §3).",
        "None.",
        (
            _p(
                "BODY",
                "MAIL",
                "BINARYMIME",
                "BODY=BINARYMIME",
                "Declares a binary body; requires BDAT instead of DATA.",
                "RFC 3030 §3",
                ("BINARYMIME",),
            ),
        ),
    ),
    Extension(
        "CHUNKING",
        "Message chunking (BDAT)",
        "RFC 3030",
        "Adds BDAT: send the message in sized chunks.",
        "BDAT <size> [LAST] sends exactly <size> octets with no dot-stuffing and no end "
        "marker; the last chunk carries LAST (RFC 3030 §2).  Required for BINARYMIME (RFC "
        "3030 §3), and for large messages it avoids scanning and stuffing the data (RFC 3030 "
        "§1).",
        "None.",
        commands=("BDAT",),
    ),
    Extension(
        "PIPELINING",
        "Command pipelining",
        "RFC 2920",
        "Client may batch commands without waiting.",
        "The client may send a group of commands (RSET, MAIL, RCPT ...) without waiting for "
        "each reply, then read the replies in order (RFC 2920 §3.1).  This saves round trips; "
        "the client must still check every reply (RFC 2920 §3.1).  EHLO, DATA, VRFY, EXPN, "
        "TURN, QUIT and NOOP may only be the last command of a group, because their result "
        "changes what comes next (RFC 2920 §3.1); STARTTLS and AUTH are last too, under their "
        "own RFCs (RFC 3207 §4, RFC 4954 §4), except an AUTH whose initial response completes "
        "a one-round-trip mechanism such as PLAIN (RFC 4954 §4).  The message content may be "
        "the first 'command' "
        "of a group, so the final '.' and the next MAIL can go in one write (RFC 2920 §3.1).",
        "None.",
    ),
    Extension(
        "DSN",
        "Delivery status notifications",
        "RFC 3461",
        "Control over bounce and delivery reports.",
        "Lets the client say when it wants a delivery status notification (success, failure, "
        "delay), how much of the message a bounce returns, and envelope identifiers that come "
        "back in the report (RFC 3461 §4).",
        "None.",
        (
            _p(
                "RET",
                "MAIL",
                "DSN",
                "RET=FULL|HDRS",
                "Whether a failure report returns the full message or only its headers.",
                "RFC 3461 §4.3",
                ("FULL", "HDRS"),
            ),
            _p(
                "ENVID",
                "MAIL",
                "DSN",
                "ENVID=<xtext>",
                "Envelope identifier (up to 100 characters, xtext-encoded) echoed in reports.",
                "RFC 3461 §4.4",
            ),
            _p(
                "NOTIFY",
                "RCPT",
                "DSN",
                "NOTIFY=NEVER|SUCCESS,FAILURE,DELAY",
                "When to send a report for this recipient: NEVER, or a comma list of SUCCESS, "
                "FAILURE and DELAY.",
                "RFC 3461 §4.1",
                ("NEVER", "SUCCESS", "FAILURE", "DELAY"),
            ),
            _p(
                "ORCPT",
                "RCPT",
                "DSN",
                "ORCPT=<addr-type>;<xtext>",
                "The original recipient address, e.g. ORCPT=rfc822;user@example.com.",
                "RFC 3461 §4.2",
                ("rfc822;", "utf-8;"),
            ),
        ),
    ),
    Extension(
        "ENHANCEDSTATUSCODES",
        "Enhanced status codes",
        "RFC 2034",
        "Replies carry class.subject.detail codes.",
        "Every 2xx, 4xx and 5xx reply (except the greeting and the EHLO/HELO reply) starts its "
        "text with an enhanced status code such as 5.1.1 (RFC 2034 §3), which says far more "
        "precisely than the three digits what happened (RFC 3463 §2).  Its class must agree "
        "with the reply's first digit, and 3xx replies carry none (RFC 2034 §4).",
        "None.",
    ),
    Extension(
        "STARTTLS",
        "TLS upgrade",
        "RFC 3207",
        "Upgrade the connection to TLS.",
        "The client sends STARTTLS, waits for 220, then does the TLS handshake (RFC 3207 §4).  "
        "Afterwards the session is reset: the client MUST discard what it learned from the "
        "server before, and SHOULD send EHLO as its first command (RFC 3207 §4.2).  The new "
        "extension list may differ, notably in AUTH (RFC 3207 §4.2).",
        "None.",
        commands=("STARTTLS",),
    ),
    Extension(
        "AUTH",
        "SMTP authentication (SASL)",
        "RFC 4954",
        "Log in with one of the listed SASL mechanisms.",
        "The parameters list the SASL mechanisms the server accepts now (RFC 4954 §3); the "
        "list often grows after STARTTLS because plaintext mechanisms are hidden on "
        "unencrypted connections (RFC 4954 §4).  The MAIL parameter AUTH= passes on the "
        "identity that submitted a message between trusted servers (RFC 4954 §5).",
        "Space-separated SASL mechanism names (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 ...).  "
        "Old servers also send 'AUTH=PLAIN LOGIN'.",
        (
            _p(
                "AUTH",
                "MAIL",
                "AUTH",
                "AUTH=<xtext>|<>",
                "Mailbox of the authenticated submitter, or <> when unknown or untrusted.",
                "RFC 4954 §5",
                ("<>",),
            ),
        ),
        commands=("AUTH",),
    ),
    Extension(
        "SMTPUTF8",
        "Internationalized email",
        "RFC 6531",
        "UTF-8 addresses and headers allowed.",
        "Lets the envelope addresses and the message header fields contain UTF-8 (RFC 6531 "
        "§3.1).  The client asks for it per transaction with the SMTPUTF8 MAIL parameter "
        "(RFC 6531 §3.4), and MUST NOT send an internationalized address to a server that "
        "does not offer it (RFC 6531 §3.2).  VRFY and EXPN accept the same word to allow "
        "UTF-8 in their replies (RFC 6531 §3.7.4.2).  A server that offers SMTPUTF8 MUST also "
        "support and announce 8BITMIME (RFC 6531 §3.1).",
        "None.",
        (
            _p(
                "SMTPUTF8",
                "MAIL",
                "SMTPUTF8",
                "SMTPUTF8",
                "This transaction may use UTF-8 in addresses and header fields.",
                "RFC 6531 §3.4",
                takes_value=False,
            ),
        ),
    ),
    Extension(
        "DELIVERBY",
        "Deliver by",
        "RFC 2852",
        "Client sets a delivery deadline.",
        "The client asks that the message be delivered within a time, and says what to do "
        "when that fails: return it (R) or just notify (N).",
        "Optional minimum by-time in seconds the server accepts.",
        (
            _p(
                "BY",
                "MAIL",
                "DELIVERBY",
                "BY=<seconds>;R|N[T]",
                "Deadline in seconds, then mode R (return if late) or N (notify only); a "
                "trailing T asks for trace information.",
                "RFC 2852",
            ),
        ),
    ),
    Extension(
        "ETRN",
        "Remote message queue starting",
        "RFC 1985",
        "Ask the server to flush its queue for a domain.",
        "A client that is sometimes offline asks the server to start delivering the mail "
        "queued for a domain, over a new connection the server opens to it (RFC 1985 §5).",
        "None.",
        commands=("ETRN",),
    ),
    Extension(
        "ATRN",
        "Authenticated TURN (On-Demand Mail Relay)",
        "RFC 2645",
        "Reverse roles to pull queued mail.",
        "After AUTH, the client asks for the mail queued for its domains and the roles of "
        "client and server swap on the same connection.  Used on the ODMR port 366.",
        "None.",
        commands=("ATRN",),
    ),
    Extension(
        "EXPN",
        "Expand mailing list",
        "RFC 5321 §4.1.1.7",
        "Server allows list expansion (EXPN).",
        "EXPN asks the server to list the members of a mailing list.  Most servers disable it "
        "to protect addresses; the keyword says it is available.",
        "None.",
        commands=("EXPN",),
    ),
    Extension(
        "VRFY",
        "Verify address",
        "RFC 5321 §4.1.1.6",
        "Server answers VRFY.",
        "VRFY asks whether an address is valid (RFC 5321 §4.1.1.6).  Every server must "
        "implement it (RFC 5321 §4.5.1), so clients need not check for the keyword; many "
        "servers answer 252 (cannot verify) anyway (RFC 5321 §3.5.3).",
        "None.",
        commands=("VRFY",),
    ),
    Extension(
        "HELP",
        "Help",
        "RFC 5321 §4.1.1.8",
        "Server answers HELP.",
        "HELP returns human-readable help, optionally about one command.",
        "None.",
        commands=("HELP",),
    ),
    Extension(
        "MT-PRIORITY",
        "Message transfer priority",
        "RFC 6710",
        "Messages can carry a priority -9..9.",
        "The client gives each message a priority from -9 (lowest) to 9 (highest); servers "
        "may deliver higher priorities first or refuse low ones under load.  The parameter "
        "names the priority assignment policy in force.",
        "Optional priority assignment policy name, e.g. MIXER, STANAG4406 or NSEP.",
        (
            _p(
                "MT-PRIORITY",
                "MAIL",
                "MT-PRIORITY",
                "MT-PRIORITY=<-9..9>",
                "Message priority: -9 lowest, 0 normal, 9 highest.",
                "RFC 6710",
                tuple(str(n) for n in range(-9, 10)),
            ),
        ),
    ),
    Extension(
        "REQUIRETLS",
        "Require TLS on every hop",
        "RFC 8689",
        "Message must travel over verified TLS.",
        "With the REQUIRETLS MAIL parameter the sender requires that every hop deliver the "
        "message over TLS with a validated certificate (or MTA-STS/DANE); a hop that cannot "
        "returns it (X.7.30) instead of sending it in the clear.  Only offered over TLS.",
        "None.",
        (
            _p(
                "REQUIRETLS",
                "MAIL",
                "REQUIRETLS",
                "REQUIRETLS",
                "Every onward hop must use validated TLS.",
                "RFC 8689",
                takes_value=False,
            ),
        ),
    ),
    Extension(
        "FUTURERELEASE",
        "Future message release",
        "RFC 4865",
        "Server holds a message until a later time.",
        "The client asks the server to hold the message and release it for delivery after an "
        "interval or at a given time.",
        "Two values: the longest hold interval in seconds, and the latest release date-time.",
        (
            _p(
                "HOLDFOR",
                "MAIL",
                "FUTURERELEASE",
                "HOLDFOR=<seconds>",
                "Hold the message for this many seconds before releasing it.",
                "RFC 4865",
            ),
            _p(
                "HOLDUNTIL",
                "MAIL",
                "FUTURERELEASE",
                "HOLDUNTIL=<date-time>",
                "Hold the message until this RFC 3339 date-time.",
                "RFC 4865",
            ),
        ),
    ),
    Extension(
        "NO-SOLICITING",
        "Solicitation class keywords",
        "RFC 3865",
        "Sender may label solicitations.",
        "The sender marks a message with solicitation class keywords so a receiver that "
        "refuses such mail can say no before the data is sent.",
        "Optional comma-separated solicitation class keywords the server acts on.",
        (
            _p(
                "SOLICIT",
                "MAIL",
                "NO-SOLICITING",
                "SOLICIT=<keyword>[,<keyword>...]",
                "Solicitation class keywords describing the message.",
                "RFC 3865",
            ),
        ),
    ),
    Extension(
        "CONPERM",
        "Content conversion permission",
        "RFC 4141",
        "Sender may grant content conversion.",
        "Part of the content-conversion service for fax-like content: the originator can "
        "permit intermediaries to convert the content to a form the recipient accepts.  "
        "Rarely deployed; smtpshell does not model its parameters.",
        "Not modelled by smtpshell.",
    ),
    Extension(
        "CONNEG",
        "Content negotiation",
        "RFC 4141",
        "Server can report recipient capabilities.",
        "The companion of CONPERM: lets the receiving side return the recipient's content "
        "capabilities so conversion can be chosen.  Rarely deployed; smtpshell does not model "
        "its parameters.",
        "Not modelled by smtpshell.",
    ),
    Extension(
        "LIMITS",
        "Session limits",
        "RFC 9422",
        "Server states its limits up front.",
        "The server announces the limits it will apply during this session, so the client can "
        "split transactions instead of running into 452 errors.",
        "Space-separated NAME=VALUE pairs: MAILMAX (transactions per session), RCPTMAX "
        "(recipients per transaction), RCPTDOMAINMAX (recipient domains per transaction).",
    ),
    Extension(
        "BURL",
        "Message submission by reference",
        "RFC 4468",
        "Submit a message by IMAP URL.",
        "BURL <url> [LAST] lets a submission client refer to a message stored on an IMAP "
        "server instead of uploading it again; the server fetches it.",
        "Optional URL schemes the server can fetch, e.g. 'imap'.",
        commands=("BURL",),
    ),
    Extension(
        "RRVS",
        "Require recipient valid since",
        "RFC 7293",
        "Reject if the mailbox changed owner.",
        "The sender gives a date-time per recipient; the receiver refuses (or just warns) if "
        "the mailbox may have changed owner since then, so mail does not reach a recycled "
        "address.",
        "None.",
        (
            _p(
                "RRVS",
                "RCPT",
                "RRVS",
                "RRVS=<date-time>[;C|R]",
                "The recipient must have been the same owner since this date-time; R rejects, "
                "C continues and reports.",
                "RFC 7293",
            ),
        ),
    ),
    Extension(
        "SUBMITTER",
        "Responsible submitter",
        "RFC 4405",
        "Client names the responsible submitter.",
        "Experimental (Sender ID era): the client names the mailbox responsible for "
        "submitting the message so the receiver can check it before the data is sent.",
        "None.",
        (
            _p(
                "SUBMITTER",
                "MAIL",
                "SUBMITTER",
                "SUBMITTER=<mailbox>",
                "Mailbox responsible for this submission (xtext).",
                "RFC 4405",
            ),
        ),
    ),
    Extension(
        "TURN",
        "Turn (role reversal)",
        "RFC 821",
        "Obsolete unauthenticated role swap.",
        "Asked the server to swap roles with the client and deliver queued mail (RFC 821 "
        "§3.8).  It had no authentication, so anybody could collect a domain's mail; RFC 5321 "
        "deprecates it (RFC 5321 Appendix F.1).  ATRN is the authenticated replacement (RFC "
        "2645).",
        "None.",
        commands=("TURN",),
        obsolete=True,
    ),
    Extension(
        "XCLIENT",
        "Postfix XCLIENT (non-standard)",
        "Postfix XCLIENT_README",
        "Trusted proxy overrides client attributes.",
        "A Postfix extension for trusted proxies and testing: XCLIENT NAME=... ADDR=... makes "
        "the server treat the session as if it came from another client.  Only authorised "
        "clients may use it.",
        "Attribute names the client may override: NAME, ADDR, PORT, PROTO, HELO, LOGIN, "
        "DESTADDR, DESTPORT.",
        commands=("XCLIENT",),
        standard=False,
    ),
    Extension(
        "XCLASS",
        "smtpshell class server (private, non-standard)",
        "RFC 5321 §4.1.5",
        "smtpshell's class server: lesson progress and your own mailbox.",
        "A private extension of smtpshell's class server (smtpshell class), allowed by the "
        "rule that keywords starting with X are for private use (RFC 5321 §4.1.5).  After "
        "AUTH, XLESSON KEY STEP STEPS reports a lesson step to the teacher's dashboard "
        "(smtpshell learn --class sends it), XMAILBOX lists the messages sent to you at "
        "ACCOUNT@class.test and XMAILBOX N shows one (/mailbox).",
        "None.",
        commands=("XLESSON", "XMAILBOX"),
        standard=False,
    ),
    Extension(
        "XFORWARD",
        "Postfix XFORWARD (non-standard)",
        "Postfix XFORWARD_README",
        "Proxy forwards original client info for logging.",
        "A Postfix extension: an authorised proxy or content filter passes on the original "
        "client's attributes (name, address, HELO, ...) for logging and policy, without "
        "changing access control the way XCLIENT does.",
        "Attribute names the client may send: NAME, ADDR, PORT, PROTO, HELO, IDENT, SOURCE.",
        commands=("XFORWARD",),
        standard=False,
    ),
)

#: KEYWORD -> Extension, read-only.
EXTENSIONS: MappingProxyType[str, Extension] = MappingProxyType({e.keyword: e for e in _EXTENSIONS})


def extension(name: str) -> Extension | None:
    """The entry for an EHLO keyword (case-insensitive), or None when not in the table."""
    return EXTENSIONS.get(name.strip().upper())


def _merged_parameters(command: str, features: Mapping[str, str] | None) -> list[ParameterInfo]:
    offered = {k.strip().upper() for k in features} if features else None
    merged: dict[str, ParameterInfo] = {}
    for ext in _EXTENSIONS:
        if offered is not None and ext.keyword not in offered:
            continue
        for param in ext.parameters:
            if param.command != command:
                continue
            prior = merged.get(param.name)
            if prior is None:
                merged[param.name] = param
            else:  # BODY from 8BITMIME + BINARYMIME: one parameter, the union of values
                values = prior.values + tuple(v for v in param.values if v not in prior.values)
                syntax = f"{param.name}=" + "|".join(values)
                merged[param.name] = ParameterInfo(
                    prior.name,
                    prior.command,
                    f"{prior.extension}, {param.extension}",
                    syntax,
                    prior.description,
                    f"{prior.rfc}, {param.rfc}",
                    values,
                    prior.takes_value,
                )
    return sorted(merged.values(), key=lambda p: p.name)


def mail_parameters(features: Mapping[str, str] | None = None) -> list[ParameterInfo]:
    """MAIL FROM parameters a client may use, sorted by name.

    *features* is the server's EHLO keyword -> parameter mapping (smtplib's
    ``esmtp_features`` works as is, keys in any case).  Only parameters of advertised
    extensions are returned; with no features (not known yet) all of them are.
    """
    return _merged_parameters("MAIL", features)


def rcpt_parameters(features: Mapping[str, str] | None = None) -> list[ParameterInfo]:
    """RCPT TO parameters, filtered like :func:`mail_parameters`."""
    return _merged_parameters("RCPT", features)


_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_size(n: int) -> str:
    """Bytes in binary units with one decimal: 10240000 -> "9.8 MiB", 512 -> "512 bytes"."""
    if n == 1:
        return "1 byte"
    if abs(n) < 1024:
        return f"{n} bytes"
    index = min(len(_UNITS), (abs(n).bit_length() - 1) // 10)
    try:
        value = n / 1024**index
    except OverflowError:  # more EiB than a float holds: a hostile SIZE, shown as is
        return f"{n} bytes"
    if round(abs(value), 1) >= 1024 and index < len(_UNITS):
        value /= 1024
        index += 1
    unit = _UNITS[index - 1]
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


def human_duration(seconds: int) -> str:
    """Seconds as the largest whole units: 604800 -> "7 days", 90 -> "1 min 30 s"."""
    if seconds < 0:
        return f"{seconds} s"
    parts = []
    for size, name in ((86400, "day"), (3600, "h"), (60, "min"), (1, "s")):
        count, seconds = divmod(seconds, size)
        if count:
            plural = "s" if name == "day" and count != 1 else ""
            parts.append(f"{count} {name}{plural}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 s"


def _uint(word: str) -> int | None:
    """An ASCII decimal of sane length, else None (no int() on hostile input)."""
    if not word or len(word) > 20 or not word.isascii() or not word.isdigit():
        return None
    return int(word)


def _support_note(name: str) -> str:
    mech = mechanism(name)
    if mech is None:
        return "unknown mechanism; not supported by smtpshell"
    label = {
        "supported": "supported by smtpshell",
        "planned": "planned in smtpshell",
        "unsupported": "not supported by smtpshell",
    }[mech.support]
    clear = "; sends the password in the clear (use TLS)" if mech.cleartext_password else ""
    return f"{mech.summary} {label}{clear}"


def _interpret(keyword: str, params: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Turn an EHLO parameter string into a sentence and (key, meaning) items."""
    words = params.split()
    if keyword == "SIZE":
        size = SizeLimit.from_params(params)  # the one RFC 1870 rule (protocol.capabilities)
        if size.kind is SizeKind.NO_NUMBER:
            return "No size limit announced.", ()
        if size.kind is SizeKind.INVALID or size.limit is None:
            shown = display(size.text[:40])
            return f"Unreadable size '{shown}' (RFC 1870 wants a decimal number).", ()
        if size.kind is SizeKind.UNLIMITED:
            return "No fixed maximum message size (0).", ()
        n = size.limit
        return f"Maximum message size {human_size(n)} ({n:,} bytes).", ()
    if keyword == "AUTH":
        names = split_mechanisms(params)
        if not names:
            return "AUTH advertised without any mechanism.", ()
        items = tuple((display(name), _support_note(name)) for name in names)
        usable = [n for n in names if (m := mechanism(n)) is not None and m.supported]
        if usable:
            offered = display(" ".join(names))
            return f"Mechanisms offered: {offered}; usable now: {' '.join(usable)}.", items
        offered = display(" ".join(names))
        return f"Mechanisms offered: {offered}; none supported by smtpshell yet.", items
    if keyword == "LIMITS":
        meanings = {
            "MAILMAX": "mail transactions per session",
            "RCPTMAX": "recipients per transaction",
            "RCPTDOMAINMAX": "distinct recipient domains per transaction",
        }
        items = []
        for word in words:
            name, _, value = word.partition("=")
            meaning = meanings.get(name.upper(), "limit not in the RFC 9422 initial registry")
            items.append((name.upper(), f"{value} {meaning}" if value else meaning))
        text = ", ".join(f"{k}={v.split(' ', 1)[0]}" for k, v in items) or "no limits listed"
        return f"Session limits: {text}.", tuple(items)
    if keyword == "DELIVERBY":
        secs = _uint(words[0]) if words else None
        if secs is not None:
            return f"Minimum BY= deadline the server accepts: {human_duration(secs)}.", ()
        return "No minimum deadline announced.", ()
    if keyword == "FUTURERELEASE":
        hold = _uint(words[0]) if len(words) >= 2 else None
        if hold is not None:
            interval = human_duration(hold)
            return f"Holds messages up to {interval}, and until {words[1]} at the latest.", ()
        return f"Release limits: {params or 'none given'}.", ()
    if keyword == "MT-PRIORITY":
        if words:
            return f"Priority assignment policy: {words[0]}.", ()
        return "No priority assignment policy named.", ()
    if keyword in ("XCLIENT", "XFORWARD"):
        items = tuple((w.upper(), "attribute the client may send") for w in words)
        return f"Attributes: {' '.join(words) or 'none listed'}.", items
    if keyword in ("BURL", "NO-SOLICITING"):
        return (f"Parameters: {params}." if params else "No parameters."), ()
    if params:
        return f"Parameters: {params}.", ()
    return "No parameters.", ()


def describe_feature(name: str, params: str = "") -> FeatureInfo:
    """Explain one advertised EHLO line, e.g. ("SIZE", "10240000") -> "9.8 MiB (...)".

    Never raises: unknown keywords come back with ``known=False``, and X-prefixed ones are
    called private extensions (RFC 5321 §2.2.2).  The legacy form ``AUTH=PLAIN LOGIN`` is
    understood when passed as the name.
    """
    keyword = name.strip()
    if "=" in keyword:  # "AUTH=PLAIN" as sent by old servers
        keyword, _, extra = keyword.partition("=")
        params = f"{extra} {params}".strip()
    keyword = display(keyword.upper())  # server text: escaped once, here
    params = params.strip()
    ext = EXTENSIONS.get(keyword)
    if ext is not None:
        interpretation, items = _interpret(keyword, params)
        return FeatureInfo(
            keyword=keyword,
            params=display(params),
            known=True,
            standard=ext.standard,
            title=ext.title,
            summary=ext.summary,
            interpretation=interpretation,
            rfc=ext.rfc,
            items=items,
            parameters=tuple(p.name for p in ext.parameters),
        )
    private = keyword.startswith("X")
    return FeatureInfo(
        keyword=keyword,
        params=display(params),
        known=False,
        standard=False,
        title="Private extension" if private else "Unknown extension",
        summary=(
            "Local extension by bilateral agreement; not registered with IANA."
            if private
            else "Not in smtpshell's table; possibly vendor-specific or newly registered."
        ),
        interpretation=f"Parameters: {display(params)}." if params else "No parameters.",
        rfc="RFC 5321 §2.2.2" if private else "",
    )
