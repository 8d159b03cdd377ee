"""smtpshell: look inside SMTP.

This package is a drop-in for :mod:`smtplib` (``import smtpshell as smtplib``): the same
classes, functions, constants and exceptions (the stdlib's own exception classes, so either
module's ``except`` clauses catch both), hardened, and with a transcript of every byte.
"""

from smtpshell import client, errors

# The client's public names and the exception family: each listed once, in the __all__ of
# smtpshell.client and smtpshell.errors, and re-exported here whole.
from smtpshell.client import *  # noqa: F403
from smtpshell.errors import *  # noqa: F403
from smtpshell.protocol import CRLF, bCRLF, dsn_mail_options, dsn_rcpt_options
from smtpshell.transcript import Event, EventKind, Transcript

__version__ = "0.1.0"

__all__ = [
    "CRLF",
    "Event",
    "EventKind",
    "Transcript",
    "bCRLF",
    "dsn_mail_options",
    "dsn_rcpt_options",
]
__all__ += client.__all__
__all__ += errors.__all__
