"""Differential tests: the same calls through stdlib smtplib and smtpshell, compared.

Each scenario runs twice against a fresh deterministic server, once per module.  The bytes
that reached the server and the calls' results (return values, or exception type and
arguments) must be identical.  These are the "well-behaved server, well-formed input" cases
where smtpshell promises to be indistinguishable from smtplib.
"""

from __future__ import annotations

import contextlib
import io
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest

import smtpshell
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script

Scenario = Callable[[Any, int, dict], list]
HOST = "127.0.0.1"
NAME = "client.example"


def outcome(call: Callable[[], Any]) -> Any:
    """A call's result in comparable form: its value, or its exception's type and args."""
    try:
        return ("ok", call())
    except smtplib.SMTPException as exc:
        # Compare against the stdlib class the exception is (or derives from).
        stdlib_type = next(t for t in type(exc).__mro__ if t.__module__ == "smtplib")
        return ("raised", stdlib_type.__name__, exc.args)


def run_both(
    scenario: Scenario, behaviour_factory: Callable[[], SmtpBehaviour], **extra: Any
) -> None:
    results, wires, messages = [], [], []
    for module in (smtplib, smtpshell):
        behaviour = behaviour_factory()
        with ScriptedServer(smtp_script(behaviour)) as server:
            results.append(scenario(module, server.port, extra))
        assert server.finished.is_set()
        wires.append(server.wire)
        messages.append(behaviour.messages)
    assert wires[1] == wires[0]
    assert results[1] == results[0]
    assert messages[1] == messages[0]


def basic_session(m, port, extra):
    s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
    out = [outcome(s.ehlo), s.esmtp_features, s.does_esmtp, s.ehlo_resp]
    out += [outcome(s.noop), outcome(lambda: s.verify("alice")), outcome(lambda: s.vrfy("a@b.c"))]
    out += [outcome(lambda: s.expn("staff")), outcome(s.help), outcome(lambda: s.help("MAIL"))]
    out += [outcome(s.rset), outcome(lambda: s.docmd("XYZZY", "magic"))]
    out += [s.has_extn("size"), s.has_extn("SMTPUTF8"), s.has_extn("pipelining")]
    out.append(outcome(s.quit))
    return out


def test_basic_session():
    run_both(basic_session, SmtpBehaviour)


def helo_fallback(m, port, extra):
    s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
    out = [outcome(lambda: s.sendmail("a@x.example", ["b@y.example"], "Subject: x\n\nhi\n"))]
    out += [s.helo_resp, s.ehlo_resp, s.does_esmtp, s.esmtp_features]
    out.append(outcome(s.quit))
    return out


def test_helo_fallback_when_ehlo_is_refused():
    run_both(helo_fallback, lambda: SmtpBehaviour(ehlo_supported=False))


MESSAGE = "From: a@x.example\nSubject: dots\n\n.leading dot\n..two\nbare\rCR\r\nend"
# Bytes are compared only when already CRLF-clean: smtpshell normalises stray CR/LF in bytes
# where smtplib sends them raw (tested in test_hardening.py).
WELL_FORMED_BYTES = b"Subject: b\r\n\r\n.dot\r\nline\r\n"


def sendmail_variants(m, port, extra):
    s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
    out = [
        outcome(lambda: s.sendmail("a@x.example", ["b@y.example", "nobody@y.example"], MESSAGE)),
        outcome(lambda: s.sendmail("a@x.example", "b@y.example", WELL_FORMED_BYTES)),
        outcome(
            lambda: s.sendmail(
                "Alice <a@x.example>",
                ["<b@y.example>"],
                b"x\r\n",
                ["BODY=8BITMIME"],
                ["NOTIFY=NEVER"],
            )
        ),
        outcome(lambda: s.sendmail("a@x.example", ["nobody@y.example"], "x")),
        outcome(lambda: s.sendmail("spammer@x.example", ["b@y.example"], "x")),
        outcome(lambda: s.sendmail("", ["b@y.example"], "bounce\r\n")),
        outcome(lambda: s.sendmail("a@x.example", ["b@y.example"], b"")),
    ]
    out.append(outcome(s.quit))
    return out


def test_sendmail_variants():
    run_both(
        sendmail_variants,
        lambda: SmtpBehaviour(
            reject_rcpt={"nobody@y.example"}, reject_sender={"spammer@x.example"}
        ),
    )


def data_rejected(m, port, extra):
    s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
    out = [outcome(lambda: s.sendmail("a@x.example", ["b@y.example"], "x"))]
    out.append(outcome(s.noop))
    out.append(outcome(s.quit))
    return out


def test_data_rejected():
    run_both(data_rejected, lambda: SmtpBehaviour(reject_data=True))


def manual_transaction(m, port, extra):
    s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
    out = [outcome(s.ehlo_or_helo_if_needed)]
    out.append(outcome(lambda: s.mail("a@x.example", ["SIZE=100", "BODY=8BITMIME"])))
    out.append(outcome(lambda: s.rcpt("b@y.example", ["NOTIFY=SUCCESS,FAILURE"])))
    out.append(outcome(lambda: s.data(".starts with a dot\n.\nend\n")))
    out.append(outcome(lambda: s.mail("a@x.example")))
    out.append(outcome(lambda: s.rcpt("b@y.example")))
    out.append(outcome(lambda: s.data(b"bytes\r\n.dot\r\n")))
    s.putcmd("NOOP")
    out.append(outcome(s.getreply))
    s.send("NOOP\r\n")
    out.append(outcome(s.getreply))
    out.append(outcome(s.quit))
    return out


def test_manual_transaction():
    run_both(manual_transaction, SmtpBehaviour)


def context_manager(m, port, extra):
    with m.SMTP(HOST, port, local_hostname=NAME, timeout=5) as s:
        result = outcome(s.noop)
    return [result, s.sock is None]


def test_context_manager_quits():
    run_both(context_manager, SmtpBehaviour)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
@pytest.mark.parametrize("initial_response_ok", [True, False])
@pytest.mark.parametrize("password", ["wonderland", "wrong"])
def test_login(mechanism, initial_response_ok, password):
    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        out = [outcome(lambda: s.login("alice", password, initial_response_ok=initial_response_ok))]
        out.append(outcome(s.quit))
        return out

    run_both(scenario, lambda: SmtpBehaviour(auth=(mechanism,)))


def test_login_prefers_cram_md5():
    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        return [outcome(lambda: s.login("alice", "wonderland")), outcome(s.quit)]

    run_both(scenario, lambda: SmtpBehaviour(auth=("LOGIN", "PLAIN", "CRAM-MD5")))


def test_auth_with_custom_authobject():
    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        s.ehlo()
        s.user, s.password = "alice", "wonderland"
        out = [outcome(lambda: s.auth("plain", s.auth_plain))]
        out.append(outcome(s.quit))
        return out

    run_both(scenario, lambda: SmtpBehaviour(auth=("PLAIN",)))


def test_send_message_headers_and_bcc():
    msg = EmailMessage()
    msg["From"] = "Alice <a@x.example>"
    msg["To"] = "Bob <b@y.example>, c@y.example"
    msg["Cc"] = "d@y.example"
    msg["Bcc"] = "secret@y.example"
    msg["Subject"] = "hello"
    msg.set_content("Hello\n.dot line\n")

    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        return [outcome(lambda: s.send_message(msg)), outcome(s.quit)]

    run_both(scenario, SmtpBehaviour)


def test_send_message_resent_block():
    msg = EmailMessage()
    msg["From"] = "a@x.example"
    msg["To"] = "b@y.example"
    msg["Resent-Date"] = "Mon, 1 Jan 2024 00:00:00 +0000"
    msg["Resent-From"] = "r@x.example"
    msg["Resent-To"] = "rt@y.example"
    msg["Resent-Bcc"] = "rb@y.example"
    msg.set_content("resent\n")

    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        return [outcome(lambda: s.send_message(msg)), outcome(s.quit)]

    run_both(scenario, SmtpBehaviour)


def test_send_message_international():
    msg = EmailMessage()
    msg["From"] = "José <josé@exämple.org>"
    msg["To"] = "zoë@exämple.org"
    msg["Subject"] = "héllo"
    msg.set_content("Grüße\n")

    def scenario(m, port, extra):
        s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
        return [outcome(lambda: s.send_message(msg)), outcome(s.quit)]

    run_both(scenario, SmtpBehaviour)


def test_starttls(server_tls, ca):
    def scenario(m, port, extra):
        context = ssl.create_default_context()
        ca.configure_trust(context)
        s = m.SMTP("localhost", port, local_hostname=NAME, timeout=5)
        out = [outcome(s.ehlo), outcome(lambda: s.starttls(context=context))]
        out += [s.esmtp_features, s.does_esmtp, s.ehlo_resp, s.helo_resp]
        out += [outcome(s.ehlo), s.has_extn("starttls"), outcome(s.quit)]
        return out

    run_both(scenario, lambda: SmtpBehaviour(tls_context=server_tls))


def test_smtp_ssl(server_tls, ca):
    def implicit_tls_script(peer):
        peer.starttls(server_tls)
        smtp_script(SmtpBehaviour())(peer)

    results, wires = [], []
    for m in (smtplib, smtpshell):
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with ScriptedServer(implicit_tls_script) as server:
            s = m.SMTP_SSL(
                "localhost", server.port, local_hostname=NAME, timeout=5, context=context
            )
            results.append([outcome(s.ehlo), outcome(s.noop), outcome(s.quit)])
        wires.append(server.wire)
    assert wires[1] == wires[0]
    assert results[1] == results[0]


def test_lmtp_over_tcp_single_recipient():
    def scenario(m, port, extra):
        s = m.LMTP(HOST, port, local_hostname=NAME, timeout=5)
        out = [outcome(lambda: s.sendmail("a@x.example", ["b@y.example"], "hi\n"))]
        out += [s.esmtp_features, outcome(s.quit)]
        return out

    run_both(scenario, lambda: SmtpBehaviour(lmtp=True))


def test_debug_output_matches_smtplib():
    def scenario(m, port, extra):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            s = m.SMTP(local_hostname=NAME, timeout=5)
            s.set_debuglevel(1)
            s.connect(HOST, port)
            s.sendmail("a@x.example", ["b@y.example"], "Subject: x\n\nbody\n")
            s.quit()
        return [err.getvalue().replace(str(port), "PORT")]

    run_both(scenario, SmtpBehaviour)


def test_debug_level_2_adds_timestamps():
    def scenario(m, port, extra):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            s = m.SMTP(HOST, port, local_hostname=NAME, timeout=5)
            s.set_debuglevel(2)
            s.noop()
            s.quit()
        return [re.sub(r"^\d\d:\d\d:\d\d\.\d+ ", "TIME ", err.getvalue(), flags=re.M)]

    run_both(scenario, SmtpBehaviour)


def test_module_surface_matches_smtplib():
    for name in smtplib.__all__:
        assert hasattr(smtpshell, name), name
    for name in ("SMTP_PORT", "SMTP_SSL_PORT", "LMTP_PORT", "CRLF", "bCRLF"):
        assert getattr(smtpshell, name) == getattr(smtplib, name)
    for name in (
        "SMTPException",
        "SMTPServerDisconnected",
        "SMTPResponseException",
        "SMTPSenderRefused",
        "SMTPRecipientsRefused",
        "SMTPDataError",
        "SMTPConnectError",
        "SMTPHeloError",
        "SMTPAuthenticationError",
        "SMTPNotSupportedError",
    ):
        assert getattr(smtpshell, name) is getattr(smtplib, name)
    for method in (
        "set_debuglevel",
        "connect",
        "send",
        "putcmd",
        "getreply",
        "docmd",
        "helo",
        "ehlo",
        "has_extn",
        "help",
        "rset",
        "noop",
        "mail",
        "rcpt",
        "data",
        "verify",
        "vrfy",
        "expn",
        "ehlo_or_helo_if_needed",
        "auth",
        "auth_cram_md5",
        "auth_plain",
        "auth_login",
        "login",
        "starttls",
        "sendmail",
        "send_message",
        "close",
        "quit",
    ):
        assert callable(getattr(smtpshell.SMTP, method)), method


@pytest.mark.parametrize(
    "value",
    [
        "a@b.c",
        "<a@b.c>",
        "Alice <a@b.c>",
        '"Doe, J" <j@x.y>',
        "",
        "<>",
        "first.last@sub.example.org",
    ],
)
def test_quoteaddr_and_quotedata_are_smtplibs(value):
    assert smtpshell.quoteaddr(value) == smtplib.quoteaddr(value)
    text = ".a\nb\r.c\r\n..d"
    assert smtpshell.quotedata(text) == smtplib.quotedata(text)
