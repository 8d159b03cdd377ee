"""smtpshell: look inside SMTP.  The package is a drop-in for :mod:`smtplib`."""

from smtpshell.errors import *  # noqa: F403
from smtpshell.errors import __all__ as _error_names
from smtpshell.transcript import Event, EventKind, Transcript

__all__ = [*_error_names, "Event", "EventKind", "Transcript"]
