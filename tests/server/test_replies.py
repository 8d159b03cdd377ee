"""Enhanced status codes: the pure rewriting table (RFC 2034, RFC 3463)."""

from __future__ import annotations

import pytest

from smtpshell.server.replies import with_enhanced_code


@pytest.mark.parametrize(
    ("line", "verb", "expected"),
    [
        ("250 OK", "MAIL", "250 2.1.0 OK"),
        ("250 OK", "RCPT", "250 2.1.5 OK"),
        ("250 OK", "NOOP", "250 2.0.0 OK"),
        ("221 Bye", "QUIT", "221 2.0.0 Bye"),
        ("220 Ready to start TLS", "STARTTLS", "220 2.0.0 Ready to start TLS"),
        ("500 Error: command not recognized", None, "500 5.5.2 Error: command not recognized"),
        ("503 Error: need RCPT command", "DATA", "503 5.5.1 Error: need RCPT command"),
        ("552 Error: Too much mail data", "DATA", "552 5.3.4 Error: Too much mail data"),
        ("214-Commands: HELO", "HELP", "214-2.0.0 Commands: HELO"),
        ("250", "NOOP", "250 2.0.0"),
        ("599 odd", None, "599 5.0.0 odd"),
    ],
)
def test_adds_a_code_chosen_by_command_and_reply(
    line: str, verb: str | None, expected: str
) -> None:
    assert with_enhanced_code(line, verb) == expected


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("535 5.7.8 Authentication credentials invalid", "AUTH"),  # already has one
        ("354 End data with <CR><LF>.<CR><LF>", "DATA"),  # 3xx: never
        ("334 VXNlcm5hbWU6", "AUTH"),
        ("250-SIZE 1000", "EHLO"),  # EHLO/HELO/LHLO answers are exempt (RFC 2034 s3)
        ("250 localhost", "HELO"),
        ("250 HELP", "LHLO"),
        ("not a reply", None),
    ],
)
def test_leaves_exempt_lines_alone(line: str, verb: str | None) -> None:
    assert with_enhanced_code(line, verb) == line


def test_errors_to_ehlo_still_get_a_code() -> None:
    line = with_enhanced_code("501 Syntax: EHLO hostname", "EHLO")
    assert line == "501 5.5.4 Syntax: EHLO hostname"
