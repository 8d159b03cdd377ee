"""The command engine shared by the REPL, the TUI and scripts (no terminal code here).

A face builds an :class:`Engine`, subscribes to its transcript for the live log, feeds it
lines with ``run_line`` (from a worker thread) and renders the :class:`Result` items it
returns.  The registry describes every shell command once, for dispatch, completion, help
and docs.  See docs/shell.md.
"""

from smtpshell.shell.completion import Candidate, CompletionContext, complete
from smtpshell.shell.display import WireLine, event_lines, format_item, format_wire_line
from smtpshell.shell.engine import DEFAULT_TIMEOUT, Asker, Engine, Mode, Status, describe_error
from smtpshell.shell.registry import (
    PREFIX,
    Arg,
    CommandSpec,
    Completion,
    Invocation,
    Option,
    UsageError,
)
from smtpshell.shell.results import Item, Level, Note, Outcome, ReplyRecord, Result, Table, Text
from smtpshell.shell.target import Security, Target, parse_target

__all__ = [
    "DEFAULT_TIMEOUT",
    "PREFIX",
    "Arg",
    "Asker",
    "Candidate",
    "CommandSpec",
    "Completion",
    "CompletionContext",
    "Engine",
    "Invocation",
    "Item",
    "Level",
    "Mode",
    "Note",
    "Option",
    "Outcome",
    "ReplyRecord",
    "Result",
    "Security",
    "Status",
    "Table",
    "Target",
    "Text",
    "UsageError",
    "WireLine",
    "complete",
    "describe_error",
    "event_lines",
    "format_item",
    "format_wire_line",
    "parse_target",
]
