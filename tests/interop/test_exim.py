"""smtpshell against a real Exim 4 (heavy): STARTTLS, AUTH, PIPELINING, CHUNKING, SMTPUTF8,
DSN, 10 MB, VRFY/EXPN, and the probe and script runner from the command line.

Exim relays mail for ``interop.test`` to a practice server (the sink), so every test can
check what was delivered, not only what Exim answered.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

import smtpshell
from smtpshell import client as client_module

from .exim import ALIASES, MAILBOXES, PASSWORD, REJECTED, USER, Exim
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

#: What this Exim config advertises on every EHLO (before TLS, STARTTLS too).
EXIM_FEATURES = {
    "size",
    "8bitmime",
    "dsn",
    "vrfy",
    "expn",
    "pipelining",
    "auth",
    "chunking",
    "smtputf8",
    "help",
}
#: Every mechanism this Exim offers; the AUTH test covers each with a good and a bad password.
EXIM_MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5"]


def connect(exim: Exim, **options: bool) -> smtpshell.SMTP:
    return smtpshell.SMTP(exim.host, exim.port, local_hostname=CLIENT_NAME, timeout=30, **options)


def delivered(exim: Exim, subject: str, timeout: float = 30.0):
    return delivered_by(exim, exim.sink, by_subject(subject), timeout)


# -- EHLO and STARTTLS ----------------------------------------------------------------------


def test_ehlo_then_starttls_with_the_test_ca(exim: Exim) -> None:
    with connect(exim) as client:
        code, _ = client.ehlo()
        assert code == 250
        before = set(client.esmtp_features)
        assert EXIM_FEATURES | {"starttls"} <= before
        assert client.esmtp_features["size"] == str(40 * 1024 * 1024)
        assert client.starttls(context=exim.client_context())[0] == 220
        info = client.tls_info()
        assert info is not None and info["verified"] and info["hostname_checked"]
        assert client.esmtp_features == {}  # RFC 3207 §4.2: forget the clear-text EHLO
        client.ehlo()
        assert set(client.esmtp_features) == before - {"starttls"}
        subject = tag()
        assert client.sendmail(SENDER, ALICE, message(subject)) == {}
    received = delivered(exim, subject)
    assert b"with esmtps" in received.data  # Exim's Received: the message came over TLS
    assert body_of(received) == TRICKY_BODY


def test_starttls_refuses_a_certificate_nobody_vouches_for(exim: Exim) -> None:
    with connect(exim) as client:
        with pytest.raises(smtpshell.SMTPCertificateError):
            client.starttls()  # the system CAs do not vouch for the test CA
        assert client.sock is None


# -- AUTH -----------------------------------------------------------------------------------


def test_exim_offers_exactly_the_mechanisms_tested(exim: Exim) -> None:
    with connect(exim) as client:
        client.starttls(context=exim.client_context())
        client.ehlo()
        assert client.esmtp_features["auth"].split() == EXIM_MECHANISMS


@pytest.mark.parametrize("mechanism", EXIM_MECHANISMS)
def test_auth_good_and_bad_password(exim: Exim, mechanism: str) -> None:
    with connect(exim) as client:
        client.starttls(context=exim.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(USER, PASSWORD + "x", mechanisms=[mechanism])
        assert refused.value.smtp_code == 535
        assert client.noop()[0] == 250  # a refused AUTH leaves the session usable
        assert client.login(USER, PASSWORD, mechanisms=[mechanism])[0] == 235
        secret = [e for e in client.transcript.events() if e.secret]
        assert secret, "the AUTH lines must be tagged secret where they are born"
        subject = tag()
        assert client.sendmail(SENDER, ALICE, message(subject)) == {}
    delivered(exim, subject)


# -- sendmail -------------------------------------------------------------------------------


def test_sendmail_to_one_recipient(exim: Exim) -> None:
    subject = tag()
    with connect(exim) as client:
        assert client.sendmail(SENDER, BOB, message(subject, to=BOB)) == {}
    received = delivered(exim, subject)
    assert received.rcpt_tos == [BOB] and body_of(received) == TRICKY_BODY


@pytest.mark.parametrize("pipelining", [False, True], ids=["lockstep", "pipelined"])
def test_sendmail_to_three_with_one_refused(exim: Exim, pipelining: bool) -> None:
    subject = tag()
    with connect(exim, pipelining=pipelining) as client:
        refused = client.sendmail(SENDER, [ALICE, REJECTED, CAROL], message(subject))
        if pipelining:
            assert sent_verbs(client, pipelined=True) == ["MAIL", "RCPT", "RCPT", "RCPT", "DATA"]
        assert client.noop()[0] == 250  # still in step
    assert list(refused) == [REJECTED]
    code, text = refused[REJECTED]
    assert code == 550 and text.startswith(b"5.1.1 ") and b"mailbox unknown" in text
    received = delivered(exim, subject)
    assert sorted(received.rcpt_tos) == [ALICE, CAROL]
    assert body_of(received) == TRICKY_BODY


def test_every_recipient_refused_with_pipelining_and_chunking(exim: Exim) -> None:
    with connect(exim, pipelining=True, chunking=True) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            client.sendmail(SENDER, [REJECTED], message(tag()))
        assert caught.value.recipients[REJECTED][0] == 550
        assert client.noop()[0] == 250  # the reply to the pipelined BDAT was read too
        subject = tag()
        assert client.sendmail(SENDER, ALICE, message(subject)) == {}
    delivered(exim, subject)


# -- CHUNKING, SMTPUTF8, DSN, size ----------------------------------------------------------


@pytest.mark.parametrize("pipelining", [False, True], ids=["chunking", "chunking+pipelining"])
def test_chunking_in_many_chunks(
    exim: Exim, monkeypatch: pytest.MonkeyPatch, pipelining: bool
) -> None:
    monkeypatch.setattr(client_module, "BDAT_CHUNK_SIZE", 1000)
    body = dotted_lines(80)
    subject = tag()
    with connect(exim, chunking=True, pipelining=pipelining) as client:
        assert client.sendmail(SENDER, ALICE, message(subject, body)) == {}
        chunks = [e.data for e in client.transcript.events() if e.data.startswith(b"BDAT ")]
        assert client.noop()[0] == 250
    assert len(chunks) > 5 and chunks[-1].split(b"\r\n", 1)[0].endswith(b" LAST")
    assert body_of(delivered(exim, subject)) == body


def test_smtputf8_address_and_header(exim: Exim) -> None:
    assert "zoë" in MAILBOXES
    subject = f"grüße {tag()}"
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = f"zoë@{DOMAIN}"
    mail["Subject"] = subject
    mail.set_content("Grüße aus dem Test.\n")
    with connect(exim) as client:
        assert client.send_message(mail) == {}
    received = delivered(exim, subject)
    assert received.rcpt_tos == [f"zoë@{DOMAIN}"]
    assert "SMTPUTF8" in [option.upper() for option in received.mail_options]


def test_dsn_parameters_reach_the_next_hop(exim: Exim) -> None:
    subject = tag()
    with connect(exim, pipelining=True) as client:
        refused = client.sendmail(
            SENDER,
            [ALICE, BOB],
            message(subject),
            smtpshell.dsn_mail_options(ret="hdrs", envid=f"{subject}+1"),
            smtpshell.dsn_rcpt_options(notify=["failure", "delay"], orcpt=f"o@{DOMAIN}"),
        )
    assert refused == {}
    received = delivered(exim, subject)
    assert f"ENVID={subject}+2B1" in received.mail_options
    assert "RET=HDRS" in received.mail_options
    assert "NOTIFY=FAILURE,DELAY" in received.options_for(ALICE)
    assert f"ORCPT=rfc822;o@{DOMAIN}" in received.options_for(ALICE)


@pytest.mark.parametrize("chunking", [False, True], ids=["data", "bdat"])
def test_a_ten_megabyte_message(exim: Exim, chunking: bool) -> None:
    body = big_body()
    assert len(body) >= TEN_MB
    subject = tag()
    with connect(exim, chunking=chunking, pipelining=True) as client:
        assert client.sendmail(SENDER, ALICE, message(subject, body)) == {}
    assert body_of(delivered(exim, subject, timeout=60)) == body


def test_size_limit_refused_before_a_byte_of_data(exim: Exim) -> None:
    too_big = b"x" * 100 + b"\r\n"
    with connect(exim) as client:
        client.ehlo()
        limit = int(client.esmtp_features["size"])
        with pytest.raises(smtplib.SMTPSenderRefused, match="SIZE"):
            client.sendmail(SENDER, ALICE, too_big * (limit // len(too_big) + 1))
        assert client.session.mail_from is None
        assert client.noop()[0] == 250


# -- VRFY and EXPN ---------------------------------------------------------------------------


def test_vrfy_and_expn(exim: Exim) -> None:
    with connect(exim) as client:
        code, text = client.verify(ALICE)
        assert code == 250 and f"<{ALICE}>".encode() in text
        assert client.verify(f"nosuch@{DOMAIN}")[0] == 550
        code, text = client.expn(f"staff@{DOMAIN}")
        assert code == 250
        assert text.split(b"\n") == [f"<{m}@{DOMAIN}>".encode() for m in ALIASES["staff"]]


def test_stdlib_and_smtpshell_agree_on_vrfy_expn(exim: Exim) -> None:
    def session(client: smtplib.SMTP) -> list[object]:
        with client:
            return [
                client.ehlo()[0],
                client.verify(ALICE),
                client.verify(f"nosuch@{DOMAIN}"),
                client.expn(f"staff@{DOMAIN}"),
                client.noop(),
            ]

    stdlib = session(smtplib.SMTP(exim.host, exim.port, CLIENT_NAME, timeout=30))
    ours = session(connect(exim))
    assert ours == stdlib


# -- the command line: probe --json and a run script ----------------------------------------


def test_probe_json(exim: Exim) -> None:
    report = probe_json("--ca-file", str(exim.ca_file()), f"{exim.host}:{exim.port}")
    assert report["_exit"] == 0 and report["ok"] and report["error"] is None
    assert report["banner"]["code"] == 220 and "Exim 4" in report["banner"]["text"]
    assert report["starttls"]["code"] == 220
    assert report["tls"]["verification"] == "verified"
    upper = {k.upper() for k in EXIM_FEATURES}
    assert upper | {"STARTTLS"} <= keywords(report["capabilities_before_tls"])
    assert upper <= keywords(report["capabilities_after_tls"])
    assert report["auth_after_tls"] == EXIM_MECHANISMS
    assert report["size"]["limit"] == 40 * 1024 * 1024


def test_probe_json_when_the_certificate_does_not_verify(exim: Exim) -> None:
    """No --ca-file: verification fails, and the probe retries without it (a finding)."""
    report = probe_json(f"{exim.host}:{exim.port}")
    assert report["_exit"] == 1 and not report["ok"]
    assert report["tls"]["verification"] == "failed"
    assert report["starttls_offered"] is True
    assert report["starttls"]["code"] == 220
    assert report["size"]["limit"] == 40 * 1024 * 1024


RUN_SCRIPT = """\
/ehlo client.interop.test
expect 250
expect feature CHUNKING
/starttls
expect 220
expect tls
/auth PLAIN {user} $SMTP_PASSWORD
expect 235
expect authenticated {user}
MAIL FROM:<{sender}>
expect 250
RCPT TO:<{rejected}>
expect 550 5.1.1 mailbox unknown
RCPT TO:<{alice}>
expect 250
DATA
expect 354
Subject: {subject}

hello from a script
.a stuffed line (the shell stuffs it)
.
expect 250
VRFY {alice}
expect 250
QUIT
expect 221
"""


def test_run_script(exim: Exim, tmp_path) -> None:
    subject = tag()
    script = tmp_path / "exim.smtpsh"
    script.write_text(
        RUN_SCRIPT.format(
            user=USER,
            sender=SENDER,
            rejected=REJECTED,
            alice=ALICE,
            subject=subject,
        )
    )
    result = cli(
        "run",
        str(script),
        f"{exim.host}:{exim.port}",
        ca_file=exim.ca_file(),
        env={"SMTP_PASSWORD": PASSWORD},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    received = delivered(exim, subject)
    assert received.rcpt_tos == [ALICE]
    assert body_of(received) == b"hello from a script\r\n.a stuffed line (the shell stuffs it)\r\n"


def test_run_script_fails_on_a_wrong_expectation(exim: Exim, tmp_path) -> None:
    script = tmp_path / "wrong.smtpsh"
    script.write_text(f"/ehlo x.{DOMAIN}\nVRFY nosuch@{DOMAIN}\nexpect 250\n")
    result = cli("run", str(script), f"{exim.host}:{exim.port}")
    assert result.returncode == 1
    assert "expected 250, got 550" in result.stdout + result.stderr
