"""The protocol layer's fast paths give exactly the answers of the slow paths they skip.

Each fast path exists for speed (issue 15: per-command CPU, flat CPU per recipient); these
tests hold them to the general code: same value, or the same kind of refusal.
"""

from __future__ import annotations

import smtplib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smtpshell.errors import SMTPProtocolError
from smtpshell.protocol import addresses
from smtpshell.protocol.replies import DEFAULT_LIMITS, Limits, ReplyAssembler, parse_final_line

ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
atom = st.text(ATEXT, min_size=1, max_size=8)
label = st.text("abcXYZ019-", min_size=1, max_size=8)
plain_address = st.builds(
    lambda local, domain, bracket: ("<%s@%s>" if bracket else "%s@%s") % (local, domain),
    st.lists(atom, min_size=1, max_size=3).map(".".join),
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.booleans(),
)
address_like = st.text("ab.@<> \"',:;()[]\\\t!#-_~é", max_size=20)


def _slow(text: str) -> str | type[ValueError]:
    try:
        return addresses._parsed_path(text)
    except ValueError:
        return ValueError


def _fast(text: str) -> str | type[ValueError]:
    try:
        return addresses.envelope_address(text)
    except ValueError:
        return ValueError
    finally:
        assert len(addresses._PATHS) <= addresses._PATHS_MAX


@settings(max_examples=400)
@given(plain_address)
def test_plain_addresses_take_the_fast_path_and_match_smtplib(text: str) -> None:
    assert addresses._PLAIN.fullmatch(text)
    assert _fast(text) == _slow(text) == smtplib.quoteaddr(text)


@settings(max_examples=400)
@given(st.one_of(address_like, plain_address.map(lambda a: a[:-1]), st.text(max_size=30)))
@example("<a@b.c")
@example("a@b.c>")
@example("a@b..c")
@example(".a@b.c")
@example("a.@b.c")
@example("a@b.c.")
@example("a@[127.0.0.1]")
def test_any_input_gets_the_slow_paths_answer(text: str) -> None:
    assert _fast(text) == _slow(text)


def test_the_address_cache_stays_bounded_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "_PATHS_MAX", 100)
    monkeypatch.setattr(addresses, "_PATHS", {})
    for round_ in range(2):
        for index in range(250):
            address = f"User {index} <user{index}@example.com>" if index % 2 else f"u{index}@x.y"
            expected = f"<user{index}@example.com>" if index % 2 else f"<u{index}@x.y>"
            assert addresses.envelope_address(address) == expected, round_
            assert len(addresses._PATHS) <= 100
    with pytest.raises(ValueError):
        addresses.envelope_address("a@b.c, d@e.f")
    assert "a@b.c, d@e.f" not in addresses._PATHS


# ---------------------------------------------------------------------------- replies


def _assembled(line: bytes, limits: Limits = DEFAULT_LIMITS) -> object:
    try:
        return ReplyAssembler(limits).feed_line(line)
    except SMTPProtocolError:
        return SMTPProtocolError


reply_line = st.builds(
    lambda code, sep, text, end: code + sep + text + end,
    st.sampled_from([b"250", b"220", b"354", b"421", b"550", b"199", b"600", b"2x0", b"25"]),
    st.sampled_from([b" ", b"-", b"", b"\t", b"x"]),
    st.binary(max_size=20),
    st.sampled_from([b"\r\n", b"\n", b"", b"\r", b"\r\r\n"]),
)


@settings(max_examples=600)
@given(st.one_of(reply_line, st.binary(max_size=40)))
@example(b"250\r\n")
@example(b"250 \r\n")
@example(b"250 ok\r\n")
@example(b"250 a\rb\r\n")
@example(b"250 a\nb\r\n")
@example(b"250-more\r\n")
@example(b"\xb2\xb5\xb0 x\r\n")
def test_one_line_fast_path_agrees_with_the_assembler(line: bytes) -> None:
    fast = parse_final_line(line)
    expected = _reference([line])
    if fast is not None:  # None only means "ask the assembler"
        assert fast == _assembled(line) == expected
    else:
        assert not isinstance(expected, tuple) or expected[0] == "error"


def test_one_line_fast_path_respects_max_line() -> None:
    limits = Limits(max_line=10)
    assert parse_final_line(b"250 " + b"x" * 10 + b"\r\n", limits) is None
    assert parse_final_line(b"250 ok\r\n", limits) == (250, (b"ok",), b"250 ok\r\n")


@pytest.mark.parametrize(
    "lines",
    [
        [b"250-first\r\n", b"250-second\r\n", b"250 last\r\n"],
        [b"250-first\r\n", b"251 other\r\n"],
        [b"250-first\r\n", b"250 \r\n"],
        [b"250-first\r\n", b"250\r\n"],
        [b"250-a\r\n", b"250-b\n"],
        [b"250-a\r\n", b"250-b\r\r\n"],
        [b"250-a\r\n", b"xyz\r\n"],
    ],
)
def test_assembler_on_multiline_replies(lines: list[bytes]) -> None:
    assembler = ReplyAssembler()
    try:
        results = [assembler.feed_line(line) for line in lines]
    except SMTPProtocolError as exc:
        outcome: object = ("error", exc.smtp_code)
    else:
        outcome = results[-1]
    assert outcome == _reference(lines)


def _reference(lines: list[bytes]) -> object:
    """The grammar of RFC 5321 §4.2, written out plainly."""
    code = None
    texts = []
    for line in lines:
        ok = (
            line.endswith(b"\r\n")
            and len(line) >= 5
            and line[:1] in b"2345"
            and line[1:3].isdigit()
            and (len(line) == 5 or line[3:4] in (b" ", b"-"))
            and b"\r" not in line[:-2]
            and b"\n" not in line[:-2]
        )
        if not ok:
            return ("error", -1)
        if code is not None and line[:3] != code:
            return ("error", int(code))
        code = line[:3]
        texts.append(line[4:-2])
        if line[3:4] != b"-":
            return (int(code), tuple(texts), b"".join(lines))
    return None


def test_a_line_seen_before_gives_the_same_reply_and_still_obeys_max_line() -> None:
    from smtpshell.protocol import replies

    line = b"250 2.1.0 seen before\r\n"
    first = parse_final_line(line)
    again = parse_final_line(line)
    assert again == first == (250, (b"2.1.0 seen before",), line)
    assert line in replies._SEEN
    # A client with a smaller bound refuses it, cached or not.
    assert parse_final_line(line, Limits(max_line=10)) is None
    # Malformed lines are never remembered: the assembler must see them every time.
    assert parse_final_line(b"250-more\r\n") is None and b"250-more\r\n" not in replies._SEEN


def test_the_seen_lines_are_bounded_and_long_lines_are_not_kept() -> None:
    from smtpshell.protocol import replies

    long_line = b"250 " + b"x" * replies._SEEN_LINE + b"\r\n"
    assert parse_final_line(long_line) == (250, (b"x" * replies._SEEN_LINE,), long_line)
    assert long_line not in replies._SEEN
    for n in range(replies._SEEN_MAX * 3):  # queue ids: every line different
        assert parse_final_line(b"250 queued as %d\r\n" % n).code == 250
        assert len(replies._SEEN) <= replies._SEEN_MAX
