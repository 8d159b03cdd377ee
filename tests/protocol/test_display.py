"""The one escaping path for server-controlled text: a table and a property."""

from __future__ import annotations

import pickle
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpshell import transcript
from smtpshell.protocol.display import SafeText, display, escape_bytes


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (b"250 OK", "250 OK"),
        ("héllo wörld ✓ 日本".encode(), "héllo wörld ✓ 日本"),
        (b"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # CSI: clear screen
        (b"\x1b]52;c;Zm9v\x07", "\\x1b]52;c;Zm9v\\x07"),  # OSC 52 clipboard write
        (
            b"\x1b]8;;http://evil/\x1b\\x\x1b]8;;\x1b\\",
            "\\x1b]8;;http://evil/\\x1b\\x\\x1b]8;;\\x1b\\",
        ),
        ("a\u009b2Jb".encode(), "a\\x9b2Jb"),  # C1 CSI, as UTF-8
        (b"a\x9b2J", "a\\x9b2J"),  # the same C1 byte, invalid UTF-8 on its own
        (b"bell\x07 bs\x08 del\x7f nul\x00", "bell\\x07 bs\\x08 del\\x7f nul\\x00"),
        (b"ok\rEVIL\r\n", "ok\\rEVIL\\r\\n"),  # CR overwrite
        (b"a\tb", "a\\tb"),
        ("abc\u202edcba".encode(), "abc\\u202edcba"),  # RTL override
        ("\u2066x\u2069\u200b\u200d\ufeff".encode(), "\\u2066x\\u2069\\u200b\\u200d\\ufeff"),
        ("a\u2028b\u2029c\u00a0d\u3000".encode(), "a\\u2028b\\u2029c\\xa0d\\u3000"),
        ("\U000e0041 \U0010fffd".encode(), "\\U000e0041 \\U0010fffd"),  # tag, private use
        (b"\xff\xfe", "\\xff\\xfe"),  # invalid UTF-8 bytes
        (b"\xed\xa0\x80", "\\xed\\xa0\\x80"),  # an encoded surrogate is invalid UTF-8
        ("\ud800", "\\ud800"),  # a lone surrogate in text
        ("\U000e0fff", "\\U000e0fff"),  # unassigned
        ("back\\slash", "back\\slash"),
        ("", ""),
    ],
)
def test_display_table(value, shown):
    text = display(value)
    assert text == shown
    assert isinstance(text, SafeText)
    assert text.raw == value


def test_safe_text_is_only_built_by_escaping():
    assert SafeText("\x1b") == "\\x1b"
    text = display("x\x07")
    assert display(text) is text  # idempotent, and .raw survives
    assert display(str(text)) == text  # escaping escaped text changes nothing
    assert pickle.loads(pickle.dumps(text)).raw == "x\x07"
    with pytest.raises(TypeError):
        display(7)  # type: ignore[arg-type]
    assert not isinstance(text + "!", SafeText)  # derived text is no longer vouched for


def test_transcript_escape_bytes_is_the_display_path():
    assert transcript.escape_bytes is escape_bytes
    assert isinstance(escape_bytes(b"\x1b"), SafeText)


#: What a terminal (or a bidi-aware renderer) interprets: C0, DEL, C1, format characters,
#: line/paragraph separators, surrogates, unassigned and private use, non-ASCII spaces.
_INTERPRETED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _interpreted(ch: str) -> bool:
    return unicodedata.category(ch) in _INTERPRETED or (ch.isspace() and ch != " ")


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_display_never_outputs_an_interpreted_character(value):
    text = display(value)
    assert not any(_interpreted(ch) for ch in text)
    assert display(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), max_size=80))
def test_display_keeps_printable_text_as_it_is(value):
    assert display(value) == value
