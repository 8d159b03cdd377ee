"""explain(): known codes, unknown codes by digit rules, enhanced codes, hostile input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smtpshell.knowledge import REPLY_CODES, Explanation, explain


def test_known_code_with_enhanced_text():
    e = explain(550, "5.1.1 <nobody@example.com>: Recipient address rejected")
    assert e.known and e.short == "Mailbox unavailable"
    assert e.rfc == "RFC 5321 §4.2.3"
    assert e.reply_class == "Permanent negative completion reply"
    assert e.enhanced == "5.1.1"
    assert e.enhanced_title == "Bad destination mailbox address"
    assert e.enhanced_rfc.startswith("RFC 3463")
    assert e.permanent and not e.transient and e.notes == ()


def test_bytes_text_and_multiline_text():
    e = explain(535, b"5.7.8 Authentication credentials invalid\r\nsecond line")
    assert e.enhanced == "5.7.8" and e.enhanced_rfc == "RFC 4954 §6"
    assert e.rfc == "RFC 4954 §6"


def test_no_text_means_no_enhanced():
    e = explain(250)
    assert e.enhanced is None and e.enhanced_title is None and e.enhanced_description is None


def test_auth_and_other_rfc_codes():
    assert explain(334).rfc == "RFC 4954 §4"
    assert explain(235).short == "Authentication succeeded"
    assert explain(521).rfc == "RFC 7504 §3" and explain(556).rfc == "RFC 7504 §4"
    assert "STARTTLS" in explain(530).long


def test_unknown_code_uses_digit_rules():
    e = explain(456)
    assert not e.known
    assert e.reply_class == "Transient negative completion reply"
    assert e.rfc == "RFC 5321 §4.2.1"
    assert "mail system" in e.short and "456" in e.long
    assert e.transient


def test_unknown_syntax_code():
    e = explain(507)
    assert e.short == "Permanent negative completion (syntax)"


def test_invalid_codes():
    for code in (0, -1, 99, 600, 1000, 10**30):
        e = explain(code)
        assert not e.known
        assert e.short == "Not a valid reply code"
        assert e.reply_class == "Not a valid SMTP reply code"


def test_unregistered_detail_falls_back_to_subject():
    e = explain(550, "5.1.99 odd")
    assert e.enhanced == "5.1.99"
    assert e.enhanced_title == "Addressing status (unregistered detail 99)"
    assert e.enhanced_rfc == "RFC 3463 §3.2"


def test_unregistered_subject_falls_back_to_class():
    e = explain(451, "4.9.1 odd")
    assert e.enhanced_title == "Persistent transient failure (unregistered subject 9)"


def test_class_mismatch_is_noted():
    e = explain(250, "5.0.0 but it said yes")
    assert any("disagrees" in n for n in e.notes)


def test_deprecated_code_is_noted():
    e = explain(553, "5.6.10 x")
    assert any("deprecated" in n for n in e.notes)


def test_3xx_with_enhanced_is_noted():
    e = explain(354, "2.0.0 go ahead")
    assert e.notes == ("RFC 2034 §4 puts no enhanced code on 3xx replies.",)


def test_every_table_code_explains_as_known():
    for code, entry in REPLY_CODES.items():
        e = explain(code)
        assert e.known and e.short == entry.short and e.long == entry.long


@given(st.integers(), st.text())
def test_explain_never_raises_on_text(code, text):
    assert isinstance(explain(code, text), Explanation)


@given(st.integers(min_value=-(10**6), max_value=10**6), st.binary())
def test_explain_never_raises_on_bytes(code, data):
    e = explain(code, data)
    assert isinstance(e.short, str) and e.short


@given(
    st.integers(min_value=200, max_value=599),
    st.from_regex(r"\A[245]\.\d{1,4}\.\d{1,4}( .*)?\Z"),
)
def test_explain_never_raises_on_code_like_text(code, text):
    e = explain(code, text)
    assert e.enhanced is None or text.startswith(e.enhanced)


def test_odd_types_do_not_raise():
    assert explain("250").code == 250  # type: ignore[arg-type]
    assert explain(None).code == 0  # type: ignore[arg-type]
    assert explain(float("nan")).code == 0  # type: ignore[arg-type]
    assert explain(250, None).enhanced is None  # type: ignore[arg-type]
