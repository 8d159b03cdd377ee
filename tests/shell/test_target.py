from __future__ import annotations

import pytest

from smtpshell.shell.registry import UsageError
from smtpshell.shell.target import Security, Target, parse_target


@pytest.mark.parametrize(
    ("text", "host", "port", "security", "lmtp"),
    [
        ("mail.example.com", "mail.example.com", 25, Security.PLAIN, False),
        ("mail.example.com:2525", "mail.example.com", 2525, Security.PLAIN, False),
        ("mail.example.com:465", "mail.example.com", 465, Security.TLS, False),
        ("[::1]:25", "::1", 25, Security.PLAIN, False),
        ("::1", "::1", 25, Security.PLAIN, False),
        ("smtp://mx.example:587?starttls", "mx.example", 587, Security.STARTTLS, False),
        ("submission://mx.example", "mx.example", 587, Security.STARTTLS, False),
        ("smtps://mx.example", "mx.example", 465, Security.TLS, False),
        ("SMTPS://mx.example:4650", "mx.example", 4650, Security.TLS, False),
        ("lmtp://mx.example", "mx.example", 2003, Security.PLAIN, True),
        ("lmtp:/run/lmtp.sock", "/run/lmtp.sock", 0, Security.PLAIN, True),
        ("/run/lmtp.sock", "/run/lmtp.sock", 0, Security.PLAIN, True),
    ],
)
def test_target_forms(text, host, port, security, lmtp):
    target = parse_target(text)
    assert (target.host, target.effective_port, target.security, target.lmtp) == (
        host,
        port,
        security,
        lmtp,
    )
    assert not target.practice


@pytest.mark.parametrize("text", [None, "", "  ", "practice", "PRACTICE"])
def test_no_target_means_the_practice_server(text):
    assert parse_target(text) == Target(practice=True)


def test_query_parameters():
    target = parse_target("smtp://mx.example?starttls&verify=no&helo=me.example&source=10.0.0.1")
    assert target.security is Security.STARTTLS
    assert target.verify is False
    assert target.helo == "me.example"
    assert target.source == ("10.0.0.1", 0)


def test_labels():
    assert parse_target("smtps://mx.example").label == "smtps://mx.example:465"
    assert parse_target("[::1]:2525").label == "smtp://[::1]:2525"
    assert parse_target("/run/x").label == "lmtp:/run/x"


@pytest.mark.parametrize(
    "text",
    [
        "host:99999",
        "host:abc",
        "gopher://x",
        "smtp://user:pw@host",
        "smtp://host?bogus=1",
        "smtp://host?verify=perhaps",
        "lmtp:relative/path",
        "[::1",
        "smtp://",
    ],
)
def test_bad_targets_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_target(text)
