"""Shared fixtures: trustme certificates and scripted SMTP servers on loopback."""

from __future__ import annotations

import ssl

import pytest
import trustme


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A verifying client context that trusts the test CA (a fresh one per test)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
