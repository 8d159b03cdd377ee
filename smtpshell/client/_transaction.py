"""The mail transaction: sendmail() (plain, pipelined, BDAT) and send_message()."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from smtpshell.client._tls import _TLS
from smtpshell.errors import (
    SMTPDataError,
    SMTPMessageTooLarge,
    SMTPNotSupportedError,
    SMTPRecipientsRefused,
    SMTPSenderRefused,
)
from smtpshell.protocol import encode_message, envelope_address, format_command
from smtpshell.protocol import message as rules
from smtpshell.protocol.capabilities import SizeLimit
from smtpshell.protocol.session import DATA_END
from smtpshell.transcript import Event, EventKind

#: Size of a BDAT chunk: big enough that headers are noise, small enough to stay streamed.
#: Read from ``smtpshell.client`` at each send, so patching it there takes effect.
BDAT_CHUNK_SIZE = 1 << 20


def _bdat_chunks(payload: bytes) -> Iterator[tuple[str, bytes]]:
    """``("BDAT n [LAST]", chunk)`` pairs; an empty message is a single ``BDAT 0 LAST``."""
    chunk_size: int = sys.modules["smtpshell.client"].BDAT_CHUNK_SIZE
    view = memoryview(payload)
    total = len(payload)
    start = 0
    while True:
        stop = min(start + chunk_size, total)
        last = " LAST" if stop == total else ""
        yield f"BDAT {stop - start}{last}", bytes(view[start:stop])
        if last:
            return
        start = stop


def _first_of_each(recipients: Sequence[str], paths: Sequence[str]) -> Sequence[str]:
    """Recipients with duplicates (by the path actually sent) dropped, first spelling kept."""
    if len(paths) == 1:
        return recipients
    seen: set[str] = set()
    unique = []
    for each, path in zip(recipients, paths, strict=True):
        if path not in seen:
            seen.add(path)
            unique.append(each)
    return unique


def _binary_payload(msg: str | bytes) -> bytes:
    """BODY=BINARYMIME content goes as is: no line-ending changes (RFC 3030 §3)."""
    if isinstance(msg, str):
        raise TypeError("a BODY=BINARYMIME message must be bytes")
    return bytes(msg)


#: The methods sendmail() calls that a subclass (or an instance) may replace.
_HOOKS = ("mail", "rcpt", "data", "putcmd", "getreply", "send", "_send_payload")
#: class -> whether it keeps every one of _HOOKS as _Transaction has it.
_PLAIN_CLASSES: dict[type, bool] = {}


class _Transaction(_TLS):
    """One whole transaction, with every local check before the first byte."""

    #: (SIZE parameter text, the limit it announces): parsed once per EHLO answer.
    _size_limit: tuple[str | None, int | None] | None = None

    def _check_size(self, payload: bytes, from_addr: str) -> None:
        """Refuse locally what the server's SIZE limit refuses (RFC 1870 semantics, from the
        capabilities model: a value that is not ASCII digits announces no limit)."""
        text = self.esmtp_features.get("size")
        cached = self._size_limit
        if cached is None or cached[0] != text:
            cached = self._size_limit = (text, SizeLimit.from_params(text).max_bytes)
        limit = cached[1]
        if limit is not None and limit < len(payload):
            raise SMTPMessageTooLarge(
                552,
                f"not sent: the message is {len(payload)} bytes and the server's SIZE limit "
                f"is {limit} (RFC 1870)".encode(),
                from_addr,
            )

    def sendmail(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: str | bytes,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """One whole transaction; returns the refused recipients, as smtplib.

        Everything that can be checked locally is checked before the first byte: addresses,
        options, the message's encoding, and (after EHLO) SIZE and SMTPUTF8.  Duplicate
        recipients are sent once; DATA is never sent when no recipient was accepted.
        """
        payload, esmtp_opts, unique, rcpt_options, use_bdat = self._prepare(
            from_addr, to_addrs, msg, mail_options, rcpt_options
        )
        self._defer_replies = self._hooks_are_ours()
        try:
            if self.pipelining and self.does_esmtp and self.has_extn("pipelining"):
                mail_reply, rcpt_replies, first = self._pipelined_envelope(
                    from_addr, esmtp_opts, unique, rcpt_options, payload, use_bdat
                )
            else:
                mail_reply, rcpt_replies, first = self.mail(from_addr, esmtp_opts), [], None
            if mail_reply[0] != 250:
                self._finish_refused(first, mail_reply[0])
                raise SMTPSenderRefused(mail_reply[0], mail_reply[1], from_addr)
            accepted, senderrs = self._recipients(unique, rcpt_options, rcpt_replies, first)
            (code, resp) = self._send_body(payload, use_bdat, first)
            (code, resp) = self._data_outcome((code, resp), accepted, senderrs)
        finally:
            self._defer_replies = False
            if self._deferred is not None:
                self._settle()
        if code != 250:
            if self.sock is not None and code != 421:
                self._rset()
            raise SMTPDataError(code, resp)
        return senderrs

    def _prepare(
        self,
        from_addr: str,
        to_addrs: str | Sequence[str],
        msg: str | bytes,
        mail_options: Sequence[str],
        rcpt_options: Sequence[str],
    ) -> tuple[bytes, list[str], Sequence[str], list[str], bool]:
        """sendmail()'s local checks, all before the first byte: (payload, MAIL options,
        recipients without duplicates, RCPT options, whether to use BDAT)."""
        recipients = rules.as_list(to_addrs)
        if not recipients:
            raise ValueError("sendmail() needs at least one recipient")
        envelope_address(from_addr)
        paths = [envelope_address(r) for r in recipients]
        mail_options = self._check_options(mail_options, "mail option") if mail_options else []
        rcpt_options = self._check_options(rcpt_options, "rcpt option") if rcpt_options else []
        binary = "BODY=BINARYMIME" in map(str.upper, mail_options)
        payload = _binary_payload(msg) if binary else encode_message(msg)
        self.ehlo_or_helo_if_needed()
        esmtp_opts = self._esmtp_mail_options(payload, from_addr, mail_options)
        utf8 = self.does_esmtp and "smtputf8" in map(str.lower, mail_options)
        if not (from_addr.isascii() and all(map(str.isascii, recipients))):
            for address in (from_addr, *recipients):
                self._check_address_encoding(address, utf8)
        use_bdat = self._use_chunking(binary)
        unique = _first_of_each(recipients, paths)
        return payload, esmtp_opts, unique, rcpt_options, use_bdat

    def _hooks_are_ours(self) -> bool:
        """True when sendmail()'s steps are this package's own methods: then nothing outside
        it runs between a reply and the next command, and the reply's bookkeeping may wait
        until that command is written (``_settle``).  A subclass or an instance that
        replaces one of them sees every reply recorded before its code runs."""
        cls = type(self)
        ours = _PLAIN_CLASSES.get(cls)
        if ours is None:
            ours = _PLAIN_CLASSES[cls] = all(
                getattr(cls, name) is getattr(_Transaction, name) for name in _HOOKS
            )
        return ours and self.__dict__.keys().isdisjoint(_HOOKS)

    def _esmtp_mail_options(
        self, payload: bytes, from_addr: str, mail_options: list[str]
    ) -> list[str]:
        """SIZE= (after checking the server's limit) and the caller's options, for ESMTP."""
        if not self.does_esmtp:
            return []
        options = []
        if self.has_extn("size"):
            self._check_size(payload, from_addr)
            options.append(f"size={len(payload)}")
        return options + mail_options

    def _recipients(
        self,
        unique: Sequence[str],
        rcpt_options: Sequence[str],
        rcpt_replies: Sequence[tuple[int, bytes]],
        first: tuple[int, bytes] | None,
    ) -> tuple[list[str], dict[str, tuple[int, bytes]]]:
        """RCPT for each recipient (or their pipelined replies): accepted and refused."""
        senderrs: dict[str, tuple[int, bytes]] = {}
        accepted: list[str] = []
        for index, each in enumerate(unique):
            if first is None:
                (code, resp) = self.rcpt(each, rcpt_options)
            else:
                (code, resp) = rcpt_replies[index]
            if code in (250, 251):
                accepted.append(each)
            else:
                senderrs[each] = (code, resp)
            if code == 421:
                raise SMTPRecipientsRefused(senderrs)
        if not accepted:
            self._finish_refused(first, 0)
            raise SMTPRecipientsRefused(senderrs)
        return accepted, senderrs

    def _send_body(
        self, payload: bytes, use_bdat: bool, first: tuple[int, bytes] | None
    ) -> tuple[int, bytes]:
        """The message: BDAT chunks, the rest of a pipelined DATA, or data() (overridable)."""
        if use_bdat:
            return self._bdat(payload, first)
        if first is not None:
            if first[0] != 354:
                raise SMTPDataError(*first)
            return self._send_payload(payload)
        self._encoded = payload
        try:
            return self.data(payload)  # a subclass's data() is still called, as in smtplib
        finally:
            self._encoded = None

    def _use_chunking(self, binary: bool) -> bool:
        available = self.chunking and self.does_esmtp and self.has_extn("chunking")
        if binary and not (available and self.has_extn("binarymime")):
            raise SMTPNotSupportedError(
                "BODY=BINARYMIME needs chunking=True and a server that advertises CHUNKING "
                "and BINARYMIME (RFC 3030)"
            )
        return available

    def _pipelined_envelope(
        self,
        from_addr: str,
        mail_options: Sequence[str],
        recipients: Sequence[str],
        rcpt_options: Sequence[str],
        payload: bytes,
        use_bdat: bool,
    ) -> tuple[tuple[int, bytes], list[tuple[int, bytes]], tuple[int, bytes]]:
        """MAIL, every RCPT and DATA (or the first BDAT chunk) in one write (RFC 2920 §3.1).

        Returns the replies in command order: MAIL, each RCPT, then DATA's or BDAT's.
        """
        lines = ["mail " + self._mail_args(from_addr, mail_options)]
        lines += ["rcpt " + self._rcpt_args(each, rcpt_options) for each in recipients]
        tail = b""
        if use_bdat:
            header, chunk = next(_bdat_chunks(payload))
            lines.append(header)
            tail = chunk
        else:
            lines.append("data")
        self._put_batch(lines, tail)
        replies = [self._read_reply().as_tuple()]
        if replies[0][0] == 421:
            return replies[0], [], (421, b"")
        for _ in recipients:
            replies.append(self._read_reply().as_tuple())
            if replies[-1][0] == 421:
                padding = [(421, b"")] * (len(recipients) + 1 - len(replies))
                return replies[0], replies[1:] + padding, (421, b"")
        first = self._read_reply().as_tuple()
        return replies[0], replies[1:], first

    def _finish_refused(self, first: tuple[int, bytes] | None, code: int) -> None:
        """After a refused MAIL or no accepted RCPT: close a pipelined DATA, then RSET."""
        if self.sock is None or code == 421:
            return
        if first is not None and first[0] == 354:
            # RFC 2920 §3.1: the server said go ahead anyway; send an empty message's end.
            self._awaiting.append((DATA_END, DATA_END))
            self._write(b".\r\n")
            self._read_reply()
        self._rset()

    def _bdat(self, payload: bytes, first: tuple[int, bytes] | None) -> tuple[int, bytes]:
        """The message as BDAT chunks (RFC 3030): no dot-stuffing, no end-of-data marker.

        ``first`` is the reply to the first chunk when the pipelined batch carried it.
        """
        reply = (250, b"")
        for index, (header, chunk) in enumerate(_bdat_chunks(payload)):
            if index == 0 and first is not None:
                reply = first
            else:
                if reply[0] != 250:
                    return reply
                self._awaiting.append(("BDAT", header))
                line = format_command(header).encode("ascii") + b"\r\n"
                self._write(line + chunk, record=False)
                self.transcript.emit(Event(EventKind.SENT, line))
                self._record_chunk(chunk)
                reply = self._read_reply().as_tuple()
            if header.endswith(" LAST"):
                reply = self._read_data_replies(reply)
        return reply

    def send_message(
        self,
        msg: Any,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
        mail_options: Sequence[str] = (),
        rcpt_options: Sequence[str] = (),
    ) -> dict[str, tuple[int, bytes]]:
        """Send an :class:`email.message.Message`, with smtplib's header rules.

        Envelope from Sender/From and To/Cc/Bcc (or the single Resent-* block); Bcc and
        Resent-Bcc are never transmitted; SMTPUTF8 and BODY=8BITMIME when an address needs it.
        The rules are pure functions in :mod:`smtpshell.protocol.message`.
        """
        import email.generator

        self.ehlo_or_helo_if_needed()
        prefix = rules.header_prefix(msg)
        if from_addr is None:
            from_addr = rules.envelope_sender(msg, prefix)
        recipients = (
            rules.envelope_recipients(msg, prefix) if to_addrs is None else rules.as_list(to_addrs)
        )
        international = rules.needs_smtputf8(from_addr, recipients)
        if international and not self.has_extn("smtputf8"):
            raise SMTPNotSupportedError(
                "One or more source or delivery addresses require internationalized email "
                "support, but the server does not advertise the required SMTPUTF8 capability"
            )
        with io.BytesIO() as bytesmsg:
            if international:
                generator = email.generator.BytesGenerator(
                    bytesmsg, policy=msg.policy.clone(utf8=True)
                )
                mail_options = (*mail_options, *rules.international_options)
            else:
                generator = email.generator.BytesGenerator(bytesmsg)
            generator.flatten(rules.without_bcc(msg), linesep="\r\n")
            flatmsg = bytesmsg.getvalue()
        return self.sendmail(from_addr, recipients, flatmsg, mail_options, rcpt_options)
