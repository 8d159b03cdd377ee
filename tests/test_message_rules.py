"""protocol.message: send_message()'s header rules, table-tested (no sockets)."""

from __future__ import annotations

import email
import email.policy

import pytest

from smtpshell.protocol.message import (
    as_list,
    envelope_recipients,
    envelope_sender,
    header_prefix,
    needs_smtputf8,
    without_bcc,
)


def parse(headers: str):
    return email.message_from_string(headers + "\n\nbody\n", policy=email.policy.default)


@pytest.mark.parametrize(
    ("headers", "prefix", "sender", "recipients"),
    [
        ("From: a@x\nTo: b@y", "", "a@x", ["b@y"]),
        ("From: a@x\nSender: s@x\nTo: b@y", "", "s@x", ["b@y"]),
        (
            "From: A <a@x>\nTo: b@y, C <c@y>\nCc: d@y\nBcc: e@y",
            "",
            "a@x",
            ["b@y", "c@y", "e@y", "d@y"],
        ),
        (
            "From: a@x\nTo: b@y\nResent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
            "Resent-From: r@x\nResent-To: t@y\nResent-Bcc: u@y",
            "Resent-",
            "r@x",
            ["t@y", "u@y"],
        ),
        (
            "From: a@x\nTo: b@y\nResent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
            "Resent-Sender: rs@x\nResent-From: r@x\nResent-Cc: c@y",
            "Resent-",
            "rs@x",
            ["c@y"],
        ),
        ("From: a@x", "", "a@x", []),
    ],
)
def test_envelope_from_headers(headers, prefix, sender, recipients) -> None:
    msg = parse(headers)
    assert header_prefix(msg) == prefix
    assert envelope_sender(msg, prefix) == sender
    assert envelope_recipients(msg, prefix) == recipients


def test_two_resent_blocks_are_refused() -> None:
    msg = parse(
        "From: a@x\nResent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
        "Resent-Date: Tue, 2 Jan 2024 00:00:00 +0000\nResent-To: t@y"
    )
    with pytest.raises(ValueError, match="more than one 'Resent-' header block"):
        header_prefix(msg)


def test_no_sender_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no Resent-From or Sender"):
        envelope_sender(parse("To: b@y"), "Resent-")


def test_bcc_and_resent_bcc_are_stripped_from_a_copy() -> None:
    msg = parse("From: a@x\nTo: b@y\nBcc: c@y\nResent-Bcc: d@y")
    stripped = without_bcc(msg)
    assert "Bcc" not in stripped and "Resent-Bcc" not in stripped and stripped["To"] == "b@y"
    assert msg["Bcc"] == "c@y" and msg["Resent-Bcc"] == "d@y"  # the caller's message is intact


@pytest.mark.parametrize(
    ("sender", "recipients", "needed"),
    [
        ("a@x", ["b@y"], False),
        ("ä@x", ["b@y"], True),
        ("a@x", ["b@y", "c@ÿ"], True),
        ("", [], False),
    ],
)
def test_internationalisation(sender, recipients, needed) -> None:
    assert needs_smtputf8(sender, recipients) is needed


def test_as_list() -> None:
    assert as_list("a@x") == ["a@x"]
    assert as_list(("a@x", "b@y")) == ["a@x", "b@y"]
