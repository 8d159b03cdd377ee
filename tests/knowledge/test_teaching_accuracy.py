"""Issue 21: the rules the tables and lessons teach, pinned against the RFCs.

Each test below names the correction it keeps from coming back (numbers as in the issue),
and the sources it was checked against.  The lessons are read as text, the way a student
sees them, so the tests do not depend on the lesson runner.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpshell.knowledge import (
    COMMANDS,
    ENHANCED_CLASSES,
    ENHANCED_STATUS_CODES,
    ENHANCED_SUBJECTS,
    EXTENSIONS,
    REPLY_CODES,
    SASL_MECHANISMS,
    explain,
    pairing_note,
)
from smtpshell.knowledge.docs import render_all
from smtpshell.knowledge.replies import CATEGORY_MEANINGS

LESSONS = Path(__file__).resolve().parents[2] / "smtpshell" / "lessons"

#: "RFC 5321 §4.2.1", "RFC 5321 Appendix F.1": an RFC and the place in it.
CITATION = re.compile(r"RFC \d{3,4} (?:§\d+(?:\.\d+)*|Appendix [A-Z](?:\.\d+)*)")
#: A registry is cited by name; vendor documents and drafts by their name.
OTHER_SOURCE = re.compile(
    r"^(IANA .*registry|Postfix [A-Z]+_README|draft-[a-z0-9-]+|Google/Microsoft|Microsoft \[)"
)
#: Short, single-purpose RFCs the tables still cite as a whole document: each is the
#: definition of one extension or mechanism, cited as the source of its entry.  Sentences
#: of their own carry sections.  Kept short on purpose; a new entry should cite a section.
WHOLE_DOCUMENT = frozenset(
    {
        "RFC 1870", "RFC 2034", "RFC 2645", "RFC 2852", "RFC 3030", "RFC 3207", "RFC 3461",
        "RFC 3865", "RFC 4141", "RFC 4405", "RFC 4468", "RFC 4865", "RFC 4954", "RFC 6152",
        "RFC 6531", "RFC 6710", "RFC 7293", "RFC 8689", "RFC 9422", "RFC 2920", "RFC 821",
        "RFC 1985",
    }
)  # fmt: skip


def _cited(source: str) -> bool:
    return bool(CITATION.match(source) or OTHER_SOURCE.match(source))


# --------------------------------------------------------------------------- lessons


def _lesson(name: str) -> str:
    (path,) = LESSONS.glob(f"{name}*.lesson")
    return path.read_text(encoding="utf-8")


def _prose(text: str) -> str:
    """The lesson's prose (`>` and `!` lines) as one string, line breaks undone."""
    lines = [line[1:].strip() for line in text.splitlines() if line[:1] in (">", "!")]
    return re.sub(r"\s+", " ", " ".join(lines))


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of every `>` paragraph and `!` block, wire lines left out."""
    out: list[tuple[int, str]] = []
    kind, start, words = "", 0, []

    def flush() -> None:
        if words:
            out.append((start, " ".join(words)))
        words.clear()

    for number, line in enumerate(text.splitlines(), 1):
        marker = line[:1]
        body = line[1:]
        if marker not in (">", "!") or marker != kind or not body.strip():
            flush()
            kind = marker if marker in (">", "!") and body.strip() else ""
            start = number
        if kind and body.strip() and not body.startswith("   "):
            words.append(body.strip())
    flush()
    return out


#: Words that start an instruction to the student ("Send DATA before MAIL FROM.").
IMPERATIVES = frozenset(
    [
        "Add",
        "Ask",
        "Build",
        "Connect",
        "Count",
        "Declare",
        "Read",
        "Send",
        "Start",
        "Try",
        "Type",
        "Use",
    ]
)


def _needs_no_source(paragraph: str) -> bool:
    """Paragraphs that state no protocol fact: instructions and questions only, or text
    about the tool itself (it names smtpshell, the practice server or a /command)."""
    if re.search(r"smtpshell|practice server|(?:^|[\s(\"])/[a-z]", paragraph):
        return True
    sentences = re.split(r"(?<=[.?!])\s+", paragraph.strip())
    return all(s.endswith("?") or s.split(" ", 1)[0] in IMPERATIVES for s in sentences)


def test_every_lesson_paragraph_cites_its_source() -> None:
    missing = []
    for path in sorted(LESSONS.glob("*.lesson")):
        for number, paragraph in _paragraphs(path.read_text(encoding="utf-8")):
            if not CITATION.search(paragraph) and not _needs_no_source(paragraph):
                missing.append(f"{path.name}:{number}: {paragraph[:70]}...")
    assert not missing, "paragraphs without an RFC section:\n" + "\n".join(missing)


def test_lesson_citations_are_well_formed() -> None:
    """Every "RFC nnnn §" in a lesson is followed by a section number, never left dangling."""
    for path in sorted(LESSONS.glob("*.lesson")):
        prose = _prose(path.read_text(encoding="utf-8"))
        for match in re.finditer(r"RFC \d+ §\S*", prose):
            assert re.fullmatch(r"RFC \d+ §\d+(\.\d+)*[),.;:]*", match.group()), (path, match)


def test_the_paragraph_splitter_sees_every_kind_of_block() -> None:
    text = "> one\n> two\n>\n> three\n>   C: wire\n! done\n! more\n? type\n"
    assert _paragraphs(text) == [(1, "one two"), (4, "three"), (6, "done more")]


def test_only_instructions_and_questions_go_without_a_source() -> None:
    assert _needs_no_source("What happens when a step is skipped?  Send DATA first.")
    assert _needs_no_source("/send runs a whole transaction for you.")
    assert not _needs_no_source("Send DATA first.  The server answers 503.")
    assert not _needs_no_source("DATA must be the last command of a group.")


# 3. Lesson 10: the MUST is on the client (RFC 6531 §3.2); 553/550 with X.6.7 is what an
#    SMTPUTF8-aware server sends (RFC 6531 §3.5).
def test_lesson_10_puts_the_must_on_the_client() -> None:
    prose = _prose(_lesson("10"))
    assert "A server without SMTPUTF8 must refuse" not in prose
    assert "MUST NOT send" in prose and "RFC 6531 §3.2" in prose
    assert "SMTPUTF8-aware server" in prose and "RFC 6531 §3.5" in prose
    assert "553" in prose and "550" in prose and "X.6.7" in prose


# 2 (lesson side). SMTPUTF8 requires 8BITMIME to be supported and announced.
def test_lesson_10_says_8bitmime_must_be_announced() -> None:
    prose = _prose(_lesson("10"))
    assert "MUST also support and announce 8BITMIME" in prose
    assert "RFC 6531 §3.1" in prose


# 4. Lesson 8: CRAM-MD5 needs a password equivalent, and IANA lists it as LIMITED.
def test_lesson_8_cram_md5_is_limited_not_deprecated() -> None:
    prose = _prose(_lesson("08"))
    assert "must store the password itself" not in prose
    assert "It is deprecated" not in prose
    assert "password equivalent" in prose
    assert "LIMITED" in prose and "IANA SASL Mechanisms registry" in prose
    assert "password equivalent" in SASL_MECHANISMS["CRAM-MD5"].notes
    assert "LIMITED" in SASL_MECHANISMS["CRAM-MD5"].notes


# 11. Lesson 3: DMARC alignment comes from SPF or DKIM (RFC 7489 §3.1).
def test_lesson_3_dmarc_aligns_with_spf_or_dkim() -> None:
    prose = _prose(_lesson("03"))
    assert "DKIM" in prose and "either one is enough" in prose
    assert "RFC 7489 §3.1" in prose


# 12. Lesson 2: EHLO came from RFC 1425, revised in RFC 1651 and RFC 1869.
def test_lesson_2_names_the_whole_ehlo_lineage() -> None:
    prose = _prose(_lesson("02"))
    assert "RFC 1425" in prose and "RFC 1651" in prose and "RFC 1869" in prose
    assert prose.index("RFC 1425") < prose.index("RFC 1651") < prose.index("RFC 1869")


# 13. Lesson 2: after HELO, how a SIZE parameter is refused depends on the server.
def test_lesson_2_does_not_state_one_rule_for_size_after_helo() -> None:
    prose = _prose(_lesson("02"))
    assert "would be a syntax error" not in prose
    assert "depends on the server" in prose
    assert "555" in prose and "RFC 5321 §4.1.1.11" in prose
    assert "aiosmtpd" in prose and "501" in prose


# 1 (lesson side). Lesson 11 keeps the correct last-in-group rule.
def test_lesson_11_keeps_data_last_in_a_group() -> None:
    prose = _prose(_lesson("11"))
    assert "DATA must be the last command of a group" in prose
    assert "RFC 2920 §3.1" in prose


# 8 (lesson side). Lesson 7: discarding is a MUST, EHLO first a SHOULD (RFC 3207 §4.2).
def test_lesson_7_separates_must_forget_from_should_ehlo() -> None:
    prose = _prose(_lesson("07"))
    assert "MUST discard" in prose and "SHOULD send EHLO" in prose
    assert "RFC 3207 §4.2" in prose


# --------------------------------------------------------------------------- tables


# 1. PIPELINING: RFC 2920 §3.1's last-in-group list; STARTTLS/AUTH under their own RFCs;
#    the message content may start a group.
def test_pipelining_lists_the_rfc_2920_last_in_group_commands() -> None:
    text = EXTENSIONS["PIPELINING"].long
    assert "EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP" in text
    assert "RFC 2920 §3.1" in text
    assert "RFC 3207 §4" in text and "RFC 4954 §4" in text
    assert "first 'command' of a group" in text
    assert "DATA's content) end a batch" not in text


# 2. SMTPUTF8: a server offering it MUST support and announce 8BITMIME.
def test_smtputf8_must_announce_8bitmime() -> None:
    text = EXTENSIONS["SMTPUTF8"].long
    assert "Usually paired" not in text
    assert "MUST also support and announce 8BITMIME (RFC 6531 §3.1)" in text
    assert "MUST NOT send an internationalized address" in text and "RFC 6531 §3.2" in text


# 5. 521 is a host that accepts no mail (RFC 7504 §3); null MX is a domain's, with 556.
def test_521_is_a_host_and_null_mx_is_556() -> None:
    entry = REPLY_CODES[521]
    assert "null-MX host" not in entry.long
    assert entry.rfc == "RFC 7504 §3"
    assert "556" in entry.long
    assert REPLY_CODES[556].rfc == "RFC 7504 §4"
    assert "null MX" in REPLY_CODES[556].long


# 6. x0z includes "syntactically correct commands that do not fit any functional category".
def test_x0z_includes_commands_that_fit_no_category() -> None:
    _, covers = CATEGORY_MEANINGS[0]
    assert "do not fit any functional category" in covers
    assert "unimplemented or superfluous" in covers


# 7. SIZE: 0 means no fixed maximum; no number conveys no information (RFC 1870 §3).
def test_size_zero_and_no_number_are_two_cases() -> None:
    params = EXTENSIONS["SIZE"].ehlo_params
    assert "0 or no number" not in params
    assert "0 means no fixed maximum is in force" in params
    assert "no number at all conveys no information" in params
    assert "RFC 1870 §3" in params


# 8. After STARTTLS: discarding is a MUST, sending EHLO first a SHOULD (RFC 3207 §4.2).
@pytest.mark.parametrize(
    "text",
    [
        EXTENSIONS["STARTTLS"].long,
        COMMANDS["STARTTLS"].description,
        COMMANDS["EHLO"].description,
    ],
    ids=["extensions-STARTTLS", "verbs-STARTTLS", "verbs-EHLO"],
)
def test_after_starttls_forgetting_is_must_and_ehlo_is_should(text: str) -> None:
    assert "must send EHLO again" not in text and "Must be sent again" not in text
    assert "RFC 3207 §4.2" in text
    lowered = text.lower()
    assert re.search(r"must (discard|forget)", lowered)
    assert "should send ehlo" in lowered


# 9. TURN was deprecated (RFC 5321 Appendix F.1), not removed.
def test_turn_was_deprecated_not_removed() -> None:
    for text in (EXTENSIONS["TURN"].long, COMMANDS["TURN"].description):
        assert "removed" not in text.lower()
        assert "RFC 5321 Appendix F.1" in text
        assert "deprecat" in text.lower()


# 10. 8BITMIME: the limit is 1000 octets including the CRLF (RFC 5321 §4.5.3.1.6).
def test_8bitmime_line_limit_includes_crlf() -> None:
    text = EXTENSIONS["8BITMIME"].long
    assert "under 1000 octets" not in text
    assert "1000 octets including its CRLF (RFC 5321 §4.5.3.1.6)" in text


def test_the_reference_docs_carry_the_corrections() -> None:
    pages = render_all()
    ext = pages["extensions.md"]
    assert "DATA's content) end a batch" not in ext and "Usually paired" not in ext
    assert "EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP" in ext
    assert "null-MX host" not in pages["reply-codes.md"]
    assert "Removed by RFC 2821" not in pages["commands.md"]


# --------------------------------------------------------------------------- citations


def test_every_table_entry_has_a_citation() -> None:
    sources: list[tuple[str, str]] = []
    sources += [(f"reply {c.code}", s) for c in REPLY_CODES.values() for s in (c.rfc, *c.see_also)]
    sources += [(f"class {c.klass}", c.rfc) for c in ENHANCED_CLASSES.values()]
    sources += [(f"subject {s.subject}", s.rfc) for s in ENHANCED_SUBJECTS.values()]
    sources += [(s.code, s.rfc) for s in ENHANCED_STATUS_CODES.values()]
    sources += [(f"verb {c.verb}", c.rfc) for c in COMMANDS.values()]
    sources += [(f"mechanism {m.name}", m.rfc) for m in SASL_MECHANISMS.values()]
    for ext in EXTENSIONS.values():
        sources.append((f"extension {ext.keyword}", ext.rfc))
        sources += [(f"{ext.keyword} {p.name}", p.rfc) for p in ext.parameters]
    bad = [
        f"{what}: {source!r}"
        for what, source in sources
        if not (_cited(source) or source in WHOLE_DOCUMENT)
    ]
    assert not bad, "entries without a citation:\n" + "\n".join(bad)


def test_extension_sentences_from_other_rfcs_cite_them() -> None:
    """A sentence in an extension's text that rests on another document names it."""
    for ext in EXTENSIONS.values():
        for rfc in re.findall(r"RFC \d+", ext.long):
            if rfc != ext.rfc.split(" §")[0]:
                assert re.search(rf"{rfc}(?: §| Appendix|\))", ext.long), (ext.keyword, rfc)


# --------------------------------------------------------------------------- pairings


def test_every_registered_code_has_its_registry_pairing() -> None:
    for status in ENHANCED_STATUS_CODES.values():
        assert status.basic, status.code
    assert ENHANCED_STATUS_CODES["X.1.1"].associated == ("451", "550")
    assert ENHANCED_STATUS_CODES["X.7.17"].associated == ("5XX",)
    assert ENHANCED_STATUS_CODES["X.0.0"].associated == ()  # "Any"
    assert ENHANCED_STATUS_CODES["X.1.2"].associated == ()  # "Not given"
    assert set(ENHANCED_STATUS_CODES["X.7.15"].associated) == {"450", "550", "4XX", "5XX"}


@pytest.mark.parametrize(
    ("code", "enhanced", "expected"),
    [
        (550, "5.1.1", None),
        (451, "4.1.1", None),
        (250, "2.1.5", None),
        (550, "5.0.0", None),  # X.0.0: any basic code
        (550, "5.1.2", None),  # registry gives none: nothing to check but the class
        (451, "4.7.15", None),  # "other 4XX or 5XX codes are allowed"
        (550, "5.7.17", None),  # 5XX
        (550, "5.99.99", None),  # unregistered: only the class is checked
        (250, "5.1.1", "disagrees"),  # both: wrong class, and not a listed pairing
        (550, "5.1.5", "lists X.1.5 with 250, not with 550"),
        (450, "4.7.17", "lists X.7.17 with 5XX"),
        (550, "4.1.1", "requires a 5xx reply to carry a 5.X.X code"),
        (354, "2.0.0", "no enhanced code on 3xx"),
    ],
)
def test_pairing_note(code: int, enhanced: str, expected: str | None) -> None:
    note = pairing_note(code, enhanced)
    if expected is None:
        assert note is None
    else:
        assert note is not None and expected in note


def test_a_reply_pairing_both_ways_wrong_gets_both_reasons() -> None:
    note = pairing_note(250, "5.1.1")
    assert note is not None
    assert "RFC 2034 §4" in note and "IANA SMTP Enhanced Status Codes registry" in note
    assert "451, 550" in note


@pytest.mark.parametrize("odd", ["", "5.1", "x.y.z", "6.1.1", "5.01.1", None, 3.5])
def test_pairing_note_never_raises_on_odd_input(odd: object) -> None:
    assert pairing_note(550, odd) is None  # type: ignore[arg-type]
    assert pairing_note("abc", "5.1.1") is None  # type: ignore[arg-type]


def test_explain_carries_the_pairing_note() -> None:
    """/explain and the TUI explain panel both print ``Explanation.notes``."""
    assert any("lists X.1.1 with 451, 550" in n for n in explain(250, "5.1.1 x").notes)
    assert explain(550, "5.1.1 User unknown").notes == ()


def test_the_enhanced_codes_page_shows_the_registry_column() -> None:
    page = render_all()["enhanced-status-codes.md"]
    assert "Basic codes (IANA)" in page
    assert "| X.1.1 | Bad destination mailbox address |" in page
    assert "451, 550" in page
