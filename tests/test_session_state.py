"""protocol.session: the session transitions, table-tested (no sockets)."""

from __future__ import annotations

import pytest

from smtpshell.protocol.session import (
    AUTH_RESPONSE,
    DATA_END,
    TRANSITIONS,
    Recipients,
    SessionState,
    advance,
    path_argument,
)

READY = SessionState(host="h", port=25, connected=True, greeted=True, esmtp=True)
IN_MAIL = READY._replace(mail_from="a@x", recipients=Recipients(["b@y"]))
IN_DATA = IN_MAIL._replace(in_data=True)


@pytest.mark.parametrize(
    ("before", "verb", "command", "code", "changes"),
    [
        # greetings reset the transaction; HELO means plain SMTP
        (IN_MAIL, "EHLO", "EHLO me", 250, {"mail_from": None, "recipients": ()}),
        (READY._replace(esmtp=False), "LHLO", "LHLO me", 250, {"esmtp": True}),
        (IN_MAIL, "HELO", "HELO me", 250, {"mail_from": None, "recipients": (), "esmtp": False}),
        (IN_MAIL, "EHLO", "EHLO me", 502, {}),
        (SessionState(connected=True), "EHLO", "EHLO me", 250, {"greeted": True, "esmtp": True}),
        # RSET
        (IN_DATA, "RSET", "RSET", 250, {"mail_from": None, "recipients": (), "in_data": False}),
        (IN_MAIL, "RSET", "RSET", 500, {}),
        # AUTH: only 235 authenticates, from AUTH or from a response to a challenge
        (READY, "AUTH", "AUTH", 235, {"authenticated_as": "alice"}),
        (READY, AUTH_RESPONSE, AUTH_RESPONSE, 235, {"authenticated_as": "alice"}),
        (READY, "AUTH", "AUTH PLAIN x", 535, {}),
        (READY, "AUTH", "AUTH LOGIN", 334, {}),
        # MAIL: only 250 opens a transaction, and a new MAIL forgets the old recipients
        (READY, "MAIL", "MAIL FROM:<a@x> SIZE=10", 250, {"mail_from": "a@x"}),
        (IN_MAIL, "MAIL", "mail from:<c@z>", 250, {"mail_from": "c@z", "recipients": ()}),
        (READY, "MAIL", "MAIL FROM:<a@x>", 451, {}),
        (READY, "MAIL", "MAIL FROM:<>", 250, {"mail_from": ""}),
        # RCPT: 250 and 251 add one recipient
        (IN_MAIL, "RCPT", "RCPT TO:<c@z> NOTIFY=NEVER", 250, {"recipients": ("b@y", "c@z")}),
        (IN_MAIL, "RCPT", "rcpt to: <d@z>", 251, {"recipients": ("b@y", "d@z")}),
        (IN_MAIL, "RCPT", "RCPT TO:<c@z>", 550, {}),
        # DATA and its end: the end of the data ends the transaction whatever the reply
        (IN_MAIL, "DATA", "DATA", 354, {"in_data": True}),
        (IN_MAIL, "DATA", "DATA", 554, {}),
        (IN_DATA, DATA_END, DATA_END, 250, {"mail_from": None, "recipients": (), "in_data": 0}),
        (IN_DATA, DATA_END, DATA_END, 554, {"mail_from": None, "recipients": (), "in_data": 0}),
        # BDAT: only the reply to the LAST chunk ends the transaction
        (IN_MAIL, "BDAT", "BDAT 10", 250, {}),
        (IN_MAIL, "BDAT", "BDAT 10 LAST", 250, {"mail_from": None, "recipients": ()}),
        (IN_MAIL, "BDAT", "bdat 0 last", 552, {"mail_from": None, "recipients": ()}),
        # verbs that change nothing
        (IN_MAIL, "NOOP", "NOOP", 250, {}),
        (IN_MAIL, "VRFY", "VRFY x", 252, {}),
        (IN_MAIL, "", "", 421, {}),
    ],
)
def test_transition_table(before, verb, command, code, changes) -> None:
    after = advance(before, verb, command, code, user="alice")
    assert after == before._replace(**changes)
    if not changes:
        assert after is before  # nothing changed: nothing built


def test_every_table_verb_is_covered_above() -> None:
    covered = {"EHLO", "LHLO", "HELO", "RSET", "AUTH", AUTH_RESPONSE, "MAIL", "RCPT", "DATA"}
    assert set(TRANSITIONS) == covered | {DATA_END, "BDAT"}


def test_stage_names() -> None:
    assert SessionState().stage == "disconnected"
    assert SessionState(connected=True).stage == "connected"
    assert READY.stage == "ready"
    assert READY._replace(mail_from="").stage == "mail"
    assert IN_MAIL.stage == "rcpt"
    assert IN_DATA.stage == "data"


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("MAIL FROM:<a@x>", "a@x"),
        ("MAIL FROM: <a@x> SIZE=1", "a@x"),
        ("RCPT TO:b@y", "b@y"),
        ("MAIL FROM:<>", ""),
        ("RCPT", ""),
    ],
)
def test_path_argument(line: str, path: str) -> None:
    assert path_argument(line) == path


def test_recipients_grow_without_changing_earlier_values() -> None:
    empty = Recipients()
    one = empty.plus("a")
    two = one.plus("b")
    branch = one.plus("c")  # one already grew: this must not disturb two
    assert (empty, one, two, branch) == ((), ("a",), ("a", "b"), ("a", "c"))
    assert list(two) == ["a", "b"] and two[-1] == "b" and two[:1] == ("a",)
    assert len(two) == 2 and bool(two) and not empty
    with pytest.raises(IndexError):
        one[1]
    assert hash(two) == hash(("a", "b"))


def test_recording_a_recipient_does_not_copy_the_earlier_ones() -> None:
    """Issue 15: RCPT must be O(1); the list underneath is shared, never rebuilt."""
    state = READY._replace(mail_from="a@x")
    for i in range(1000):
        state = advance(state, "RCPT", f"RCPT TO:<r{i}@y>", 250)
    first = advance(READY._replace(mail_from="a@x"), "RCPT", "RCPT TO:<r@y>", 250)
    assert len(state.recipients) == 1000
    before = state.recipients
    after = advance(state, "RCPT", "RCPT TO:<last@y>", 250).recipients
    assert after._items is before._items  # shared: the append did not copy
    assert len(before) == 1000 and after[-1] == "last@y"
    assert first.recipients == ("r@y",)


def test_sessions_never_share_the_list_under_their_recipients() -> None:
    """Every session starts from the one shared empty value: growing it must start a list
    of the session's own.  Appending to the empty value's list let two client threads (a
    probe of many targets) race on one list, each seeing the other's first recipient."""
    first = advance(READY._replace(mail_from="a@x"), "RCPT", "RCPT TO:<one@y>", 250)
    second = advance(READY._replace(mail_from="a@x"), "RCPT", "RCPT TO:<two@y>", 250)
    assert READY.recipients == () and len(READY.recipients._items) == 0
    assert first.recipients._items is not second.recipients._items
    assert (first.recipients, second.recipients) == (("one@y",), ("two@y",))


def test_state_is_immutable() -> None:
    with pytest.raises(AttributeError):
        READY.host = "elsewhere"  # type: ignore[misc]


def test_the_field_positions_the_effects_use() -> None:
    from smtpshell.protocol import session

    fields = SessionState._fields
    for name in ("mail_from", "recipients", "in_data", "greeted", "esmtp", "authenticated_as"):
        assert fields.index(name) == getattr(session, "_" + name.upper())
