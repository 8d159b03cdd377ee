"""--sni and -4/-6: the name TLS checks, and the address family, against real servers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import trustme

from smtpshell.client import SMTP_SSL
from smtpshell.errors import SMTPCertificateError
from smtpshell.shell.target import Security, Target
from smtpshell.tls_settings import TLSSettings
from smtpshell.wiring import new_engine


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[int]:
    """Implicit TLS on 127.0.0.1 with a certificate for mail.example.test only; it greets
    and answers QUIT.  Records the SNI name each client sent."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.example.test").configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                conn.settimeout(5)
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"220 mail.example.test ready\r\n")
                    tls.recv(100)
                    tls.sendall(b"221 bye\r\n")
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], names
    stop.set()
    listener.close()
    thread.join(5)


def test_client_sends_and_checks_the_sni_name(tls_server, client_tls) -> None:
    port, names = tls_server
    client = SMTP_SSL(context=client_tls, timeout=5)
    client.server_hostname = "mail.example.test"
    assert client.connect("127.0.0.1", port)[0] == 220
    assert client.tls_info()["server_hostname"] == "mail.example.test"
    client.quit()
    assert names[-1] == "mail.example.test"
    plain = SMTP_SSL(context=client_tls, timeout=5)
    with pytest.raises(SMTPCertificateError):
        plain.connect("127.0.0.1", port)  # the certificate does not name 127.0.0.1


def test_engine_passes_sni_from_the_options(tls_server, ca, tmp_path) -> None:
    port, names = tls_server
    assert names == []
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with new_engine(scripted=True, timeout=5) as engine:
        target = Target(host="127.0.0.1", port=port, security=Security.TLS, ca_file=str(cafile))
        result = engine.connect(target.replace(tls=TLSSettings(sni="mail.example.test")))
        assert result.ok, result.errors
        assert engine.client.tls_info()["verified"]
        result = engine.connect(target)
        assert not result.ok
        assert any("--ca-file FILE" in item.text for item in result.items)


def test_family_picks_the_address(tmp_path) -> None:
    with new_engine(scripted=True, timeout=5) as engine:
        server = engine.start_practice()
        ipv4 = Target(host="localhost", port=server.port, family=4)
        result = engine.connect(ipv4)
        assert result.ok, result.errors
        assert engine.client.sock.family == socket.AF_INET
        engine.leave()
        result = engine.connect(Target(host="127.0.0.1", port=server.port, family=6))
        assert not result.ok  # 127.0.0.1 has no IPv6 address
        assert "no IPv6 address" in result.errors[0]
