"""parse_enhanced / lookup_enhanced: RFC 2034 §4 syntax, table driven."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpshell.knowledge import EnhancedCode, lookup_enhanced, parse_enhanced


@pytest.mark.parametrize(
    ("text", "code", "rest"),
    [
        ("2.0.0 Ok", "2.0.0", "Ok"),
        ("5.1.1 <a@b>: Recipient address rejected", "5.1.1", "<a@b>: Recipient address rejected"),
        ("4.7.0   several spaces", "4.7.0", "several spaces"),
        ("5.7.30 REQUIRETLS support required", "5.7.30", "REQUIRETLS support required"),
        ("5.999.999 max digits", "5.999.999", "max digits"),
        ("2.1.5", "2.1.5", ""),
        ("2.1.5 ", "2.1.5", ""),
        (b"5.7.8 bytes too", "5.7.8", "bytes too"),
    ],
)
def test_valid(text, code, rest):
    parsed = parse_enhanced(text)
    assert parsed is not None
    assert parsed.code == code == str(parsed)
    assert parsed.rest == rest


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ok",
        "3.0.0 class 3 does not exist",
        "1.2.3 nor class 1",
        "5.1 too short",
        "5.1.1.1 too long",
        "5.01.1 leading zero",
        "5.1.01 leading zero",
        "5.1000.1 four digits",
        "5.1.1000 four digits",
        "5..1 empty",
        "5.1. empty",
        ".5.1.1 dot first",
        " 5.1.1 leading space",
        "5.1.1: glued",
        "5.1.1,x",
        "5.a.1 letter",
        "5.1.1\tTab is not a space",
        "5.١.1 arabic-indic digit",
        "2.0.0-ok",
        "12.0.0 two-digit class",
    ],
)
def test_invalid(text):
    assert parse_enhanced(text) is None


def test_fields():
    parsed = parse_enhanced("4.2.2 Mailbox full")
    assert parsed == EnhancedCode(4, 2, 2, "Mailbox full")
    assert (parsed.klass, parsed.subject, parsed.detail) == (4, 2, 2)


@pytest.mark.parametrize(
    ("code", "title"),
    [
        ("5.1.1", "Bad destination mailbox address"),
        ("X.1.1", "Bad destination mailbox address"),
        ("4.7.0", "Other or undefined security status"),
        ("5.7.8", "Authentication credentials invalid"),
        ("5.7.30", "REQUIRETLS support required"),
        (" 5.3.4 ", "Message too big for system"),
    ],
)
def test_lookup(code, title):
    status = lookup_enhanced(code)
    assert status is not None and status.title == title


@pytest.mark.parametrize("code", ["5.1.99", "5.9.0", "5.1", "nonsense", "", "5.01.1"])
def test_lookup_unknown(code):
    assert lookup_enhanced(code) is None


def test_lookup_parsed():
    parsed = parse_enhanced("5.2.2 full")
    assert lookup_enhanced(parsed).title == "Mailbox full"


@given(st.one_of(st.text(), st.binary()))
def test_parser_never_raises(text):
    parsed = parse_enhanced(text)
    if parsed is not None:
        assert parsed.klass in (2, 4, 5)
        assert 0 <= parsed.subject <= 999 and 0 <= parsed.detail <= 999


@given(
    st.sampled_from([2, 4, 5]),
    st.integers(0, 999),
    st.integers(0, 999),
    st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=30),
)
def test_round_trip(klass, subject, detail, rest):
    parsed = parse_enhanced(f"{klass}.{subject}.{detail} {rest}")
    assert parsed is not None
    assert (parsed.klass, parsed.subject, parsed.detail) == (klass, subject, detail)
    assert parsed.rest == rest.lstrip(" ")
