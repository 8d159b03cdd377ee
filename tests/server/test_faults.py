"""Fault injection, each fault once over the wire with stdlib smtplib (or a raw client)."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable, Iterator

import pytest

from smtpshell.server import Faults, PracticeServer

from .conftest import RawClient

MESSAGE = b"Subject: fault\r\n\r\nbody\r\n"
#: Long enough that a client with SHORT_TIMEOUT certainly gives up first (no timing asserts:
#: the test checks that the reply did not come in time, not how long anything took).
SLOW = 1.0
SHORT_TIMEOUT = 0.1


@pytest.fixture
def make_server() -> Iterator[Callable[[Faults], PracticeServer]]:
    started: list[PracticeServer] = []

    def make(faults: Faults) -> PracticeServer:
        srv = PracticeServer(faults=faults)
        srv.start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def _client(srv: PracticeServer, timeout: float = 10) -> smtplib.SMTP:
    client = smtplib.SMTP(srv.host, srv.port, timeout=timeout)
    client.ehlo("client.test")
    return client


def test_no_faults_by_default() -> None:
    faults = Faults()
    assert faults.describe() == []
    assert not faults.rejects("anyone@example.com")
    assert faults.delay_for("MAIL") == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delay": {"MAYL": 1}},
        {"delay": {"MAIL": -1}},
        {"reject_code": 250},
        {"reply_421_on": "nonsense"},
        {"drop_on": "X"},
        {"slow_greeting": -0.5},
    ],
)
def test_bad_fault_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Faults(**kwargs)  # type: ignore[arg-type]


def test_names_are_normalised_and_described() -> None:
    faults = Faults(delay={"mail": 2}, reject_rcpt="^spam@", drop_on="eom", reply_421_on="rcpt")
    assert faults.delay == {"MAIL": 2.0}
    assert isinstance(faults.reject_rcpt, re.Pattern)
    assert (faults.drop_on, faults.reply_421_on) == ("EOM", "RCPT")
    assert len(faults.describe()) == 4


def test_delay_before_replying_to_a_command(
    make_server: Callable[[Faults], PracticeServer],
) -> None:
    srv = make_server(Faults(delay={"MAIL": SLOW}))
    with _client(srv) as patient:
        assert patient.mail("a@example.com")[0] == 250
    impatient = _client(srv)
    impatient.sock.settimeout(SHORT_TIMEOUT)
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        impatient.mail("a@example.com")
    impatient.close()


def test_delay_before_the_reply_to_the_end_of_message(
    make_server: Callable[[Faults], PracticeServer],
) -> None:
    srv = make_server(Faults(delay={"EOM": SLOW}))
    with _client(srv) as patient:
        patient.mail("a@example.com")
        patient.rcpt("b@example.com")
        assert patient.data(MESSAGE)[0] == 250
    impatient = _client(srv)
    impatient.mail("a@example.com")
    impatient.rcpt("b@example.com")
    impatient.sock.settimeout(SHORT_TIMEOUT)
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        impatient.data(MESSAGE)
    impatient.close()


@pytest.mark.parametrize(("code", "enhanced"), [(550, b"5.1.1"), (450, b"4.2.1")])
def test_reject_recipients_matching_a_pattern(
    make_server: Callable[[Faults], PracticeServer], code: int, enhanced: bytes
) -> None:
    srv = make_server(Faults(reject_rcpt=re.compile(r"@blocked\."), reject_code=code))
    with _client(srv) as client:
        refused = client.sendmail("a@example.com", ["ok@example.com", "x@blocked.test"], MESSAGE)
        assert refused["x@blocked.test"][0] == code
        assert refused["x@blocked.test"][1].startswith(enhanced)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["y@blocked.test"], MESSAGE)
    assert srv.wait_for_messages(1)[0].rcpt_tos == ["ok@example.com"]


def test_reply_421_and_disconnect(make_server: Callable[[Faults], PracticeServer]) -> None:
    srv = make_server(Faults(reply_421_on="RCPT"))
    raw = RawClient(srv.host, srv.port)
    raw.reply()
    raw.command("EHLO client.test")
    assert raw.command("MAIL FROM:<a@example.com>")[0].startswith("250 ")
    [reply] = raw.command("RCPT TO:<b@example.com>")
    assert reply.startswith("421 4.3.2 ")
    assert raw.at_eof()
    raw.close()


def test_reply_421_seen_by_smtplib(make_server: Callable[[Faults], PracticeServer]) -> None:
    srv = make_server(Faults(reply_421_on="MAIL"))
    client = _client(srv)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert refused.value.smtp_code == 421
    assert srv.messages == []


def test_drop_without_a_reply(make_server: Callable[[Faults], PracticeServer]) -> None:
    srv = make_server(Faults(drop_on="DATA"))
    client = _client(srv)
    client.mail("a@example.com")
    client.rcpt("b@example.com")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.data(MESSAGE)
    assert srv.messages == []


def test_drop_after_the_message_loses_it(make_server: Callable[[Faults], PracticeServer]) -> None:
    srv = make_server(Faults(drop_on="EOM"))
    client = _client(srv)
    client.mail("a@example.com")
    client.rcpt("b@example.com")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.data(MESSAGE)
    assert srv.messages == []  # the did-my-mail-arrive mystery: it did not


def test_slow_greeting(make_server: Callable[[Faults], PracticeServer]) -> None:
    srv = make_server(Faults(slow_greeting=SLOW))
    with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
        smtplib.SMTP(srv.host, srv.port, timeout=SHORT_TIMEOUT)
    with smtplib.SMTP(srv.host, srv.port, timeout=10) as patient:
        assert patient.noop()[0] == 250


def test_a_lesson_and_the_banner_describe_the_same_faults_each_in_its_words():
    from smtpshell.practice import PracticeOptions

    options = PracticeOptions(
        delay=(("MAIL", 1.5),),
        reject_rcpt="@x$",
        reject_code=450,
        reply_421_on="DATA",
        drop_on="EOM",
        slow_greeting=2.0,
        accept_bare_lf_dot=True,
        dns=True,
    )
    faults = Faults.of(options)  # what the server runs with
    assert options.describe() == [
        "delay 1.5s on MAIL",
        "recipients matching /@x$/ get 450",
        "421 and hang up on DATA",
        "drop the connection on EOM",
        "greeting after 2s",
        "DNS for example.test (MX, SPF, DKIM, DMARC); DKIM signing",
        "UNSAFE: a '.' line with bare LF endings ends DATA",
    ]
    assert faults.describe() == [
        "delay 1.5s before replying to MAIL",
        "reject recipients matching /@x$/ with 450",
        "reply 421 and disconnect on DATA",
        "drop the connection without a reply on EOM",
        "wait 2s before the greeting",
        "UNSAFE: end DATA at a '.' line with bare LF endings too",
    ]
    assert Faults().describe() == [] and PracticeOptions().describe() == []
