"""A private Exim 4 (heavy) for the interop tests, from its own config (``exim -C``).

Exim conflicts with Postfix as a Debian package, so CI unpacks exim4-daemon-heavy into a
directory instead of installing it (``.ci/install-mail-servers``); this module runs that
binary (or one on PATH) with a config in a tmpdir: spool, logs, aliases and a trustme
certificate all live there.  The test binds the listening socket on 127.0.0.1 itself and
hands it to Exim as its standard input (``-bw``, inetd wait mode): the port accepts
connections before Exim has even started, so there is nothing to wait for, and the test
owns the process and ends it by its pid.

Mail for ``interop.test`` is relayed over SMTP to an in-process practice server (the
"sink"), so tests see exactly what Exim passed on.  ``nobody@`` is refused at RCPT with
550 5.1.1; ``staff@`` is an alias list (for EXPN); anything else not in the list of
mailboxes fails recipient verification.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

from smtpshell.server import PracticeServer

from .helpers import PrivateCA, find_binary, server_certificate

DOMAIN = "interop.test"
HOSTNAME = f"exim.{DOMAIN}"
USER = f"alice@{DOMAIN}"
PASSWORD = "correct horse"
REJECTED = f"nobody@{DOMAIN}"
MAILBOXES = ("alice", "bob", "carol", "zoë")
ALIASES = {"staff": ["alice", "bob"]}
APT_HINT = (
    "apt-get download exim4-daemon-heavy exim4-base exim4-config && dpkg-deb -x each "
    "into /opt/smtpshell-exim (bash .ci/install-mail-servers does this)"
)
EXIM_ENV = "SMTPSHELL_INTEROP_EXIM"
#: Where .ci/install-mail-servers unpacks the Debian packages.
UNPACKED = Path(os.environ.get("SMTPSHELL_EXIM_ROOT", "/opt/smtpshell-exim"))
SINK_SIZE = 32 * 1024 * 1024

EXIM_CONF = """\
# A throwaway Exim for smtpshell's interop tests: loopback only, everything in @ROOT@.
exim_path = @BINARY@
primary_hostname = @HOSTNAME@
qualify_domain = @DOMAIN@
spool_directory = @ROOT@/spool
log_file_path = @ROOT@/log/%slog
pid_file_path = @ROOT@/exim.pid
keep_environment =
host_lookup =
rfc1413_hosts =
domainlist local_domains = @DOMAIN@

tls_advertise_hosts = *
tls_certificate = @ROOT@/cert.pem
tls_privatekey = @ROOT@/key.pem
pipelining_advertise_hosts = *
chunking_advertise_hosts = *
smtputf8_advertise_hosts = *
dsn_advertise_hosts = *
auth_advertise_hosts = *
message_size_limit = 40M
smtp_accept_max = 50
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_vrfy = accept
acl_smtp_expn = accept

begin acl

acl_check_rcpt:
  deny    message = 5.1.1 mailbox unknown (interop test)
          recipients = @REJECTED@
  accept  domains = +local_domains
          verify = recipient
  deny    message = relay not permitted

begin routers

aliases:
  driver = redirect
  domains = +local_domains
  data = ${lookup{$local_part}lsearch{@ROOT@/aliases}}
  qualify_preserve_domain

mailboxes:
  driver = manualroute
  domains = +local_domains
  local_parts = lsearch;@ROOT@/mailboxes
  route_list = * 127.0.0.1
  self = send
  transport = to_sink

begin transports

to_sink:
  driver = smtp
  port = @SINK_PORT@
  hosts_avoid_tls = *
  allow_localhost

begin retry

*   *   F,1m,10s

begin authenticators

plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${if and {{eq{$auth2}{@USER@}}{eq{$auth3}{@PASSWORD@}}}}
  server_set_id = $auth2

login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${if and {{eq{$auth1}{@USER@}}{eq{$auth2}{@PASSWORD@}}}}
  server_set_id = $auth1

cram_md5:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = ${if eq{$auth1}{@USER@}{@PASSWORD@}fail}
  server_set_id = $auth1
"""


def _fill(template: str, **values: object) -> str:
    """``@NAME@`` placeholders: Exim's own syntax is full of braces and dollars."""
    for name, value in values.items():
        template = template.replace(f"@{name}@", str(value))
    return template


@dataclass
class Exim(PrivateCA):
    host: str
    port: int
    ca: trustme.CA
    sink: PracticeServer
    root: Path
    version: str

    def log(self, lines: int = 40) -> str:
        parts = []
        for name in ("mainlog", "rejectlog", "paniclog"):
            try:
                text = (self.root / "log" / name).read_text(errors="replace")
            except OSError:
                continue
            parts += [f"{name}: {line}" for line in text.splitlines()[-lines:]]
        return "\n".join(parts) or "(no log)"


def find_exim() -> str | None:
    """$SMTPSHELL_INTEROP_EXIM (a path, or "off"), the unpacked one, else exim4 on PATH."""
    unpacked = [UNPACKED / "usr/sbin/exim4", Path("/usr/sbin/exim4")]
    return find_binary(EXIM_ENV, "exim4", "exim", candidates=unpacked)


@contextmanager
def private_exim(binary: str) -> Iterator[Exim]:
    """Run Exim (``-bw``, in the foreground, on a socket bound here) from a config in a
    tmpdir; end it by its pid and remove every trace."""
    root = Path(tempfile.mkdtemp(prefix="smtpsh-exim-"))
    root.chmod(0o755)
    for sub in ("spool", "log"):
        (root / sub).mkdir()
    ca = server_certificate(root, HOSTNAME)
    (root / "mailboxes").write_text("".join(f"{name}\n" for name in MAILBOXES))
    (root / "aliases").write_text(
        "".join(
            f"{alias}: {', '.join(f'{m}@{DOMAIN}' for m in members)}\n"
            for alias, members in ALIASES.items()
        )
    )
    try:  # Exim drops to its own user for most work: it must read all of this
        uid, gid = _exim_ids(binary)
        for path in [root, *root.rglob("*")]:
            os.chown(path, uid, gid)
    except (KeyError, OSError):
        pass
    sink = PracticeServer(hostname=f"sink.{DOMAIN}", size_limit=SINK_SIZE)
    config = root / "exim.conf"
    process: subprocess.Popen[bytes] | None = None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sink.start()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        config.write_text(  # written after the chown: Exim wants its config owned by root
            _fill(
                EXIM_CONF,
                ROOT=root,
                BINARY=binary,
                HOSTNAME=HOSTNAME,
                DOMAIN=DOMAIN,
                REJECTED=REJECTED,
                SINK_PORT=sink.port,
                USER=USER,
                PASSWORD=PASSWORD,
            )
        )
        checked = subprocess.run(
            [binary, "-C", str(config), "-bV"], capture_output=True, text=True, timeout=30
        )
        if checked.returncode != 0:
            raise RuntimeError(f"exim rejected its config: {checked.stdout}{checked.stderr}")
        version = checked.stdout.splitlines()[0] if checked.stdout else "exim"
        with open(root / "daemon.out", "wb") as out:
            process = subprocess.Popen(
                [binary, "-C", str(config), "-bw"], stdin=listener, stdout=out, stderr=out
            )
        listener.close()  # Exim holds it now
        banner = _banner(port)
        if not banner.startswith(b"220 "):
            out = (root / "daemon.out").read_text(errors="replace")
            raise RuntimeError(f"exim -bw did not greet ({banner!r}): {out[-800:]}")
        yield Exim("127.0.0.1", port, ca, sink, root, version)
    finally:
        listener.close()
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        sink.stop()
        shutil.rmtree(root, ignore_errors=True)


def _banner(port: int) -> bytes:
    """The first line Exim sends on a new connection (empty if it closes or times out)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as probe:
            line = probe.makefile("rb").readline()
            probe.sendall(b"QUIT\r\n")
            return line
    except OSError:
        return b""


def _exim_ids(binary: str) -> tuple[int, int]:
    """The uid/gid Exim was built to run as (Debian: Debian-exim)."""
    import pwd

    result = subprocess.run(
        [binary, "-C", "/dev/null", "-bP", "exim_user", "exim_group"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    user = values.get("exim_user", "Debian-exim").strip()
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid
