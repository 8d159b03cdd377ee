"""What the interop tests share: messages, subjects, the private servers' CA, the CLI in a
subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import trustme

import smtpshell
from smtpshell.server import PracticeServer, ReceivedMessage
from smtpshell.transcript import EventKind

DOMAIN = "interop.test"
SENDER = f"sender@{DOMAIN}"
ALICE, BOB, CAROL = (f"{name}@{DOMAIN}" for name in ("alice", "bob", "carol"))
CLIENT_NAME = f"client.{DOMAIN}"
#: Lines SMTP treats specially: a lone dot ends DATA, a leading dot is stuffed.
TRICKY_BODY = b"hello\r\n.\r\n..two dots\r\n.one dot\r\nend\r\n"
TEN_MB = 10 * 1024 * 1024
CLI_TIMEOUT = 120
#: Where Debian and most distributions put server binaries; sbin is often not on PATH.
SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def tag() -> str:
    """A subject no other test uses: each server's sink is shared by the session."""
    return f"interop-{uuid.uuid4().hex[:12]}"


def message(subject: str, body: bytes = TRICKY_BODY, to: str = f"alice@{DOMAIN}") -> bytes:
    head = f"From: <{SENDER}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\r\n"
    return head.encode() + body


def dotted_lines(count: int) -> bytes:
    """``count`` numbered lines, a lone dot after lines 0, 7, 14...: BDAT must not stuff it."""
    return b"".join(
        b"%05d " % n + b"x" * 60 + b"\r\n" + b".\r\n" * (n % 7 == 0) for n in range(count)
    )


def big_body(size: int = TEN_MB) -> bytes:
    """``size`` bytes of numbered 100-byte lines, with a lone dot now and then."""
    lines = []
    total = 0
    number = 0
    while total < size:
        line = b".\r\n" if number % 997 == 0 else b"%08d " % number + b"z" * 89 + b"\r\n"
        lines.append(line)
        total += len(line)
        number += 1
    return b"".join(lines)


def body_of(received: ReceivedMessage | bytes) -> bytes:
    data = received if isinstance(received, bytes) else received.data
    return data.split(b"\r\n\r\n", 1)[1]


def by_subject(subject: str):
    return lambda received: received.subject == subject


def sent_verbs(client: smtpshell.SMTP, *, pipelined: bool) -> list[str]:
    return [
        event.data.split()[0].decode().upper()
        for event in client.transcript.events()
        if event.kind is EventKind.SENT
        and event.data[:4].isalpha()
        and event.pipelined == pipelined
    ]


def cli(
    *args: str,
    ca_file: Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
):
    """``python -m smtpshell ARGS`` as a user runs it; SSL_CERT_FILE makes it trust ``ca_file``."""
    env = {**os.environ, **(env or {})}
    if ca_file is not None:
        env["SSL_CERT_FILE"] = str(ca_file)
        env.pop("SSL_CERT_DIR", None)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "smtpshell", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )


def probe_json(*args: str) -> dict[str, Any]:
    """``smtpshell probe --json ARGS``: the one report, parsed, after the whole document
    was checked against the schema the package ships (real servers, real output)."""
    from importlib.resources import files

    from tests.probe import minischema

    result = cli("probe", "--json", *args)
    assert result.stdout, result.stderr
    document = json.loads(result.stdout)
    schema = json.loads(files("smtpshell.probe").joinpath("schema.json").read_text())
    assert minischema.errors(document, schema) == []
    (report,) = document["reports"]
    report["_exit"] = result.returncode
    return report


def keywords(capabilities: list[dict[str, Any]] | None) -> set[str]:
    """The advertised keywords, upper-cased (the report keeps the server's spelling)."""
    return {cap["keyword"].upper() for cap in capabilities or []}


def server_certificate(directory: Path, hostname: str) -> trustme.CA:
    """A new CA, and a certificate from it for 127.0.0.1, localhost and ``hostname``: the
    chain in ``directory``/cert.pem, the private key in ``directory``/key.pem."""
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost", hostname)
    leaf.cert_chain_pems[0].write_to_path(str(directory / "cert.pem"))
    for pem in leaf.cert_chain_pems[1:]:
        pem.write_to_path(str(directory / "cert.pem"), append=True)
    leaf.private_key_pem.write_to_path(str(directory / "key.pem"))
    return ca


def delivered_by(
    server: Any,
    store: PracticeServer,
    predicate: Callable[[ReceivedMessage], bool],
    timeout: float,
) -> ReceivedMessage:
    """The message ``server`` passed on to ``store`` (its sink or mailbox) that ``predicate``
    picks; when none comes in ``timeout`` seconds, an AssertionError with ``server.log()``."""
    try:
        return store.wait_for_message(predicate, timeout)
    except TimeoutError:
        raise AssertionError(
            f"not delivered; {type(server).__name__} log:\n{server.log()}"
        ) from None


class PrivateCA:
    """What every private server (Postfix, Exim, Dovecot) does with its trustme CA: a
    verifying client context that trusts only it, and its certificate as a file for the CLI
    (SSL_CERT_FILE, --ca-file), written once into the instance's ``root``."""

    ca: trustme.CA
    root: Path

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def ca_file(self) -> Path:
        path = self.root / "ca.pem"
        if not path.exists():
            self.ca.cert_pem.write_to_path(str(path))
        return path


def find_binary(env_var: str, *names: str, candidates: Sequence[Path] = ()) -> str | None:
    """$``env_var`` (a path, or "off" to skip the tests on purpose), else the first
    executable among ``candidates``, ``names`` on PATH, and ``names`` in the sbin dirs."""
    chosen = os.environ.get(env_var, "")
    if chosen:
        return chosen if chosen != "off" and os.access(chosen, os.X_OK) else None
    on_path = [shutil.which(name) for name in names]
    in_sbin = [Path(directory, name) for name in names for directory in SBIN_DIRS]
    for candidate in [*candidates, *(Path(p) for p in on_path if p), *in_sbin]:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def free_ports(count: int) -> list[int]:
    """``count`` different free ports (all bound at once, so none is handed out twice)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()
