"""The connect dialog: where, how securely, as whom.  It produces shell lines, not sockets.

The answer is a :class:`ConnectRequest` that turns into the same ``/connect`` and
``/login`` lines a person would type, so the dialog teaches the commands and adds no
protocol logic.  The password never becomes part of a line: the app hands it to the
engine's asker for the one ``/login`` that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet

from smtpshell.shell import Security
from smtpshell.tui.quoting import quote

__all__ = ["ConnectRequest", "ConnectScreen"]


@dataclass(frozen=True)
class ConnectRequest:
    """What the dialog asked for; ``host`` empty means the embedded practice server."""

    host: str = ""
    port: int | None = None
    security: Security = Security.PLAIN
    verify: bool = True
    helo: str = ""
    user: str = ""
    password: str = field(default="", repr=False)

    @property
    def target(self) -> str:
        if not self.host:
            return ""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}" if self.port else host

    def command_lines(self) -> list[str]:
        """``/connect ...``, then ``/ehlo`` (``--starttls`` already greets twice), then
        ``/login USER`` when a user is given (its password goes to the asker)."""
        parts = ["/connect"]
        if self.target:
            parts.append(quote(self.target))
        parts.append({"plain": "--plain", "starttls": "--starttls", "tls": "--tls"}[self.security])
        if not self.verify:
            parts.append("--no-verify")
        if self.helo:
            parts += ["--helo", quote(self.helo)]
        lines = [" ".join(parts)]
        if self.security is not Security.STARTTLS:
            lines.append("/ehlo")
        if self.user:
            lines.append(f"/login {quote(self.user)}")
        return lines


class ConnectScreen(ModalScreen[ConnectRequest | None]):
    """Host, port, security, verification, HELO name and credentials."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, initial: ConnectRequest | None = None) -> None:
        super().__init__()
        self.initial = initial or ConnectRequest()

    def compose(self) -> ComposeResult:
        initial = self.initial
        with Vertical(id="connect-dialog"):
            with Grid(id="connect-grid"):
                yield Label("Host")
                yield Input(
                    initial.host,
                    placeholder="empty: the practice server",
                    compact=True,
                    id="connect-host",
                )
                yield Label("Port")
                yield Input(
                    str(initial.port or ""),
                    placeholder="default for the security chosen",
                    type="integer",
                    compact=True,
                    id="connect-port",
                )
                yield Label("Security")
                with RadioSet(id="connect-security"):
                    yield RadioButton("none", initial.security is Security.PLAIN, id="sec-plain")
                    yield RadioButton(
                        "STARTTLS", initial.security is Security.STARTTLS, id="sec-starttls"
                    )
                    yield RadioButton(
                        "implicit TLS", initial.security is Security.TLS, id="sec-tls"
                    )
                yield Label("")
                yield Checkbox("verify the certificate", initial.verify, id="connect-verify")
                yield Label("HELO name")
                yield Input(
                    initial.helo,
                    placeholder="default: this host's name",
                    compact=True,
                    id="connect-helo",
                )
                yield Label("User")
                yield Input(
                    initial.user,
                    placeholder="optional: log in after connecting",
                    compact=True,
                    id="connect-user",
                )
                yield Label("Password")
                yield Input(
                    password=True,
                    placeholder="asked for when empty",
                    compact=True,
                    id="connect-password",
                )
            with Horizontal(id="connect-buttons"):
                yield Button("Connect", variant="primary", id="connect-ok", compact=True)
                yield Button("Cancel", id="connect-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#connect-dialog").border_title = "Connect"
        self.query_one("#connect-host", Input).focus()

    def _input(self, name: str) -> Input:
        return self.query_one(f"#connect-{name}", Input)

    def request(self) -> ConnectRequest:
        """The dialog's fields as a request (validated enough to build lines)."""
        port_text = self._input("port").value.strip()
        pressed = self.query_one("#connect-security", RadioSet).pressed_button
        security = {
            "sec-starttls": Security.STARTTLS,
            "sec-tls": Security.TLS,
        }.get(pressed.id if pressed is not None and pressed.id else "", Security.PLAIN)
        return ConnectRequest(
            host=self._input("host").value.strip(),
            port=int(port_text) if port_text else None,
            security=security,
            verify=self.query_one("#connect-verify", Checkbox).value,
            helo=self._input("helo").value.strip(),
            user=self._input("user").value.strip(),
            password=self._input("password").value,
        )

    def _submit(self) -> None:
        try:
            request = self.request()
            request.command_lines()
        except ValueError as exc:
            self.notify(str(exc), title="Cannot connect", severity="error", markup=False)
            return
        if request.port is not None and not 0 < request.port < 65536:
            self.notify("a port is 1 to 65535", title="Cannot connect", severity="error")
            return
        self.dismiss(request)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "connect-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
