"""Numbers typed or received as non-ASCII digits ('²' passes str.isdigit(), int() fails)."""

from __future__ import annotations

import pytest

from smtpshell.repl.render import _code_of
from smtpshell.wiring import new_engine


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/explain ²", "nothing known about '²'"),
        ("/explain ٥٥٠", "nothing known about '٥٥٠'"),
        ("/history ²", "not a number: '²'"),
        ("/connect localhost:²", "not a port number: '²'"),
    ],
)
def test_non_ascii_digits_get_a_clear_error(line, message):
    with new_engine() as engine:
        result = engine.run_line(line)
    [text] = [item.text for item in result.items]
    assert text == message or text.startswith(message + ": give a reply code")


def test_a_reply_starting_with_superscript_digits_has_no_code():
    assert _code_of("²²² hello") is None
    assert _code_of("250 ok") == 250
