"""The one EHLO capabilities model: parse, SIZE (RFC 1870), AUTH, and the STARTTLS diff."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpshell.protocol.capabilities import (
    Capabilities,
    Capability,
    CapabilityChange,
    SizeKind,
    SizeLimit,
    auth_mechanisms,
    diff_capabilities,
    parse_capabilities,
    size_limit,
)
from smtpshell.protocol.display import SafeText

C = Capability


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (None, []),
        (b"", []),
        (b"mx.example", []),
        # keywords keep the server's spelling and order
        (b"mx.example\nPIPELINING\nsize 1000", [C("PIPELINING"), C("size", "1000")]),
        # the legacy AUTH= form folds into AUTH; mechanisms are upper-cased and deduplicated
        (b"mx\nAUTH PLAIN LOGIN\nAUTH=LOGIN", [C("AUTH", "PLAIN LOGIN")]),
        (b"mx\nAUTH=PLAIN\nAUTH cram-md5 plain", [C("AUTH", "PLAIN CRAM-MD5")]),
        (b"mx\n\n  \nHELP", [C("HELP")]),
        (b"mx\nX-EXPS  GSSAPI\tNTLM ", [C("X-EXPS", "GSSAPI NTLM")]),
        # a repeated keyword keeps its first place and the last parameters (smtplib's rule)
        (b"mx\nSIZE 10\nDSN\nsize 20", [C("SIZE", "20"), C("DSN")]),
        (b"mx\r\nDSN\r", [C("DSN")]),
        ("mx\nDSN", [C("DSN")]),
    ],
)
def test_parse_capabilities(message, expected):
    assert list(parse_capabilities(message)) == expected


def test_server_text_is_display_safe_and_raw_is_kept():
    caps = parse_capabilities(b"mx \x1b[2J\nX-\x1b]52;c;Zm9v\x07EVIL a\xe2\x80\xaeb\nSIZE\xff")
    assert caps.greeting == "mx \\x1b[2J"
    evil, size = caps
    assert isinstance(evil.keyword, SafeText) and isinstance(evil.params, SafeText)
    assert evil.keyword == "X-\\x1b]52;c;Zm9v\\x07EVIL"
    assert evil.keyword.raw == "X-\x1b]52;c;Zm9v\x07EVIL"
    assert evil.params == "a\\u202eb"
    assert size.keyword == "SIZE\\xff"  # an undecodable byte, shown as the byte it was
    assert size.name == "SIZE\\xff"


def test_lookup_is_case_insensitive():
    caps = parse_capabilities(b"mx\nStartTLS\nsize 5")
    assert "STARTTLS" in caps and "starttls" in caps and "AUTH" not in caps
    assert caps.get("SIZE") == C("size", "5")
    assert caps.keywords == ("StartTLS", "size")
    assert [cap.name for cap in caps] == ["STARTTLS", "SIZE"]


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
        # keywords match by name, in any case
        ([C("size", "10")], [C("SIZE", "10")], (), (), ()),
        # AUTH mechanisms are a set: reordering or case is no change, a new mechanism is
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
    assert Capabilities(items=tuple(before)).diff(after) == diff


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        ([], ()),
        ([C("SIZE", "1")], ()),
        ([C("AUTH", "plain Login XOAUTH2")], ("PLAIN", "LOGIN", "XOAUTH2")),
        ([C("AUTH")], ()),
    ],
)
def test_auth_mechanisms(capabilities, expected):
    assert auth_mechanisms(capabilities) == expected


@pytest.mark.parametrize(
    ("message", "kind", "limit", "max_bytes"),
    [
        (b"mx\nDSN", SizeKind.ABSENT, None, None),
        (b"mx\nSIZE", SizeKind.NO_NUMBER, None, None),  # RFC 1870: no information
        (b"mx\nSIZE 0", SizeKind.UNLIMITED, 0, None),  # no fixed maximum
        (b"mx\nSIZE 10485760", SizeKind.LIMIT, 10485760, 10485760),
        (b"mx\nsize 00012", SizeKind.LIMIT, 12, 12),
        (b"mx\nSIZE " + b"9" * 20, SizeKind.LIMIT, 10**20 - 1, 10**20 - 1),
        (b"mx\nSIZE " + b"9" * 21, SizeKind.INVALID, None, None),  # 1*20DIGIT
        (b"mx\nSIZE lots", SizeKind.INVALID, None, None),
        (b"mx\nSIZE -1", SizeKind.INVALID, None, None),
        ("mx\nSIZE ²".encode(), SizeKind.INVALID, None, None),  # isdigit() but not int()
        (b"mx\nSIZE \xb2", SizeKind.INVALID, None, None),  # the same, sent as latin-1
        ("mx\nSIZE ١٢".encode(), SizeKind.INVALID, None, None),  # Arabic-Indic digits
    ],
)
def test_size_limit(message, kind, limit, max_bytes):
    size = parse_capabilities(message).size
    assert (size.kind, size.limit, size.max_bytes) == (kind, limit, max_bytes)
    assert size.advertised == (kind is not SizeKind.ABSENT)
    assert size_limit(list(parse_capabilities(message))) == size
    assert "\x1b" not in size.text and isinstance(size.text, SafeText)


def test_size_invalid_text_is_escaped():
    assert SizeLimit.from_params("\x1b[2J").text == "\\x1b[2J"


def test_capability_str():
    assert str(C("SIZE", "10")) == "SIZE 10"
    assert str(C("HELP")) == "HELP"


def test_model_is_immutable_and_hashable():
    caps = parse_capabilities(b"mx\nSIZE 1")
    with pytest.raises(AttributeError):
        caps.items = ()  # type: ignore[misc]
    assert hash(caps) == hash(parse_capabilities(b"mx\nSIZE 1"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(message):
    caps = parse_capabilities(message)
    for cap in caps:
        for text in (cap.keyword, cap.params, cap.name, *cap.args):
            assert isinstance(text, SafeText) and text.isprintable()
    assert isinstance(caps.size, SizeLimit) and isinstance(caps.auth, tuple)
    assert caps.diff(parse_capabilities(message[::-1])) is not None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=8))
def test_arbitrary_text_lines_never_raise(lines):
    caps = parse_capabilities("\n".join(["mx", *lines]))
    assert all(cap.keyword.isprintable() for cap in caps)
    assert len({cap.name for cap in caps}) == len(caps)
