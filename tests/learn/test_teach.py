"""The explanations, from data: replies, extension lists, AUTH (secrets masked)."""

from __future__ import annotations

import base64

from smtpshell.learn.teach import BlockKind, auth_block, features_block, reply_block
from smtpshell.shell.results import ReplyRecord
from smtpshell.transcript import REDACTED, AuthFacts, Event, EventKind


def sent(data: bytes, redacted: bytes | None = None) -> Event:
    return Event(EventKind.SENT, data, redacted=redacted)


def received(code: int, text: str) -> Event:
    return Event(EventKind.RECEIVED, f"{code} {text}\r\n".encode(), code=code)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_reply_block_short_and_long():
    reply = ReplyRecord(450, ("4.2.1 try again later",))
    short = reply_block(reply)
    assert short.title == "450 Mailbox unavailable (temporary)"
    assert short.lines[0].startswith("Transient negative")
    assert "Enhanced status 4.2.1" in short.lines[1]
    assert "4xx is temporary" in short.lines[2]
    long = reply_block(reply, presenter=True)
    assert len(long.lines[0]) > len(short.lines[0])


def test_features_first_in_full_then_what_changed():
    before = {"size": "100", "starttls": ""}
    after = {"size": "200", "auth": "PLAIN LOGIN"}
    full = features_block(before)
    assert full.title == "2 extensions advertised"
    assert full.lines[0].split()[0] == "SIZE"
    diff = features_block(after, before)
    assert diff.title == "The extensions changed since the last EHLO"
    assert diff.lines[0].startswith("new: AUTH")
    assert diff.lines[0].endswith("(RFC 4954)")
    assert diff.lines[1:] == ("gone: STARTTLS", "changed: SIZE 100 -> 200")
    assert features_block(after, after).title == "The same extensions as the last EHLO"


def test_auth_login_exchange_is_decoded_and_masked():
    password = "wonderland"
    events = [
        Event(
            EventKind.INFO,
            text="AUTH LOGIN as 'alice'",
            facts=AuthFacts("LOGIN", "alice"),
        ),
        sent(b"AUTH LOGIN\r\n"),
        received(334, b64("Username:")),
        sent(f"{b64('alice')}\r\n".encode(), REDACTED + b"\r\n"),
        received(334, b64("Password:")),
        sent(f"{b64(password)}\r\n".encode(), REDACTED + b"\r\n"),
        received(235, "2.7.0 Authentication successful"),
    ]
    block = auth_block(events, None, tls=False)
    assert block is not None and block.kind is BlockKind.AUTH
    assert block.lines[:6] == (
        "  C: AUTH LOGIN   (no initial response: the server asks)",
        "  S: 334 'Username:'   (base64-decoded)",
        "  C: base64('alice')   the user name",
        "  S: 334 'Password:'   (base64-decoded)",
        "  C: base64('****')   the password, only base64-encoded",
        "  S: 235 2.7.0 Authentication successful",
    )
    assert any("there is no TLS" in line for line in block.lines)
    text = "\n".join(block.lines)
    assert password not in text and b64(password) not in text


def test_only_the_redacted_form_of_a_secret_is_read():
    """Even a payload that decodes to something tempting never reaches the block."""
    secret = b"AUTH PLAIN " + base64.b64encode(b"\0mallory\0hunter2") + b"\r\n"
    block = auth_block([sent(secret, b"AUTH PLAIN " + REDACTED + b"\r\n")], "alice", tls=True)
    assert block is not None
    text = "\n".join(block.lines)
    assert "mallory" not in text and "hunter2" not in text
    assert "'alice' NUL '****'" in text


def test_no_auth_no_block():
    assert auth_block([sent(b"NOOP\r\n"), received(250, "ok")]) is None
