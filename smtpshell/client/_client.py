"""The public classes: SMTP and SMTP_SSL, assembled from the layers below."""

from __future__ import annotations

import socket
import ssl
from typing import TypedDict, Unpack

from smtpshell.client._io import _GLOBAL_DEFAULT_TIMEOUT, net
from smtpshell.client._tls import default_context
from smtpshell.client._transaction import _Transaction
from smtpshell.errors import SMTPConnectError
from smtpshell.protocol import DEFAULT_LIMITS, Limits
from smtpshell.transcript import Transcript

SMTP_SSL_PORT = 465


class ExtraOptions(TypedDict, total=False):
    """smtpshell's keyword-only options, taken by every class (see :class:`SMTP`)."""

    transcript: Transcript | None
    limits: Limits
    pipelining: bool
    chunking: bool


class KeywordOptions(ExtraOptions, total=False):
    """What SMTP_SSL takes by keyword only: smtplib's ``timeout`` and ``source_address``
    (positional in SMTP), and smtpshell's options."""

    timeout: float | None
    source_address: tuple[str, int] | None


class SMTP(_Transaction):
    """An SMTP connection, as :class:`smtplib.SMTP`.

    Extra keyword-only arguments: ``transcript`` (a :class:`Transcript` to record into;
    one bounded transcript per instance by default), ``limits`` (read bounds), and the
    opt-ins ``pipelining`` and ``chunking``.
    """

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        *,
        transcript: Transcript | None = None,
        limits: Limits = DEFAULT_LIMITS,
        pipelining: bool = False,
        chunking: bool = False,
    ):
        self._host = host
        #: Opt-in (RFC 2920): sendmail() sends MAIL, RCPTs and DATA/BDAT in one batch when
        #: the server advertises PIPELINING.  Off by default: the wire stays smtplib's.
        self.pipelining = pipelining
        #: Opt-in (RFC 3030): sendmail() uses BDAT instead of DATA when CHUNKING is offered.
        self.chunking = chunking
        self.timeout = timeout
        self.source_address = source_address
        self._init_connection(transcript, limits)
        self.lmtp_replies: list[tuple[str, int, bytes]] = []
        if host:
            (code, msg) = self.connect(host, port)
            if code != 220:
                self.close()
                raise SMTPConnectError(code, msg)
        if local_hostname is not None:
            self.local_hostname = local_hostname
        else:
            # RFC 5321 §4.1.4: the FQDN, else an address literal (smtplib's algorithm).
            fqdn = net().getfqdn()
            if "." in fqdn:
                self.local_hostname = fqdn
            else:
                addr = "127.0.0.1"
                try:
                    addr = net().gethostbyname(net().gethostname())
                except OSError:
                    pass
                self.local_hostname = f"[{addr}]"


class SMTP_SSL(SMTP):
    """SMTP over implicit TLS (RFC 8314), port 465, verifying the certificate by default."""

    default_port = SMTP_SSL_PORT

    def __init__(
        self,
        host: str = "",
        port: int = 0,
        local_hostname: str | None = None,
        *,
        context: ssl.SSLContext | None = None,
        **options: Unpack[KeywordOptions],
    ):
        """As :class:`SMTP`, with ``context`` (verifying by default) and every other option
        keyword-only, as in smtplib since 3.12."""
        self.context = context if context is not None else default_context()
        super().__init__(host, port, local_hostname, **options)

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        if self.debuglevel > 0:
            self._print_debug("connect:", (host, port))
        new_socket = super()._get_socket(host, port, timeout)
        return self._wrap_tls(self.context, new_socket, host)
