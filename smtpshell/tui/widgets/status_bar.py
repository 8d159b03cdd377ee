"""One line that always says where the session is: target, security, user, stage, latency."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from smtpshell.shell import Mode, Status
from smtpshell.shell.display import format_latency
from smtpshell.tui.inspection import target_label

__all__ = ["StatusBar", "status_text"]

_SEPARATOR = (" │ ", "dim")


def status_text(status: Status | None, *, busy: str | None = None, badge: bool = True) -> Text:
    """The status line as styled text (pure, for tests)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if badge:
        text.append(" smtpshell ", style="bold reverse")
    text.append(" ")
    if status is None or not status.connected:
        text.append("not connected", style="bold")
        if status is not None and status.target:
            text.append(f" (last: {status.target})", style="dim")
        text.append(*_SEPARATOR)
        text.append("F2 connects", style="dim")
    else:
        text.append(target_label(status), style="bold")
        text.append(*_SEPARATOR)
        if status.tls and status.tls_verified:
            text.append("TLS ✓ verified", style="bold green")
        elif status.tls:
            text.append("TLS NOT verified", style="bold yellow")
        else:
            text.append("plain text", style="yellow")
        text.append(*_SEPARATOR)
        text.append(f"user {status.user}" if status.user else "anonymous", style="")
        text.append(*_SEPARATOR)
        stage = status.stage
        if status.recipients:
            stage += f" · {status.recipients} rcpt"
        text.append(stage, style="bold")
        if status.mode is not Mode.COMMAND:
            text.append(f" [{status.mode.value}]", style="bold magenta")
        if status.last_code is not None:
            text.append(*_SEPARATOR)
            text.append(f"{status.last_code}", style=_code_style(status.last_code))
            if status.last_latency is not None:
                text.append(f" in {format_latency(status.last_latency)}", style="dim")
    if status is not None and status.replay is not None:
        text.append(*_SEPARATOR)
        text.append("replay {}/{}".format(*status.replay), style="bold cyan")
    if status is not None and status.reveal:
        text.append(*_SEPARATOR)
        text.append("SECRETS SHOWN", style="bold reverse red")
    if busy:
        text.append(*_SEPARATOR)
        text.append(busy, style="bold")
    return text


def _code_style(code: int) -> str:
    return {2: "green", 3: "cyan", 4: "yellow", 5: "bold red"}.get(code // 100, "")


class StatusBar(Static):
    """The status line; the app calls ``show`` after every job and transcript batch."""

    _shown: Text | None = None

    def show(self, status: Status | None, *, busy: str | None = None) -> None:
        text = status_text(status, busy=busy)
        if self.size.width and text.cell_len > self.size.width:  # 80 columns: facts first
            text = status_text(status, busy=busy, badge=False)
        if text == self._shown:
            # Unchanged: no update, which would lay out the whole screen again (the app
            # calls this after every batch of a flood of transcript events).
            return
        self._shown = text
        self.update(text)
