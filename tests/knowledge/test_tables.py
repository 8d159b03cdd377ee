"""Table integrity: unique keys, sources everywhere, well-formed codes and keywords."""

from __future__ import annotations

import re

import pytest

from smtpshell.knowledge import (
    COMMANDS,
    ENHANCED_CLASSES,
    ENHANCED_STATUS_CODES,
    ENHANCED_SUBJECTS,
    EXTENSIONS,
    REPLY_CODES,
    SASL_MECHANISMS,
    auth,
    enhanced,
    extensions,
    replies,
    verbs,
)

RFC = re.compile(r"^(RFC \d{3,4}|IANA|Postfix|draft-|Google|Microsoft)")
KEYWORD = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")  # RFC 5321 ehlo-keyword, upper-cased

RFC5321_CODES = {
    211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455,
    500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555,
}  # fmt: skip
RFC4954_CODES = {334, 235, 432, 454, 500, 530, 534, 535, 538}


def test_reply_table_keys_unique_and_match_entries():
    assert len(replies._CODES) == len(REPLY_CODES)
    assert all(key == entry.code for key, entry in REPLY_CODES.items())


def test_reply_table_covers_the_rfcs():
    assert RFC5321_CODES | RFC4954_CODES | {521, 556, 253, 453, 458, 459} <= set(REPLY_CODES)


@pytest.mark.parametrize("entry", REPLY_CODES.values(), ids=lambda e: str(e.code))
def test_reply_entry_is_complete(entry):
    assert 200 <= entry.code <= 599
    assert entry.code // 100 in (2, 3, 4, 5)
    assert RFC.match(entry.rfc)
    assert all(RFC.match(s) for s in entry.see_also)
    assert 1 <= len(entry.short.split()) <= 6, entry.short
    assert entry.long.count(". ") + 1 >= 2  # a teaching paragraph, not a label
    assert not entry.long.endswith(" ")


def test_enhanced_table_keys_unique_and_well_formed():
    assert len(enhanced._STATUSES) == len(ENHANCED_STATUS_CODES)
    for key, status in ENHANCED_STATUS_CODES.items():
        assert re.fullmatch(r"X\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})", key)
        assert key == status.code
        assert status.subject in ENHANCED_SUBJECTS
        assert RFC.match(status.rfc)
        assert status.title and status.description


def test_enhanced_table_has_the_registry_ranges():
    expected = (
        [(0, 0)]
        + [(1, d) for d in range(11)]
        + [(2, d) for d in range(5)]
        + [(3, d) for d in range(7)]
        + [(4, d) for d in range(8)]
        + [(5, d) for d in range(7)]
        + [(6, d) for d in range(11)]
        + [(7, d) for d in range(31)]
    )
    assert {f"X.{s}.{d}" for s, d in expected} == set(ENHANCED_STATUS_CODES)


def test_enhanced_classes_and_subjects():
    assert set(ENHANCED_CLASSES) == {2, 4, 5}
    assert set(ENHANCED_SUBJECTS) == set(range(8))
    for item in (*ENHANCED_CLASSES.values(), *ENHANCED_SUBJECTS.values()):
        assert item.rfc.startswith("RFC 3463")


def test_auth_codes_cite_rfc4954():
    for code in ("X.5.6", "X.7.8", "X.7.9", "X.7.11", "X.7.12"):
        assert ENHANCED_STATUS_CODES[code].rfc.startswith("RFC 4954")


def test_only_the_duplicate_is_deprecated():
    assert [s.code for s in ENHANCED_STATUS_CODES.values() if s.deprecated] == ["X.6.10"]


def test_extension_table_integrity():
    assert len(extensions._EXTENSIONS) == len(EXTENSIONS)
    for key, ext in EXTENSIONS.items():
        assert key == ext.keyword and KEYWORD.match(key)
        assert RFC.match(ext.rfc), ext.rfc
        assert ext.summary and ext.long and ext.ehlo_params
        for param in ext.parameters:
            assert param.extension == ext.keyword
            assert param.command in ("MAIL", "RCPT")
            assert KEYWORD.match(param.name)
            assert param.syntax.startswith(param.name)
            assert RFC.match(param.rfc)
            assert param.takes_value == ("=" in param.syntax)
        for verb in ext.commands:
            assert verb in COMMANDS, verb


def test_extension_table_has_the_common_keywords():
    wanted = {
        "SIZE", "8BITMIME", "SMTPUTF8", "PIPELINING", "CHUNKING", "BINARYMIME", "DSN",
        "ENHANCEDSTATUSCODES", "STARTTLS", "AUTH", "DELIVERBY", "ETRN", "ATRN", "EXPN",
        "VRFY", "HELP", "MT-PRIORITY", "REQUIRETLS", "FUTURERELEASE", "NO-SOLICITING",
        "LIMITS", "XCLIENT", "XFORWARD",
    }  # fmt: skip
    assert wanted <= set(EXTENSIONS)


def test_vendor_extensions_are_marked_non_standard():
    assert not EXTENSIONS["XCLIENT"].standard
    assert not EXTENSIONS["XFORWARD"].standard
    assert all(e.standard for k, e in EXTENSIONS.items() if not k.startswith("X"))


def test_parameter_names_unique_per_extension_and_command():
    seen = set()
    for ext in EXTENSIONS.values():
        for p in ext.parameters:
            assert (ext.keyword, p.command, p.name) not in seen
            seen.add((ext.keyword, p.command, p.name))


def test_command_table_integrity():
    assert len(verbs._COMMANDS) == len(COMMANDS)
    base = {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP",
            "QUIT"}  # fmt: skip
    assert base | {"BDAT", "STARTTLS", "AUTH", "ETRN", "ATRN", "TURN", "LHLO"} <= set(COMMANDS)
    for verb, info in COMMANDS.items():
        assert verb == info.verb and info.syntax.startswith(verb)
        assert RFC.match(info.rfc)
        assert info.replies, verb
        assert all(r in REPLY_CODES for r in info.replies), (verb, info.replies)
        if info.extension is not None:
            assert info.extension in EXTENSIONS
        if verb in base:
            assert info.rfc.startswith("RFC 5321") and info.extension is None


def test_sasl_table_integrity():
    assert len(auth._MECHANISMS) == len(SASL_MECHANISMS)
    from smtpshell.auth import SUPPORTED_MECHANISMS

    supported = {n for n, m in SASL_MECHANISMS.items() if m.support == "supported"}
    # The table must say exactly what the client core can run.
    assert supported == set(SUPPORTED_MECHANISMS)
    for name, mech in SASL_MECHANISMS.items():
        assert name == mech.name and KEYWORD.match(name)
        assert mech.support in ("supported", "planned", "unsupported")
        assert mech.rfc and mech.wire and mech.summary
    assert {n for n, m in SASL_MECHANISMS.items() if m.cleartext_password} == {"PLAIN", "LOGIN"}


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        REPLY_CODES[999] = REPLY_CODES[250]  # type: ignore[index]
    with pytest.raises(AttributeError):
        REPLY_CODES[250].short = "changed"  # type: ignore[misc]
