"""smtpshell: look inside SMTP.

This package is a drop-in for :mod:`smtplib` (``import smtpshell as smtplib``): the same
classes, functions, constants and exceptions (the stdlib's own exception classes, so either
module's ``except`` clauses catch both), hardened, and with a transcript of every byte.
"""

from smtpshell.client import (
    LMTP,
    LMTP_PORT,
    SMTP,
    SMTP_PORT,
    SMTP_SSL,
    SMTP_SSL_PORT,
    SessionState,
    default_context,
    unverified_context,
)
from smtpshell.errors import (
    SMTPAuthenticationError,
    SMTPAuthLoopError,
    SMTPBadGreeting,
    SMTPCertificateError,
    SMTPConnectError,
    SMTPConnectionRefused,
    SMTPConnectTimeout,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPHostNotFound,
    SMTPInvalidPort,
    SMTPMessageTooLarge,
    SMTPNotSupportedError,
    SMTPProtocolError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
    SMTPTLSError,
    SMTPUTF8RequiredError,
)
from smtpshell.protocol import CRLF, bCRLF, dsn_mail_options, dsn_rcpt_options, quoteaddr, quotedata
from smtpshell.transcript import Event, EventKind, Transcript

__version__ = "0.1.0"

__all__ = [
    "CRLF",
    "LMTP",
    "LMTP_PORT",
    "SMTP",
    "SMTP_PORT",
    "SMTP_SSL",
    "SMTP_SSL_PORT",
    "Event",
    "EventKind",
    "SMTPAuthLoopError",
    "SMTPAuthenticationError",
    "SMTPBadGreeting",
    "SMTPCertificateError",
    "SMTPConnectError",
    "SMTPConnectTimeout",
    "SMTPConnectionRefused",
    "SMTPDataError",
    "SMTPException",
    "SMTPHeloError",
    "SMTPHostNotFound",
    "SMTPInvalidPort",
    "SMTPMessageTooLarge",
    "SMTPNotSupportedError",
    "SMTPProtocolError",
    "SMTPRecipientsRefused",
    "SMTPResponseException",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
    "SMTPTLSError",
    "SMTPTimeoutError",
    "SMTPUTF8RequiredError",
    "SessionState",
    "Transcript",
    "bCRLF",
    "default_context",
    "dsn_mail_options",
    "dsn_rcpt_options",
    "quoteaddr",
    "quotedata",
    "unverified_context",
]
