"""The exception family: smtplib's own classes, plus precise subclasses of them.

The stdlib classes are re-exported (not copied) so ``except smtplib.SMTPException`` catches
smtpshell's errors and the reverse.  Every subclass added here also inherits the builtin
``OSError`` subclass that smtplib would have let escape (``TimeoutError``,
``ConnectionRefusedError``, ``ssl.SSLError`` ...), so code written against smtplib keeps
catching what it caught before, while no bare ``OSError`` leaves a public method.
"""

from __future__ import annotations

import socket
import ssl
from smtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupportedError,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
)

__all__ = [
    "SMTPAuthenticationError",
    "SMTPCertificateError",
    "SMTPConnectError",
    "SMTPConnectTimeout",
    "SMTPConnectionRefused",
    "SMTPDataError",
    "SMTPException",
    "SMTPHeloError",
    "SMTPHostNotFound",
    "SMTPMessageTooLarge",
    "SMTPNotSupportedError",
    "SMTPProtocolError",
    "SMTPRecipientsRefused",
    "SMTPResponseException",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
    "SMTPTLSError",
    "SMTPTimeoutError",
    "connect_error",
]


class SMTPProtocolError(SMTPResponseException, SMTPServerDisconnected):
    """The server broke the protocol (malformed or oversized reply, data out of step).

    The connection has been closed: after a protocol violation nothing the server says next
    can be trusted.  ``smtp_code`` is the reply code when one could be read, else -1.
    """


class SMTPTimeoutError(SMTPServerDisconnected, TimeoutError):
    """The server did not complete a reply within the command's timeout; connection closed."""


class SMTPTLSError(SMTPServerDisconnected, ssl.SSLError):
    """The TLS handshake failed; connection closed."""

    def __str__(self) -> str:
        # ssl.SSLError formats its args as a tuple; ours carry one readable message.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class SMTPCertificateError(SMTPTLSError, ssl.SSLCertVerificationError):
    """The server's certificate did not verify; connection closed."""


class SMTPConnectionRefused(SMTPConnectError, ConnectionRefusedError):
    """Nothing listens at the address."""


class SMTPConnectTimeout(SMTPConnectError, TimeoutError):
    """The TCP connection was not established within the timeout."""


class SMTPHostNotFound(SMTPConnectError, socket.gaierror):
    """The host name does not resolve."""


class SMTPMessageTooLarge(SMTPSenderRefused):
    """Refused before MAIL: the message is larger than the server's advertised SIZE."""


def connect_error(exc: OSError, target: str) -> SMTPConnectError:
    """The SMTPConnectError subclass that matches an OSError raised while connecting."""
    text = f"cannot connect to {target}: {exc}".encode("utf-8", "backslashreplace")
    if isinstance(exc, ConnectionRefusedError):
        return SMTPConnectionRefused(-1, text)
    if isinstance(exc, TimeoutError):
        return SMTPConnectTimeout(-1, text)
    if isinstance(exc, socket.gaierror):
        return SMTPHostNotFound(-1, text)
    return SMTPConnectError(-1, text)
