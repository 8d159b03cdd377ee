"""Where smtpshell is stricter than smtplib, its error is still what smtplib raises there.

These are the places CPython's test_smtplib touches (tests/test_cpython_smtplib.py runs that
suite itself where the interpreter ships it); here they are checked on every interpreter,
against scripted servers, so they cannot regress where the ``test`` package is missing.
"""

from __future__ import annotations

import base64
import smtplib
import sys

import pytest

import smtpshell
import smtpshell.client
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script

HOST = "127.0.0.1"
NAME = "client.example"


def client(server: ScriptedServer) -> smtpshell.SMTP:
    return smtpshell.SMTP(HOST, server.port, local_hostname=NAME, timeout=5)


def wait_done(server: ScriptedServer) -> None:
    assert server.finished.wait(10), "server script did not finish"


def test_the_client_module_has_smtplibs_public_names():
    missing = [n for n in smtplib.__all__ if not hasattr(smtpshell.client, n)]
    assert missing == []
    assert smtpshell.client._MAXLINE == smtplib._MAXLINE
    assert smtpshell.client._MAXCHALLENGE == smtplib._MAXCHALLENGE
    assert smtpshell.client.bCRLF == smtplib.bCRLF
    assert smtpshell.client.quotedata("a\n.b") == smtplib.quotedata("a\n.b")


def test_nonnumeric_port_is_smtplibs_oserror_and_still_a_value_error():
    with pytest.raises(OSError, match="nonnumeric port") as info:
        smtpshell.SMTP("localhost:bogus", local_hostname=NAME)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, smtpshell.SMTPInvalidPort)


@pytest.mark.parametrize("greeting", [b"199 no hello for you!\r\n", b"hello\r\n"])
def test_malformed_greeting_is_a_connect_error_and_a_protocol_error(greeting):
    def script(peer):
        peer.send(greeting)
        peer.read_to_eof()

    with ScriptedServer(script) as server, pytest.raises(smtplib.SMTPConnectError) as info:
        client(server)
    wait_done(server)
    assert isinstance(info.value, smtpshell.SMTPProtocolError)
    assert server.wire == b""  # closed at once: nothing was said after the bad greeting


def test_auth_loop_guard_speaks_smtplibs_text():
    def script(peer):
        peer.send(b"220 x\r\n")
        peer.readline()
        peer.send(b"250-x\r\n250 AUTH LOGIN\r\n")
        while (line := peer.readline()) and line.strip() != b"*":
            peer.send(b"334 " + base64.b64encode(b"again?") + b"\r\n")
        peer.send(b"501 cancelled\r\n")
        peer.read_to_eof()

    with ScriptedServer(script) as server:
        s = client(server)
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            s.auth("X", lambda challenge=None: "x", initial_response_ok=False)
        s.close()
    wait_done(server)
    assert str(info.value).startswith("Server AUTH mechanism infinite loop. Last response: ")
    assert info.value.smtp_code == 334


@pytest.mark.parametrize(
    ("features", "reason"),
    [(("8BITMIME",), "does not advertise SMTPUTF8"), (("SMTPUTF8",), "pass the SMTPUTF8")],
)
def test_non_ascii_address_is_smtplibs_unicode_encode_error(features, reason):
    with ScriptedServer(smtp_script(SmtpBehaviour(features=features))) as server:
        s = client(server)
        with pytest.raises(UnicodeEncodeError, match=reason) as info:
            s.sendmail("Alice", ["Böb"], "")
        err = info.value
        assert isinstance(err, smtpshell.SMTPUTF8RequiredError) and isinstance(err, ValueError)
        assert (err.encoding, err.object, err.start, err.end) == ("ascii", "Böb", 1, 2)
        s.quit()
    wait_done(server)
    assert b"MAIL" not in server.wire.upper()


def test_a_non_ascii_command_is_a_unicode_encode_error_before_any_byte():
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = client(server)
        with pytest.raises(UnicodeEncodeError, match="SMTPUTF8"):
            s.docmd("VRFY", "zoë")
        s.quit()
    wait_done(server)
    assert b"VRFY" not in server.wire.upper()


@pytest.mark.parametrize(
    ("call", "shown"),
    [
        (lambda s: s.putcmd("helo\nX-INJECTED"), "helo\\nX-INJECTED"),
        (lambda s: s.ehlo("hi\r\nX"), "ehlo hi\\r\\nX"),
        (lambda s: s.mail("a@x.example", ["A\nB", "C\nD"]), "A\\nB C\\nD"),
    ],
)
def test_injected_newlines_carry_smtplibs_text(call, shown):
    with ScriptedServer(smtp_script(SmtpBehaviour())) as server:
        s = client(server)
        with pytest.raises(ValueError, match="prohibited newline characters") as info:
            call(s)
        assert shown in str(info.value)
        s.quit()
    wait_done(server)
    assert server.wire == b"quit\r\n"


def test_mail_and_rcpt_verbs_follow_the_running_interpreter():
    behaviour = SmtpBehaviour()
    with ScriptedServer(smtp_script(behaviour)) as server:
        s = client(server)
        s.sendmail("a@x.example", ["b@y.example"], "x")
        s.quit()
    wait_done(server)
    new = sys.version_info >= (3, 13)  # CPython 3.13 lowercased smtplib's FROM:/TO:
    assert (b"mail from:<a@x.example>" in server.wire) is new
    assert (b"rcpt to:<b@y.example>" in server.wire) is new
    assert (b"mail FROM:<a@x.example>" in server.wire) is not new


def test_supported_pythons_agree_in_pyproject_noxfile_and_ci():
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    classifiers = tomllib.loads((root / "pyproject.toml").read_text())["project"]["classifiers"]
    prefix = "Programming Language :: Python :: "
    listed = [c.removeprefix(prefix) for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c)]
    nox_line = re.search(r"^PYTHONS = \[(.*)\]", (root / "noxfile.py").read_text(), re.M)
    ci_line = re.search(r"^supported=\((.*)\)", (root / ".ci" / "matrix").read_text(), re.M)
    assert listed == ["3.11", "3.12", "3.13"]
    assert re.findall(r"3\.\d+", nox_line[1]) == listed
    assert ci_line[1].split() == listed
    assert "bash .ci/matrix" in (root / ".ci" / "run").read_text()


def test_cpython_suite_skips_with_a_reason_without_the_test_package(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    # An empty package named "test" ahead of the stdlib one: test.support cannot be found,
    # as on distributions that ship the test suite separately.
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "__init__.py").write_text("")
    root = Path(__file__).resolve().parent.parent
    suite = root / "tests" / "test_cpython_smtplib.py"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(root), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", str(suite)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 5 or "1 skipped" in run.stdout, run.stdout + run.stderr
    assert "has no CPython test package" in run.stdout
    assert "passed" not in run.stdout and "failed" not in run.stdout
