"""The client's transport options: TCP_NODELAY on every TCP connection, Unix sockets untouched.

Nagle's algorithm plus a delayed ACK cost ~44 ms per message of 64 KiB..130 KB (issue 15);
the speed itself is measured by ``python -m bench --sections 7``, these tests only check
that the option is on where it applies.
"""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

import pytest

import smtpshell
from smtpshell.server import PracticeServer

MESSAGE = b"Subject: nodelay\r\n\r\n" + b"x" * 998 + b"\r\n"


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_plain_connection_sets_tcp_nodelay() -> None:
    with PracticeServer() as srv, smtpshell.SMTP(srv.host, srv.port, timeout=10) as client:
        assert client.sock is not None
        assert _nodelay(client.sock)
        # A message bigger than two DATA pieces still goes through intact.
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE * 200)
        assert srv.wait_for_messages(1)[0].data == MESSAGE * 200


def test_nodelay_survives_starttls() -> None:
    with PracticeServer() as srv, smtpshell.SMTP(srv.host, srv.port, timeout=10) as client:
        client.starttls(context=srv.client_ssl_context())
        assert client.sock is not None
        assert _nodelay(client.sock)


def test_implicit_tls_sets_tcp_nodelay() -> None:
    with PracticeServer(tls_port=0) as srv:
        context = srv.client_ssl_context()
        with smtpshell.SMTP_SSL(srv.host, srv.tls_port, context=context, timeout=10) as client:
            assert client.sock is not None
            assert _nodelay(client.sock)


def test_a_subclass_socket_gets_tcp_nodelay_too() -> None:
    class Own(smtpshell.SMTP):
        def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
            return socket.create_connection((host, port), timeout)

    with PracticeServer() as srv, Own(srv.host, srv.port, timeout=10) as client:
        assert client.sock is not None
        assert _nodelay(client.sock)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_lmtp_over_a_unix_socket_is_left_alone() -> None:
    with tempfile.TemporaryDirectory(prefix="smtpsh-") as name:
        path = str(Path(name) / "lmtp.sock")
        with PracticeServer(lmtp_socket=path):
            client = smtpshell.LMTP(path, timeout=10)
            try:
                assert client.sock is not None and client.sock.family == socket.AF_UNIX
                assert client.ehlo("client.test")[0] == 250
            finally:
                client.close()


def test_sendmail_encodes_once_and_a_subclass_data_still_normalises() -> None:
    """sendmail() hands data() the payload it already encoded (no second pass over the
    message); anything else given to data() is normalised as before."""
    seen: list[bytes] = []

    class Stamped(smtpshell.SMTP):
        def data(self, msg: str | bytes) -> tuple[int, bytes]:
            assert isinstance(msg, bytes)
            seen.append(msg)
            return super().data(b"X-Stamp: 1\n" + msg)  # a bare LF: must become CRLF

    with PracticeServer() as srv, Stamped(srv.host, srv.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\n\nbody\n")
        [message] = srv.wait_for_messages(1)
    assert seen == [b"Subject: s\r\n\r\nbody\r\n"]  # encoded by sendmail, once
    assert message.data == b"X-Stamp: 1\r\nSubject: s\r\n\r\nbody\r\n"
    assert client._encoded is None
