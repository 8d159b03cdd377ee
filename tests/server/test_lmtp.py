"""LMTP over a Unix socket, driven by stdlib smtplib.LMTP."""

from __future__ import annotations

import re
import smtplib
import socket
from pathlib import Path

import pytest

from smtpshell.server import Faults, PracticeServer

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")

MESSAGE = b"Subject: over LMTP\r\n\r\nhello\r\n"


def test_one_reply_per_recipient_after_data(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    with PracticeServer(lmtp_socket=path) as srv:
        assert srv.lmtp_socket == path
        client = smtplib.LMTP(path, timeout=10)
        try:
            assert client.ehlo("client.test")[0] == 250  # smtplib.LMTP sends LHLO
            assert client.does_esmtp and client.has_extn("enhancedstatuscodes")
            assert client.mail("a@example.com")[0] == 250
            assert client.rcpt("demo@localhost")[0] == 250
            assert client.rcpt("other@example.org")[0] == 250
            first = client.data(MESSAGE)
            second = client.getreply()
            assert first == (250, b"2.1.5 <demo@localhost> delivered")
            assert second == (250, b"2.1.5 <other@example.org> delivered")
            assert client.noop()[0] == 250  # in step: nothing left unread
        finally:
            client.close()
        [message] = srv.wait_for_messages(1)
    assert message.protocol == "LMTP"
    assert message.rcpt_tos == ["demo@localhost", "other@example.org"]
    assert message.data == MESSAGE
    assert not Path(path).exists()  # the socket file is removed on stop


def test_lmtp_refuses_helo_and_ehlo(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    with PracticeServer(lmtp_socket=path):
        client = smtplib.LMTP(path, timeout=10)
        code, text = client.docmd("EHLO", "client.test")
        assert code == 500 and text.startswith(b"5.5.2")
        assert client.ehlo("client.test")[0] == 250
        client.close()


def test_refused_recipients_get_no_data_reply(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    faults = Faults(reject_rcpt=re.compile("^nobody@"))
    with PracticeServer(lmtp_socket=path, faults=faults) as srv:
        client = smtplib.LMTP(path, timeout=10)
        client.ehlo("client.test")
        client.mail("a@example.com")
        assert client.rcpt("nobody@example.org")[0] == 550
        assert client.rcpt("demo@localhost")[0] == 250
        assert client.data(MESSAGE) == (250, b"2.1.5 <demo@localhost> delivered")
        assert client.noop()[0] == 250
        client.close()
        assert srv.wait_for_messages(1)[0].rcpt_tos == ["demo@localhost"]


def test_stale_socket_file_is_replaced_but_a_live_one_is_not(short_dir: Path) -> None:
    path = str(short_dir / "lmtp.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()  # the file stays behind, nobody listens: like a killed server
    with PracticeServer(lmtp_socket=path):
        with pytest.raises(OSError, match="another server"):
            PracticeServer(lmtp_socket=path).start()
