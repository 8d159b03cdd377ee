"""/explain says when a reply pairs its basic and enhanced codes oddly (issue 21)."""

from __future__ import annotations

from smtpshell.shell.engine import Engine
from smtpshell.shell.results import Text
from smtpshell.wiring import new_engine
from tests.support.scripted import Peer, ScriptedServer

from .conftest import connect


def _odd_pairing(peer: Peer) -> None:
    """A server that answers NOOP with a success code and a failure enhanced code."""
    peer.send(b"220 odd.test ESMTP\r\n")
    assert peer.readline().upper().startswith(b"NOOP")
    peer.send(b"250 5.1.1 accepted, or not\r\n")
    if peer.readline().upper().startswith(b"QUIT"):
        peer.send(b"221 bye\r\n")


def test_explain_with_arguments_names_the_odd_pairing() -> None:
    with new_engine() as engine:
        item = engine.run_line("/explain 250 5.1.1 whatever").items[0]
    assert isinstance(item, Text)
    assert "RFC 2034 §4" in item.body
    assert "IANA SMTP Enhanced Status Codes registry lists X.1.1 with 451, 550" in item.body


def test_explain_of_a_normal_pairing_adds_nothing() -> None:
    with new_engine() as engine:
        item = engine.run_line("/explain 550 5.1.1 User unknown").items[0]
    assert isinstance(item, Text)
    assert "registry lists" not in item.body and "disagrees" not in item.body


def test_explain_of_the_last_reply_from_a_real_server(engine: Engine) -> None:
    with ScriptedServer(_odd_pairing) as server:
        connect(engine, server)
        assert engine.run_line("NOOP").ok
        item = engine.run_line("/explain").items[0]
        assert isinstance(item, Text)
        assert "Enhanced class 5 disagrees with reply 250" in item.body
        assert "lists X.1.1 with 451, 550, not with 250" in item.body
        engine.run_line("QUIT")  # before the script ends, so it never waits for it
