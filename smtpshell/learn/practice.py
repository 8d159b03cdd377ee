"""A practice server configured the way a lesson's ``server:`` lines ask."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from smtpshell.learn.lesson import ServerSetup

if TYPE_CHECKING:
    from smtpshell.server import PracticeServer

__all__ = ["LessonServer"]


class LessonServer:
    """Owns the configured PracticeServer and, for LMTP, a private socket folder.

    The socket lives in a fresh short temporary folder: a Unix socket path is limited to
    about 100 bytes, and a private folder keeps other users off it.
    """

    def __init__(self, setup: ServerSetup) -> None:
        self.setup = setup
        #: Made now, not at start(), so the introduction can already name the socket.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="smtpshell-")) if setup.lmtp else None
        self.server: PracticeServer | None = None

    @property
    def lmtp_socket(self) -> str | None:
        return str(self.socket_dir / "lmtp") if self.socket_dir is not None else None

    def start(self) -> PracticeServer:
        from smtpshell.server import PracticeServer
        from smtpshell.server.faults import Faults

        setup = self.setup
        faults = Faults(
            delay=dict(setup.delay),
            reject_rcpt=re.compile(setup.reject_rcpt) if setup.reject_rcpt else None,
            reject_code=setup.reject_code,
            reply_421_on=setup.reply_421_on,
            drop_on=setup.drop_on,
            slow_greeting=setup.slow_greeting,
        )
        server = PracticeServer(
            users=dict(setup.users) if setup.users else None,
            tls_port=0,
            auth_require_tls=setup.auth_require_tls,
            lmtp_socket=self.lmtp_socket,
            faults=faults,
            pipelining=setup.pipelining,
            chunking=setup.chunking,
            dsn=setup.dsn,
            **({"size_limit": setup.size} if setup.size is not None else {}),
        )
        server.start()
        self.server = server
        return server

    def cleanup(self) -> None:
        """Remove the socket folder (the engine stops the server itself)."""
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None
