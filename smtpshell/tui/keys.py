"""Every key binding in one table: the app binds from it and F1 help and docs list it."""

from __future__ import annotations

from typing import NamedTuple

from textual.binding import Binding

__all__ = ["APP_KEYS", "LOCAL_KEYS", "KeySpec", "app_bindings"]


class KeySpec(NamedTuple):
    keys: str  # Textual key names, comma-separated
    action: str
    label: str  # short, for the footer
    description: str
    show: bool = True  # in the footer
    shown_as: str = ""  # how the help writes the keys (default: derived from keys)
    priority: bool = False

    @property
    def display(self) -> str:
        return self.shown_as or " / ".join(_key_name(k) for k in self.keys.split(","))


def _key_name(key: str) -> str:
    """``ctrl+f`` -> ``Ctrl+F``, ``escape`` -> ``Esc``, ``f1`` -> ``F1``."""
    if key.startswith("ctrl+"):
        return "Ctrl+" + key[5:].upper()
    return {"escape": "Esc"}.get(key, key.upper() if len(key) <= 3 else key.capitalize())


APP_KEYS: tuple[KeySpec, ...] = (
    KeySpec("f1", "help", "Help", "Help: these keys and every shell command"),
    KeySpec("f2", "connect_dialog", "Connect", "Connect dialog: host, port, TLS, HELO, login"),
    KeySpec("f3", "toggle_inspector", "Insp", "Show or hide the inspector"),
    KeySpec("f4", "compose", "Compose", "Compose and send a message"),
    KeySpec("f5", "run_line('/ehlo')", "EHLO", "Send EHLO", show=False),
    KeySpec(
        "f6", "toggle_reveal", "Reveal", "Reveal secrets in the log (off by default)", show=False
    ),
    KeySpec("f7,ctrl+f", "filter", "Filter", "Filter/search the log"),
    KeySpec("f8", "export", "Export", "Export the transcript (/export)", show=False),
    KeySpec("f9", "toggle_theme", "Theme", "Switch between the dark and light theme", show=False),
    KeySpec(
        "escape",
        "cancel",
        "Back",
        "Cancel the command in flight (or the message typed); in the log: clear the filter, "
        "then the selection, then back to the prompt",
    ),
    KeySpec("ctrl+l", "focus_log", "Log", "Focus the log (↑/↓ select a line to explain)"),
    KeySpec("ctrl+t", "focus_prompt", "Type", "Back to the prompt (typing anywhere does too)"),
    KeySpec(
        "ctrl+p",
        "command_palette",
        "Palette",
        "Command palette: every action and /command",
        show=False,
    ),
    KeySpec("ctrl+q", "quit", "Quit", "Quit (QUIT is sent first if connected)"),
)

#: Keys of one widget, for the help screen and docs (the widgets bind these themselves).
LOCAL_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Prompt", "Enter", "Run the line (a /command, an SMTP command, or a DATA line)"),
    ("Prompt", "Tab", "Complete; again to walk the menu; Enter takes it"),
    ("Prompt", "→ / End", "Accept the greyed suggestion"),
    ("Prompt", "↑ / ↓", "History (secrets are never stored)"),
    ("Log", "↑ ↓ PgUp PgDn Home End", "Select a line: the Explain panel says what it means"),
    ("Log", "Esc", "Clear the filter, then drop the selection, then back to the prompt"),
    ("Log", "Ctrl+C / Ctrl+A", "Copy the selected line / every line shown"),
    ("Log", "Ctrl+O", "Show or hide timestamps"),
    ("Log", "← / →", "Scroll sideways: a line cut at the edge ends in ›, ‹ marks the left"),
    ("Log", "Ctrl+W", "Wrap long lines (↪ starts each continuation) or cut them again"),
    ("Log", "any letter", "Typed at the prompt (the log has no one-letter keys)"),
    ("Filter", "Enter / Esc", "Keep the filter / clear it"),
    ("Dialogs", "Esc / Ctrl+S", "Close / send (compose)"),
)


def app_bindings() -> list[Binding]:
    return [
        Binding(k.keys, k.action, k.label, show=k.show, priority=k.priority, tooltip=k.description)
        for k in APP_KEYS
    ]
