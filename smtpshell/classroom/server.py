"""The class server: one practice server for the whole class.

It is the practice server (:class:`~smtpshell.server.practice.PracticeServer`) with

- one account per student of the roster (AUTH as in the practice server);
- one mailbox per student: mail to ``account@class.test`` lands there, and a student reads
  only their own, over SMTP, with the private ``XMAILBOX`` command (after AUTH);
- the private ESMTP extension ``XCLASS``, advertised only here: ``XLESSON KEY STEP STEPS``
  (after AUTH) tells the teacher a lesson step was done.  ``smtpshell learn --class`` sends
  it; no other service is needed;
- a :class:`~smtpshell.classroom.room.Room` that every connection reports into (commands,
  replies, stage, TLS, AUTH), redacted where the data is born: AUTH's argument is recorded as
  ``<redacted>`` and SASL continuation lines are never recorded at all;
- faults the teacher switches for the class or one student while it runs (the room's
  :class:`~smtpshell.classroom.room.ClassFault`).

The bounds are set for 100 students (:data:`CLASS_BOUNDS`).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiosmtpd.smtp import SMTP

from smtpshell.classroom.room import Room
from smtpshell.classroom.roster import CLASS_DOMAIN, Student
from smtpshell.practice import PracticeOptions
from smtpshell.protocol.display import display
from smtpshell.server.messages import ReceivedMessage
from smtpshell.server.practice import PracticeServer
from smtpshell.server.session import PracticeSMTP

__all__ = ["CLASS_BOUNDS", "ClassServer", "MailboxEntry", "class_options"]

#: Bounds for a class of 100: three connections each, 50 kept messages each, and the
#: practice server's AUTH-failure cap per connection.
CLASS_BOUNDS = {
    "max_connections": 300,
    "max_messages": 5000,
    "max_stored_bytes": 256 * 1024 * 1024,
    "max_auth_failures": 10,
}
#: Messages kept per mailbox; the oldest go first.
MAILBOX_LIMIT = 200
#: Lines of one message that ``XMAILBOX N`` shows.
SHOW_LINES = 200


def class_options(host: str = "127.0.0.1", port: int = 2525, **changes) -> PracticeOptions:
    return replace(
        PracticeOptions(host=host, port=port, hostname=CLASS_DOMAIN, **CLASS_BOUNDS), **changes
    )


@dataclass(frozen=True)
class MailboxEntry:
    sender: str
    subject: str
    data: bytes


_STAGE_AFTER = {
    "EHLO": "greeted",
    "HELO": "greeted",
    "MAIL": "mail",
    "RCPT": "rcpt",
    "RSET": "greeted",
}


class ClassSMTP(PracticeSMTP):
    """A practice-server conversation that reports to the room and knows the class."""

    greeting_ident = "ESMTP smtpshell class server (mail sent here stays here)"
    server: ClassServer  # set on the bound subclass

    _ids = itertools.count(1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conn_id = next(self._ids)
        self.account: str | None = None
        self._last_verb = ""
        self._smtp_methods["XLESSON"] = self._with_faults("XLESSON", self.smtp_XLESSON)
        self._smtp_methods["XMAILBOX"] = self._with_faults("XMAILBOX", self.smtp_XMAILBOX)
        for verb in ("XLESSON", "XMAILBOX"):
            self.command_size_limits[verb] = 512
        self._handle_hooks["EHLO"] = _with_xclass(self._handle_hooks["EHLO"])

    # --- reporting --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._admitted is None:
            peer = transport.get_extra_info("peername")
            where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
            self.server.room.connect(self.conn_id, where)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.server.room.disconnect(self.conn_id)
        super().connection_lost(error)

    def _with_faults(self, verb, method):
        inner = super()._with_faults(verb, method)

        async def answer(arg: str | None) -> None:
            if verb == "AUTH":
                mechanism = (arg or "").split(" ", 1)[0]
                shown = (
                    f"AUTH {mechanism} <redacted>" if arg and " " in arg else f"AUTH {mechanism}"
                )
            else:
                shown = f"{verb} {arg}" if arg else verb
            self._last_verb = verb
            self.server.room.command(self.conn_id, _printable(shown))
            await inner(arg)

        return answer

    async def push(self, status: str | bytes) -> None:
        await super().push(status)
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if self._silenced and not text.startswith("421"):
            return
        if text.startswith("334"):
            text = "334 (SASL challenge)"
        stage = None
        code = text[:3]
        if code.startswith("2"):
            stage = _STAGE_AFTER.get(self._last_verb)
            if self._last_verb in ("DATA", "BDAT") or text.startswith("250 2.0.0 OK: message"):
                stage = "greeted"
        elif code == "354":
            stage = "data"
        room = self.server.room
        room.reply(self.conn_id, _printable(text), stage, self.is_encrypted)
        if code == "235" and self.session is not None and self.session.authenticated:
            account = str(self.session.auth_data)
            self.account = account
            room.authenticated(self.conn_id, account)

    # --- faults per student -----------------------------------------------------------------

    async def apply_faults(self, point: str) -> bool:
        fault = self.server.room.fault_for(self.account)
        if fault is not None and fault.point == point:
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "421":
                await self.push(f"421 4.3.2 {self.hostname} Service shutting down (class fault)")
                self._silenced = True
                if self.transport is not None:
                    self.transport.close()
                return True
            elif fault.kind == "drop":
                self._silenced = True
                if self.transport is not None:
                    self.transport.abort()
                return True
        return await super().apply_faults(point)

    async def smtp_RCPT(self, arg: str | None) -> None:
        fault = self.server.room.fault_for(self.account)
        envelope = self.envelope
        if fault is not None and fault.kind == "reject" and envelope and envelope.mail_from:
            why = "try again later" if fault.code < 500 else "recipient rejected"
            enhanced = "4.2.1" if fault.code < 500 else "5.7.1"
            await self.push(f"{fault.code} {enhanced} {why} (class fault)")
            return
        address = self._class_recipient(arg)
        if address is not None and address not in self.server.accounts:
            await self.push(f"550 5.1.1 <{address}@{CLASS_DOMAIN}>: no such student in this class")
            return
        await super().smtp_RCPT(arg)

    def _class_recipient(self, arg: str | None) -> str | None:
        text = (arg or "").strip()
        if not text.upper().startswith("TO:"):
            return None
        path = text[3:].strip().split(" ", 1)[0].strip("<>")
        local, at, domain = path.rpartition("@")
        return local.lower() if at and domain.lower() == CLASS_DOMAIN else None

    # --- the XCLASS extension ---------------------------------------------------------------

    async def smtp_XLESSON(self, arg: str | None) -> None:
        """``XLESSON KEY STEP STEPS``: the lesson runner reports a step done."""
        if self.account is None:
            await self.push("530 5.7.0 Authentication required")
            return
        parts = (arg or "").split()
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            await self.push("501 5.5.4 Syntax: XLESSON <lesson> <step> <steps>")
            return
        key, step, steps = parts[0][:60], int(parts[1]), int(parts[2])
        if not 0 <= step <= steps <= 1000:
            await self.push("501 5.5.4 XLESSON: step must be between 0 and steps")
            return
        self.server.room.lesson(self.account, _printable(key), step, steps)
        await self.push("250 2.0.0 Progress noted")

    async def smtp_XMAILBOX(self, arg: str | None) -> None:
        """``XMAILBOX``: your mailbox, one line per message; ``XMAILBOX N``: message N."""
        if self.account is None:
            await self.push("530 5.7.0 Authentication required")
            return
        entries = self.server.mailbox(self.account)
        if arg and arg.strip():
            if not arg.strip().isdigit() or not 1 <= int(arg) <= len(entries):
                await self.push(f"501 5.5.4 XMAILBOX takes a number from 1 to {len(entries)}")
                return
            entry = entries[int(arg) - 1]
            lines = entry.data.decode("utf-8", "replace").splitlines()[:SHOW_LINES]
            lines = [_printable(line)[:400] or " " for line in lines] or [" "]
            for line in lines:  # the message itself: not in the room's transcript
                await SMTP.push(self, f"250-{line}")
            await self.push(f"250 End of message {int(arg)}")
            return
        if not entries:
            await self.push(f"250 Mailbox of {self.account} is empty")
            return
        for index, entry in enumerate(entries, 1):
            await self.push(f"250-{index} from <{entry.sender}> {_printable(entry.subject)[:100]}")
        await self.push(f"250 {len(entries)} message(s) for {self.account}@{CLASS_DOMAIN}")


def _with_xclass(hook):
    """The practice server's EHLO hook, with XCLASS added to the extensions."""

    async def handle_EHLO(server, session, envelope, hostname, responses):
        lines = await hook(server, session, envelope, hostname, responses)
        return [*lines[:-1], "250-XCLASS", lines[-1]]

    return handle_EHLO


def _printable(text: str) -> str:
    """Client-controlled text, made displayable the one way smtpshell does it."""
    return str(display(text))


class ClassServer(PracticeServer):
    """The practice server for a class: the roster's accounts, mailboxes, the room."""

    def __init__(self, students: Sequence[Student], options: PracticeOptions | None = None):
        options = options or class_options(port=0)
        self.students = list(students)
        self.room = Room((s.name, s.account) for s in self.students)
        self.accounts = {s.account for s in self.students}
        self._mailboxes: dict[str, collections.deque[MailboxEntry]] = {
            account: collections.deque(maxlen=MAILBOX_LIMIT) for account in self.accounts
        }
        self._mail_lock = threading.Lock()
        options = replace(options, users=tuple((s.account, s.password) for s in self.students))
        super().__init__(**self.arguments_from_options(options, on_message=self._arrived))
        #: Each conversation reaches this server (and its room) through its class.
        self.smtp_class = type("BoundClassSMTP", (ClassSMTP,), {"server": self})

    def _arrived(self, message: ReceivedMessage) -> None:
        sender = message.authenticated_as
        entry = MailboxEntry(message.mail_from, message.subject, message.data)
        for recipient in message.rcpt_tos:
            local, _, domain = recipient.rpartition("@")
            if domain.lower() != CLASS_DOMAIN or local.lower() not in self.accounts:
                continue
            with self._mail_lock:
                self._mailboxes[local.lower()].append(entry)
            self.room.delivered(sender, local.lower())

    def mailbox(self, account: str) -> list[MailboxEntry]:
        with self._mail_lock:
            return list(self._mailboxes.get(account, ()))
