"""The pure capability functions: EHLO parsing, the STARTTLS diff, AUTH and SIZE."""

from __future__ import annotations

import pytest

from smtpshell.probe.capabilities import (
    Capability,
    CapabilityChange,
    auth_mechanisms,
    diff_capabilities,
    parse_capabilities,
    size_limit,
)

C = Capability


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (b"mx.example", []),
        (b"mx.example\nPIPELINING\nsize 1000", [C("PIPELINING"), C("SIZE", "1000")]),
        # the legacy AUTH= form folds into AUTH, and duplicate mechanisms are dropped
        (b"mx\nAUTH PLAIN LOGIN\nAUTH=LOGIN", [C("AUTH", "PLAIN LOGIN")]),
        (b"mx\nAUTH=PLAIN\nAUTH CRAM-MD5", [C("AUTH", "PLAIN CRAM-MD5")]),
        (b"mx\n\n  \nHELP", [C("HELP")]),
        (b"mx\nX-EXPS GSSAPI NTLM", [C("X-EXPS", "GSSAPI NTLM")]),
        (b"mx\nSIZE\xff", [C("SIZE\\XFF")]),  # undecodable bytes are kept, escaped
        ("mx\nDSN", [C("DSN")]),
    ],
)
def test_parse_capabilities(message, expected):
    assert parse_capabilities(message) == expected


@pytest.mark.parametrize(
    ("before", "after", "added", "removed", "changed"),
    [
        ([], [], (), (), ()),
        (
            [C("STARTTLS"), C("SIZE", "10")],
            [C("SIZE", "10"), C("AUTH", "PLAIN")],
            (C("AUTH", "PLAIN"),),
            (C("STARTTLS"),),
            (),
        ),
        ([C("SIZE", "10")], [C("SIZE", "20")], (), (), (CapabilityChange("SIZE", "10", "20"),)),
        # AUTH mechanisms are a set: reordering is no change, a new mechanism is
        ([C("AUTH", "PLAIN LOGIN")], [C("AUTH", "LOGIN plain")], (), (), ()),
        (
            [C("AUTH", "PLAIN")],
            [C("AUTH", "PLAIN LOGIN")],
            (),
            (),
            (CapabilityChange("AUTH", "PLAIN", "PLAIN LOGIN"),),
        ),
        # other parameters keep their order: a reordering is a change
        ([C("X", "a b")], [C("X", "b a")], (), (), (CapabilityChange("X", "a b", "b a"),)),
    ],
)
def test_diff_capabilities(before, after, added, removed, changed):
    diff = diff_capabilities(before, after)
    assert (diff.added, diff.removed, diff.changed) == (added, removed, changed)
    assert diff.empty == (not (added or removed or changed))


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        ([], []),
        ([C("SIZE", "1")], []),
        ([C("AUTH", "plain Login XOAUTH2")], ["PLAIN", "LOGIN", "XOAUTH2"]),
        ([C("AUTH")], []),
    ],
)
def test_auth_mechanisms(capabilities, expected):
    assert auth_mechanisms(capabilities) == expected


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        ([], (False, None)),
        ([C("SIZE")], (True, None)),  # RFC 1870: no number means no fixed limit
        ([C("SIZE", "0")], (True, None)),
        ([C("SIZE", "10485760")], (True, 10485760)),
        ([C("SIZE", "lots")], (True, None)),
        ([C("SIZE", "9" * 40)], (True, None)),  # hostile length: not trusted
        ([C("SIZE", "١٢")], (True, None)),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_size_limit(capabilities, expected):
    assert size_limit(capabilities) == expected


def test_capability_str():
    assert str(C("SIZE", "10")) == "SIZE 10"
    assert str(C("HELP")) == "HELP"
