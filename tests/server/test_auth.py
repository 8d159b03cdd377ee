"""AUTH against the practice server with stdlib smtplib as the independent client."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import smtplib
from collections.abc import Callable, Iterator

import pytest

from smtpshell.server import PracticeServer
from smtpshell.server.session import MECHANISMS

AuthObject = Callable[[bytes | None], str]


@pytest.fixture
def alice_server() -> Iterator[PracticeServer]:
    with PracticeServer(users={"alice": "wonder:land", "bob": "builder"}) as srv:
        yield srv


def _connect(srv: PracticeServer) -> smtplib.SMTP:
    client = smtplib.SMTP(srv.host, srv.port, timeout=10)
    client.ehlo("client.test")
    return client


def _bearer(initial: str) -> AuthObject:
    """An XOAUTH2/OAUTHBEARER client: the initial response, then empty answers to errors."""
    return lambda challenge=None: initial if challenge is None else ""


def _scram(mechanism: str, user: str, password: str) -> AuthObject:
    """A minimal RFC 5802 SCRAM client, written from the RFC independently of the server."""
    hash_name = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mechanism]
    client_first_bare = f"n={user},r={secrets.token_hex(12)}"
    state: dict[str, bytes] = {}

    def step(challenge: bytes | None = None) -> str:
        if challenge is None:
            return "n,," + client_first_bare
        if challenge.startswith(b"v="):
            assert base64.b64decode(challenge[2:]) == state["server_signature"]
            return ""
        attrs = dict(part.split("=", 1) for part in challenge.decode().split(","))
        salted = hashlib.pbkdf2_hmac(
            hash_name, password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
        )
        client_key = hmac.new(salted, b"Client Key", hash_name).digest()
        stored_key = hashlib.new(hash_name, client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{client_first_bare},{challenge.decode()},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hash_name).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.new(salted, b"Server Key", hash_name).digest()
        state["server_signature"] = hmac.new(server_key, auth_message, hash_name).digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    return step


def _auth_object(client: smtplib.SMTP, mechanism: str, user: str, password: str) -> AuthObject:
    client.user, client.password = user, password
    if mechanism == "PLAIN":
        return client.auth_plain
    if mechanism == "LOGIN":
        return client.auth_login
    if mechanism == "CRAM-MD5":
        return client.auth_cram_md5
    if mechanism == "XOAUTH2":
        return _bearer(f"user={user}\x01auth=Bearer {password}\x01\x01")
    if mechanism == "OAUTHBEARER":
        return _bearer(f"n,a={user},\x01host=localhost\x01auth=Bearer {password}\x01\x01")
    return _scram(mechanism, user, password)


def test_every_mechanism_is_advertised(alice_server: PracticeServer) -> None:
    with _connect(alice_server) as client:
        assert client.esmtp_features["auth"].split() == sorted(MECHANISMS)


def test_offers_every_mechanism_the_client_core_supports() -> None:
    client_auth = pytest.importorskip("smtpshell.auth")
    assert set(getattr(client_auth, "SUPPORTED_MECHANISMS", ())) <= set(MECHANISMS)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_good_password_authenticates(alice_server: PracticeServer, mechanism: str) -> None:
    with _connect(alice_server) as client:
        code, text = client.auth(mechanism, _auth_object(client, mechanism, "alice", "wonder:land"))
        assert code == 235
        assert text.startswith(b"2.7.0")
        client.sendmail("alice@localhost", ["bob@localhost"], b"Subject: t\r\n\r\nx\r\n")
    assert alice_server.wait_for_messages(1)[0].authenticated_as == "alice"


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_bad_password_gets_535_5_7_8(alice_server: PracticeServer, mechanism: str) -> None:
    with _connect(alice_server) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth(mechanism, _auth_object(client, mechanism, "alice", "wrong"))
        assert refused.value.smtp_code == 535
        assert refused.value.smtp_error.startswith(b"5.7.8")
        assert client.noop()[0] == 250  # the session carries on after a refusal


def test_unknown_user_gets_535(alice_server: PracticeServer) -> None:
    with _connect(alice_server) as client, pytest.raises(smtplib.SMTPAuthenticationError):
        client.login("mallory", "builder")


def test_default_account_is_demo(server: PracticeServer) -> None:
    assert server.users == {"demo": "demo"}
    with _connect(server) as client:
        assert client.login("demo", "demo")[0] == 235


def test_auth_require_tls_offers_auth_only_after_starttls() -> None:
    with PracticeServer(auth_require_tls=True) as srv, _connect(srv) as client:
        assert not client.has_extn("auth")
        code, text = client.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo\0demo").decode())
        assert (code, text[:6]) == (538, b"5.7.11")
        client.starttls(context=srv.client_ssl_context())
        client.ehlo("client.test")
        assert client.has_extn("auth")
        assert client.login("demo", "demo")[0] == 235


def test_auth_require_tls_allows_auth_on_the_implicit_tls_port() -> None:
    with PracticeServer(auth_require_tls=True, tls_port=0) as srv:
        context = srv.client_ssl_context()
        with smtplib.SMTP_SSL("localhost", srv.tls_port, context=context, timeout=10) as client:
            assert client.login("demo", "demo")[0] == 235


def test_star_aborts_an_exchange(server: PracticeServer) -> None:
    with _connect(server) as client:
        assert client.docmd("AUTH", "LOGIN")[0] == 334
        code, text = client.docmd("*")
        assert (code, text[:5]) == (501, b"5.7.0")
        assert client.login("demo", "demo")[0] == 235
