"""send_message()'s header rules as pure functions (smtplib's rules, RFC 5322 3.6.6).

No I/O.  :meth:`smtpshell.SMTP.send_message` calls these in order: choose the header block
(:func:`header_prefix`), derive the envelope (:func:`envelope_sender`,
:func:`envelope_recipients`), strip what must never be transmitted (:func:`without_bcc`),
and decide whether the transaction needs SMTPUTF8 (:func:`needs_smtputf8`).
``email`` is imported inside the functions: ``import smtpshell`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.message import Message

__all__ = [
    "envelope_recipients",
    "envelope_sender",
    "header_prefix",
    "international_options",
    "needs_smtputf8",
    "without_bcc",
]

#: The MAIL options an internationalised message needs (RFC 6531 3.4, RFC 6152).
international_options = ("SMTPUTF8", "BODY=8BITMIME")


def header_prefix(msg: Message) -> str:
    """``"Resent-"`` when the message carries one Resent- block, else ``""``.

    RFC 5322 3.6.6: a resent message is addressed by its newest Resent- block.  smtplib,
    like us, refuses to guess between several blocks (ValueError).
    """
    resent = msg.get_all("Resent-Date")
    if resent is None:
        return ""
    if len(resent) == 1:
        return "Resent-"
    raise ValueError("message has more than one 'Resent-' header block")


def envelope_sender(msg: Message, prefix: str = "") -> str:
    """The reverse-path: the (Resent-)Sender address if present, else the (Resent-)From."""
    import email.utils

    sender = prefix + "Sender"
    header = msg[sender] if sender in msg else msg[prefix + "From"]
    if header is None:
        raise ValueError(f"message has no {prefix}From or Sender header")
    return email.utils.getaddresses([str(header)])[0][1]


def envelope_recipients(msg: Message, prefix: str = "") -> list[str]:
    """The forward-paths: every address in (Resent-)To, Bcc and Cc, in that order."""
    import email.utils

    fields = [msg[prefix + name] for name in ("To", "Bcc", "Cc")]
    present = [str(field) for field in fields if field is not None]
    return [address for _, address in email.utils.getaddresses(present)]


def without_bcc(msg: Message) -> Message:
    """A shallow copy without Bcc and Resent-Bcc: blind copies are never transmitted."""
    import copy

    stripped = copy.copy(msg)
    del stripped["Bcc"]
    del stripped["Resent-Bcc"]
    return stripped


def needs_smtputf8(sender: str, recipients: Iterable[str]) -> bool:
    """True if any envelope address is not ASCII (RFC 6531: the server must offer SMTPUTF8)."""
    return not "".join([sender, *recipients]).isascii()


def as_list(to_addrs: str | Sequence[str]) -> list[str]:
    """A caller's ``to_addrs``: one address or several."""
    return [to_addrs] if isinstance(to_addrs, str) else list(to_addrs)
