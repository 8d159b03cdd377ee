"""The practice server's bounds, against the real server with real clients.

Kept mail (by count and by bytes: 452 4.3.1 for new mail, nothing kept is dropped), failed
AUTH per connection (a growing delay, then 421 and close), connections at once (421 to
the one too many) and idle time (421).  The delays are made tiny or recorded, never
waited out or timed.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator

import pytest

from smtpshell import SMTP, SMTPDataError, SMTPSenderRefused
from smtpshell.practice import (
    OPTIONS,
    PracticeOptions,
    Scope,
    add_arguments,
    auth_failure_delay,
    options_from_namespace,
    parse_option_text,
)
from smtpshell.server import PracticeServer
from smtpshell.server import session as server_session
from tests.server.conftest import RawClient

WRONG_PLAIN = "AUTH PLAIN AGRlbW8Ad3Jvbmc="  # \0demo\0wrong


def message(size: int) -> bytes:
    head = b"Subject: bounds\r\n\r\n"
    return head + b"x" * (size - len(head))


@pytest.fixture
def small_server() -> Iterator[PracticeServer]:
    with PracticeServer(max_messages=2, max_stored_bytes=1000) as server:
        yield server


def send(server: PracticeServer, size: int) -> None:
    with SMTP(server.host, server.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], message(size))


def test_kept_messages_are_bounded_by_count_and_new_mail_gets_452(small_server) -> None:
    send(small_server, 100)
    send(small_server, 100)
    with pytest.raises(SMTPSenderRefused) as refused:
        send(small_server, 100)
    assert refused.value.smtp_code == 452
    assert refused.value.smtp_error.startswith(b"4.3.1 ")
    assert len(small_server.messages) == 2  # the kept ones stay: nothing is dropped


def test_kept_bytes_are_bounded_and_the_message_that_would_pass_them_gets_452(
    small_server,
) -> None:
    send(small_server, 600)
    with pytest.raises(SMTPDataError) as refused:
        send(small_server, 600)  # 1200 > 1000: refused after its data, at the end
    assert refused.value.smtp_code == 452 and refused.value.smtp_error.startswith(b"4.3.1 ")
    send(small_server, 300)  # 900 <= 1000 still fits
    assert [m.size for m in small_server.messages] == [602, 302]  # sendmail ends with CRLF


def test_the_serve_console_says_when_it_refuses_mail(capsys) -> None:
    """Both refusals (at MAIL when full, at the end of the data when the message would
    pass the bytes bound) print a line on the ``serve`` console, not only the client's 452."""
    from smtpshell.server.command import _print_refusal

    with PracticeServer(max_messages=2, max_stored_bytes=1000, on_refused=_print_refusal) as srv:
        send(srv, 600)
        with pytest.raises(SMTPDataError):
            send(srv, 600)  # 1200 > 1000 bytes: refused after its data
        send(srv, 300)
        with pytest.raises(SMTPSenderRefused):
            send(srv, 100)  # two messages kept already: refused at MAIL
    lines = [line for line in capsys.readouterr().out.splitlines() if "refused mail" in line]
    assert len(lines) == 2
    assert "from 127.0.0.1:" in lines[0] and "1000 bytes of messages kept already" in lines[0]
    assert "452 4.3.1" in lines[1] and "2 messages kept already" in lines[1]
    assert all("--max-messages" in line for line in lines)


def test_failed_auth_is_capped_per_connection_then_421_and_close() -> None:
    with PracticeServer(max_auth_failures=3, auth_failure_delay=0) as server:
        client = RawClient(server.host, server.port)
        try:
            client.greet()
            assert client.command(WRONG_PLAIN)[-1].startswith("535 5.7.8")
            assert client.command(WRONG_PLAIN)[-1].startswith("535 5.7.8")
            assert client.command(WRONG_PLAIN)[-1].startswith("421 4.7.0")
            assert client.at_eof()
        finally:
            client.close()
        # a new connection starts with a fresh count, and the right password still works
        with SMTP(server.host, server.port, timeout=10) as fresh:
            assert fresh.login("demo", "demo")[0] == 235


def test_each_failed_auth_after_the_first_waits_longer(monkeypatch) -> None:
    waited: list[float] = []

    async def record(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(server_session, "auth_sleep", record)
    with PracticeServer(max_auth_failures=5, auth_failure_delay=0.5) as server:
        client = RawClient(server.host, server.port)
        try:
            client.greet()
            for _ in range(4):
                assert client.command(WRONG_PLAIN)[-1].startswith("535")
            assert client.command(WRONG_PLAIN)[-1].startswith("421")
        finally:
            client.close()
    assert waited == [0.5, 1.0, 1.5]  # the first mistake costs nothing; the 5th is a 421


@pytest.mark.parametrize(
    ("base", "failures", "seconds"),
    [(0.2, 1, 0.0), (0.2, 2, 0.2), (0.2, 4, 0.6000000000000001), (0.0, 9, 0.0), (-1, 3, 0.0)],
)
def test_auth_failure_delay_table(base, failures, seconds) -> None:
    assert auth_failure_delay(base, failures) == seconds


def test_one_connection_too_many_gets_421_and_a_freed_place_is_given_again() -> None:
    with PracticeServer(max_connections=1) as server:
        first = RawClient(server.host, server.port)
        assert first.reply()[0].startswith("220 ")
        second = RawClient(server.host, server.port)
        try:
            assert second.reply()[0].startswith("421 4.3.2")
            assert second.at_eof()
        finally:
            second.close()
        assert server.open_connections == 1
        assert first.command("QUIT")[0].startswith("221")
        first.close()
        server.wait_for_connections(at_most=0)
        third = RawClient(server.host, server.port)
        try:
            assert third.reply()[0].startswith("220 ")
        finally:
            third.close()


def test_an_idle_client_is_told_421_and_closed() -> None:
    with PracticeServer(idle_timeout=0.05) as server:
        client = RawClient(server.host, server.port)
        try:
            assert client.reply()[0].startswith("220 ")
            assert client.reply()[0].startswith("421 4.4.2")
            assert client.at_eof()
        finally:
            client.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_messages": 0},
        {"max_stored_bytes": 0},
        {"max_auth_failures": 0},
        {"max_connections": 0},
        {"auth_failure_delay": -1},
        {"idle_timeout": -1},
    ],
)
def test_bounds_below_one_are_refused_before_anything_listens(kwargs) -> None:
    with pytest.raises(ValueError):
        PracticeServer(**kwargs)


# --------------------------------------------------------------------------- the table


def test_every_option_field_has_exactly_one_row() -> None:
    fields = [option.field for option in OPTIONS]
    assert sorted(fields) == sorted(PracticeOptions.__dataclass_fields__)


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smtpshell serve")
    add_arguments(parser)
    return parser


def test_serve_help_names_every_bound_with_its_default() -> None:
    text = " ".join(serve_parser().format_help().split())
    for flag, default in [
        ("--max-messages N", "1000"),
        ("--max-stored-bytes BYTES", "67108864"),
        ("--max-auth-failures N", "10"),
        ("--auth-failure-delay SECONDS", "0.2"),
        ("--max-connections N", "100"),
        ("--idle-timeout SECONDS", "300.0"),
    ]:
        assert flag in text
        assert f"(default {default})" in text.rsplit(flag, 1)[1].split(" --", 1)[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["--max-messages", "5", "--max-stored-bytes", "9000"],
        ["--max-auth-failures", "2", "--auth-failure-delay", "0", "--idle-timeout", "1.5"],
        ["--user", "alice:won:der", "--user", "bob:x", "--auth-require-tls"],
        ["--delay", "mail=1.5", "--drop-on", "eom", "--no-dsn", "--size", "1000"],
        ["--reject-rcpt", "@a b$", "--reject-code", "450", "--max-connections", "3"],
    ],
)
def test_serve_and_a_lesson_header_read_the_same_options_the_same_way(argv) -> None:
    from_serve = options_from_namespace(serve_parser().parse_args(argv))
    from_lesson = parse_option_text(shlex.join(argv))
    assert _lesson_view(from_serve) == _lesson_view(from_lesson)
    assert from_serve.port == 2525 and from_lesson.port == 0  # serve's own default


def _lesson_view(options: PracticeOptions) -> dict[str, object]:
    return {o.field: getattr(options, o.field) for o in OPTIONS if Scope.LESSON in o.scope}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-messages", "0"], "--max-messages must be at least 1"),
        (["--idle-timeout", "soon"], "--idle-timeout wants a number of seconds"),
        (["--delay", "MAIL"], "--delay wants CMD=SECONDS"),
        (["--reply-421-on", "LUNCH"], "unknown command 'LUNCH'"),
    ],
)
def test_serve_and_a_lesson_header_fail_with_the_same_message(argv, message) -> None:
    with pytest.raises(ValueError, match=message):
        options_from_namespace(serve_parser().parse_args(argv))
    with pytest.raises(ValueError, match=message):
        parse_option_text(shlex.join(argv))


def test_serve_only_options_are_not_lesson_options() -> None:
    with pytest.raises(ValueError, match="unknown server option '--maildir'"):
        parse_option_text("--maildir /tmp/x")
    assert parse_option_text("--lmtp").lmtp is True
