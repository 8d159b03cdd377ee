"""Basic SMTP reply codes (the three digits), as data with their RFC source.

One table feeds the inline hint after a reply, ``explain`` on request, the TUI log and the
generated ``docs/reference/reply-codes.md``.  Codes outside the table are still explained
through the digit rules of RFC 5321 §4.2.1, so nothing a server sends is left unexplained.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "CATEGORY_MEANINGS",
    "CLASS_MEANINGS",
    "REPLY_CODES",
    "ReplyCode",
    "reply_category",
    "reply_class",
    "reply_code",
]


class ReplyCode(NamedTuple):
    """One basic reply code: a ~5 word hint, a teaching paragraph and where it is defined."""

    code: int
    short: str
    long: str
    rfc: str
    see_also: tuple[str, ...] = ()


#: First digit -> meaning (RFC 5321 §4.2.1).  1yz is defined but unused by SMTP.
CLASS_MEANINGS: MappingProxyType[int, tuple[str, str]] = MappingProxyType(
    {
        1: (
            "Positive preliminary reply",
            "Defined for completeness by RFC 5321 but never used by SMTP: no SMTP command "
            "allows a reply that still expects a second reply.",
        ),
        2: (
            "Positive completion reply",
            "The requested action completed; the client may send the next command.",
        ),
        3: (
            "Positive intermediate reply",
            "The command was accepted but the server needs more: the message data after DATA, "
            "or the next SASL response during AUTH.",
        ),
        4: (
            "Transient negative completion reply",
            "The action was not taken, but the condition is temporary: the same command may "
            "succeed later.  A mail client queues the message and retries.",
        ),
        5: (
            "Permanent negative completion reply",
            "The action was not taken and repeating the same command unchanged will fail again. "
            "Something must change (address, message, credentials, server configuration).",
        ),
    }
)

#: Second digit -> subject area (RFC 5321 §4.2.1).
CATEGORY_MEANINGS: MappingProxyType[int, tuple[str, str]] = MappingProxyType(
    {
        0: (
            "Syntax",
            "syntax errors, syntactically correct commands that do not fit any functional "
            "category, and unimplemented or superfluous commands",
        ),
        1: ("Information", "replies to requests for information, such as status or help"),
        2: ("Connections", "replies about the transmission channel"),
        3: ("Unspecified", "not assigned by RFC 5321"),
        4: ("Unspecified", "not assigned by RFC 5321"),
        5: ("Mail system", "the state of the receiver mail system for the requested transfer"),
    }
)

_5321 = "RFC 5321 §4.2.3"

_CODES: tuple[ReplyCode, ...] = (
    ReplyCode(
        211,
        "System status or help",
        "A status report or system help reply, usually to HELP or a status request.  The text "
        "is meant for a human; nothing in the session changes.",
        _5321,
    ),
    ReplyCode(
        214,
        "Help message",
        "Human-readable help, usually in reply to HELP.  It tells how to use the server or "
        "what a non-standard command means; clients should not parse it.",
        _5321,
    ),
    ReplyCode(
        220,
        "Service ready",
        "The greeting: the server is ready for EHLO.  After STARTTLS the same code means "
        "'ready to start TLS', and the client must begin the TLS handshake at once.",
        _5321,
        ("RFC 3207 §4",),
    ),
    ReplyCode(
        221,
        "Closing connection",
        "The server accepted QUIT (or decided to end the session) and closes the transmission "
        "channel.  Nothing more can be sent on this connection.",
        _5321,
    ),
    ReplyCode(
        235,
        "Authentication succeeded",
        "The SASL exchange finished and the server accepted the credentials.  The client is "
        "authenticated for the rest of the session; AUTH may not be repeated.",
        "RFC 4954 §4",
    ),
    ReplyCode(
        250,
        "Requested action OK",
        "The command completed.  After EHLO the lines list the server's extensions; after "
        "the final '.' of DATA it means the server has taken responsibility for the message.",
        _5321,
    ),
    ReplyCode(
        251,
        "User not local; will forward",
        "The recipient is not local but the server will forward the message to the path given "
        "in the text.  Delivery goes on; the client may want to update its address book.  "
        "(In reply to ETRN, 251 means 'OK, no messages waiting'.)",
        "RFC 5321 §3.4",
        ("RFC 1985 §5",),
    ),
    ReplyCode(
        252,
        "Cannot verify; will try delivery",
        "The server will not confirm whether the address exists (VRFY is often disabled to "
        "stop address harvesting) but will accept mail for it.  It is not an error.  (In reply "
        "to ETRN, 252 means 'OK, pending messages for the node started'.)",
        "RFC 5321 §3.5.3",
        ("RFC 1985 §5",),
    ),
    ReplyCode(
        253,
        "ETRN: queue run started",
        "ETRN reply: the server started delivering the given number of pending messages for "
        "the requested node.  They arrive over a new connection from the server.",
        "RFC 1985 §5",
    ),
    ReplyCode(
        334,
        "AUTH: send next response",
        "An AUTH challenge: the text is a base64 server challenge, possibly empty.  The "
        "client must answer with one base64 line, or '*' to cancel the exchange.",
        "RFC 4954 §4",
    ),
    ReplyCode(
        354,
        "Start mail input",
        "The server is ready for the message after DATA.  Send the headers and body, "
        "dot-stuffing lines that begin with '.', and end with <CRLF>.<CRLF>.",
        _5321,
    ),
    ReplyCode(
        421,
        "Service unavailable, closing",
        "The server is shutting down or refusing service and will close the connection; it may "
        "come as a reply to any command or as the greeting.  Retry later, on a new connection.",
        _5321,
    ),
    ReplyCode(
        432,
        "Password transition needed",
        "AUTH reply: the user must authenticate once with a plaintext mechanism (typically PLAIN "
        "over TLS) so the server can set up the selected mechanism.  Later sessions can use it.",
        "RFC 4954 §6",
    ),
    ReplyCode(
        450,
        "Mailbox unavailable (temporary)",
        "The mailbox could not be used right now: busy, or temporarily blocked for policy "
        "reasons (greylisting uses this).  Retrying later, typically after some minutes, "
        "often succeeds.",
        _5321,
    ),
    ReplyCode(
        451,
        "Local error; aborted",
        "The server hit a local processing error and aborted the action.  The problem is on the "
        "server side and is transient: retry later.",
        _5321,
    ),
    ReplyCode(
        452,
        "Insufficient storage",
        "The server lacks storage for the action.  After RCPT it also means 'too many "
        "recipients': send the remaining recipients in a later transaction.  Retry later.",
        _5321,
    ),
    ReplyCode(
        453,
        "ATRN: no mail waiting",
        "ATRN reply: there is no mail queued for the client's domains, so the roles are not "
        "reversed.  Nothing is wrong; try again when mail is expected.",
        "RFC 2645",
    ),
    ReplyCode(
        454,
        "Temporary auth/TLS failure",
        "After AUTH: authentication failed for a temporary server reason (for example a "
        "backend is down).  After STARTTLS: TLS is temporarily unavailable.  Retry later.",
        "RFC 4954 §6",
        ("RFC 3207 §4",),
    ),
    ReplyCode(
        455,
        "Cannot accommodate parameters",
        "The server understands the MAIL or RCPT parameters but cannot honour them right now.  "
        "Retry later, or without the parameter.",
        _5321,
    ),
    ReplyCode(
        458,
        "ETRN: unable to queue",
        "ETRN reply: the server cannot start a queue run for the node now.  Retry later.",
        "RFC 1985 §5",
    ),
    ReplyCode(
        459,
        "ETRN: node not allowed",
        "ETRN reply: the requested node may not have its queue run (not permitted, or not "
        "known to the server).  Retrying will not help without a configuration change.",
        "RFC 1985 §5",
    ),
    ReplyCode(
        500,
        "Syntax error, unrecognised",
        "The server did not recognise the command, or the line was too long.  During AUTH it "
        "can also mean the base64 response line was too long.  Fix the command before "
        "retrying.",
        _5321,
        ("RFC 4954 §6",),
    ),
    ReplyCode(
        501,
        "Syntax error in arguments",
        "The command was recognised but its arguments or parameters are malformed (a bad "
        "address, a parameter where none is allowed, invalid base64).  Fix the arguments.",
        _5321,
    ),
    ReplyCode(
        502,
        "Command not implemented",
        "The server recognises the command but does not implement it (for example EXPN or "
        "TURN).  Repeating it will not help; check the EHLO list for what is offered.",
        "RFC 5321 §4.2.4",
    ),
    ReplyCode(
        503,
        "Bad sequence of commands",
        "The command is valid but not now: RCPT before MAIL, DATA without a recipient, MAIL "
        "before EHLO, AUTH twice.  Issue the missing step (or RSET) first.",
        _5321,
    ),
    ReplyCode(
        504,
        "Parameter not implemented",
        "The command is known but the given parameter is not, such as an unknown AUTH "
        "mechanism.  Retry with a parameter the server advertises.",
        _5321,
    ),
    ReplyCode(
        521,
        "Host does not accept mail",
        "This host does not accept mail at all, typically a dummy server that answers 521 "
        "instead of the 220 greeting.  It is permanent: do not retry at this host.  (A "
        "domain that accepts no mail publishes a null MX instead, reported with 556.)",
        "RFC 7504 §3",
        ("RFC 7504 §4",),
    ),
    ReplyCode(
        530,
        "Authentication/TLS required",
        "The server requires the client to authenticate (AUTH) or to start TLS (STARTTLS) "
        "before this command.  Do that, then repeat the command.",
        "RFC 4954 §6",
        ("RFC 3207 §4",),
    ),
    ReplyCode(
        534,
        "Auth mechanism too weak",
        "AUTH reply: server policy does not allow the chosen mechanism for this user.  Retry "
        "AUTH with a stronger mechanism from the EHLO AUTH list.",
        "RFC 4954 §6",
    ),
    ReplyCode(
        535,
        "Credentials invalid",
        "AUTH reply: the username or password (or token) was rejected.  Retrying with the same "
        "credentials fails again; ask for new ones.",
        "RFC 4954 §6",
    ),
    ReplyCode(
        538,
        "Encryption required for mechanism",
        "AUTH reply: the chosen mechanism may only be used over an encrypted connection.  Run "
        "STARTTLS (or connect with implicit TLS), then authenticate.",
        "RFC 4954 §6",
    ),
    ReplyCode(
        550,
        "Mailbox unavailable",
        "The action was refused permanently: the mailbox does not exist, access is denied, or "
        "the command was rejected for policy reasons (relaying denied, spam).  Do not retry "
        "unchanged; the enhanced code usually says which.",
        _5321,
    ),
    ReplyCode(
        551,
        "User not local; try elsewhere",
        "The recipient is not local and the server will not forward; the text may name the "
        "address to use instead.  Send to that address.",
        "RFC 5321 §3.4",
    ),
    ReplyCode(
        552,
        "Exceeded storage allocation",
        "The message is too big or the mailbox is over quota.  Sending the same message again "
        "fails; shrink it or check the SIZE limit in EHLO.",
        _5321,
    ),
    ReplyCode(
        553,
        "Mailbox name not allowed",
        "The address is syntactically wrong or not permitted (for example a sender the "
        "authenticated user may not use).  Correct the address.",
        _5321,
    ),
    ReplyCode(
        554,
        "Transaction failed",
        "The transaction failed permanently (after DATA: the message was rejected).  As a "
        "greeting it means 'no SMTP service here'.  Do not retry unchanged.",
        _5321,
    ),
    ReplyCode(
        555,
        "MAIL/RCPT parameters not recognised",
        "A MAIL FROM or RCPT TO parameter is unknown or not implemented, typically one the "
        "server did not advertise in EHLO.  Drop the parameter and retry.",
        _5321,
    ),
    ReplyCode(
        556,
        "Domain does not accept mail",
        "The recipient's domain accepts no mail at all (it publishes a null MX).  It is "
        "permanent: the address cannot receive mail.",
        "RFC 7504 §4",
        ("RFC 7505 §3",),
    ),
)

#: code -> ReplyCode, read-only.
REPLY_CODES: MappingProxyType[int, ReplyCode] = MappingProxyType({c.code: c for c in _CODES})


def reply_code(code: int) -> ReplyCode | None:
    """The table entry for *code*, or None when the code is not a documented one."""
    return REPLY_CODES.get(code)


def reply_class(code: int) -> str:
    """Name of the class given by the first digit ("Transient negative completion reply")."""
    if not 100 <= code <= 599:
        return "Not a valid SMTP reply code"
    return CLASS_MEANINGS[code // 100][0]


def reply_category(code: int) -> str:
    """Name of the subject area given by the second digit ("Mail system"), or ""."""
    if not 100 <= code <= 599:
        return ""
    second = (code // 10) % 10
    return CATEGORY_MEANINGS[second][0] if second in CATEGORY_MEANINGS else "Unspecified"
