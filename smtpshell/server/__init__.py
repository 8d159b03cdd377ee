"""The practice server: a local SMTP/LMTP server (aiosmtpd) to point smtpshell at.

``from smtpshell.server import PracticeServer`` is the in-process API; ``smtpshell serve``
(:mod:`smtpshell.server.command`) runs it in the foreground.  Names are loaded lazily so the
``serve`` command's argument parser, which imports this package, does not pay for aiosmtpd.
The client core and the shell never import this package: the cli hands
:func:`start_practice_server` to the engine as its practice factory.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpshell.server.faults import Faults
    from smtpshell.server.messages import ReceivedMessage
    from smtpshell.server.practice import (
        DEFAULT_PASSWORD,
        DEFAULT_USER,
        PracticeServer,
        start_practice_server,
    )

_EXPORTS = {
    "PracticeServer": "smtpshell.server.practice",
    "DEFAULT_USER": "smtpshell.server.practice",
    "DEFAULT_PASSWORD": "smtpshell.server.practice",
    "start_practice_server": "smtpshell.server.practice",
    "Faults": "smtpshell.server.faults",
    "ReceivedMessage": "smtpshell.server.messages",
}

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USER",
    "Faults",
    "PracticeServer",
    "ReceivedMessage",
    "start_practice_server",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
