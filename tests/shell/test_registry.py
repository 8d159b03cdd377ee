"""The registry: one description per command, and parsing lines against it."""

from __future__ import annotations

import pytest

from smtpshell.shell.commands import CATEGORIES, REGISTRY
from smtpshell.shell.registry import UsageError, tokenize


def test_every_command_is_fully_described():
    names = set()
    for spec in REGISTRY:
        assert spec.summary and spec.help, spec.name
        assert spec.category in CATEGORIES, spec.name
        assert spec.usage.startswith("/" + spec.name)
        for name in (spec.name, *spec.aliases):
            assert name not in names
            names.add(name)
        for arg in spec.args:
            assert arg.help, (spec.name, arg.name)
        for opt in spec.options:
            assert opt.help and opt.name.startswith("--"), (spec.name, opt.name)


def test_the_issue_commands_exist():
    wanted = (
        "connect ehlo helo starttls login auth send verify expn rset noop quit close "
        "debuglevel features tls explain history export reveal raw help expect exit"
    )
    for name in wanted.split():
        assert REGISTRY.get(name) is not None, name
    assert REGISTRY.get("/save") is REGISTRY.get("export")


def test_options_anywhere_and_values():
    inv = REGISTRY.parse("/connect mail.example.com:587 --starttls --helo me.example")
    assert inv.arg("TARGET") == "mail.example.com:587"
    assert inv.opt("starttls") is True
    assert inv.opt("helo") == "me.example"


def test_repeated_arguments_and_options():
    inv = REGISTRY.parse("/send a@x b@y c@z --rcpt-option NOTIFY=NEVER --rcpt-option ORCPT=x")
    assert inv.arg("FROM") == "a@x"
    assert inv.arg("TO") == ["b@y", "c@z"]
    assert inv.opt("rcpt_option") == ["NOTIFY=NEVER", "ORCPT=x"]


def test_rest_argument_is_verbatim():
    inv = REGISTRY.parse("/raw --no-read MAIL FROM:<a@b>  \\n")
    assert inv.arg("TEXT") == "MAIL FROM:<a@b>  \\n"
    assert inv.opt("no_read") is True


def test_quotes_group_words():
    inv = REGISTRY.parse("/send a@x b@y --subject 'hello world'")
    assert inv.opt("subject") == "hello world"
    assert tokenize('a "b c" d') == [("a", 0, 1), ("b c", 2, 7), ("d", 8, 9)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/nosuch", "unknown command"),
        ("/login", "missing USER"),
        ("/verify a b", "too many"),
        ("/connect --bogus", "no option --bogus"),
        ("/export --format", "needs a value"),
        ("/export --format xml", "one of"),
        ("/reveal maybe", "one of"),
        ("/send a@x 'unterminated", "unterminated"),
    ],
)
def test_usage_errors_say_what_is_wrong(line, message):
    with pytest.raises(UsageError, match=message):
        REGISTRY.parse(line)
