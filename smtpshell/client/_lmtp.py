"""LMTP (RFC 2033): LHLO, Unix sockets, and one reply per recipient after the data."""

from __future__ import annotations

from typing import Unpack

from smtpshell.client._client import SMTP, ExtraOptions
from smtpshell.client._io import _GLOBAL_DEFAULT_TIMEOUT, net
from smtpshell.errors import connect_error

LMTP_PORT = 2003
_NO_REPLY = b"no reply: the server closed the connection before answering for this recipient"


class LMTP(SMTP):
    """LMTP (RFC 2033) over TCP or, when ``host`` is an absolute path, a Unix socket.

    After the data, LMTP answers once per accepted recipient; all those replies are read
    (smtplib reads one and leaves the rest to poison the next command).  ``data()`` returns
    the first; ``lmtp_replies`` holds ``(recipient, code, message)`` for each.

    ``chunking=True`` sends BDAT when the server advertises CHUNKING (Dovecot's LMTP does):
    RFC 2033 §4 lets LMTP use ESMTP extensions, and the per-recipient replies then follow
    ``BDAT ... LAST`` where they would follow the final dot (the BDAT path reads them
    through ``_read_data_replies``).  Intermediate chunks get one reply each, as in SMTP.
    """

    ehlo_msg = "lhlo"

    def __init__(
        self,
        host: str = "",
        port: int = LMTP_PORT,
        local_hostname: str | None = None,
        source_address: tuple[str, int] | None = None,
        timeout: float | None = _GLOBAL_DEFAULT_TIMEOUT,
        **options: Unpack[ExtraOptions],
    ):
        super().__init__(
            host,
            port,
            local_hostname=local_hostname,
            source_address=source_address,
            timeout=timeout,
            **options,
        )

    def connect(
        self, host: str = "localhost", port: int = 0, source_address: tuple[str, int] | None = None
    ) -> tuple[int, bytes]:
        if not host.startswith("/"):
            return super().connect(host, port, source_address=source_address)
        if self.timeout is not None and not self.timeout:
            raise ValueError("Non-blocking socket (timeout=0) is not supported")
        if self.sock is not None:
            self.close()
        self._reset_session()
        sock = net().socket(net().AF_UNIX, net().SOCK_STREAM)
        try:
            if self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(self.timeout)
            else:
                sock.settimeout(net().getdefaulttimeout())
            sock.connect(host)
        except OSError as exc:
            if self.debuglevel > 0:
                self._print_debug("connect fail:", host)
            sock.close()
            raise connect_error(exc, host) from exc
        (code, msg) = self._start_session(sock, host, 0)
        return (code, msg)

    def _send_body(
        self, payload: bytes, use_bdat: bool, first: tuple[int, bytes] | None
    ) -> tuple[int, bytes]:
        """The message, with ``lmtp_replies`` emptied first: a reply that comes early, or a
        refused BDAT chunk, ends the upload before the per-recipient replies, and the last
        message's replies must not count as this one's deliveries."""
        self.lmtp_replies = []
        return super()._send_body(payload, use_bdat, first)

    def _read_data_replies(self, first: tuple[int, bytes]) -> tuple[int, bytes]:
        """RFC 2033 §4.2: after the data, one reply per accepted recipient, in RCPT order."""
        recipients = self._data_recipients or ("",)
        self.lmtp_replies = [(recipients[0], *first)]
        for recipient in recipients[1:]:
            if self.sock is None:
                break
            self._awaiting.append(("<lmtp-data>", f"<data for {recipient}>"))
            self.lmtp_replies.append((recipient, *self._read_reply().as_tuple()))
        return first

    def _data_outcome(
        self, reply: tuple[int, bytes], accepted: list[str], senderrs: dict[str, tuple[int, bytes]]
    ) -> tuple[int, bytes]:
        """Per-recipient failures go to the refused dict; success if anyone got the message.

        A recipient whose reply never came (the server closed the connection first, with a
        421) is refused with code -1: it cannot be counted delivered."""
        replies = self.lmtp_replies
        for spelled, (_, code, message) in zip(accepted, replies, strict=False):
            if code != 250:
                senderrs[spelled] = (code, message)
        if replies:  # empty: no per-recipient replies at all, the reply itself says why
            for spelled in accepted[len(replies) :]:
                senderrs[spelled] = (-1, _NO_REPLY)
        delivered = [r for r in self.lmtp_replies if r[1] == 250]
        if delivered:
            return (250, delivered[0][2])
        return reply
