"""The MAIL/RCPT parameters the server takes from aiosmtpd: BODY=BINARYMIME and DSN (pure)."""

from __future__ import annotations

import pytest

from smtpshell.protocol import dsn_mail_options, dsn_rcpt_options
from smtpshell.server.params import is_xtext, take_mail_params, take_rcpt_params


@pytest.mark.parametrize(
    ("params", "rest", "binarymime"),
    [
        (["SIZE=10", "RET=FULL", "ENVID=QQ314159"], ["SIZE=10"], False),
        (["ret=hdrs", "body=binarymime"], [], True),
        (["BODY=8BITMIME", "SMTPUTF8"], ["BODY=8BITMIME", "SMTPUTF8"], False),
        (["ENVID=a+2Bb"], [], False),
        (["ENVID=" + "x" * 100], [], False),
        (["AUTH=alice@interop.test", "SIZE=5"], ["SIZE=5"], False),  # RFC 4954 §5
        (["auth=<>"], [], False),
    ],
)
def test_mail_params_taken(params: list[str], rest: list[str], binarymime: bool) -> None:
    taken = take_mail_params(params, dsn=True, binarymime=True)
    assert (taken.error, taken.rest, taken.binarymime) == (None, rest, binarymime)


@pytest.mark.parametrize(
    "params",
    [
        ["RET=ALL"],
        ["RET"],
        ["ENVID="],
        ["ENVID=a+b"],  # a raw '+' is not xtext
        ["ENVID=a=b"],
        ["ENVID=" + "x" * 101],
        ["RET=FULL", "ret=HDRS"],
        ["AUTH="],
        ["AUTH=a b"],
        ["AUTH=<>", "AUTH=x@y"],
    ],
)
def test_bad_mail_params_get_501_5_5_4(params: list[str]) -> None:
    error = take_mail_params(params, dsn=True, binarymime=True).error
    assert error is not None and error.startswith("501 5.5.4 ")


def test_switched_off_extensions_leave_their_params_to_aiosmtpd() -> None:
    taken = take_mail_params(["RET=FULL", "BODY=BINARYMIME"], dsn=False, binarymime=False)
    assert taken.rest == ["RET=FULL", "BODY=BINARYMIME"] and not taken.binarymime
    assert take_rcpt_params(["NOTIFY=NEVER"], dsn=False).rest == ["NOTIFY=NEVER"]


@pytest.mark.parametrize(
    "params",
    [
        ["NOTIFY=NEVER"],
        ["notify=success,failure,delay"],
        ["NOTIFY=DELAY"],
        ["ORCPT=rfc822;bob@example.org"],
        ["ORCPT=rfc822;b+2Bo+3Db@example.org"],
        ["ORCPT=utf-8;zoë@exämple.org"],
    ],
)
def test_rcpt_params_taken(params: list[str]) -> None:
    assert take_rcpt_params(params, dsn=True).error is None


@pytest.mark.parametrize(
    "params",
    [
        ["NOTIFY="],
        ["NOTIFY=NEVER,FAILURE"],
        ["NOTIFY=FAILURES"],
        ["NOTIFY=SUCCESS,"],
        ["ORCPT=bob@example.org"],  # no addr-type
        ["ORCPT=;bob@example.org"],
        ["ORCPT=rfc822;"],
        ["ORCPT=rfc822;zoë@exämple.org"],  # raw UTF-8 only in utf-8 addresses
        ["ORCPT=rfc822;" + "x" * 500],
        ["NOTIFY=NEVER", "NOTIFY=NEVER"],
    ],
)
def test_bad_rcpt_params_get_501_5_5_4(params: list[str]) -> None:
    error = take_rcpt_params(params, dsn=True).error
    assert error is not None and error.startswith("501 5.5.4 ")


def test_what_the_client_helpers_build_is_accepted() -> None:
    """The client's dsn_*_options and the server's checks read the same RFC."""
    mail = dsn_mail_options(ret="hdrs", envid="QQ314159+x=y ü")
    rcpt = dsn_rcpt_options(notify=["failure", "delay"], orcpt="b+x@y.example")
    assert take_mail_params(mail, dsn=True, binarymime=False) == take_mail_params(
        [], dsn=True, binarymime=False
    )
    assert take_rcpt_params(rcpt, dsn=True).error is None


def test_xtext() -> None:
    assert is_xtext("abc+2B+3D~!")
    assert not is_xtext("") and not is_xtext("a b") and not is_xtext("+2b")
