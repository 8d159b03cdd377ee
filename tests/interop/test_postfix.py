"""smtpshell's client against a real Postfix: STARTTLS, PIPELINING, CHUNKING, SMTPUTF8, DSN.

Postfix is the first real MTA the client meets; every test checks both what Postfix
answered and what it delivered (to the practice server behind it, over LMTP), so a
message mangled on the way fails here even when every reply was 250.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from functools import partial

import pytest

import smtpshell
from smtpshell import client as client_module

from .conftest import DOMAIN, REFUSED_SENDER, REJECTED, Postfix
from .helpers import (
    CLIENT_NAME,
    SENDER,
    TRICKY_BODY,
    body_of,
    by_subject,
    cli,
    dotted_lines,
    keywords,
    probe_json,
    sent_verbs,
    tag,
)
from .helpers import message as message_to

#: This suite's messages are addressed to a@ (the helpers' default is alice@).
message = partial(message_to, to=f"a@{DOMAIN}")


def connect(postfix: Postfix, **options: bool) -> smtpshell.SMTP:
    return smtpshell.SMTP(
        postfix.host, postfix.port, local_hostname=CLIENT_NAME, timeout=20, **options
    )


# -- STARTTLS and EHLO ----------------------------------------------------------------------

EVERYWHERE = {"pipelining", "size", "enhancedstatuscodes", "8bitmime", "dsn", "smtputf8"}


def test_starttls_verifies_and_ehlo_changes(postfix: Postfix) -> None:
    with connect(postfix) as client:
        client.ehlo()
        before = set(client.esmtp_features)
        assert EVERYWHERE | {"chunking", "starttls"} <= before
        assert "binarymime" not in before  # Postfix does not do BINARYMIME
        code, _ = client.starttls(context=postfix.client_context())
        assert code == 220
        assert client.session.tls and client.session.tls_verified
        info = client.tls_info()
        assert info is not None and info["verified"] and info["hostname_checked"]
        assert client.esmtp_features == {}  # RFC 3207: forget what was said in clear text
        client.ehlo()
        after = set(client.esmtp_features)
        assert after == before - {"starttls"}
        subject = tag()
        assert client.sendmail(SENDER, f"a@{DOMAIN}", message(subject)) == {}
    received = postfix.delivered(by_subject(subject))
    assert b"with ESMTPS id" in received.data  # Postfix's Received: the message came over TLS
    assert body_of(received) == TRICKY_BODY


def test_pipelining_and_chunking_inside_starttls(postfix: Postfix) -> None:
    subject = tag()
    with connect(postfix, pipelining=True, chunking=True) as client:
        client.starttls(context=postfix.client_context())
        refused = client.sendmail(SENDER, [f"a@{DOMAIN}", REJECTED], message(subject))
        assert sent_verbs(client, pipelined=True) == ["MAIL", "RCPT", "RCPT", "BDAT"]
        assert client.noop()[0] == 250
    assert list(refused) == [REJECTED]
    received = postfix.delivered(by_subject(subject))
    assert b"with ESMTPS id" in received.data and body_of(received) == TRICKY_BODY


def test_starttls_refuses_a_certificate_nobody_vouches_for(postfix: Postfix) -> None:
    with connect(postfix) as client:
        with pytest.raises(smtpshell.SMTPCertificateError, match="unable to get local issuer"):
            client.starttls()  # the default context trusts the system CAs, not our test CA
        assert client.sock is None


# -- PIPELINING -----------------------------------------------------------------------------


def test_pipelined_batch_with_a_refused_recipient(postfix: Postfix) -> None:
    subject = tag()
    recipients = [f"a@{DOMAIN}", REJECTED, f"b@{DOMAIN}"]
    with connect(postfix, pipelining=True) as client:
        refused = client.sendmail(SENDER, recipients, message(subject))
        assert sent_verbs(client, pipelined=True) == ["MAIL", "RCPT", "RCPT", "RCPT", "DATA"]
        assert client.noop()[0] == 250  # still in step
    assert list(refused) == [REJECTED]
    code, text = refused[REJECTED]
    assert code == 550 and text.startswith(b"5.1.1 ") and b"mailbox unknown" in text
    received = postfix.delivered(by_subject(subject))
    assert received.rcpt_tos == [f"a@{DOMAIN}", f"b@{DOMAIN}"]
    assert body_of(received) == TRICKY_BODY


@pytest.mark.parametrize("chunking", [False, True], ids=["data", "bdat"])
def test_pipelined_batch_where_every_recipient_is_refused(postfix: Postfix, chunking: bool) -> None:
    with connect(postfix, pipelining=True, chunking=chunking) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            client.sendmail(SENDER, [REJECTED], message(tag()))
        assert caught.value.recipients[REJECTED][0] == 550
        assert client.noop()[0] == 250  # the reply to the pipelined DATA/BDAT was read too
        subject = tag()
        assert client.sendmail(SENDER, f"a@{DOMAIN}", message(subject)) == {}
    postfix.delivered(by_subject(subject))


@pytest.mark.parametrize("chunking", [False, True], ids=["data", "bdat"])
def test_pipelined_batch_with_a_refused_sender(postfix: Postfix, chunking: bool) -> None:
    """MAIL refused: Postfix answers every pipelined RCPT and the DATA/BDAT with errors."""
    with connect(postfix, pipelining=True, chunking=chunking) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.sendmail(REFUSED_SENDER, [f"a@{DOMAIN}", f"b@{DOMAIN}"], message(tag()))
        assert caught.value.smtp_code == 553 and caught.value.sender == REFUSED_SENDER
        assert client.noop()[0] == 250
        subject = tag()
        assert client.sendmail(SENDER, f"a@{DOMAIN}", message(subject)) == {}
    postfix.delivered(by_subject(subject))


# -- CHUNKING -------------------------------------------------------------------------------


@pytest.mark.parametrize("pipelining", [False, True], ids=["chunking", "chunking+pipelining"])
def test_chunking_one_chunk(postfix: Postfix, pipelining: bool) -> None:
    subject = tag()
    with connect(postfix, chunking=True, pipelining=pipelining) as client:
        assert client.sendmail(SENDER, [f"a@{DOMAIN}", REJECTED], message(subject)) != {}
        verbs = sent_verbs(client, pipelined=False) + sent_verbs(client, pipelined=True)
        assert "BDAT" in verbs and "DATA" not in verbs
        assert client.noop()[0] == 250
    assert body_of(postfix.delivered(by_subject(subject))) == TRICKY_BODY


@pytest.mark.parametrize("pipelining", [False, True], ids=["chunking", "chunking+pipelining"])
def test_chunking_many_chunks(
    postfix: Postfix, monkeypatch: pytest.MonkeyPatch, pipelining: bool
) -> None:
    monkeypatch.setattr(client_module, "BDAT_CHUNK_SIZE", 1000)
    body = dotted_lines(150)
    subject = tag()
    payload = message(subject, body)
    with connect(postfix, chunking=True, pipelining=pipelining) as client:
        assert client.sendmail(SENDER, f"a@{DOMAIN}", payload) == {}
        chunks = [e.data for e in client.transcript.events() if e.data.startswith(b"BDAT ")]
        assert client.noop()[0] == 250
    assert len(chunks) == -(-len(payload) // 1000) > 10
    assert [chunk.split(b"\r\n", 1)[0].endswith(b" LAST") for chunk in chunks[-2:]] == [
        False,
        True,
    ]
    assert body_of(postfix.delivered(by_subject(subject))) == body


def test_chunking_a_message_bigger_than_one_default_chunk(postfix: Postfix) -> None:
    body = b"".join(b"%07d " % n + b"y" * 90 + b"\r\n" for n in range(25_000))  # 2.5 MB
    subject = tag()
    with connect(postfix, chunking=True, pipelining=True) as client:
        assert client.sendmail(SENDER, f"a@{DOMAIN}", message(subject, body)) == {}
    assert body_of(postfix.delivered(by_subject(subject))) == body


def test_binarymime_is_refused_before_anything_is_sent(postfix: Postfix) -> None:
    with connect(postfix, chunking=True) as client:
        with pytest.raises(smtplib.SMTPNotSupportedError, match="BINARYMIME"):
            client.sendmail(SENDER, f"a@{DOMAIN}", b"\x00binary", ["BODY=BINARYMIME"])
        assert client.session.mail_from is None
        assert client.noop()[0] == 250


# -- SMTPUTF8 -------------------------------------------------------------------------------


def international(subject: str) -> EmailMessage:
    """A message to a non-ASCII address: send_message must use SMTPUTF8 for it."""
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = f"zoë@{DOMAIN}"
    mail["Subject"] = subject
    mail.set_content("Grüße aus dem Test.\n")
    return mail


@pytest.mark.parametrize("chunking", [False, True], ids=["data", "bdat"])
def test_smtputf8_address(postfix: Postfix, chunking: bool) -> None:
    subject = f"grüße {tag()}"
    with connect(postfix, chunking=chunking) as client:
        assert client.send_message(international(subject)) == {}
    received = postfix.delivered(by_subject(subject))
    assert received.rcpt_tos == [f"zoë@{DOMAIN}"]
    assert "SMTPUTF8" in [option.upper() for option in received.mail_options]
    assert "To: zoë@interop.test".encode() in received.data


# -- DSN ------------------------------------------------------------------------------------


def test_dsn_parameters_are_accepted_and_passed_on(postfix: Postfix) -> None:
    subject = tag()
    mail_options = smtpshell.dsn_mail_options(ret="hdrs", envid=f"{subject}+1")
    rcpt_options = smtpshell.dsn_rcpt_options(notify=["failure", "delay"], orcpt=f"o@{DOMAIN}")
    with connect(postfix) as client:
        client.ehlo()
        assert client.mail(SENDER, mail_options)[0] == 250
        assert client.rcpt(f"a@{DOMAIN}", rcpt_options)[0] == 250
        assert client.rcpt(f"b@{DOMAIN}", smtpshell.dsn_rcpt_options(notify="never"))[0] == 250
        assert client.data(message(subject))[0] == 250
    received = postfix.delivered(by_subject(subject))
    # Postfix hands the DSN request on to a next hop that speaks DSN: our mailbox.
    assert f"ENVID={subject}+2B1" in received.mail_options
    assert "RET=HDRS" in received.mail_options
    assert sorted(received.options_for(f"a@{DOMAIN}")) == [
        "NOTIFY=FAILURE,DELAY",
        f"ORCPT=rfc822;o@{DOMAIN}",
    ]
    assert "NOTIFY=NEVER" in received.options_for(f"b@{DOMAIN}")


def test_dsn_options_through_sendmail_pipelined(postfix: Postfix) -> None:
    subject = tag()
    with connect(postfix, pipelining=True, chunking=True) as client:
        refused = client.sendmail(
            SENDER,
            [f"a@{DOMAIN}", REJECTED],
            message(subject),
            smtpshell.dsn_mail_options(ret="full"),
            smtpshell.dsn_rcpt_options(notify="success"),
        )
    assert list(refused) == [REJECTED]
    received = postfix.delivered(by_subject(subject))
    assert "NOTIFY=SUCCESS" in received.options_for(f"a@{DOMAIN}")


# -- differential: stdlib smtplib and smtpshell see the same Postfix ------------------------


def _stdlib_session(postfix: Postfix, subject: str, tls: bool) -> list[object]:
    client = smtplib.SMTP(postfix.host, postfix.port, local_hostname=CLIENT_NAME, timeout=20)
    return _session(client, postfix, subject, tls)


def _smtpshell_session(postfix: Postfix, subject: str, tls: bool) -> list[object]:
    return _session(connect(postfix), postfix, subject, tls)


def _session(client: smtplib.SMTP, postfix: Postfix, subject: str, tls: bool) -> list[object]:
    """The same calls on either client; every return value, for comparison."""
    results: list[object] = [client.ehlo()]
    if tls:
        results.append(client.starttls(context=postfix.client_context()))
        results.append(client.ehlo())
    results.append(sorted(client.esmtp_features))
    results.append(client.noop())
    results.append(client.verify(f"a@{DOMAIN}"))
    results.append(client.expn("staff"))
    results.append(client.help())
    results.append(client.sendmail(SENDER, [f"a@{DOMAIN}", REJECTED], message(subject)))
    results.append(client.rset())
    results.append(client.send_message(international(f"{subject} international")))
    results.append(client.quit())
    return results


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "starttls"])
def test_stdlib_and_smtpshell_agree_against_postfix(postfix: Postfix, tls: bool) -> None:
    stdlib_subject, smtpshell_subject = tag(), tag()
    stdlib = _stdlib_session(postfix, stdlib_subject, tls)
    ours = _smtpshell_session(postfix, smtpshell_subject, tls)
    assert ours == stdlib
    refused = ours[-4]
    assert isinstance(refused, dict) and list(refused) == [REJECTED]
    first = postfix.delivered(by_subject(stdlib_subject))
    second = postfix.delivered(by_subject(smtpshell_subject))
    assert body_of(first) == body_of(second) == TRICKY_BODY
    assert first.rcpt_tos == second.rcpt_tos == [f"a@{DOMAIN}"]
    for subject in (stdlib_subject, smtpshell_subject):
        utf8 = postfix.delivered(by_subject(f"{subject} international"))
        assert utf8.rcpt_tos == [f"zoë@{DOMAIN}"]


# -- the command line: probe --json and a run script -----------------------------------------


def test_probe_json(postfix: Postfix) -> None:
    report = probe_json("--ca-file", str(postfix.ca_file()), f"{postfix.host}:{postfix.port}")
    assert report["_exit"] == 0 and report["ok"], report["error"]
    assert report["banner"]["code"] == 220
    assert report["starttls"]["code"] == 220 and report["tls"]["verification"] == "verified"
    upper = {k.upper() for k in EVERYWHERE | {"chunking"}}
    assert upper | {"STARTTLS"} <= keywords(report["capabilities_before_tls"])
    assert upper <= keywords(report["capabilities_after_tls"])
    assert report["auth_after_tls"] == []  # no SASL in this Postfix
    assert report["size"] is not None


RUN_SCRIPT = """\
/ehlo client.interop.test
expect feature PIPELINING
/starttls
expect tls
MAIL FROM:<{sender}>
expect 250
RCPT TO:<{rejected}>
expect 550 5.1.1
RCPT TO:<a@interop.test>
expect 250
DATA
expect 354
Subject: {subject}

from a script
.
expect 250
QUIT
expect 221
"""


def test_run_script(postfix: Postfix, tmp_path) -> None:
    subject = tag()
    script = tmp_path / "postfix.smtpsh"
    script.write_text(RUN_SCRIPT.format(sender=SENDER, rejected=REJECTED, subject=subject))
    result = cli("run", str(script), f"{postfix.host}:{postfix.port}", ca_file=postfix.ca_file())
    assert result.returncode == 0, result.stdout + result.stderr
    received = postfix.delivered(by_subject(subject))
    assert received.rcpt_tos == [f"a@{DOMAIN}"] and body_of(received) == b"from a script\r\n"
