"""explain_line(): one explanation of a transcript line, as cited data, for every face."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpshell.knowledge import LineKind, explain_line, explain_reply


@pytest.mark.parametrize(
    ("args", "kwargs", "kind", "title"),
    [
        (("S", "250 2.1.5 ok"), {}, LineKind.REPLY, "250 Requested action OK"),
        (("S", "SIZE 10"), {}, LineKind.MALFORMED, "Malformed reply line"),
        (("S", "²²² hi"), {}, LineKind.MALFORMED, "Malformed reply line"),
        (
            ("S", "250-mx.example hi"),
            {"verb": "EHLO", "first_line": True, "final": False},
            LineKind.GREETING,
            "EHLO greeting line",
        ),
        (
            ("S", "250-SIZE 1000"),
            {"verb": "EHLO", "final": False},
            LineKind.EXTENSION,
            "SIZE — Message size declaration",
        ),
        (("C", "MAIL FROM:<a@b>"), {}, LineKind.COMMAND, "MAIL"),
        (("C", "AUTH PLAIN <redacted>"), {"secret": True}, LineKind.SECRET, "AUTH data (secret)"),
        (("C", "Subject: hi"), {"data": True}, LineKind.DATA, "Message data"),
        (("C", "FROB x"), {}, LineKind.UNKNOWN_COMMAND, "FROB"),
        (("*", "TLSv1.3"), {"event": "tls"}, LineKind.EVENT, "TLS is up"),
        (("*", "hello"), {}, LineKind.EVENT, "Note"),
    ],
)
def test_explain_line_table(args, kwargs, kind, title):
    info = explain_line(*args, **kwargs)
    assert (info.kind, info.headline.title) == (kind, title)


def test_a_reply_carries_each_part_with_its_citation():
    info = explain_reply(550, "5.1.1 no such user")
    assert info.code == 550
    assert info.headline.source.startswith("RFC 5321")
    assert info.reply_class is not None and info.reply_class.source == "RFC 5321 §4.2.1"
    assert info.enhanced is not None and info.enhanced.title.startswith("5.1.1 ")
    assert info.enhanced.source.startswith("RFC 3463")
    assert info.advice is not None and "permanent" in info.advice.title
    assert info.sources[0] == "RFC 5321 §4.2.1"


def test_server_text_quoted_back_is_escaped():
    info = explain_line("S", "250-X-\x1b]52;c;Zm9v\x07 p\u202e", verb="EHLO", final=False)
    assert "\x1b" not in info.headline.title and "\\x1b" in info.headline.title
    assert "\u202e" not in info.headline.text
    assert "\x1b" not in explain_line("C", "\x1b[2J").headline.title


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("SC*"), st.text(max_size=60), st.sampled_from([None, "EHLO", "MAIL"]))
def test_explain_line_never_raises(direction, text, verb):
    info = explain_line(direction, text, verb=verb, final=False)
    assert info.headline.title


def test_the_pairing_note_reaches_every_face_through_explain_line():
    notes = explain_line("S", "250 5.1.1 odd").notes
    assert any("disagrees with reply 250" in note for note in notes)
    assert explain_line("S", "250 2.1.5 ok").notes == ()


# ---------------------------------------------------------------- explain_term (/explain)


def test_explain_term_takes_codes_enhanced_codes_keywords_and_verbs():
    from smtpshell.knowledge.lines import LineKind, explain_term

    reply = explain_term("550 5.1.1 no such user")
    assert reply.kind is LineKind.REPLY and reply.code == 550
    assert reply.enhanced.title.startswith("5.1.1 ")
    enhanced = explain_term("5.7.1")
    assert enhanced.kind is LineKind.ENHANCED
    assert enhanced.headline.title.startswith("5.7.1 ") and "RFC 3463" in enhanced.headline.source
    assert explain_term("4.4.1").reply_class.title.lower().startswith("persistent")
    pipelining = explain_term("pipelining")
    assert pipelining.kind is LineKind.EXTENSION and pipelining.headline.source == "RFC 2920"
    size = explain_term("SIZE 1000")
    assert "1,000 bytes" in size.headline.text
    auth = explain_term("AUTH")
    assert auth.kind is LineKind.EXTENSION and auth.syntax.startswith("AUTH ")
    rcpt = explain_term("RCPT")
    assert rcpt.kind is LineKind.COMMAND and rcpt.syntax.startswith("RCPT TO:")
    for nothing in ("bogus", "5.7", "5.7.1 extra", "", "\x1b[31m", "RCPT extra"):
        assert explain_term(nothing) is None, nothing


def test_explain_command_widened():
    from smtpshell.wiring import new_engine

    with new_engine(scripted=True) as engine:
        for what, expected in (
            ("5.7.1", "Delivery not authorized"),
            ("PIPELINING", "RFC 2920"),
            ("RCPT", "syntax: RCPT TO:"),
            ("550 5.1.1", "Bad destination mailbox address"),
        ):
            result = engine.run_line(f"/explain {what}")
            assert result.ok, result.errors
            text = "\n".join(f"{item.title}\n{item.body}" for item in result.items)
            assert expected in text, what
        result = engine.run_line("/explain nonsense")
        assert not result.ok and "nothing known about 'nonsense'" in result.errors[0]
