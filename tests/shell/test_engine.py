"""The engine against scripted servers (exact wire bytes) and the practice server."""

from __future__ import annotations

import ast
import threading

import pytest

from smtpshell.shell.engine import Mode, decode_raw, describe_error
from smtpshell.shell.exports import ContextArg
from smtpshell.shell.results import Level, Note, Outcome, Table, Text
from smtpshell.shell.target import Target
from smtpshell.transcript import EventKind
from smtpshell.wiring import new_engine
from tests.shell.conftest import connect
from tests.support.scripted import Peer, ScriptedServer


def notes(result, level=None):
    return [
        i.text for i in result.items if isinstance(i, Note) and (level is None or i.level is level)
    ]


def test_typed_commands_go_out_exactly_as_typed(engine, scripted):
    server = scripted()
    connect(engine, server)
    for line in ("EHLO client.test", "MAIL FROM:<a@x.test> BODY=8BITMIME", "RCPT TO:<b@y.test>"):
        assert engine.run_line(line).ok
    engine.run_line("Frob the server")  # unknown verbs too
    engine.shutdown()
    server.stop()
    assert server.wire.startswith(
        b"EHLO client.test\r\nMAIL FROM:<a@x.test> BODY=8BITMIME\r\nRCPT TO:<b@y.test>\r\n"
        b"Frob the server\r\n"
    )


def test_typed_ehlo_teaches_the_client_the_features(engine, scripted):
    connect(engine, scripted(auth=("PLAIN",)))
    result = engine.run_line("EHLO client.test")
    assert "size" in engine.features and "auth" in engine.features
    assert any("extensions advertised" in n for n in notes(result))
    table = engine.run_line("/features").items[0]
    assert isinstance(table, Table)
    assert table.rows[-1][:2] == ("AUTH", "PLAIN")
    completions = [c.text for c in engine.complete("AUTH ")]
    assert completions == ["PLAIN"]


def test_data_mode_collects_until_a_lone_dot_and_stuffs_dots(engine, scripted):
    behaviour_messages: list[bytes] = []
    server = scripted(messages=behaviour_messages)
    connect(engine, server)
    engine.run_line("EHLO client.test")
    engine.run_line("MAIL FROM:<a@x.test>")
    engine.run_line("RCPT TO:<b@y.test>")
    result = engine.run_line("DATA")
    assert engine.mode is Mode.DATA
    assert any("'.'" in n for n in notes(result, Level.HINT))
    assert engine.run_line("Subject: dots").ok
    assert engine.run_line("").ok  # blank line is message text here
    stuffed = engine.run_line(".leading dot")
    assert any("dot-stuffing" in n and "'..leading dot'" in n for n in notes(stuffed))
    assert engine.run_line("/not a command in DATA").ok
    final = engine.run_line(".")
    assert final.ok
    assert engine.mode is Mode.COMMAND
    assert engine.last_reply is not None and engine.last_reply.code == 250
    assert behaviour_messages == [
        b"Subject: dots\r\n\r\n..leading dot\r\n/not a command in DATA\r\n.\r\n"
    ]


def test_raw_sends_exact_bytes_and_is_labelled_unsafe(engine, scripted):
    server = scripted()
    connect(engine, server)
    result = engine.run_line("/raw NOOP\\n")  # bare LF
    assert any("unsafe" in n for n in notes(result, Level.WARN))
    assert engine.last_reply is not None and engine.last_reply.code == 250
    engine.run_line("/raw --no-read NO")
    engine.run_line("/raw OP\\r\\n")
    assert engine.run_line("/raw").items[0].level is Level.WARN  # raw mode on
    assert engine.mode is Mode.RAW
    engine.run_line("NOOP\\x41\\r\\n")
    engine.run_line("/raw")
    assert engine.mode is Mode.COMMAND
    engine.shutdown()
    server.stop()
    assert server.wire.startswith(b"NOOP\nNOOP\r\nNOOPA\r\n")


def test_raw_auth_leads_to_secret_answers(engine, scripted):
    import base64

    connect(engine, scripted(auth=("LOGIN",), users={"alice": "wonderland"}))
    engine.run_line("EHLO client.test")
    engine.run_line("/raw AUTH LOGIN\\r\\n")
    assert engine.mode is Mode.SECRET  # the client saw the 334 to a raw AUTH
    engine.run_line(base64.b64encode(b"alice").decode())
    engine.run_line(base64.b64encode(b"wonderland").decode())
    assert engine.last_reply is not None and engine.last_reply.code == 235
    assert engine.status().user == "alice"
    assert base64.b64encode(b"wonderland").decode() not in engine.transcript.to_text()
    engine.shutdown()


def test_decode_raw_escapes():
    assert decode_raw("a\\r\\n\\t\\0\\\\\\x7f\\q é") == b"a\r\n\t\0\\\x7f\\q \xc3\xa9"


def test_errors_are_one_line_with_the_outcome(engine, scripted):
    result = engine.run_line("NOOP")
    assert result.outcome is Outcome.CONNECTION
    assert notes(result, Level.ERROR) == ["not connected: /connect [TARGET] first"]
    assert engine.run_line("/frobnicate").outcome is Outcome.USAGE
    connect(engine, scripted(reject_rcpt=("bad@y.test",)))
    result = engine.run_line("/send a@x.test bad@y.test --file /nonexistent.eml")
    assert result.outcome is Outcome.CONNECTION  # OSError: one line
    assert len(result.items) == 1
    engine.run_line("/send a@x.test bad@y.test")
    engine.run_line("hello")
    refused = engine.run_line(".")
    assert refused.outcome is Outcome.SMTP
    assert notes(refused, Level.ERROR) == [
        "all recipients refused: bad@y.test: 550 5.1.1 no such user"
    ]


def test_hostile_server_text_is_escaped_in_errors():
    from smtpshell.errors import SMTPDataError

    text = describe_error(SMTPDataError(554, b"\x1b[31mred\x07 \xff"))
    assert "\x1b" not in text and "\x07" not in text
    assert text == "554 \\x1b[31mred\\x07 \\xff"


def test_expect(engine, scripted):
    connect(engine, scripted(reject_rcpt=("bad@y.test",)))
    assert engine.run_line("/expect 220").ok
    engine.run_line("EHLO client.test")
    engine.run_line("MAIL FROM:<a@x.test>")
    assert engine.run_line("/expect 2xx").ok
    engine.run_line("RCPT TO:<bad@y.test>")
    assert engine.run_line("/expect 550 5.1.1").ok
    assert engine.run_line("/expect 5xx 5.1.x no such").ok
    failed = engine.run_line("/expect 250")
    assert failed.outcome is Outcome.EXPECTATION
    assert notes(failed, Level.ERROR) == ["expected 250, got 550 5.1.1 no such user"]
    assert engine.run_line("/expect 550 5.1.2").outcome is Outcome.EXPECTATION
    assert engine.run_line("/expect 550 other text").outcome is Outcome.EXPECTATION
    assert engine.run_line("/expect nope").outcome is Outcome.USAGE


def test_bare_expect_only_in_scripts(scripted):
    with new_engine(scripted=True, timeout=10) as engine:
        connect(engine, scripted())
        assert engine.run_line("expect 220").ok


def test_cancel_breaks_a_blocked_command_promptly():
    waiting = threading.Event()

    def silent(peer: Peer) -> None:
        peer.send(b"220 hello\r\n")
        peer.readline()
        waiting.set()
        peer.read_to_eof()  # never answers

    with ScriptedServer(silent) as server, new_engine(timeout=30) as engine:
        connect(engine, server)
        box = []
        worker = threading.Thread(target=lambda: box.append(engine.run_line("NOOP")))
        worker.start()
        assert waiting.wait(10)
        engine.cancel()
        worker.join(10)
        assert not worker.is_alive()
        assert box[0].outcome is Outcome.CANCELLED
        assert not engine.connected


def test_manual_auth_answers_are_secret(engine, scripted):
    connect(engine, scripted(auth=("LOGIN",), users={"alice": "wonderland"}))
    engine.run_line("EHLO client.test")
    engine.run_line("AUTH LOGIN")
    assert engine.mode is Mode.SECRET
    assert engine.history_entry("YWxpY2U=") is None
    engine.run_line("YWxpY2U=")
    assert engine.mode is Mode.SECRET
    engine.run_line("d29uZGVybGFuZA==")
    assert engine.last_reply is not None and engine.last_reply.code == 235
    text = engine.transcript.to_text()
    assert "YWxpY2U=" not in text and "d29uZGVybGFuZA==" not in text
    assert engine.status().user is not None


def test_login_in_scripts_needs_the_password_inline_or_from_the_environment(scripted):
    with new_engine(timeout=10, environ={"PW": "wonderland"}) as engine:
        connect(engine, scripted(auth=("PLAIN",), users={"alice": "wonderland"}))
        missing = engine.run_line("/login alice")
        assert missing.outcome is Outcome.USAGE
        unset = engine.run_line("/login alice $NOPE")
        assert notes(unset, Level.ERROR) == ["environment variable NOPE is not set"]
        ok = engine.run_line("/login alice $PW")
        assert ok.ok, ok.items
        assert engine.status().user == "alice"
        assert any("no TLS" in n for n in notes(ok, Level.WARN))
        assert "wonderland" not in engine.run_line("/export --format python").items[0].body
        script = engine.run_line("/export --format python").items[0].body
        assert 'pw = _secret("PW", "password for alice")' in script
        assert 's.login("alice", pw)' in script


def test_login_asks_through_the_asker(scripted):
    asked = []

    def asker(prompt: str, secret: bool) -> str:
        asked.append((prompt, secret))
        return "wonderland"

    with new_engine(timeout=10, asker=asker) as engine:
        connect(engine, scripted(auth=("CRAM-MD5",), users={"alice": "wonderland"}))
        assert engine.run_line("/login alice").ok
        assert asked == [("password for alice: ", True)]


def test_auth_with_a_chosen_mechanism(scripted):
    with new_engine(timeout=10) as engine:
        connect(engine, scripted(auth=("PLAIN", "LOGIN"), users={"alice": "wonderland"}))
        result = engine.run_line("/auth LOGIN alice wonderland --no-initial-response")
        assert result.ok, result.items
        sent = [e for e in engine.transcript.events() if e.kind is EventKind.SENT]
        assert sent[-1].secret and sent[-2].secret
        assert engine.run_line("/auth NTLM alice pw").outcome is Outcome.USAGE
        assert engine.run_line("/auth XOAUTH2 alice tok").outcome is Outcome.SMTP  # not offered


def test_send_from_an_eml_file(engine, scripted, tmp_path):
    messages: list[bytes] = []
    connect(engine, scripted(messages=messages))
    eml = tmp_path / "m.eml"
    eml.write_bytes(b"From: a@x.test\r\nTo: b@y.test, c@y.test\r\nSubject: s\r\n\r\nbody\r\n")
    result = engine.run_line(f"/send --file {eml}")
    assert result.ok, result.items
    assert notes(result, Level.OK) == ["message accepted for 2 of 2 recipients"]
    assert b"body" in messages[0]


def test_compose_adds_headers_and_can_be_abandoned(engine, scripted):
    messages: list[bytes] = []
    connect(engine, scripted(messages=messages))
    engine.run_line("/send a@x.test b@y.test --subject Hi")
    assert engine.mode is Mode.COMPOSE
    assert engine.history_entry("secret body text") is None
    engine.run_line("hello")
    engine.run_line(".")
    assert b"Subject: Hi\r\n" in messages[0] and b"\r\n\r\nhello\r\n" in messages[0]
    engine.run_line("/send a@x.test b@y.test")
    assert "discarded" in engine.abandon_message().items[0].text
    assert engine.mode is Mode.COMMAND


def test_explain_and_help(engine):
    text = engine.run_line("/explain 550 5.1.1").items[0]
    assert isinstance(text, Text) and "5.1.1" in text.body
    assert engine.run_line("/explain").items[0].level is Level.HINT
    assert "usage: /login" in engine.run_line("/help login").items[0].body
    assert "MAIL FROM" in engine.run_line("/help MAIL").items[0].body
    assert "PIPELINING" in engine.run_line("/help pipelining").items[0].title
    assert engine.run_line("/help nothing-like-this").outcome is Outcome.USAGE
    listing = engine.run_line("/help")
    assert sum(isinstance(i, Table) for i in listing.items) >= 5


def test_practice_server_session_with_starttls_and_exports(tmp_path):
    with new_engine(timeout=10, helo_name="client.test") as engine:
        first = engine.connect(None)
        assert first.ok
        assert any("user 'demo' password 'demo'" in n for n in notes(first, Level.HINT))
        assert engine.status().practice
        assert engine.run_line("/connect --starttls").ok
        status = engine.status()
        assert status.tls and status.tls_verified
        tls = engine.run_line("/tls").items[0]
        assert isinstance(tls, Table) and ("verified", "yes") in tls.rows
        assert engine.run_line("/login demo demo").ok
        assert engine.status().user == "demo"
        for suffix in ("txt", "jsonl", "py"):
            path = tmp_path / f"session.{suffix}"
            assert engine.run_line(f"/export {path}").ok
            text = path.read_text()
            assert "demo" in text
            assert (path.stat().st_mode & 0o777) == 0o600
        script = (tmp_path / "session.py").read_text()
        ast.parse(script)  # runnable Python
        assert "s.starttls(context=ssl.create_default_context(cafile=" in script
        assert 'password_demo = _secret("SMTPSHELL_PASSWORD_DEMO", "password for demo")' in script
        assert 's.login("demo", password_demo)' in script
        engine.run_line("/reveal on")  # the Python export never embeds a secret
        assert '"demo")' not in engine.run_line("/export --format python").items[0].body


def test_implicit_tls_to_the_practice_server():
    with new_engine(timeout=10) as engine:
        assert engine.run_line("/connect practice --tls").ok
        assert engine.status().tls_verified
        assert engine.status().target.startswith("smtps://")


def test_connection_refused_is_one_line():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with new_engine(timeout=5) as engine:
        result = engine.connect(Target(host="127.0.0.1", port=port))
        assert result.outcome is Outcome.CONNECTION
        assert len(result.items) == 1 and "cannot connect" in result.items[0].text


def test_exit_says_goodbye(engine, scripted):
    server = scripted()
    connect(engine, server)
    result = engine.run_line("/exit")
    assert result.exit
    assert not engine.connected
    server.stop()
    assert server.wire.endswith(b"quit\r\n")


@pytest.mark.parametrize("line", ["STARTTLS"])
def test_typed_starttls_performs_the_handshake(line, scripted, server_tls, client_tls):
    with new_engine(timeout=10) as engine:
        connect(engine, scripted(tls_context=server_tls))
        engine.run_line("EHLO client.test")
        engine.tls_context = lambda verify=None: (client_tls, ContextArg())  # the test CA
        result = engine.run_line(line)
        assert result.ok, result.items
        assert engine.status().tls


def test_pipelining_chunking_and_dsn_are_reachable_from_the_shell(tmp_path):
    with new_engine(timeout=10, helo_name="client.test") as engine:
        assert engine.run_line("/connect practice --pipelining --chunking").ok
        assert engine.run_line("EHLO client.test").ok
        result = engine.run_line(
            "/send --notify FAILURE,DELAY --ret HDRS --envid order-1 --file "
            + str(_eml(tmp_path))
            + " a@x.test b@y.test"
        )
        assert result.ok, result.items
        sent = [e for e in engine.transcript if e.kind is EventKind.SENT]
        batch = [e for e in sent if e.pipelined]
        assert [e.data.split(b" ", 1)[0] for e in batch] == [b"mail", b"rcpt", b"BDAT"]
        assert b"RET=HDRS ENVID=order-1" in batch[0].data
        assert b"NOTIFY=FAILURE,DELAY" in batch[1].data
        export = tmp_path / "session.py"
        assert engine.run_line(f"/export --format python {export}").ok
        assert "pipelining=True" in export.read_text() and "chunking=True" in export.read_text()
        bad = engine.run_line("/send --notify SOMETIMES a@x.test b@y.test")
        assert not bad.ok and any("NOTIFY" in n for n in notes(bad))


def _eml(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(b"Subject: pipelined\r\n\r\nhello\r\n")
    return path
