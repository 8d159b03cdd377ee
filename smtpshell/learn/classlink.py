"""``smtpshell learn --class HOST:PORT``: tell the class server each lesson step done.

The lessons still run against the student's own practice server, set up as each lesson
needs (faults, TLS-only AUTH, an LMTP socket: things one shared server cannot be for thirty
students at once).  What the teacher needs is the progress, and for that the class server
offers a private ESMTP extension, ``XCLASS``, advertised only by ``smtpshell class``: after
each step the runner's progress store opens a short SMTP session to the class server
(EHLO, STARTTLS, AUTH as the student, ``XLESSON KEY STEP STEPS``, QUIT).  No extra service,
no extra port; the password travels only inside TLS; when the class server cannot be
reached the lesson goes on and the student is told once.  See docs/teaching.md.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from smtpshell.client import SMTP
from smtpshell.learn.progress import LessonProgress, ProgressStore
from smtpshell.protocol.display import display

__all__ = ["ClassLink", "ReportingProgress", "parse_class_address"]


def parse_class_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``) -> (host, port); ValueError with the reason."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--class wants HOST:PORT, not {text!r}")
    return host, int(port)


@dataclass
class ClassLink:
    host: str
    port: int
    account: str
    password: str = field(repr=False)
    timeout: float = 10.0
    #: The SHA-256 fingerprint from the class sheet (``AB:CD:...``): when given, the report
    #: goes only to a server whose certificate has it.
    fingerprint: str | None = None
    #: Why the last report failed (None: it worked).
    problem: str | None = None

    def _context(self) -> ssl.SSLContext:
        # The class certificate is self-signed; the sheet prints its fingerprint, which
        # /tls shows in the REPL.  The link itself only needs the password kept off the wire.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context

    def _pinned(self, client: SMTP) -> bool:
        """With a fingerprint: the certificate must have it (checked before AUTH)."""
        if not self.fingerprint:
            return True
        sock = client.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        if der is None or _normal(_fingerprint(der)) != _normal(self.fingerprint):
            seen = _fingerprint(der) if der else "none"
            self.problem = (
                f"the class server's certificate is not the one on the sheet ({seen}): "
                "not sending the password"
            )
            return False
        return True

    def report(self, lesson: str, step: int, steps: int) -> bool:
        try:
            with SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.ehlo()
                if not client.has_extn("xclass"):
                    self.problem = f"{self.host}:{self.port} is not a class server (no XCLASS)"
                    return False
                if client.has_extn("starttls"):
                    client.starttls(context=self._context())
                    client.ehlo()
                    if not self._pinned(client):
                        return False
                elif self.fingerprint:
                    self.problem = "the class server offers no STARTTLS: not sending the password"
                    return False
                client.login(self.account, self.password)
                code, message = client.docmd("XLESSON", f"{lesson} {step} {steps}")
                if code != 250:
                    self.problem = f"XLESSON: {code} {display(message)}"
                    return False
        except (OSError, ssl.SSLError) as error:  # SMTP errors are OSErrors here
            self.problem = f"{self.host}:{self.port}: {error}"
            return False
        except Exception as error:  # never end a lesson because the class is unreachable
            self.problem = f"{self.host}:{self.port}: {error}"
            return False
        self.problem = None
        return True


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _normal(fingerprint: str) -> str:
    return fingerprint.replace(":", "").replace(" ", "").upper()


class ReportingProgress(ProgressStore):
    """The student's own progress file, and each step reported to the class server."""

    def __init__(self, link: ClassLink, path: Path | str | None = None) -> None:
        super().__init__(path)
        self.link = link

    def record(self, key: str, step: int, steps: int) -> LessonProgress:
        progress = super().record(key, step, steps)
        self.link.report(key, step, steps)
        return progress
