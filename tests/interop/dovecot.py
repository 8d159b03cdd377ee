"""A private Dovecot (LMTP + submission) for the interop tests, from a config in a tmpdir.

``dovecot -c DIR/dovecot.conf`` runs as its own instance: base_dir, state_dir, logs, mail,
users and a trustme certificate all live in DIR, and it listens on 127.0.0.1 only, on free
ports.  The machine's own Dovecot (if any) is never touched.

- LMTP delivers to maildirs under DIR with the quota plugin on: ``full@`` has a quota of
  1 KiB, so a message to it fails with Dovecot's per-recipient 552 after the data.
- Submission authenticates against a passwd-file (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1,
  SCRAM-SHA-256) and against an OAuth2 token endpoint (OAUTHBEARER, XOAUTH2): a small HTTP
  server in the test process that answers Dovecot's introspection requests.  It relays
  every message to an in-process practice server (the "sink"), so tests see exactly what
  Dovecot passed on.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import select
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import trustme

from smtpshell.server import Faults, PracticeServer

from .helpers import PrivateCA, find_binary, free_ports, server_certificate

DOMAIN = "interop.test"
HOSTNAME = f"dovecot.{DOMAIN}"
USER = f"alice@{DOMAIN}"
PASSWORD = "correct horse"
#: Accepted at RCPT, then refused after the data: its quota is 1 KiB.
FULL = f"full@{DOMAIN}"
#: Refused at RCPT: by LMTP (not in the users file) and, through submission, by the sink.
UNKNOWN = f"nobody@{DOMAIN}"
MAILBOXES = ("alice", "bob", "carol", "full")
TOKEN = "tok-" + "a1b2c3d4e5f6"
APT_HINT = "apt-get install dovecot-core dovecot-lmtpd dovecot-submissiond"
DOVECOT_ENV = "SMTPSHELL_INTEROP_DOVECOT"
#: The practice server accepts this size; the submission relay must pass 10 MB + headers on.
SINK_SIZE = 32 * 1024 * 1024

DOVECOT_CONF = """\
# A throwaway Dovecot for smtpshell's interop tests: loopback only, everything in {root}.
instance_name = smtpsh-{tag}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = lmtp submission
listen = 127.0.0.1
hostname = {hostname}
postmaster_address = postmaster@{domain}
first_valid_uid = 1
mail_uid = {mail_user}
mail_gid = {mail_group}
mail_location = maildir:{root}/mail/%n
mail_plugins = quota
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 oauthbearer xoauth2
auth_username_format = %Lu
disable_plaintext_auth = no
auth_failure_delay = 0
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
submission_relay_host = 127.0.0.1
submission_relay_port = {sink_port}
submission_relay_trusted = yes
submission_max_mail_size = 40M
lmtp_rcpt_check_quota = no
quota_full_tempfail = no

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
  result_failure = continue
  result_internalfail = continue
}}
passdb {{
  driver = oauth2
  mechanisms = oauthbearer xoauth2
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {root}/userdb
}}

plugin {{
  quota = maildir:User quota
  quota_rule = *:storage=100M
}}

service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {submission_port}
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0600
  }}
}}
# No auth penalty (anvil's growing delay after a failed login from an IP): the tests fail
# logins on purpose, from 127.0.0.1, many times a run.  Mode 0 keeps auth from using it.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

OAUTH2_CONF = """\
introspection_mode = post
introspection_url = http://127.0.0.1:{port}/introspect
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


@dataclass
class TokenEndpoint:
    """The OAuth2 introspection endpoint Dovecot's oauth2 passdb asks (RFC 7662 style).

    ``tokens`` maps a valid token to its user; everything else is inactive.
    """

    tokens: dict[str, str]
    requests: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> int:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                token = (form.get("token") or [""])[0]
                endpoint.requests.append(token)
                user = endpoint.tokens.get(token)
                body = {"active": "true", "username": user} if user else {"active": "false"}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address[1]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Dovecot(PrivateCA):
    """A running private Dovecot: its ports, CA, sink, token endpoint and log."""

    host: str
    lmtp_port: int
    submission_port: int
    ca: trustme.CA
    sink: PracticeServer
    tokens: TokenEndpoint
    root: Path
    version: str

    def log(self, lines: int = 40) -> str:
        try:
            text = (self.root / "dovecot.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def maildir_messages(self, user: str) -> list[bytes]:
        """Every message delivered to ``user``'s INBOX (new/ and cur/)."""
        base = self.root / "mail" / user
        found = []
        for sub in ("new", "cur"):
            directory = base / sub
            if directory.is_dir():
                found += [path.read_bytes() for path in sorted(directory.iterdir())]
        return found


def find_dovecot() -> str | None:
    """$SMTPSHELL_INTEROP_DOVECOT (a path, or "off"), else dovecot on PATH or in sbin."""
    return find_binary(DOVECOT_ENV, "dovecot")


def missing_parts() -> list[str]:
    """The Dovecot programs this fixture needs that are not installed."""
    return [
        name
        for name in ("lmtp", "submission", "submission-login", "auth")
        if not Path("/usr/lib/dovecot", name).exists()
    ]


def listening(port: int) -> bool:
    """Whether 127.0.0.1:port accepts: ``dovecot -c`` binds its listeners before it returns."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except OSError:
        return False


@contextmanager
def private_dovecot(binary: str) -> Iterator[Dovecot]:
    """Start Dovecot from a config in a tmpdir; stop it and remove every trace."""
    root = Path(tempfile.mkdtemp(prefix="smtpsh-dc-"))
    root.chmod(0o755)
    mail_user, mail_group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    mail = root / "mail"
    mail.mkdir()
    os.chown(mail, pwd.getpwnam(mail_user).pw_uid, grp.getgrnam(mail_group).gr_gid)
    ca = server_certificate(root, HOSTNAME)
    (root / "key.pem").chmod(0o600)
    users = [f"{name}@{DOMAIN}:{{PLAIN}}{PASSWORD}::::::" for name in MAILBOXES]
    (root / "users").write_text("\n".join(users) + "\n")
    uid, gid = pwd.getpwnam(mail_user).pw_uid, grp.getgrnam(mail_group).gr_gid
    userdb = [
        f"{name}:x:{uid}:{gid}::{mail}/{name}::"
        + ("userdb_quota_rule=*:storage=1K" if name == "full" else "")
        for name in MAILBOXES
    ]
    (root / "userdb").write_text("\n".join(userdb) + "\n")
    for name in ("users", "userdb"):
        (root / name).chmod(0o644)

    sink = PracticeServer(
        hostname=f"sink.{DOMAIN}",
        size_limit=SINK_SIZE,
        faults=Faults(reject_rcpt=f"^{UNKNOWN}$", reject_code=550),
    )
    tokens = TokenEndpoint({TOKEN: USER})
    lmtp_port, submission_port = free_ports(2)
    config = root / "dovecot.conf"
    started = False
    sink.start()
    try:
        token_port = tokens.start()
        (root / "oauth2.conf.ext").write_text(OAUTH2_CONF.format(port=token_port))
        config.write_text(
            DOVECOT_CONF.format(
                root=root,
                tag=root.name,
                hostname=HOSTNAME,
                domain=DOMAIN,
                mail_user=mail_user,
                mail_group=mail_group,
                sink_port=sink.port,
                lmtp_port=lmtp_port,
                submission_port=submission_port,
            )
        )
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
        started = True  # from here on, stop it even when starting failed half-way
        with open(root / "start.out", "w+") as out:
            # Dovecot daemonizes: its children keep inherited pipes open, so a file it is.
            result = subprocess.run(
                [binary, "-c", str(config)], stdout=out, stderr=out, timeout=30, check=False
            )
            out.seek(0)
            why = out.read().strip()
        if result.returncode != 0 or not (listening(lmtp_port) and listening(submission_port)):
            log = (
                (root / "dovecot.log").read_text(errors="replace")
                if (root / "dovecot.log").exists()
                else ""
            )
            raise RuntimeError(f"dovecot did not start ({result.returncode}): {why} {log[-800:]}")
        yield Dovecot(
            host="127.0.0.1",
            lmtp_port=lmtp_port,
            submission_port=submission_port,
            ca=ca,
            sink=sink,
            tokens=tokens,
            root=root,
            version=version,
        )
    finally:
        if started:
            _stop(binary, config, root / "run" / "master.pid")
        tokens.stop()
        sink.stop()
        shutil.rmtree(root, ignore_errors=True)


def _stop(binary: str, config: Path, pid_file: Path, timeout: float = 15.0) -> None:
    """``dovecot stop``, then wait for the master to exit: the command may return first.

    The wait is on a pidfd (Linux 5.3+): it becomes readable when the process ends, so there
    is no polling.  Without a pid file (the start failed early) there is nothing to wait for.
    """
    pidfd = None
    try:
        pidfd = os.pidfd_open(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, AttributeError):
        pass
    subprocess.run([binary, "-c", str(config), "stop"], capture_output=True, timeout=30)
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
