"""smtpshell.client as a package: the same surface as the one-module client, and the
subclass hooks smtplib users rely on still called."""

from __future__ import annotations

import ast
import pathlib
import smtplib

import smtpshell
import smtpshell.client
from tests.support.scripted import ScriptedServer
from tests.support.smtp_script import SmtpBehaviour, smtp_script

#: What smtpshell/client.py exported before it became a package (its __all__ and more).
ONE_MODULE_NAMES = (
    "LMTP",
    "LMTP_PORT",
    "SMTP",
    "SMTP_PORT",
    "SMTP_SSL",
    "SMTP_SSL_PORT",
    "SessionState",
    "default_context",
    "unverified_context",
    "quoteaddr",
    "quotedata",
    "BDAT_CHUNK_SIZE",
    "CRLF",
    "bCRLF",
    "_MAXLINE",
    "_MAXCHALLENGE",
    "socket",
    *smtplib.__all__,
)


def test_the_package_keeps_the_one_module_surface():
    missing = [name for name in ONE_MODULE_NAMES if not hasattr(smtpshell.client, name)]
    assert missing == []
    for cls in (smtpshell.SMTP, smtpshell.SMTP_SSL, smtpshell.LMTP):
        assert cls.__module__ == "smtpshell.client"
    assert smtpshell.SMTP is smtpshell.client.SMTP


def test_subclass_overrides_are_called():
    """sendmail() goes through data(), login() through the auth_* authobjects."""
    calls = []

    class Mine(smtpshell.SMTP):
        def data(self, msg):
            calls.append(("data", bytes(msg)))
            return super().data(msg)

        def auth_plain(self, challenge=None):
            calls.append(("auth_plain", challenge))
            return super().auth_plain(challenge)

    behaviour = SmtpBehaviour(auth=("PLAIN",))
    with ScriptedServer(smtp_script(behaviour)) as server:
        s = Mine("127.0.0.1", server.port, local_hostname="c.example", timeout=5)
        assert s.login("alice", "wonderland", mechanisms=["PLAIN"])[0] == 235
        assert s.sendmail("a@x.example", ["b@y.example"], "Subject: t\r\n\r\nhi\r\n") == {}
        s.quit()
    assert calls == [("auth_plain", None), ("data", b"Subject: t\r\n\r\nhi\r\n")]
    assert [m.removesuffix(b".\r\n") for m in behaviour.messages] == [b"Subject: t\r\n\r\nhi\r\n"]


#: Issue 13, item 1: the client's modules stay small enough to read in one sitting.
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 600


def _client_modules():
    return sorted(pathlib.Path(smtpshell.client.__file__).parent.glob("*.py"))


def _too_long(name, source):
    """What in one module breaks the bars: the file, or any function (methods too)."""
    found = []
    lines = len(source.splitlines())
    if lines > MAX_FILE_LINES:
        found.append(f"{name}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    return found


def test_no_client_function_or_file_is_too_long():
    modules = _client_modules()
    assert len(modules) >= 7, "the client package's modules were not found"
    too_long = [item for path in modules for item in _too_long(path.name, path.read_text())]
    assert too_long == []


def test_the_size_check_sees_a_long_method_and_a_long_file():
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    method = f"class C:\n    def m(self):\n{body}\n"
    assert _too_long("m.py", method) == [f"m.py:2 m(): {MAX_FUNCTION_LINES + 1} lines"]
    assert _too_long("ok.py", "x = 1\n" * MAX_FILE_LINES) == []
    assert _too_long("big.py", "x = 1\n" * (MAX_FILE_LINES + 1)) == [
        f"big.py: {MAX_FILE_LINES + 1} lines"
    ]
