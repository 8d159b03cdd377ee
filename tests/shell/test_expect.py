"""Reply and state expectations: the grammar, and what each says when it does not hold."""

from __future__ import annotations

import pytest

from smtpshell.shell.engine import Mode, Status
from smtpshell.shell.expect import (
    Expectation,
    StateExpectation,
    parse_check,
    parse_expectation,
    parse_state_expectation,
)
from smtpshell.shell.registry import UsageError
from smtpshell.shell.results import ReplyRecord


def status(**changes: object) -> Status:
    fields: dict[str, object] = {
        "target": "smtp://127.0.0.1:2525",
        "connected": True,
        "tls": False,
        "tls_verified": None,
        "user": None,
        "stage": "ready",
        "mode": Mode.COMMAND,
        "reveal": False,
        "lmtp": False,
        "practice": True,
        "busy": False,
        "last_code": 250,
        "last_latency": 0.001,
        "recipients": 0,
    }
    fields.update(changes)
    return Status(**fields)  # type: ignore[arg-type]


FEATURES = {"size": "10485760", "auth": "PLAIN LOGIN CRAM-MD5", "starttls": ""}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("tls", StateExpectation("tls")),
        ("not tls", StateExpectation("tls", negated=True)),
        ("authenticated", StateExpectation("authenticated")),
        ("authenticated demo", StateExpectation("authenticated", argument="demo")),
        ("not authenticated", StateExpectation("authenticated", negated=True)),
        ("connected", StateExpectation("connected")),
        ("not connected", StateExpectation("connected", negated=True)),
        ("lmtp", StateExpectation("lmtp")),
        ("stage rcpt", StateExpectation("stage", argument="rcpt")),
        ("STAGE Ready", StateExpectation("stage", argument="ready")),
        ("feature auth", StateExpectation("feature", argument="AUTH")),
        ("feature AUTH PLAIN", StateExpectation("feature", argument="AUTH", parameter="PLAIN")),
        ("not feature STARTTLS", StateExpectation("feature", True, "STARTTLS")),
        ("250", None),
        ("2xx", None),
    ],
)
def test_state_grammar(spec, expected):
    assert parse_state_expectation(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("stage", "expect stage wants one of"),
        ("stage lunch", "expect stage wants one of"),
        ("not stage ready", "expect stage wants one of"),
        ("feature", "expect feature wants a keyword"),
        ("feature AUTH PLAIN LOGIN", "expect feature wants a keyword"),
        ("tls now", "expect tls takes no argument"),
        ("authenticated a b", "expect authenticated takes no argument"),
        ("not 250", "expect not ... wants one of"),
        ("not", "expect not ... wants one of"),
    ],
)
def test_malformed_state_expectations_say_what_is_wanted(spec, message):
    with pytest.raises(UsageError, match=message.replace(".", r"\.")):
        parse_state_expectation(spec)


@pytest.mark.parametrize(
    ("spec", "session", "failure"),
    [
        ("tls", status(tls=True), None),
        ("tls", status(), "expected tls, but no TLS is up"),
        ("not tls", status(), None),
        ("not tls", status(tls=True), "expected not tls, but the connection is encrypted"),
        ("authenticated", status(user="demo"), None),
        ("authenticated demo", status(user="demo"), None),
        (
            "authenticated alice",
            status(user="demo"),
            "expected authenticated alice, but logged in as demo",
        ),
        ("authenticated", status(), "expected authenticated, but nobody is logged in"),
        ("not authenticated", status(), None),
        ("connected", status(connected=False), "expected connected, but not connected"),
        ("not connected", status(connected=False), None),
        ("lmtp", status(lmtp=True), None),
        ("lmtp", status(), "expected lmtp, but this is SMTP"),
        ("stage rcpt", status(stage="rcpt"), None),
        ("stage rcpt", status(stage="mail"), "expected stage rcpt, but the stage is mail"),
        ("feature AUTH", status(), None),
        ("feature auth plain", status(), None),
        (
            "feature AUTH SCRAM-SHA-256",
            status(),
            "expected feature AUTH SCRAM-SHA-256, "
            "but the server advertised AUTH PLAIN LOGIN CRAM-MD5",
        ),
        (
            "feature PIPELINING",
            status(),
            "expected feature PIPELINING, but PIPELINING is not advertised",
        ),
        ("not feature PIPELINING", status(), None),
        (
            "not feature STARTTLS",
            status(),
            "expected not feature STARTTLS, but STARTTLS is advertised",
        ),
    ],
)
def test_state_checks(spec, session, failure):
    expectation = parse_state_expectation(spec)
    assert expectation is not None
    assert expectation.check(session, FEATURES) == failure


def test_feature_checks_without_ehlo_say_so():
    check = parse_state_expectation("feature SIZE")
    assert check is not None
    assert (
        check.check(status(), {}) == "expected feature SIZE, but no EHLO answer lists any extension"
    )


def test_parse_check_reads_both_kinds_and_names_both_when_neither():
    assert parse_check("250 2.1.5") == Expectation("250", "2.1.5")
    assert parse_check("not tls") == StateExpectation("tls", negated=True)
    with pytest.raises(UsageError, match=r"a reply code like 250.*or a state \(tls"):
        parse_check("tsl")


def test_reply_expectations_are_unchanged():
    reply = ReplyRecord(550, ("5.1.1 no such user",))
    assert parse_expectation("5xx 5.1.x no such").check(reply) is None
    assert parse_expectation("250").check(reply) == "expected 250, got 550 5.1.1 no such user"
    with pytest.raises(UsageError):
        parse_expectation("tls")
