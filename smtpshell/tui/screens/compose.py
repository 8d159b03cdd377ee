"""The compose screen: a message built with the email package, sent through the engine.

It shows the message's size against the server's SIZE limit while you type, and lets you
choose how it goes out: ``send_message`` (the envelope comes from the headers and Bcc is
stripped, as smtplib does) or ``sendmail`` (an explicit envelope; Bcc never appears in the
headers).  Every address is checked with the core's rules (``protocol.addresses``) and an
error is shown at its field; an empty Subject is asked about once.  Sending is the engine's
``send_message``/``sendmail``: no temporary file, no line in the history.
"""

from __future__ import annotations

import email.errors
import email.utils
import mimetypes
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static, TextArea

from smtpshell.knowledge import human_size
from smtpshell.protocol.addresses import envelope_address

__all__ = ["ComposeFields", "ComposeRequest", "ComposeScreen", "build_message", "split_addresses"]

_FIELD_NAMES = {"from_addr": "From", "to": "To", "cc": "Cc", "bcc": "Bcc"}


def split_addresses(text: str, what: str) -> list[str]:
    """The comma-separated addresses in ``text``, each checked as one envelope address
    (``bob@example.com Compose test`` is refused, not cut down); ValueError says which."""
    found = []
    for item in _split_commas(text):
        item = item.strip()
        if not item:
            continue
        try:
            envelope_address(item)
        except ValueError:
            raise ValueError(
                f"{what}: {item!r} is not one address (separate addresses with commas)"
            ) from None
        found.append(item)
    return found


def _split_commas(text: str) -> list[str]:
    """Split at commas outside double quotes and angle brackets."""
    parts, current, quoted, angle = [], [], False, False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle = True
        elif char == ">" and not quoted:
            angle = False
        if char == "," and not quoted and not angle:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


SEND_MESSAGE = "send_message"
SENDMAIL = "sendmail"


@dataclass(frozen=True)
class ComposeFields:
    """The form as typed: address lists are comma-separated, attachments too."""

    from_addr: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: str = ""
    method: str = SEND_MESSAGE

    def addresses(self, *names: str) -> list[str]:
        """The checked addresses of the named fields (ValueError names a bad one)."""
        return [
            address
            for name in names
            for address in split_addresses(getattr(self, name), _FIELD_NAMES.get(name, name))
        ]

    @property
    def attachment_paths(self) -> list[Path]:
        return [Path(p.strip()).expanduser() for p in self.attachments.split(",") if p.strip()]


def build_message(fields: ComposeFields, *, include_bcc: bool) -> EmailMessage:
    """An RFC 5322 message from the form (reads the attachments; OSError if one is missing)."""
    message = EmailMessage()
    message["From"] = fields.from_addr
    if fields.to:
        message["To"] = fields.to
    if fields.cc:
        message["Cc"] = fields.cc
    if include_bcc and fields.bcc:
        message["Bcc"] = fields.bcc
    message["Subject"] = fields.subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="smtpshell.invalid")
    message.set_content(fields.body or "")
    for path in fields.attachment_paths:
        data = path.read_bytes()
        ctype, encoding = mimetypes.guess_type(path.name)
        if ctype is None or encoding is not None:
            ctype = "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    return message


@dataclass(frozen=True)
class ComposeRequest:
    """A message ready to go, and how to send it."""

    fields: ComposeFields
    message: bytes

    @property
    def recipients(self) -> list[str]:
        return self.fields.addresses("to", "cc", "bcc")

    def send(self, engine: Any) -> Any:
        """Send through ``engine`` (on its worker thread): its Result."""
        if self.fields.method == SENDMAIL:
            sender = self.fields.addresses("from_addr")
            return engine.sendmail(sender[0], self.recipients, self.message, [], [])
        return engine.send_message(self.message)


class ComposeScreen(ModalScreen[ComposeRequest | None]):
    """From, To, Cc, Bcc, Subject, body, attachments, method; Ctrl+S sends."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Send"),
    ]

    def __init__(self, *, size_limit: int | None = None, from_addr: str = "") -> None:
        super().__init__()
        self.size_limit = size_limit
        self.default_from = from_addr

    def compose(self) -> ComposeResult:
        with Vertical(id="compose-dialog"):
            with Grid(id="compose-grid"):
                for label, name, placeholder, value in (
                    ("From", "from", "you@example.com", self.default_from),
                    ("To", "to", "comma-separated addresses", ""),
                    ("Cc", "cc", "", ""),
                    ("Bcc", "bcc", "hidden recipients (never in the headers sent)", ""),
                    ("Subject", "subject", "", ""),
                    ("Attach", "attachments", "file paths, comma-separated", ""),
                ):
                    yield Label(label)
                    yield Input(value, placeholder=placeholder, compact=True, id=f"compose-{name}")
            yield TextArea(
                id="compose-body",
                soft_wrap=True,
                show_line_numbers=False,
                placeholder="The message body (plain text).",
            )
            with Horizontal(id="compose-options"):
                with RadioSet(id="compose-method"):
                    yield RadioButton("send_message (headers)", True, id=SEND_MESSAGE)
                    yield RadioButton("sendmail (envelope)", id=SENDMAIL)
            # markup=False: both show text the person typed (an address, a file name).
            yield Static("", id="compose-error", markup=False)
            yield Static("", id="compose-size", markup=False)
            with Horizontal(id="compose-buttons"):
                yield Button("Send (Ctrl+S)", variant="primary", id="compose-send", compact=True)
                yield Button("Cancel", id="compose-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#compose-dialog").border_title = "Compose a message"
        target = "#compose-to" if self.default_from else "#compose-from"
        self.query_one(target, Input).focus()
        self._attachment_sizes: dict[str, int | str] = {}
        self._subject_asked = False
        self.update_size()

    def fields(self) -> ComposeFields:
        def value(name: str) -> str:
            return self.query_one(f"#compose-{name}", Input).value.strip()

        pressed = self.query_one("#compose-method", RadioSet).pressed_button
        return ComposeFields(
            from_addr=value("from"),
            to=value("to"),
            cc=value("cc"),
            bcc=value("bcc"),
            subject=value("subject"),
            body=self.query_one("#compose-body", TextArea).text,
            attachments=value("attachments"),
            method=pressed.id if pressed is not None and pressed.id else SEND_MESSAGE,
        )

    def update_size(self) -> None:
        """The message's size now, against the server's SIZE (RFC 1870) when it has one."""
        size_label = self.query_one("#compose-size", Static)
        fields = self.fields()
        try:
            size = len(build_message(fields, include_bcc=fields.method == SEND_MESSAGE).as_bytes())
        except (OSError, ValueError, LookupError, email.errors.MessageError) as exc:
            # Half-typed headers make the email package raise all of these.
            size_label.update(f"cannot build the message yet: {exc or type(exc).__name__}")
            size_label.set_class(True, "-too-big")
            return
        text = f"size {human_size(size)}" + (f" ({size:,} bytes)" if size >= 1024 else "")
        too_big = False
        if self.size_limit:
            too_big = size > self.size_limit
            verdict = "TOO BIG: the server will refuse it" if too_big else "fits"
            text += f" · server SIZE limit {human_size(self.size_limit)}: {verdict}"
        else:
            text += " · the server announced no SIZE limit"
        size_label.update(text)
        size_label.set_class(too_big, "-too-big")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.has_class("-invalid"):
            event.input.remove_class("-invalid")
            self.query_one("#compose-error", Static).update("")
        self.update_size()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.update_size()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.update_size()

    def show_error(self, field: str, text: str) -> None:
        """``text`` under the form and the field ``field`` marked and focused."""
        self.query_one("#compose-error", Static).update(text)
        if field:
            widget = self.query_one(f"#compose-{field}", Input)
            widget.add_class("-invalid")
            widget.focus()

    def action_send(self) -> None:
        fields = self.fields()
        for name, field in (("from_addr", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc")):
            try:
                fields.addresses(name)
            except ValueError as exc:
                self.show_error(field, str(exc))
                return
        if len(fields.addresses("from_addr")) != 1:
            self.show_error("from", "From: give exactly one sender address")
            return
        if not fields.addresses("to", "cc", "bcc"):
            self.show_error("to", "To: give at least one recipient (in To, Cc or Bcc)")
            return
        if not fields.subject and not self._subject_asked:
            self._subject_asked = True
            self.query_one("#compose-error", Static).update(
                "Subject is empty: type one, or press Ctrl+S again to send without it"
            )
            self.query_one("#compose-subject", Input).focus()
            return
        try:
            message = build_message(fields, include_bcc=fields.method == SEND_MESSAGE)
            data = message.as_bytes()
        except (OSError, ValueError, LookupError, email.errors.MessageError) as exc:
            self.notify(str(exc), title="Cannot build the message", severity="error", markup=False)
            return
        self.dismiss(ComposeRequest(fields, data))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "compose-send":
            self.action_send()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
