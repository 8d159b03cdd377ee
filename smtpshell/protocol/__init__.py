"""The pure protocol layer: bytes in, values out, no sockets.

Pure code is what we table-test and fuzz; the client only moves bytes between these
functions and the socket.
"""

from smtpshell.protocol.addresses import addr_only, check_no_control, envelope_address, quoteaddr
from smtpshell.protocol.capabilities import (
    Capabilities,
    Capability,
    CapabilityChange,
    CapabilityDiff,
    SizeKind,
    SizeLimit,
    diff_capabilities,
    parse_capabilities,
)
from smtpshell.protocol.commands import encode_line, format_command
from smtpshell.protocol.data import (
    CRLF,
    bCRLF,
    dot_stuffed_chunks,
    encode_message,
    fix_eols,
    normalize_eols,
    quote_periods,
    quotedata,
)
from smtpshell.protocol.display import SafeText, display
from smtpshell.protocol.dsn import dsn_mail_options, dsn_rcpt_options, xtext
from smtpshell.protocol.ehlo import parse_ehlo
from smtpshell.protocol.replies import DEFAULT_LIMITS, Limits, Reply, ReplyAssembler, parse_reply

__all__ = [
    "CRLF",
    "DEFAULT_LIMITS",
    "Capabilities",
    "Capability",
    "CapabilityChange",
    "CapabilityDiff",
    "Limits",
    "Reply",
    "ReplyAssembler",
    "SafeText",
    "SizeKind",
    "SizeLimit",
    "addr_only",
    "bCRLF",
    "check_no_control",
    "diff_capabilities",
    "display",
    "dot_stuffed_chunks",
    "dsn_mail_options",
    "dsn_rcpt_options",
    "encode_line",
    "encode_message",
    "envelope_address",
    "fix_eols",
    "format_command",
    "normalize_eols",
    "parse_capabilities",
    "parse_ehlo",
    "parse_reply",
    "quote_periods",
    "quoteaddr",
    "quotedata",
    "xtext",
]
