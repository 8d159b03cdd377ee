"""SMTP and LMTP verbs: syntax, source, the extension that enables them, typical replies.

Completion lists the verbs, ``help <verb>`` prints an entry, and the reply lists follow the
command-reply sequences of RFC 5321 §4.3.2 (plus each extension's own RFC).  Any command
may also get 421 (service closing), 500 and 501; those are not repeated per entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

__all__ = ["COMMANDS", "CommandInfo", "command", "commands"]


class CommandInfo(NamedTuple):
    """One command verb."""

    verb: str
    syntax: str
    rfc: str
    description: str
    extension: str | None = None  # EHLO keyword that enables it; None = base SMTP
    replies: tuple[int, ...] = ()
    lmtp_only: bool = False
    obsolete: bool = False


_COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "EHLO",
        "EHLO <domain>|<address-literal>",
        "RFC 5321 §4.1.1.1",
        "Open the session as an extended client and receive the list of extensions.  After "
        "STARTTLS the client must forget that list and should send EHLO again (RFC 3207 "
        "§4.2).",
        replies=(250, 504, 550, 502),
    ),
    CommandInfo(
        "HELO",
        "HELO <domain>",
        "RFC 5321 §4.1.1.1",
        "Open the session as a plain (non-extended) client; no extensions can be used.",
        replies=(250, 504, 550),
    ),
    CommandInfo(
        "LHLO",
        "LHLO <domain>",
        "RFC 2033 §4.1",
        "LMTP's replacement for EHLO; LMTP servers refuse HELO and EHLO.",
        replies=(250, 500),
        lmtp_only=True,
    ),
    CommandInfo(
        "MAIL",
        "MAIL FROM:<reverse-path> [<param>=<value> ...]",
        "RFC 5321 §4.1.1.2",
        "Start a mail transaction with the sender (bounce) address; <> is the null sender "
        "used by bounces.  Parameters come from extensions (SIZE=, BODY=, SMTPUTF8 ...).",
        replies=(250, 552, 451, 452, 550, 553, 503, 455, 555),
    ),
    CommandInfo(
        "RCPT",
        "RCPT TO:<forward-path> [<param>=<value> ...]",
        "RFC 5321 §4.1.1.3",
        "Add one recipient to the transaction; repeat for each recipient.",
        replies=(250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555),
    ),
    CommandInfo(
        "DATA",
        "DATA",
        "RFC 5321 §4.1.1.4",
        "Send the message: after 354, the headers and body, dot-stuffed, ended by "
        "<CRLF>.<CRLF>.  In LMTP the final dot gets one reply per accepted recipient.",
        replies=(354, 250, 552, 554, 451, 452, 450, 550, 503),
    ),
    CommandInfo(
        "BDAT",
        "BDAT <size> [LAST]",
        "RFC 3030 §2",
        "Send the next <size> octets of the message as-is (no dot-stuffing); LAST marks the "
        "final chunk.  Replaces DATA when CHUNKING is offered.",
        extension="CHUNKING",
        replies=(250, 451, 452, 503, 552, 554),
    ),
    CommandInfo(
        "BURL",
        "BURL <imap-url> [LAST]",
        "RFC 4468 §3",
        "Append message content fetched by the server from an IMAP URL.",
        extension="BURL",
        replies=(250, 503, 554),
    ),
    CommandInfo(
        "RSET",
        "RSET",
        "RFC 5321 §4.1.1.5",
        "Abort the current transaction (sender, recipients, data); the session stays open.",
        replies=(250,),
    ),
    CommandInfo(
        "VRFY",
        "VRFY <string> [SMTPUTF8]",
        "RFC 5321 §4.1.1.6",
        "Ask whether a user or mailbox exists.  Often answered 252 to avoid leaking addresses.",
        replies=(250, 251, 252, 550, 551, 553, 502, 504),
    ),
    CommandInfo(
        "EXPN",
        "EXPN <string> [SMTPUTF8]",
        "RFC 5321 §4.1.1.7",
        "Ask for the members of a mailing list.  Usually disabled.",
        replies=(250, 252, 550, 500, 502, 504),
    ),
    CommandInfo(
        "HELP",
        "HELP [<string>]",
        "RFC 5321 §4.1.1.8",
        "Human-readable help, in general or about one command.",
        replies=(211, 214, 502, 504),
    ),
    CommandInfo(
        "NOOP",
        "NOOP [<string>]",
        "RFC 5321 §4.1.1.9",
        "Do nothing; the server answers 250.  Useful to keep a session alive or test it.",
        replies=(250,),
    ),
    CommandInfo(
        "QUIT",
        "QUIT",
        "RFC 5321 §4.1.1.10",
        "End the session; the server answers 221 and closes the connection.",
        replies=(221,),
    ),
    CommandInfo(
        "STARTTLS",
        "STARTTLS",
        "RFC 3207 §4",
        "Upgrade the connection to TLS; after 220 the client starts the handshake.  Then it "
        "must discard what it knew of the server and should send EHLO first (RFC 3207 §4.2).",
        extension="STARTTLS",
        replies=(220, 501, 454),
    ),
    CommandInfo(
        "AUTH",
        "AUTH <mechanism> [<initial-response>]",
        "RFC 4954 §4",
        "Authenticate with a SASL mechanism; 334 lines carry challenges, '*' cancels, 235 "
        "means success.",
        extension="AUTH",
        replies=(334, 235, 432, 454, 500, 501, 503, 504, 530, 534, 535, 538),
    ),
    CommandInfo(
        "ETRN",
        "ETRN [@|#]<node>",
        "RFC 1985 §5",
        "Ask the server to start delivering mail queued for a node (domain); '@' includes "
        "subdomains, '#' names a queue.",
        extension="ETRN",
        replies=(250, 251, 252, 253, 458, 459, 500, 501),
    ),
    CommandInfo(
        "ATRN",
        "ATRN [<domain>[,<domain>...]]",
        "RFC 2645",
        "After AUTH, reverse the roles on this connection and receive the mail queued for "
        "the client's domains (On-Demand Mail Relay).",
        extension="ATRN",
        replies=(250, 450, 451, 453, 502, 530),
    ),
    CommandInfo(
        "TURN",
        "TURN",
        "RFC 821 §4.1.1",
        "Obsolete: swap roles without authentication.  Deprecated (RFC 5321 Appendix F.1); "
        "servers answer 502.",
        extension="TURN",
        replies=(250, 502),
        obsolete=True,
    ),
    CommandInfo(
        "XCLIENT",
        "XCLIENT <attr>=<value> [...]",
        "Postfix XCLIENT_README",
        "Non-standard (Postfix): a trusted client overrides the connection's client "
        "attributes; the server answers with a new greeting.",
        extension="XCLIENT",
        replies=(220, 501, 503, 550),
    ),
    CommandInfo(
        "XFORWARD",
        "XFORWARD <attr>=<value> [...]",
        "Postfix XFORWARD_README",
        "Non-standard (Postfix): a trusted client passes on the original client's attributes "
        "for logging.",
        extension="XFORWARD",
        replies=(250, 501, 503, 550),
    ),
    CommandInfo(
        "XLESSON",
        "XLESSON <lesson> <step> <steps>",
        "RFC 5321 §4.1.5",
        "Private (smtpshell's class server): after AUTH, report a lesson step done to the "
        "teacher's dashboard.",
        extension="XCLASS",
        replies=(250, 501, 530),
    ),
    CommandInfo(
        "XMAILBOX",
        "XMAILBOX [<number>]",
        "RFC 5321 §4.1.5",
        "Private (smtpshell's class server): after AUTH, list your own mailbox, or show "
        "message <number>.",
        extension="XCLASS",
        replies=(250, 501, 530),
    ),
)

#: VERB -> CommandInfo, read-only.
COMMANDS: MappingProxyType[str, CommandInfo] = MappingProxyType({c.verb: c for c in _COMMANDS})


def command(verb: str) -> CommandInfo | None:
    """The entry for a verb (case-insensitive), or None."""
    return COMMANDS.get(verb.strip().upper())


def commands(features: Mapping[str, str] | None = None, *, lmtp: bool = False) -> list[CommandInfo]:
    """Verbs available to a client, in table order.

    With *features* (EHLO keyword -> params, any case), verbs whose extension was not
    advertised are left out; obsolete verbs are always left out then.  *lmtp* swaps
    EHLO/HELO for LHLO.
    """
    offered = {k.strip().upper() for k in features} if features else None
    out = []
    for info in _COMMANDS:
        if info.lmtp_only != lmtp and info.verb in ("EHLO", "HELO", "LHLO"):
            continue
        if offered is not None:
            if info.obsolete:
                continue
            if info.extension is not None and info.extension not in offered:
                continue
        out.append(info)
    return out
