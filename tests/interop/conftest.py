"""A private Postfix for interop tests: loopback only, its own config and queue, then gone.

The instance lives entirely in a temporary directory (``postfix -c DIR``): its own
main.cf/master.cf, queue and data directories, log file, and a trustme certificate for
STARTTLS.  It listens on 127.0.0.1 on a free port and never touches the machine's own mail
setup.  Mail for ``interop.test`` is handed on over LMTP to an in-process practice server
(the "mailbox"), so tests wait for delivery on a condition variable instead of polling a
maildir, and see exactly what Postfix passed on.  Everything else is refused with the
``error`` transport: nothing ever leaves the machine.

Without root or without a postfix binary, or when the instance cannot start, every test
here is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from smtpshell.server import PracticeServer, ReceivedMessage

from . import dovecot as dovecot_module
from . import exim as exim_module
from .dovecot import Dovecot, find_dovecot, private_dovecot
from .exim import Exim, find_exim, private_exim
from .helpers import (
    DOMAIN,
    PrivateCA,
    delivered_by,
    find_binary,
    free_ports,
    server_certificate,
)

#: Postfix refuses this recipient with 550 5.1.1 (a check_recipient_access map) ...
REJECTED = f"nobody@{DOMAIN}"
#: ... and this sender with 553 5.7.1, at MAIL itself (smtpd_delay_reject = no).
REFUSED_SENDER = f"refused-sender@{DOMAIN}"
POSTFIX_HOSTNAME = f"postfix.{DOMAIN}"
COMMAND_TIMEOUT = 30
#: Which postfix binary to run; "off" skips the interop tests on purpose.
POSTFIX_ENV = "SMTPSHELL_INTEROP_POSTFIX"


@dataclass
class Postfix(PrivateCA):
    """A running private Postfix: where to connect, what to trust, where mail ends up."""

    host: str
    port: int
    ca: trustme.CA
    mailbox: PracticeServer
    root: Path
    config_dir: Path
    log_file: Path

    def delivered(
        self, predicate: Callable[[ReceivedMessage], bool], timeout: float = 20.0
    ) -> ReceivedMessage:
        """The message Postfix delivered to the mailbox that ``predicate`` picks."""
        return delivered_by(self, self.mailbox, predicate, timeout)

    def log(self) -> str:
        return _tail(self.log_file, 40).replace(" | ", "\n")


def _find_postfix() -> str | None:
    """$SMTPSHELL_INTEROP_POSTFIX (a path, or "off"), else postfix on PATH or in sbin."""
    return find_binary(POSTFIX_ENV, "postfix")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _free_port() -> int:
    return free_ports(1)[0]


MAIN_CF = """\
# A throwaway Postfix for smtpshell's interop tests.  Loopback only; delivers nowhere but
# to the test's own LMTP socket.
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}

myhostname = {hostname}
mydomain = {domain}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
biff = no

relay_domains = {domain}
relay_transport = lmtp:unix:{lmtp_socket}
default_transport = error:the interop test Postfix sends nothing off this machine
local_transport = error:no local delivery in the interop test Postfix
lmtp_tls_security_level = none

smtpd_delay_reject = no
smtpd_sender_restrictions =
    check_sender_access inline:{{ {{ {refused_sender} = 553 5.7.1 sender refused (test) }} }}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
    check_recipient_access inline:{{ {{ {rejected} = 550 5.1.1 mailbox unknown (interop test) }} }},
    permit_mynetworks, reject_unauth_destination

smtpd_tls_cert_file = {root}/etc/cert.pem
smtpd_tls_key_file = {root}/etc/key.pem
smtpd_tls_security_level = may
smtputf8_enable = yes
"""

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
{port}    inet  n       -       n       -       -       smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _postfix(binary: str, config_dir: Path, action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "-c", str(config_dir), action],
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def postfix() -> Iterator[Postfix]:
    """Start the private Postfix once for the session; stop it and remove every trace."""
    binary = _find_postfix()
    if binary is None:
        pytest.skip(
            f"no postfix: {POSTFIX_ENV}={os.environ[POSTFIX_ENV]}"
            if os.environ.get(POSTFIX_ENV)
            else "postfix is not installed (apt-get install postfix)"
        )
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root (postfix -c DIR start)")
    root = Path(tempfile.mkdtemp(prefix="smtpsh-pfx-"))
    root.chmod(0o755)  # Postfix's unprivileged lmtp client must reach the socket in here
    config_dir = root / "etc"
    config_dir.mkdir()
    (root / "queue").mkdir()  # postfix creates what is inside, not the directory itself
    lmtp_socket = root / "lmtp.sock"
    port = _free_port()
    ca = server_certificate(config_dir, POSTFIX_HOSTNAME)
    (config_dir / "key.pem").chmod(0o600)
    (config_dir / "main.cf").write_text(
        MAIN_CF.format(
            root=root,
            hostname=POSTFIX_HOSTNAME,
            domain=DOMAIN,
            lmtp_socket=lmtp_socket,
            rejected=REJECTED,
            refused_sender=REFUSED_SENDER,
        )
    )
    (config_dir / "master.cf").write_text(MASTER_CF.format(port=port))

    mailbox = PracticeServer(lmtp_socket=lmtp_socket, hostname=f"mailbox.{DOMAIN}")
    mailbox.start()
    start_tried = False
    try:
        lmtp_socket.chmod(0o666)  # connecting to a Unix socket needs write permission
        start_tried = True
        result = _postfix(binary, config_dir, "start")
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip() or _tail(root / "maillog")
            pytest.skip(
                f"the private Postfix did not start ({binary} exited {result.returncode}): {why}"
            )
        yield Postfix(
            host="127.0.0.1",
            port=port,
            ca=ca,
            mailbox=mailbox,
            root=root,
            config_dir=config_dir,
            log_file=root / "maillog",
        )
    finally:
        if start_tried:  # also after a failed start: never leave half a Postfix behind
            _postfix(binary, config_dir, "stop")
        mailbox.stop()
        shutil.rmtree(root, ignore_errors=True)


# -- Exim and Dovecot -----------------------------------------------------------------------
# Each runs from a private config in a tmpdir, on loopback, on free ports (see exim.py and
# dovecot.py).  Missing servers skip with the command that installs them.


@pytest.fixture(scope="session")
def exim() -> Iterator[Exim]:
    """A private Exim 4 (heavy) for the session."""
    binary = find_exim()
    if binary is None:
        pytest.skip(f"no exim4: {exim_module.APT_HINT}")
    if os.geteuid() != 0:
        pytest.skip("a private Exim daemon needs root (it drops to its own user)")
    try:
        with private_exim(binary) as server:
            yield server
    except RuntimeError as error:  # raised before the yield only: a server that won't start
        pytest.skip(f"the private Exim did not start: {error}")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot (LMTP + submission, OAuth2 token endpoint) for the session."""
    binary = find_dovecot()
    if binary is None:
        pytest.skip(f"no dovecot: {dovecot_module.APT_HINT}")
    missing = dovecot_module.missing_parts()
    if missing:
        pytest.skip(f"dovecot lacks {', '.join(missing)}: {dovecot_module.APT_HINT}")
    if os.geteuid() != 0:
        pytest.skip("a private Dovecot instance needs root (it drops to its own users)")
    try:
        with private_dovecot(binary) as server:
            yield server
    except RuntimeError as error:
        pytest.skip(f"the private Dovecot did not start: {error}")
