"""TLS: contexts, the handshake (implicit TLS and STARTTLS) and what it established."""

from __future__ import annotations

import socket
import ssl

from smtpshell.client._auth import _Auth
from smtpshell.errors import (
    SMTPCertificateError,
    SMTPNotSupportedError,
    SMTPProtocolError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
    SMTPTLSError,
)
from smtpshell.transcript import INJECTED, Event, EventKind


def default_context() -> ssl.SSLContext:
    """The TLS context used when none is given: verifies the certificate and the host name."""
    return ssl.create_default_context()


def unverified_context() -> ssl.SSLContext:
    """A context that accepts any certificate.  Saying so is the only way to get one.

    Connections made with it are marked unverified in the transcript and in ``tls_info()``.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _verified_chain(tls_sock: ssl.SSLSocket) -> list[bytes] | None:
    get_chain = getattr(tls_sock, "get_verified_chain", None)
    if get_chain is None:
        return None
    try:
        return [
            bytes(cert) if isinstance(cert, bytes) else cert.public_bytes(ssl.ENCODING_DER)  # type: ignore[attr-defined]
            for cert in get_chain()
        ]
    except (ssl.SSLError, ValueError, AttributeError):
        return None


class _TLS(_Auth):
    """STARTTLS and the handshake shared with SMTP_SSL."""

    #: The name sent in SNI and checked against the certificate when it is not the host
    #: connected to (the faces' ``--sni``); None: the host.
    server_hostname: str | None = None

    def _wrap_tls(self, context: ssl.SSLContext, sock: socket.socket, host: str) -> ssl.SSLSocket:
        """Handshake, mapping every failure to an SMTP error and closing the connection."""
        hostname = self.server_hostname or host or None
        try:
            tls_sock = context.wrap_socket(sock, server_hostname=hostname)
        except ssl.SSLCertVerificationError as exc:
            self._discard(sock, "TLS certificate verification failed")
            error = SMTPCertificateError(
                f"certificate verification failed for {host}: {exc.verify_message or exc}"
            )
            error.verify_code, error.verify_message = exc.verify_code, exc.verify_message
            raise error from exc
        except ssl.SSLError as exc:
            self._discard(sock, "TLS handshake failed")
            raise SMTPTLSError(f"TLS handshake with {host} failed: {exc}") from exc
        except TimeoutError as exc:
            self._discard(sock, "TLS handshake timed out")
            raise SMTPTimeoutError(f"TLS handshake with {host} timed out") from exc
        except OSError as exc:
            self._discard(sock, "connection lost during TLS handshake")
            raise SMTPServerDisconnected(f"connection lost during TLS handshake: {exc}") from exc
        cipher = tls_sock.cipher()
        verified = context.verify_mode != ssl.CERT_NONE
        self._tls_info = {
            "version": tls_sock.version(),
            "cipher": cipher[0] if cipher else None,
            "bits": cipher[2] if cipher else None,
            "verified": verified,
            "hostname_checked": context.check_hostname,
            "server_hostname": hostname,
            "peer_cert": tls_sock.getpeercert() if verified else None,
            "peer_cert_der": tls_sock.getpeercert(binary_form=True),
            # Python 3.13+: the chain as validated (leaf first), DER; None before 3.13.
            "verified_chain_der": _verified_chain(tls_sock) if verified else None,
        }
        return tls_sock

    def starttls(self, *, context: ssl.SSLContext | None = None) -> tuple[int, bytes]:
        """Upgrade to TLS (RFC 3207), verifying the certificate unless told otherwise.

        All EHLO knowledge is forgotten afterwards: call ``ehlo()`` again.
        """
        if self._tls_info is not None:
            raise SMTPNotSupportedError("STARTTLS refused: the connection already uses TLS")
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("starttls"):
            raise SMTPNotSupportedError("STARTTLS extension not supported by server.")
        (resp, reply) = self.docmd("STARTTLS")
        if resp != 220:
            raise SMTPResponseException(resp, reply)
        if self._readable_now():
            injected = bytes(self._rbuf)
            self._rbuf.clear()
            self.transcript.emit(Event(EventKind.RECEIVED, injected, flags=INJECTED))
            self.close()
            raise SMTPProtocolError(
                -1,
                b"plaintext arrived after the 220 reply to STARTTLS and before the TLS "
                b"handshake (STARTTLS injection); connection closed",
            )
        if context is None:
            context = default_context()
        assert self.sock is not None
        self.sock = self._wrap_tls(context, self.sock, self._state.host)
        self._sock_timeout = self.sock.gettimeout()
        self.file = None
        self.helo_resp = None
        self.ehlo_resp = None
        self.esmtp_features = {}
        self.does_esmtp = False
        self._update(greeted=False, esmtp=False)
        self._emit_tls_event()
        return (resp, reply)
