"""Clients that connect to one given address while speaking to a host by name.

A mail host with several A/AAAA records is probed once per address (docs/probe.md, "Every
address"), but TLS must still ask for and check the host's name (SNI, certificate name):
the client is told the name, and these subclasses only change where the TCP connection
goes.  The transcript's CONNECT event names the address actually used.
"""

from __future__ import annotations

import socket
import ssl

from smtpshell.client import SMTP, SMTP_SSL

__all__ = ["PinnedSMTP", "PinnedSMTP_SSL", "presented_chain"]


class PinnedSMTP(SMTP):
    def __init__(self, address: str, **kwargs) -> None:
        self.pinned_address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        return super()._get_socket(self.pinned_address, port, timeout)


class PinnedSMTP_SSL(SMTP_SSL):
    def __init__(self, address: str, **kwargs) -> None:
        self.pinned_address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        sock = SMTP._get_socket(self, self.pinned_address, port, timeout)
        return self._wrap_tls(self.context, sock, host)


def presented_chain(sock: object) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER; [] when they cannot be read.

    DANE-TA needs the issuer certificates the server presents, verified or not.  Python
    3.13 has ``SSLSocket.get_unverified_chain()``; 3.10 to 3.12 have the same method on the
    private ``_sslobj`` (OpenSSL's SSL_get_peer_cert_chain).  Where neither exists, the
    leaf alone is returned (DANE-EE still works; DANE-TA cannot match).
    """
    getter = getattr(sock, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)
    chain: list[bytes] = []
    # ssl.ENCODING_DER is public from 3.13; the private _ssl has had it since 3.10.
    encoding = getattr(ssl, "ENCODING_DER", None) or getattr(ssl._ssl, "ENCODING_DER", 2)  # type: ignore[attr-defined]
    if getter is not None:
        try:
            for cert in getter() or []:
                if isinstance(cert, bytes):
                    chain.append(cert)
                else:
                    chain.append(cert.public_bytes(encoding))
        except (ssl.SSLError, ValueError, AttributeError, TypeError):
            chain = []
    if not chain:
        leaf = getattr(sock, "getpeercert", None)
        der = leaf(binary_form=True) if leaf is not None else None
        chain = [der] if der else []
    return chain
