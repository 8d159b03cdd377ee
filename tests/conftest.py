"""Shared fixtures: a private data directory, trustme certificates."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Never touch the real home: certificates, history and lessons go to a temp dir."""
    directory = tmp_path_factory.mktemp("smtpshell-data")
    previous = os.environ.get("SMTPSHELL_DATA_DIR")
    os.environ["SMTPSHELL_DATA_DIR"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["SMTPSHELL_DATA_DIR"]
    else:
        os.environ["SMTPSHELL_DATA_DIR"] = previous


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
