"""The practice server a lesson's ``server:`` lines ask for, started through the engine."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from smtpshell.learn.lesson import ServerSetup
from smtpshell.practice import PracticeHandle

if TYPE_CHECKING:
    from smtpshell.shell.engine import Engine

__all__ = ["LessonServer"]


class LessonServer:
    """Asks the engine's practice factory for the server the lesson wants, and owns the
    private socket folder an LMTP lesson needs.

    The socket lives in a fresh short temporary folder: a Unix socket path is limited to
    about 100 bytes, and a private folder keeps other users off it.  The lesson core never
    imports the server: the engine was given a factory by whoever built it (the cli).
    """

    def __init__(self, setup: ServerSetup) -> None:
        self.setup = setup
        #: Made now, not at start(), so the introduction can already name the socket.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="smtpshell-")) if setup.lmtp else None

    @property
    def lmtp_socket(self) -> str | None:
        return str(self.socket_dir / "lmtp") if self.socket_dir is not None else None

    def start(self, engine: Engine) -> PracticeHandle:
        """The engine's practice server, started as the lesson wants it."""
        return engine.start_practice(replace(self.setup, lmtp_socket=self.lmtp_socket))

    def cleanup(self) -> None:
        """Remove the socket folder (the engine stops the server itself)."""
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None
