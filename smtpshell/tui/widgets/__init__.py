"""The TUI's widgets, one per module, each with its stylesheet beside it."""

from smtpshell.tui.widgets.command_input import CommandInput
from smtpshell.tui.widgets.command_pane import CommandPane
from smtpshell.tui.widgets.explain_panel import ExplainPanel
from smtpshell.tui.widgets.filter_bar import FilterBar
from smtpshell.tui.widgets.inspector import Inspector
from smtpshell.tui.widgets.key_footer import KeyFooter
from smtpshell.tui.widgets.log_pane import LogPane, LogRow
from smtpshell.tui.widgets.status_bar import StatusBar

__all__ = [
    "CommandInput",
    "CommandPane",
    "ExplainPanel",
    "FilterBar",
    "Inspector",
    "KeyFooter",
    "LogPane",
    "LogRow",
    "StatusBar",
]
