"""Where the parts are put together: the engine with its commands and its practice server.

The engine (:mod:`smtpshell.shell.engine`) is given its command registry and its practice
factory instead of importing them, so the shell layer never imports the server (aiosmtpd)
and ``engine.py`` and ``commands.py`` do not import each other.  The cli's subcommands
(the REPL, the TUI, ``run``, ``learn``) build their engines here; so do tests that want a
complete one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpshell.practice import PracticeHandle, PracticeOptions
from smtpshell.shell.commands import REGISTRY
from smtpshell.shell.engine import Engine

if TYPE_CHECKING:
    import argparse

    from smtpshell.shell.target import Target

__all__ = ["engine_for_options", "new_engine", "start_practice_server"]


def start_practice_server(options: PracticeOptions) -> PracticeHandle:
    """The practice factory: the embedded server, started as ``options`` ask.

    The server (and aiosmtpd) is imported only when a practice server is really wanted.
    """
    from smtpshell.server import start_practice_server as start

    return start(options)


def new_engine(**kwargs: Any) -> Engine:
    """An :class:`Engine` with the built-in commands and the embedded practice server;
    keyword arguments as for ``Engine`` (``registry`` and ``practice_factory`` may be
    overridden)."""
    kwargs.setdefault("registry", REGISTRY)
    kwargs.setdefault("practice_factory", start_practice_server)
    return Engine(**kwargs)


def engine_for_options(args: argparse.Namespace, target: Target, **kwargs: Any) -> Engine:
    """The engine of a subcommand that took the shared connection options
    (:mod:`smtpshell.shell.options`): their ``--timeout`` and ``--helo``, and ``target``
    (the options applied) as the defaults every later ``/connect`` keeps (``--cert``,
    ``--ca-file``, ``-4`` ...).  Keyword arguments as for :func:`new_engine`."""
    engine = new_engine(timeout=args.timeout, helo_name=args.helo, **kwargs)
    engine.connection_defaults = target
    return engine
