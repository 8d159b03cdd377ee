"""Display safety across the faces that write to a stream or a file (issue 12).

A scripted hostile server (tests/support/hostile.py) puts terminal payloads in every reply:
CSI, OSC 52, OSC 8, C1, BEL, BS, DEL, a bare CR, a bidi override and markup.  None may
reach ``run`` (plain or ``--color always``), ``probe`` (text or JSON), the ``serve``
console or any export format raw.  And a test of the sources makes forgetting hard.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import smtpshell
from smtpshell.server import PracticeServer
from smtpshell.server.command import _print_arrival
from smtpshell.shell.exports import FORMATS
from smtpshell.shell.target import Target
from smtpshell.wiring import new_engine
from tests.support.hostile import PAYLOADS, hostile_script, raw_controls
from tests.support.scripted import ScriptedServer

ROOT = Path(__file__).resolve().parent.parent
LINES = (
    "EHLO me",
    "/features",
    "/status",
    "MAIL FROM:<a@example.com>",
    "RCPT TO:<b@example.com>",
    "VRFY x",
    "/explain",
    "QUIT",
)


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "smtpshell", *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("colour", ["never", "always"])
def test_run_output_and_every_transcript_format_are_clean(tmp_path, colour):
    script = tmp_path / "hostile.smtp"
    script.write_text("".join(f"{line}\n" for line in LINES))
    exports = {name: tmp_path / f"t{suffixes[0]}" for name, suffixes in FORMATS.items()}
    with ScriptedServer(hostile_script, connections=len(exports)) as server:
        for name, path in exports.items():
            target = f"{server.host}:{server.port}"
            result = _cli("run", "--color", colour, "--transcript", str(path), str(script), target)
            out = result.stdout + result.stderr
            assert b"EVIL" in out, out[-2000:]  # the session really ran
            assert raw_controls(out, sgr_ok=colour == "always") == [], (name, out[-3000:])
            assert PAYLOADS["markup"].encode() in out  # shown, not interpreted
            assert raw_controls(path.read_bytes()) == [], name
    assert "\\x1b]52;c;Zm9vYmFy\\x07" in exports["text"].read_text()


def test_engine_exports_are_clean(tmp_path):
    with ScriptedServer(hostile_script) as server, new_engine(timeout=10) as engine:
        engine.connect(Target(host=server.host, port=server.port))
        for line in LINES[:-1]:
            engine.run_line(line)
        for name, suffixes in FORMATS.items():
            path = tmp_path / f"export{suffixes[0]}"
            engine.run_line(f"/export {path}")
            assert path.exists(), name
            assert raw_controls(path.read_bytes()) == [], name


@pytest.mark.parametrize("as_json", [False, True])
def test_probe_text_and_json_are_clean(as_json):
    with ScriptedServer(hostile_script) as server:
        args = ["probe", "--timeout", "10", "--vrfy", "x@example.com"]
        result = _cli(*args, *(["--json"] if as_json else []), f"{server.host}:{server.port}")
    out = result.stdout + result.stderr
    assert b"mx.hostile" in out, out[-2000:]
    assert raw_controls(out) == [], out[-3000:]
    if as_json:
        report = json.loads(result.stdout)["reports"][0]
        # the JSON carries display-safe text too: a consumer printing a field stays safe
        assert raw_controls(json.dumps(report, ensure_ascii=False)) == []
        assert report["capabilities_before_tls"][0]["keyword"].startswith("X-\\x1b[2J")
    else:
        assert "X-\\x1b[2J" in result.stdout.decode()


def test_serve_console_escapes_envelope_addresses(capsys):
    server = PracticeServer(on_message=_print_arrival)
    server.start()
    try:
        evil = "a\x1b\x07\x08\x7f\u202e\u009b2J@example.com".encode()
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            stream = sock.makefile("rwb")

            def send(line: bytes) -> bytes:
                stream.write(line + b"\r\n")
                stream.flush()
                reply = stream.readline()
                while reply[3:4] == b"-":
                    reply = stream.readline()
                return reply

            stream.readline()
            assert send(b"EHLO me").startswith(b"250")
            assert send(b"MAIL FROM:<" + evil + b"> SMTPUTF8").startswith(b"250")
            assert send(b"RCPT TO:<" + evil + b">").startswith(b"250")
            assert send(b"DATA").startswith(b"354")
            assert send(b"Subject: \x1b[2J\xe2\x80\xae\r\n\r\nhi\r\n.").startswith(b"250")
            send(b"QUIT")
    finally:
        server.stop()
    out = capsys.readouterr().out
    assert "from=<a\\x1b\\x07\\x08\\x7f\\u202e\\x9b2J@example.com>" in out
    assert raw_controls(out) == []


# --------------------------------------------------------------------------- the sources

#: Faces: code that writes to a terminal, a widget or a file.
FACES = ("repl", "tui", "learn", "probe", "cli.py", "demo.py", "server/command.py")
#: Where a face may turn bytes into text itself (each passes the result to display()).
ALLOWED: dict[str, str] = {}


def _face_files() -> list[Path]:
    base = Path(smtpshell.__file__).parent
    files: list[Path] = []
    for face in FACES:
        path = base / face
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _decodes_bytes(node: ast.AST) -> bool:
    """``x.decode(...)`` or ``str(x, encoding)``: text made from bytes by hand."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "decode":
        return True
    return isinstance(func, ast.Name) and func.id == "str" and len(node.args) >= 2


def test_faces_never_decode_bytes_outside_the_display_path():
    """A face that decodes bytes itself could print them raw: it must call display()."""
    base = Path(smtpshell.__file__).parent
    offenders = []
    for path in _face_files():
        relative = path.relative_to(base).as_posix()
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if _decodes_bytes(node) and f"{relative}:{node.lineno}" not in ALLOWED:
                offenders.append(f"{relative}:{node.lineno}")  # type: ignore[attr-defined]
    assert offenders == [], (
        "faces turn wire bytes into text with smtpshell.protocol.display(), or list the "
        "place in ALLOWED with the reason it is safe: " + ", ".join(offenders)
    )


def test_faces_never_parse_text_as_markup():
    """Rich/Textual markup in server text must be shown, never obeyed."""
    base = Path(smtpshell.__file__).parent
    offenders = []
    for path in _face_files():
        source = path.read_text()
        for needle in ("Text.from_markup(", "markup=True", "Content.from_markup("):
            if needle in source:
                offenders.append(f"{path.relative_to(base)}: {needle}")
    assert offenders == []


# --------------------------------------------------------------------------- certificates

EVIL_NAME = "evil\x1b]52;c;Zm9v\x07\u202eexample"
EVIL_DNS = "evil\x1b]52;c;Zm9v\x07\x7f.example"  # an A-label string: ASCII only


def _hostile_certificate() -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EVIL_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(EVIL_DNS)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def test_certificate_fields_are_escaped_in_the_probe_and_in_tls_views():
    from smtpshell.probe.certificate import summarize_certificate
    from smtpshell.shell.views import certificate_rows

    der = _hostile_certificate()
    summary = summarize_certificate(der)
    fields = [summary.subject, summary.issuer, summary.subject_cn, *summary.dns_names]
    assert all(raw_controls(field) == [] for field in fields), fields
    assert summary.subject_cn == "evil\\x1b]52;c;Zm9v\\x07\\u202eexample"
    peer = {
        "subject": ((("commonName", EVIL_NAME),),),
        "issuer": ((("commonName", EVIL_NAME),),),
        "subjectAltName": (("DNS", EVIL_NAME),),
        "notBefore": "x\x1b[2J",
        "notAfter": "y",
    }
    for rows in (certificate_rows(peer, der), certificate_rows(None, der)):
        text = "\n".join(f"{label} {value}" for label, value in rows)
        assert raw_controls(text) == [] and "\\u202eexample" in text, text
