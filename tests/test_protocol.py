"""The pure protocol layer: table tests and properties (hypothesis)."""

from __future__ import annotations

import re
import smtplib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpshell import SMTPProtocolError
from smtpshell.protocol import (
    Limits,
    ReplyAssembler,
    dot_stuffed_chunks,
    encode_message,
    envelope_address,
    normalize_eols,
    parse_ehlo,
    parse_reply,
)


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b"250 OK\r\n", 250, b"OK"),
        (b"250\r\n", 250, b""),
        (b"250-\r\n250 end\r\n", 250, b"\nend"),
        (b"250-a.example\r\n250-SIZE 10\r\n250 HELP\r\n", 250, b"a.example\nSIZE 10\nHELP"),
        (b"334 \r\n", 334, b""),
        (b"554 5.7.1  spaced  \r\n", 554, b"5.7.1  spaced"),
    ],
)
def test_well_formed_replies(raw, code, message):
    reply = parse_reply(raw)
    assert reply.as_tuple() == (code, message)
    assert reply.raw == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"250 OK",
        b"250 OK\n",
        b"OK\r\n",
        b"25 x\r\n",
        b"2500\r\n",
        b"150 x\r\n",
        b"650 x\r\n",
        b"250-a\r\n251 b\r\n",
        b"250 a\r\n250 b\r\n",
        b"250 a\rb\r\n",
        b"250_x\r\n",
    ],
)
def test_malformed_replies(raw):
    with pytest.raises(SMTPProtocolError):
        parse_reply(raw)


def test_limits_are_enforced():
    limits = Limits(max_line=20, max_lines=3, max_reply_bytes=1000)
    with pytest.raises(SMTPProtocolError, match="longer than 20 bytes"):
        ReplyAssembler(limits).feed_line(b"250 " + b"x" * 30 + b"\r\n")
    assembler = ReplyAssembler(limits)
    assembler.feed_line(b"250-a\r\n")
    assembler.feed_line(b"250-b\r\n")
    with pytest.raises(SMTPProtocolError, match="3 lines"):
        assembler.feed_line(b"250-c\r\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=20))
def test_arbitrary_lines_raise_only_protocol_errors(lines):
    assembler = ReplyAssembler(Limits(max_line=60, max_lines=10, max_reply_bytes=300))
    for line in lines:
        try:
            reply = assembler.feed_line(line)
        except SMTPProtocolError as exc:
            assert isinstance(exc.smtp_code, int)
            return
        if reply is not None:
            assert 200 <= reply.code <= 599
            assembler = ReplyAssembler(assembler.limits)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_parse_reply_on_arbitrary_bytes(data):
    try:
        reply = parse_reply(data)
    except SMTPProtocolError:
        return
    assert reply.raw == data


@given(st.text(max_size=200))
def test_ehlo_parsing_matches_smtplib(text):
    fake = smtplib.SMTP()
    message = text.encode("latin-1", "replace")
    fake.ehlo_resp = message
    # smtplib parses inside ehlo(); replay its algorithm through a stub reply.
    fake.putcmd = lambda *a, **k: None
    fake.getreply = lambda: (250, message)
    fake.ehlo("x")
    assert parse_ehlo(message) == fake.esmtp_features


def smtplib_payload(msg: bytes) -> bytes:
    """What smtplib.SMTP.data() sends for an already CRLF-clean message."""
    q = re.sub(rb"(?m)^\.", b"..", msg)
    if q[-2:] != b"\r\n":
        q += b"\r\n"
    return q + b".\r\n"


crlf_text = st.lists(
    st.sampled_from([b"a", b".", b"..", b"\r\n", b"x.y", b" ", b"\xff"]), max_size=60
).map(b"".join)


@settings(max_examples=300)
@given(crlf_text, st.integers(min_value=1, max_value=16))
def test_chunked_stuffing_equals_smtplib_for_clean_messages(message, chunk_size):
    message = normalize_eols(message)
    assert b"".join(dot_stuffed_chunks(message, chunk_size)) == smtplib_payload(message)


@given(st.binary(max_size=200))
def test_stuffed_payload_never_contains_an_early_end_of_data(data):
    payload = b"".join(dot_stuffed_chunks(encode_message(data), 7))
    body = payload[: -len(b".\r\n")]
    assert b"\r\n.\r\n" not in body
    assert not body.startswith(b".\r\n")
    # Every line break on the wire is CRLF: no bare CR or LF survives.
    assert body.count(b"\n") == body.count(b"\r\n") == body.count(b"\r")


def test_encode_message():
    assert encode_message("a\nb\rc\r\n") == b"a\r\nb\r\nc\r\n"
    assert encode_message(b"a\nb") == b"a\r\nb"
    clean = b"a\r\nb\r\n"
    assert encode_message(clean) is clean  # no copy for the common case
    with pytest.raises(ValueError, match="non-ASCII"):
        encode_message("é")
    with pytest.raises(TypeError):
        encode_message(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given_", "sent"),
    [
        ("a@b.c", "<a@b.c>"),
        ("<a@b.c>", "<a@b.c>"),
        ("Al <a@b.c>", "<a@b.c>"),
        ('"Doe, J" <j@x.y>', "<j@x.y>"),
        ("", "<>"),
        ("<>", "<>"),
        (" a@b.c ", "<a@b.c>"),
    ],
)
def test_envelope_address_matches_quoteaddr(given_, sent):
    assert envelope_address(given_) == sent == smtplib.quoteaddr(given_)


@pytest.mark.parametrize(
    "bad", ["a@b.c, d@e.f", "a b", "<a@b.c> x", "x <a@b.c> <d@e.f>", "a@b.c\r\n", "a\0@b.c"]
)
def test_envelope_address_refuses_what_it_would_rewrite(bad):
    with pytest.raises(ValueError):
        envelope_address(bad)


@pytest.mark.parametrize(
    ("mechanism", "raw", "user"),
    [
        ("PLAIN", b"\0alice\0secret", "alice"),
        ("PLAIN", b"admin\0alice\0secret", "alice"),
        ("LOGIN", b"alice", "alice"),
        ("CRAM-MD5", b"alice 0123456789abcdef", "alice"),
        ("SCRAM-SHA-256", b"n,,n=al=2Cice,r=nonce", "al,ice"),
        ("OAUTHBEARER", b"n,a=alice,\x01auth=Bearer tok\x01\x01", "alice"),
        ("XOAUTH2", b"user=alice\x01auth=Bearer tok\x01\x01", "alice"),
        ("PLAIN", b"no separators", None),
        ("GSSAPI", b"whatever", None),
    ],
)
def test_user_from_response_names_only_the_user(mechanism, raw, user):
    import base64

    from smtpshell.auth import user_from_response

    assert user_from_response(mechanism, base64.b64encode(raw)) == user
    assert user_from_response(mechanism, b"not base64!") is None
