"""The lesson format: what a lesson file parses to, and clear errors (with line numbers)."""

from __future__ import annotations

import pytest

from smtpshell.learn.lesson import (
    LessonError,
    LineKind,
    ServerSetup,
    parse_lesson,
    parse_server_options,
)
from smtpshell.shell.expect import Expectation, StateExpectation

LESSON = """\
# a comment
title: Sample
summary: One of each
rfc: RFC 5321
rfc: RFC 3207
minutes: 7
server: --reject-rcpt @busy\\.example$ --reject-code 450
server: --auth-require-tls
> Welcome.
> Second line of the same paragraph.
>
>   C: EHLO x
>
>   S: 250 ok
> After the example.

## Greet
> Say hello.
? EHLO client.example
EHLO client.example
expect 250
expect feature STARTTLS
! Well done.

## Two commands
MAIL FROM:<a@example.com>
expect 250
RCPT TO:<b@example.com>
expect 2xx 2.1.5

## A message
DATA
expect 354

## Its text
> The message starts at its first line.
Subject: hi

.dotted
# not a comment inside a message
.
expect 250

## Read only
> Nothing to type.
"""


def test_a_lesson_parses_into_header_and_steps():
    lesson = parse_lesson(LESSON, "sample.lesson")
    assert lesson.title == "Sample"
    assert lesson.summary == "One of each"
    assert lesson.rfcs == ("RFC 5321", "RFC 3207")
    assert lesson.minutes == 7
    assert lesson.connect is True
    assert lesson.setup == ServerSetup(
        auth_require_tls=True, reject_rcpt=r"@busy\.example$", reject_code=450
    )
    assert lesson.intro == (
        "Welcome. Second line of the same paragraph.",
        "  C: EHLO x\n\n  S: 250 ok",
        "After the example.",
    )
    assert [s.title for s in lesson.steps] == [
        "Greet",
        "Two commands",
        "A message",
        "Its text",
        "Read only",
    ]
    greet = lesson.steps[0]
    assert greet.explanation == ("Say hello.",)
    assert greet.hint == "EHLO client.example"
    assert greet.after == ("Well done.",)
    assert [c.check for c in greet.checks] == [
        Expectation("250"),
        StateExpectation("feature", argument="STARTTLS"),
    ]
    two = lesson.steps[1]
    assert [c.text for c in two.checks] == ["expect 2xx 2.1.5"]
    assert two.last_action is not None and two.last_action.text == "RCPT TO:<b@example.com>"
    text = lesson.steps[3]
    assert [s.kind for s in text.solution] == [LineKind.MESSAGE] * 5 + [LineKind.EXPECT]
    assert [s.text for s in text.solution][:5] == [
        "Subject: hi",
        "",
        ".dotted",
        "# not a comment inside a message",
        ".",
    ]
    assert lesson.steps[4].reading and lesson.steps[4].checks == ()


def test_a_failing_data_opens_no_message_and_expect_354_opens_one():
    lesson = parse_lesson(
        "title: t\n## a\nDATA\nexpect 503\nNOOP\nexpect 250\n"
        "## b\n/raw DATA\\r\\n\nexpect 354\nSubject: x\n\nbody\n.\nexpect 250\n"
    )
    first, second = lesson.steps
    assert [s.kind for s in first.solution] == [LineKind.COMMAND, LineKind.EXPECT] * 2
    assert [s.kind for s in second.solution][2:6] == [LineKind.MESSAGE] * 4


def test_send_without_file_opens_a_message():
    lesson = parse_lesson("title: t\n## a\n/send a@x.example b@y.example\nhello\n.\nexpect 250\n")
    assert [s.kind for s in lesson.steps[0].solution] == [
        LineKind.COMMAND,
        LineKind.MESSAGE,
        LineKind.MESSAGE,
        LineKind.EXPECT,
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("## a\nNOOP\nexpect 250\n", 1, "needs a 'title: ...' line"),
        ("title: t\n", None, "at least one step"),
        ("title: t\ncolour: blue\n## a\n", 2, "unknown header 'colour'"),
        ("title: t\nNOOP\n", 2, "before the first step"),
        ("title: t\n? hint\n## a\n", 2, "belong to a step"),
        ("title: t\ntitle: u\n## a\n", 2, "'title' is given twice"),
        ("title: t\nminutes: ten\n## a\n", 2, "minutes wants a whole number"),
        ("title: t\nconnect: maybe\n## a\n", 2, "connect wants yes or no"),
        ("title: t\nserver: --frobnicate\n## a\n", 2, "unknown server option '--frobnicate'"),
        ("title: t\nserver: --reply-421-on LUNCH\n## a\n", 2, "unknown command 'LUNCH'"),
        ("title: t\nserver: --reject-code 250\n## a\n", 2, "reject_code must be"),
        ("title: t\nserver: --reject-rcpt (\n## a\n", 2, "--reject-rcpt"),
        ("title: t\nserver: --delay MAIL\n## a\n", 2, "--delay wants CMD=SECONDS"),
        ("title: t\n##  \n", 2, "needs a title"),
        ("title: t\n## a\nexpect 250\n", 3, "needs a command before it"),
        ("title: t\n## a\nNOOP\nexpect 2500\n", 4, "expect wants a reply code"),
        ("title: t\n## a\nNOOP\nexpect stage lunch\n", 4, "expect stage wants one of"),
        ("title: t\n## a\nNOOP\nexpect 250\nRSET\n", 5, "ends without an expect line"),
        ("title: t\n## a\nDATA\nexpect 354\nSubject: x\n", 3, "never ends"),
        ("title: t\n## a\n/connect {lmtp}\nexpect 220\n", 3, "needs 'server: --lmtp'"),
    ],
)
def test_malformed_lessons_name_the_line(text, line, message):
    with pytest.raises(LessonError) as caught:
        parse_lesson(text, "bad.lesson")
    assert caught.value.line == line
    assert message in caught.value.message
    where = f"bad.lesson:{line}" if line is not None else "bad.lesson"
    assert str(caught.value).startswith(where + ": ")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("--lmtp --no-pipelining", ServerSetup(lmtp=True, pipelining=False)),
        (
            "--user alice:won:der --user bob:x",
            ServerSetup(users=(("alice", "won:der"), ("bob", "x"))),
        ),
        ("--delay MAIL=1.5 --drop-on=EOM", ServerSetup(delay=(("MAIL", 1.5),), drop_on="EOM")),
        ("--size 1000 --slow-greeting 2", ServerSetup(size=1000, slow_greeting=2.0)),
        ("--reject-rcpt '@a b$'", ServerSetup(reject_rcpt="@a b$")),
    ],
)
def test_server_options_use_the_serve_spelling(options, expected):
    assert parse_server_options(options) == expected


def test_server_setup_describes_what_differs():
    setup = parse_server_options("--reject-rcpt x --reject-code 450 --reply-421-on DATA --lmtp")
    assert setup.describe() == [
        "LMTP on a Unix socket",
        "recipients matching /x/ get 450",
        "421 and hang up on DATA",
    ]
    assert ServerSetup().describe() == []
