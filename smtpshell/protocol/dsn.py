"""Delivery Status Notification parameters (RFC 3461), built and validated.

smtplib takes DSN parameters as opaque strings; a typo (``NOTIFY=FAILURES``) or an
unencoded ``+`` in an ENVID reaches the server, which answers 501 or silently ignores it.
These helpers build the strings and refuse what RFC 3461 does not allow.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["NOTIFY_VALUES", "RET_VALUES", "dsn_mail_options", "dsn_rcpt_options", "xtext"]

RET_VALUES = ("FULL", "HDRS")
NOTIFY_VALUES = ("SUCCESS", "FAILURE", "DELAY")
#: RFC 3461 §4.4: an ENVID is at most 100 characters.
MAX_ENVID = 100


def xtext(value: str) -> str:
    """RFC 3461 §4: ``+`` ``=``, controls and non-ASCII bytes become ``+HH``."""
    out = []
    for byte in value.encode("utf-8"):
        if 33 <= byte <= 126 and byte not in (ord("+"), ord("=")):
            out.append(chr(byte))
        else:
            out.append(f"+{byte:02X}")
    return "".join(out)


def dsn_mail_options(*, ret: str | None = None, envid: str | None = None) -> list[str]:
    """``RET=`` and ``ENVID=`` for MAIL FROM (RFC 3461 §4.3, §4.4)."""
    options = []
    if ret is not None:
        if ret.upper() not in RET_VALUES:
            raise ValueError(f"RET must be FULL or HDRS, not {ret!r}")
        options.append(f"RET={ret.upper()}")
    if envid is not None:
        encoded = xtext(envid)
        if not envid or len(encoded) > MAX_ENVID:
            raise ValueError(f"ENVID must be 1 to {MAX_ENVID} characters once xtext-encoded")
        options.append(f"ENVID={encoded}")
    return options


def dsn_rcpt_options(
    *, notify: str | Iterable[str] | None = None, orcpt: str | None = None
) -> list[str]:
    """``NOTIFY=`` and ``ORCPT=`` for RCPT TO (RFC 3461 §4.1, §4.2).

    ``notify`` is ``"NEVER"`` or any of SUCCESS, FAILURE, DELAY; ``orcpt`` is the original
    recipient address (sent as ``rfc822;`` + xtext).
    """
    options = []
    if notify is not None:
        values = [notify] if isinstance(notify, str) else list(notify)
        values = [v.strip().upper() for item in values for v in item.split(",")]
        if values == ["NEVER"]:
            options.append("NOTIFY=NEVER")
        elif not values or any(v not in NOTIFY_VALUES for v in values):
            raise ValueError(
                f"NOTIFY must be NEVER, or any of {', '.join(NOTIFY_VALUES)}; got {notify!r}"
            )
        else:
            ordered = [v for v in NOTIFY_VALUES if v in values]
            options.append("NOTIFY=" + ",".join(ordered))
    if orcpt is not None:
        if not orcpt.isascii() or "@" not in orcpt:
            raise ValueError(f"ORCPT must be an ASCII address, not {orcpt!r}")
        options.append("ORCPT=rfc822;" + xtext(orcpt))
    return options
