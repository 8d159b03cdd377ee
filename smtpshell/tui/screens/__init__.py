"""Modal screens: connect, compose, help and the hidden-answer prompt."""

from smtpshell.tui.screens.compose import ComposeRequest, ComposeScreen
from smtpshell.tui.screens.connect import ConnectRequest, ConnectScreen
from smtpshell.tui.screens.help import HelpScreen
from smtpshell.tui.screens.secret import SecretScreen

__all__ = [
    "ComposeRequest",
    "ComposeScreen",
    "ConnectRequest",
    "ConnectScreen",
    "HelpScreen",
    "SecretScreen",
]
