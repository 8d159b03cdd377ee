"""The REPL loop driven through a pipe: what it prints, sends, remembers and hides."""

from __future__ import annotations

import stat

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from smtpshell.repl.completer import ShellCompleter
from smtpshell.repl.lexer import lex_line
from smtpshell.repl.render import to_ansi, wire_fragments
from smtpshell.shell.display import WireLine
from smtpshell.shell.target import Target
from smtpshell.transcript import EventKind
from smtpshell.wiring import new_engine
from tests.support.scripted import Peer, ScriptedServer

ENTER, CTRL_C, CTRL_D = "\r", "\x03", "\x04"


def target_of(server) -> Target:
    return Target(host=server.host, port=server.port)


def test_session_prints_the_transcript_and_quits_politely_on_ctrl_d(run_repl, scripted):
    server = scripted()
    session = run_repl("EHLO me" + ENTER + "/features" + ENTER + CTRL_D, target_of(server))
    assert session.code == 0
    text = session.text
    assert "C: EHLO me" in text
    assert "S: 250-SIZE 1000000" in text
    assert "Requested action OK" in text  # the short explanation, inline
    assert "Advertised extensions" in text
    assert text.rstrip().endswith("* connection closed")
    server.stop()
    assert server.wire.endswith(b"quit\r\n")


def test_errors_are_one_line_never_a_traceback(run_repl, scripted):
    session = run_repl("/verify" + ENTER + "/nosuch" + ENTER + CTRL_D, target_of(scripted()))
    errors = [line for line in session.lines if line.startswith("error: ")]
    assert errors == [
        "error: missing ADDRESS; usage: /verify ADDRESS",
        "error: unknown command /nosuch; /help lists them",
    ]
    assert "Traceback" not in session.text


def test_password_prompt_is_hidden_and_history_keeps_no_secret(run_repl, scripted, tmp_path):
    server = scripted(auth=("PLAIN",), users={"alice": "wonderland"})
    keys = (
        "/login alice"
        + ENTER
        + "wonderland"
        + ENTER
        + "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="
        + ENTER
    )
    session = run_repl(keys + CTRL_D, target_of(server))
    assert "authenticated as alice" in session.text
    assert "wonderland" not in session.text
    recalled = session.repl.session.history.get_strings()
    assert "/login alice" in recalled and "AUTH PLAIN <redacted>" in recalled
    assert not any("wonderland" in s or "AGFsaWNl" in s for s in recalled)
    history = tmp_path / "history"
    assert "wonderland" not in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_a_typed_auth_exchange_reads_answers_hidden(run_repl, scripted):
    server = scripted(auth=("LOGIN",), users={"alice": "wonderland"})
    keys = (
        "EHLO me" + ENTER + "AUTH LOGIN" + ENTER + "YWxpY2U=" + ENTER + "d29uZGVybGFuZA==" + ENTER
    )
    session = run_repl(keys + CTRL_D, target_of(server))
    assert "S: 235 2.7.0 Authentication successful" in session.text
    assert "d29uZGVybGFuZA==" not in session.text
    assert all("d29u" not in s for s in session.repl.session.history.get_strings())


def test_data_mode_prompt_and_ctrl_c_twice_abandons_a_composed_message(run_repl, scripted):
    server = scripted()
    keys = "/send a@x.test b@y.test" + ENTER + "draft" + ENTER + CTRL_C + CTRL_C + "NOOP" + ENTER
    session = run_repl(keys + CTRL_D, target_of(server))
    assert "Ctrl-C again abandons the message" in session.text
    assert "message discarded (nothing was sent)" in session.text
    assert "C: NOOP" in session.text


def test_hostile_server_bytes_are_escaped_before_printing(run_repl):
    def hostile(peer: Peer) -> None:
        peer.send(b"220 \x1b]0;pwned\x07\x1b[2J hello \xff\r\n")
        while line := peer.readline():
            peer.send(b"221 bye\r\n" if line.upper().startswith(b"QUIT") else b"250 \x9b31m\r\n")

    with ScriptedServer(hostile) as server:
        session = run_repl("NOOP" + ENTER + CTRL_D, target_of(server))
    for _, text in (frag for line in session.printed for frag in line):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b]0;pwned\\x07\\x1b[2J hello \\xff" in session.text


def test_prompt_shows_the_session_state(scripted):
    from prompt_toolkit.output import DummyOutput

    from smtpshell.repl.app import Repl

    server = scripted(auth=("PLAIN",), users={"alice": "wonderland"})
    with new_engine(timeout=10) as engine:
        repl = Repl(engine, output=DummyOutput(), printer=lambda f: None)
        assert "not connected" in "".join(t for _, t in repl.prompt_fragments())
        engine.connect(target_of(server))
        engine.run_line("/login alice wonderland")
        engine.run_line("MAIL FROM:<a@x.test>")
        engine.run_line("RCPT TO:<b@y.test>")
        prompt = "".join(t for _, t in repl.prompt_fragments())
        assert prompt == f"smtp://127.0.0.1:{server.port} alice [rcpt:1]> "
        engine.run_line("DATA")
        assert "".join(t for _, t in repl.prompt_fragments()) == "data> "
        engine.run_line(".")
        engine.run_line("/raw")
        assert "".join(t for _, t in repl.prompt_fragments()).startswith("RAW ")


def test_completer_wraps_the_engine_completion(scripted):
    with new_engine(timeout=10) as engine:
        engine.connect(target_of(scripted(auth=("PLAIN", "CRAM-MD5"))))
        engine.run_line("EHLO me")
        completer = ShellCompleter(engine)

        def complete(text: str) -> list[tuple[str, int]]:
            found = completer.get_completions(Document(text), CompleteEvent())
            return [(c.text, c.start_position) for c in found]

        assert complete("AUTH C") == [("CRAM-MD5", -1)]
        assert ("SIZE=", -1) in complete("MAIL FROM:<a@b> S")
        assert complete("/sta") == [("/starttls", -4), ("/status", -4)]
        assert complete("/raw ") == []


def test_lexer_and_ansi_rendering():
    with new_engine() as engine:
        styles = dict((t, s) for s, t in lex_line("/login alice $PW", engine))
        assert styles["/login"] == "class:input.command" and styles["$PW"] == "class:input.variable"
        assert dict((t, s) for s, t in lex_line("/nope", engine))["/nope"] == "class:input.unknown"
        assert (
            dict((t, s) for s, t in lex_line("MAIL FROM:<a>", engine))["MAIL"] == "class:input.verb"
        )
    line = WireLine(
        "S", "550 5.1.1 no", EventKind.RECEIVED, code=550, final=True, latency=0.004, hint="gone"
    )
    assert to_ansi(wire_fragments(line), color=False) == "S: 550 5.1.1 no  [4 ms]  gone"
    assert to_ansi(wire_fragments(line), color=True).startswith("\x1b[31mS: 550")
    odd = WireLine("C", "NOOP", EventKind.SENT, ending="bare LF")
    assert to_ansi(wire_fragments(odd), color=False) == "C: NOOP <bare LF>"


def test_replay_prefills_the_prompt_and_enter_sends_it(run_repl, tmp_path):
    from smtpshell.server import PracticeServer

    script = tmp_path / "finding.smtp"
    script.write_text("# a finding\nEHLO replay.test\nexpect 250\nVRFY demo\nexpect 250 2.1.5\n")
    with PracticeServer() as server:
        keys = f"/replay {script} {server.host}:{server.port}" + ENTER
        # Enter on the pre-filled line sends it; the third step is edited (Ctrl-U clears it).
        keys += ENTER + ENTER + "\x15VRFY nobody@nowhere.invalid" + ENTER + ENTER
        session = run_repl(keys + "NOOP" + ENTER + CTRL_D, Target(practice=True))
    text = session.text
    assert "C: EHLO replay.test" in text
    assert "ok: 250" in text and "replay 2/4: expect 250" in text
    assert "C: VRFY nobody@nowhere.invalid" in text and "C: VRFY demo" not in text
    assert "expected 250 2.1.5" in text  # the edited line changed the answer: the check says so
    assert "replay of" in text and "1 FAILED" in text
    assert "C: NOOP" in text  # after the replay, lines go to the server as typed
    assert session.engine.replay is None


def test_replay_progress_is_in_the_prompt_and_ctrl_d_still_quits(run_repl, tmp_path):
    from prompt_toolkit.formatted_text import fragment_list_to_text

    script = tmp_path / "finding.smtp"
    script.write_text("NOOP\nexpect 250\n")
    seen: list[str] = []
    # Ctrl-D on the untouched offered line quits (politely), as on an empty line.
    session = run_repl(f"/replay {script}" + ENTER + CTRL_D, Target(practice=True))
    assert session.code == 0 and "C: NOOP" not in session.text
    assert session.text.rstrip().endswith("* connection closed")
    repl = session.repl
    from smtpshell.shell.replay import start_replay

    start_replay(repl.engine, str(script))
    seen.append(fragment_list_to_text(repl.prompt_fragments()))
    repl.engine.shutdown()
    assert seen[0].startswith("replay 1/2 ")
