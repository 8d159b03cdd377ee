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


# -- Where smtpshell is stricter than smtplib, its error is still an instance of the one
# -- smtplib raises in that place, so no ``except`` clause written for smtplib changes meaning
# -- (issue 14; CPython's own test_smtplib checks each of these).


class SMTPBadGreeting(SMTPProtocolError, SMTPConnectError):
    """The greeting was malformed (``199 hello`` is not a reply code): smtplib raises
    SMTPConnectError for any greeting but 220, so this is one too; the connection is closed."""


class SMTPInvalidPort(SMTPException, ValueError):
    """``host:port`` with a port that is not a number.  smtplib raises
    ``OSError("nonnumeric port")``; smtpshell's callers caught ValueError: this is both."""


class SMTPAuthLoopError(SMTPAuthenticationError):
    """The server kept sending 334 challenges past ``Limits.max_auth_rounds``; the exchange
    was cancelled with ``*``.  The text is smtplib's, whose guard raises SMTPException."""

    def __str__(self) -> str:
        last = (self.smtp_code, self.smtp_error)
        return (
            f"Server AUTH mechanism infinite loop. Last response: {last!r}; "
            "too many AUTH challenges, exchange cancelled"
        )


class SMTPUTF8RequiredError(UnicodeEncodeError):
    """A non-ASCII address or command the session cannot carry without SMTPUTF8 (RFC 6531).

    smtplib raises UnicodeEncodeError here, halfway through the transaction, when the command
    is encoded; smtpshell raises this one before anything is written.  It takes
    UnicodeEncodeError's five arguments (encoding, object, start, end, reason) so it pickles
    and formats like one; :meth:`for_text` builds them.  It cannot also be an
    SMTPNotSupportedError: that is an OSError, and CPython cannot make one class of both
    builtins (their instance layouts conflict).  Being a UnicodeError, it is a ValueError.
    """

    @classmethod
    def for_text(cls, text: str, reason: str, encoding: str = "ascii") -> SMTPUTF8RequiredError:
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            return cls(encoding, text, exc.start, exc.end, reason)
        return cls(encoding, text, 0, len(text), reason)  # pragma: no cover - caller checked

    def __str__(self) -> str:
        return self.reason
