"""smtpshell against a real Dovecot: LMTP (per-recipient replies, quota, BDAT) and submission
(STARTTLS, SASL with SCRAM-SHA-256, OAUTHBEARER and XOAUTH2 through a local token endpoint,
relaying to a practice-server sink), plus the probe and the script runner.

Dovecot 2.3's submission service advertises neither SMTPUTF8 nor DSN, and its LMTP neither
SIZE nor DSN; the tests assert that, and what smtpshell does about it, instead of skipping.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

import smtpshell
from smtpshell import client as client_module

from .dovecot import FULL, PASSWORD, TOKEN, UNKNOWN, USER, Dovecot
from .helpers import (
    ALICE,
    BOB,
    CAROL,
    CLIENT_NAME,
    DOMAIN,
    SENDER,
    TEN_MB,
    TRICKY_BODY,
    big_body,
    body_of,
    by_subject,
    cli,
    delivered_by,
    dotted_lines,
    keywords,
    message,
    probe_json,
    sent_verbs,
    tag,
)

SUBMISSION_FEATURES = {"8bitmime", "auth", "burl", "chunking", "enhancedstatuscodes", "size"}
SUBMISSION_FEATURES |= {"pipelining"}
LMTP_FEATURES = {"8bitmime", "chunking", "enhancedstatuscodes", "pipelining"}
PASSWORD_MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]
TOKEN_MECHANISMS = ["OAUTHBEARER", "XOAUTH2"]
#: Over full@'s 1 KiB quota: Dovecot refuses it for that recipient only, after the data.
OVER_QUOTA_BODY = b"".join(b"line %04d of a message too big for full@\r\n" % n for n in range(60))


def submission(dovecot: Dovecot, **options: bool) -> smtpshell.SMTP:
    return smtpshell.SMTP(
        dovecot.host, dovecot.submission_port, local_hostname=CLIENT_NAME, timeout=30, **options
    )


def lmtp(dovecot: Dovecot, **options: bool) -> smtpshell.LMTP:
    return smtpshell.LMTP(
        dovecot.host, dovecot.lmtp_port, local_hostname=CLIENT_NAME, timeout=30, **options
    )


def relayed(dovecot: Dovecot, subject: str, timeout: float = 30.0):
    return delivered_by(dovecot, dovecot.sink, by_subject(subject), timeout)


def logged_in(dovecot: Dovecot, **options: bool) -> smtpshell.SMTP:
    client = submission(dovecot, **options)
    client.starttls(context=dovecot.client_context())
    client.login(USER, PASSWORD, mechanisms=["SCRAM-SHA-256"])
    return client


def inbox_with(dovecot: Dovecot, user: str, subject: str) -> list[bytes]:
    """The messages in ``user``'s maildir whose Subject is ``subject``."""
    needle = f"Subject: {subject}\r\n".encode()
    found = [m for m in dovecot.maildir_messages(user) if needle in m.replace(b"\n", b"\r\n")]
    return [m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in found]


# == submission ==============================================================================


def test_submission_ehlo_then_starttls_with_the_test_ca(dovecot: Dovecot) -> None:
    with submission(dovecot) as client:
        assert client.ehlo()[0] == 250
        before = set(client.esmtp_features)
        assert SUBMISSION_FEATURES | {"starttls"} <= before
        assert not {"smtputf8", "dsn"} & before  # Dovecot 2.3 submission offers neither
        assert client.starttls(context=dovecot.client_context())[0] == 220
        info = client.tls_info()
        assert info is not None and info["verified"] and info["hostname_checked"]
        client.ehlo()
        assert set(client.esmtp_features) == before - {"starttls"}


def test_submission_offers_exactly_the_mechanisms_tested(dovecot: Dovecot) -> None:
    with submission(dovecot) as client:
        client.starttls(context=dovecot.client_context())
        client.ehlo()
        offered = client.esmtp_features["auth"].split()
    assert offered == PASSWORD_MECHANISMS + TOKEN_MECHANISMS


@pytest.mark.parametrize("mechanism", PASSWORD_MECHANISMS)
def test_password_mechanism_good_and_bad(dovecot: Dovecot, mechanism: str) -> None:
    with submission(dovecot) as client:
        client.starttls(context=dovecot.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(USER, "not " + PASSWORD, mechanisms=[mechanism])
        assert refused.value.smtp_code == 535
        assert client.noop()[0] == 250
        code, text = client.login(USER, PASSWORD, mechanisms=[mechanism])
        assert (code, text) == (235, b"2.7.0 Logged in.")
        assert client.session.authenticated_as == USER
        assert any(event.secret for event in client.transcript.events())


def test_scram_sha_256_proves_the_server_knows_the_password(dovecot: Dovecot) -> None:
    with submission(dovecot) as client:
        client.starttls(context=dovecot.client_context())
        client.ehlo()
        client.user, client.password = USER, PASSWORD
        authobject = client.scram_authobject("SCRAM-SHA-256")
        assert client.auth("SCRAM-SHA-256", authobject)[0] == 235
        assert authobject.verified  # Dovecot's server signature checked out (RFC 5802 §5)


@pytest.mark.parametrize("mechanism", TOKEN_MECHANISMS)
def test_token_mechanism_good_and_bad(dovecot: Dovecot, mechanism: str) -> None:
    bad = "expired-" + TOKEN
    with submission(dovecot) as client:
        client.starttls(context=dovecot.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login_oauth2(USER, bad, mechanism=mechanism)
        assert refused.value.smtp_code == 535
        assert client.noop()[0] == 250  # the OAUTHBEARER error dance left us in step
        assert client.login_oauth2(USER, TOKEN, mechanism=mechanism)[0] == 235
        assert client.session.authenticated_as == USER
    # Both tokens went to the endpoint: Dovecot asked it, it did not guess.
    assert {bad, TOKEN} <= set(dovecot.tokens.requests)


def test_submission_needs_auth(dovecot: Dovecot) -> None:
    with submission(dovecot) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail(SENDER, ALICE, message(tag()))
        assert refused.value.smtp_code == 530


def test_submission_sendmail_to_one_recipient(dovecot: Dovecot) -> None:
    subject = tag()
    with logged_in(dovecot) as client:
        assert client.sendmail(USER, BOB, message(subject, to=BOB)) == {}
    received = relayed(dovecot, subject)
    assert received.mail_from == USER and received.rcpt_tos == [BOB]
    assert body_of(received) == TRICKY_BODY
    # Dovecot tells the relay who authenticated (RFC 4954 §5); the sink accepts it.
    assert f"AUTH={USER}" in received.mail_options


@pytest.mark.parametrize("pipelining", [False, True], ids=["lockstep", "pipelined"])
def test_submission_sendmail_to_three_with_one_refused(dovecot: Dovecot, pipelining: bool) -> None:
    """Dovecot passes each RCPT on to the relay (the sink), which refuses nobody@."""
    subject = tag()
    with logged_in(dovecot, pipelining=pipelining) as client:
        refused = client.sendmail(USER, [ALICE, UNKNOWN, CAROL], message(subject))
        if pipelining:
            assert sent_verbs(client, pipelined=True) == ["MAIL", "RCPT", "RCPT", "RCPT", "DATA"]
        assert client.noop()[0] == 250
    assert list(refused) == [UNKNOWN] and refused[UNKNOWN][0] == 550
    received = relayed(dovecot, subject)
    assert received.rcpt_tos == [ALICE, CAROL] and body_of(received) == TRICKY_BODY


@pytest.mark.parametrize("pipelining", [False, True], ids=["chunking", "chunking+pipelining"])
def test_submission_chunking_in_many_chunks(
    dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, pipelining: bool
) -> None:
    monkeypatch.setattr(client_module, "BDAT_CHUNK_SIZE", 1000)
    body = dotted_lines(80)
    subject = tag()
    with logged_in(dovecot, chunking=True, pipelining=pipelining) as client:
        assert client.sendmail(USER, ALICE, message(subject, body)) == {}
        chunks = [e.data for e in client.transcript.events() if e.data.startswith(b"BDAT ")]
        assert client.noop()[0] == 250
    assert len(chunks) > 5
    assert body_of(relayed(dovecot, subject)) == body


@pytest.mark.parametrize("chunking", [False, True], ids=["data", "bdat"])
def test_submission_a_ten_megabyte_message(dovecot: Dovecot, chunking: bool) -> None:
    body = big_body()
    assert len(body) >= TEN_MB
    subject = tag()
    with logged_in(dovecot, chunking=chunking, pipelining=True) as client:
        assert client.sendmail(USER, ALICE, message(subject, body)) == {}
    assert body_of(relayed(dovecot, subject, timeout=60)) == body


def test_submission_without_smtputf8_refuses_a_non_ascii_address_locally(dovecot: Dovecot) -> None:
    mail = EmailMessage()
    mail["From"] = USER
    mail["To"] = f"zoë@{DOMAIN}"
    mail["Subject"] = tag()
    mail.set_content("hi\n")
    with logged_in(dovecot) as client:
        sent_before = len(client.transcript.events())
        with pytest.raises(smtpshell.SMTPNotSupportedError, match="SMTPUTF8"):
            client.send_message(mail)
        assert len(client.transcript.events()) == sent_before  # nothing reached the wire
        assert client.noop()[0] == 250


# == LMTP ====================================================================================


def test_lmtp_lhlo_and_starttls(dovecot: Dovecot) -> None:
    with lmtp(dovecot) as client:
        assert client.ehlo()[0] == 250
        sent = [e.data for e in client.transcript.events() if e.data[:4].upper() == b"LHLO"]
        assert [line.upper() for line in sent] == [f"LHLO {CLIENT_NAME}\r\n".upper().encode()]
        before = set(client.esmtp_features)
        assert LMTP_FEATURES | {"starttls"} <= before
        assert client.starttls(context=dovecot.client_context())[0] == 220
        client.ehlo()
        assert set(client.esmtp_features) == before - {"starttls"}
        subject = tag()
        assert client.sendmail(SENDER, ALICE, message(subject)) == {}
    (delivered,) = inbox_with(dovecot, "alice", subject)
    assert body_of(delivered) == TRICKY_BODY


@pytest.mark.parametrize(
    ("chunking", "pipelining"),
    [(False, False), (False, True), (True, False), (True, True)],
    ids=["data", "data+pipelining", "bdat", "bdat+pipelining"],
)
def test_lmtp_per_recipient_replies_with_a_quota_failure(
    dovecot: Dovecot, chunking: bool, pipelining: bool
) -> None:
    subject = tag()
    recipients = [ALICE, UNKNOWN, FULL, BOB]
    with lmtp(dovecot, chunking=chunking, pipelining=pipelining) as client:
        refused = client.sendmail(SENDER, recipients, message(subject, OVER_QUOTA_BODY))
        verbs = sent_verbs(client, pipelined=False) + sent_verbs(client, pipelined=True)
        assert ("BDAT" in verbs) == chunking and ("DATA" in verbs) != chunking
        replies = [(rcpt, code) for rcpt, code, _ in client.lmtp_replies]
        assert client.noop()[0] == 250  # every per-recipient reply was read
    assert replies == [(ALICE, 250), (FULL, 552), (BOB, 250)]  # RCPT order, accepted only
    assert refused[UNKNOWN][0] == 550 and refused[UNKNOWN][1].startswith(b"5.1.1 ")
    code, text = refused[FULL]
    assert code == 552 and text.startswith(b"5.2.2 ") and b"Quota exceeded" in text
    assert list(refused) == [UNKNOWN, FULL]
    for user in ("alice", "bob"):
        (delivered,) = inbox_with(dovecot, user, subject)
        assert body_of(delivered) == OVER_QUOTA_BODY
    assert inbox_with(dovecot, "full", subject) == []


def test_lmtp_every_delivery_failing_is_a_data_error(dovecot: Dovecot) -> None:
    with lmtp(dovecot, chunking=True) as client:
        with pytest.raises(smtplib.SMTPDataError) as failed:
            client.sendmail(SENDER, [FULL], message(tag(), OVER_QUOTA_BODY))
        assert failed.value.smtp_code == 552
        assert client.noop()[0] == 250
        subject = tag()
        assert client.sendmail(SENDER, CAROL, message(subject)) == {}
    assert len(inbox_with(dovecot, "carol", subject)) == 1


def test_lmtp_data_by_hand_returns_the_first_reply_and_keeps_all(dovecot: Dovecot) -> None:
    with lmtp(dovecot) as client:
        client.ehlo()
        assert client.mail(SENDER)[0] == 250
        for rcpt in (FULL, ALICE):
            assert client.rcpt(rcpt)[0] == 250
        code, _ = client.data(message(tag(), OVER_QUOTA_BODY))
        assert code == 552  # data() returns the first recipient's reply, as documented
        assert [c for _, c, _ in client.lmtp_replies] == [552, 250]
        assert client.noop()[0] == 250


# == the command line ========================================================================


def test_probe_json_submission(dovecot: Dovecot) -> None:
    report = probe_json("--ca-file", str(dovecot.ca_file()), f"127.0.0.1:{dovecot.submission_port}")
    assert report["_exit"] == 0 and report["ok"]
    assert report["greeting"]["command"] == "EHLO"
    assert report["tls"]["verification"] == "verified"
    assert report["auth_after_tls"] == PASSWORD_MECHANISMS + TOKEN_MECHANISMS
    assert report["size"]["limit"] == 40 * 1024 * 1024
    assert "STARTTLS" in keywords(report["capabilities_before_tls"])


def test_probe_lmtp_json(dovecot: Dovecot) -> None:
    report = probe_json(
        "--lmtp", "--ca-file", str(dovecot.ca_file()), f"127.0.0.1:{dovecot.lmtp_port}"
    )
    assert report["_exit"] == 0 and report["ok"], report["error"]
    assert report["greeting"]["command"] == "LHLO"
    assert {k.upper() for k in LMTP_FEATURES} <= keywords(report["capabilities_after_tls"])
    assert report["starttls"]["code"] == 220
    assert report["tls"]["verification"] == "verified"
    assert report["size"] is None  # Dovecot's LMTP does not advertise SIZE


def test_probe_lmtp_unix_socket(dovecot: Dovecot) -> None:
    """Dovecot's usual LMTP listener is a Unix socket (here in the instance's base_dir)."""
    path = str(dovecot.root / "run" / "lmtp")
    report = probe_json("--lmtp", "--no-starttls", path)
    assert report["_exit"] == 0 and report["ok"], report["error"]
    assert (report["target"], report["port"]) == (path, 0)
    assert report["greeting"]["command"] == "LHLO"
    assert {k.upper() for k in LMTP_FEATURES} <= keywords(report["capabilities_before_tls"])


def test_probe_lmtp_text(dovecot: Dovecot) -> None:
    result = cli("probe", "--lmtp", "--no-starttls", f"127.0.0.1:{dovecot.lmtp_port}")
    assert result.returncode == 0, result.stderr
    assert "LHLO" in result.stdout and "CHUNKING" in result.stdout


LMTP_SCRIPT = """\
/ehlo client.interop.test
expect 250
expect lmtp
expect feature CHUNKING
MAIL FROM:<{sender}>
expect 250
RCPT TO:<{full}>
expect 250
RCPT TO:<{alice}>
expect 250
DATA
expect 354
Subject: {subject}

{body}
.
{expectations}
QUIT
expect 221
"""


def lmtp_script(dovecot: Dovecot, tmp_path, expectations: str, subject: str):
    script = tmp_path / "lmtp.smtpsh"
    body = OVER_QUOTA_BODY.decode().replace("\r\n", "\n").rstrip("\n")
    script.write_text(
        LMTP_SCRIPT.format(
            sender=SENDER,
            full=FULL,
            alice=ALICE,
            subject=subject,
            body=body,
            expectations=expectations,
        )
    )
    return cli("run", "--lmtp", str(script), f"127.0.0.1:{dovecot.lmtp_port}")


def test_run_lmtp_expect_250_fails_when_the_first_recipient_failed(
    dovecot: Dovecot, tmp_path
) -> None:
    result = lmtp_script(dovecot, tmp_path, "expect 250", tag())
    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "got 552 5.2.2" in output and f"for {FULL} (recipient 1 of 2)" in output


def test_run_lmtp_expect_for_each_recipient(dovecot: Dovecot, tmp_path) -> None:
    subject = tag()
    expectations = f"expect for {FULL} 552 5.2.2 Quota exceeded\nexpect for {ALICE} 250 2.0.0"
    result = lmtp_script(dovecot, tmp_path, expectations, subject)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(inbox_with(dovecot, "alice", subject)) == 1


SUBMISSION_SCRIPT = """\
/ehlo client.interop.test
/starttls
expect 220
expect tls
/auth SCRAM-SHA-256 {user} $SMTP_PASSWORD
expect 235 2.7.0
expect authenticated {user}
/send {user} {bob} --subject {subject}
hello from a script
.
expect 250
QUIT
expect 221
"""


def test_run_script_against_submission(dovecot: Dovecot, tmp_path) -> None:
    subject = tag()
    script = tmp_path / "submission.smtpsh"
    script.write_text(SUBMISSION_SCRIPT.format(user=USER, bob=BOB, subject=subject))
    result = cli(
        "run",
        str(script),
        f"127.0.0.1:{dovecot.submission_port}",
        ca_file=dovecot.ca_file(),
        env={"SMTP_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    received = relayed(dovecot, subject)
    assert received.rcpt_tos == [BOB] and b"hello from a script" in received.data
