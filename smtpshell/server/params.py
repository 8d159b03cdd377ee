"""MAIL and RCPT parameters the practice server understands beyond aiosmtpd.

aiosmtpd knows ``SIZE``, ``BODY=7BIT|8BITMIME`` and ``SMTPUTF8`` and answers 555 to anything
else.  The practice server also speaks ``BODY=BINARYMIME`` (RFC 3030), the DSN parameters
of RFC 3461 (``RET`` and ``ENVID`` on MAIL, ``NOTIFY`` and ``ORCPT`` on RCPT) and the
``AUTH=`` parameter of MAIL (RFC 4954 §5), which a server that offers AUTH must accept:
an MTA or a submission server relaying to it (Dovecot's submission does) sends it.  These
functions take those parameters out of the list before aiosmtpd sees the rest, and check
them against the RFC grammar.  Pure and table-driven, so they are tested without a socket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: RFC 3461 §4.3 ret-value.
RET_VALUES = frozenset({"FULL", "HDRS"})
#: RFC 3461 §4.1 notify-list-element.
NOTIFY_VALUES = frozenset({"SUCCESS", "FAILURE", "DELAY"})
#: RFC 3461 §4.4: an ENVID is at most 100 characters.
MAX_ENVID = 100
#: RFC 3461 §4.2: an ORCPT parameter is at most 500 characters.
MAX_ORCPT = 500

# RFC 3461 §4: xtext = *( xchar / hexchar ); xchar is "!" to "~" except "+" and "=";
# hexchar is "+" and two upper-case hex digits.
_XTEXT = re.compile(r"(?:[!-*,-<>-~]|\+[0-9A-F]{2})+")
# RFC 6533 §3: utf-8 addresses may also carry raw UTF-8 and \x{HEX} escapes.
_UTF8_XTEXT = re.compile(r"(?:[!-*,-<>-~\u0080-\U0010ffff]|\+[0-9A-F]{2})+")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")


def is_xtext(value: str) -> bool:
    """True when ``value`` is non-empty RFC 3461 xtext."""
    return _XTEXT.fullmatch(value) is not None


@dataclass
class TakenParams:
    """The outcome of taking our parameters out of one MAIL or RCPT command.

    ``rest`` goes on to aiosmtpd; ``error`` is the whole reply line when a parameter is
    malformed (then nothing else matters); ``binarymime`` is set by ``BODY=BINARYMIME``.
    """

    rest: list[str] = field(default_factory=list)
    error: str | None = None
    binarymime: bool = False


def take_mail_params(params: list[str], *, dsn: bool, binarymime: bool) -> TakenParams:
    """Take ``RET``/``ENVID`` (when ``dsn``) and ``BODY=BINARYMIME`` (when ``binarymime``).

    Parameters for extensions the server does not offer are left in ``rest`` so aiosmtpd
    refuses them as it would anyway (555, or 501 for an unknown BODY).
    """
    taken = TakenParams()
    seen: set[str] = set()
    for param in params:
        keyword, _, value = param.partition("=")
        keyword = keyword.upper()
        if keyword == "BODY" and binarymime and value.upper() == "BINARYMIME":
            taken.binarymime = True
            continue
        if keyword == "AUTH":
            # RFC 4954 §5: AUTH=<> or AUTH=xtext(mailbox); kept in the message's options.
            if "AUTH" in seen:
                return TakenParams(error="501 5.5.4 Duplicate AUTH parameter")
            seen.add("AUTH")
            if value != "<>" and not is_xtext(value):
                return TakenParams(
                    error="501 5.5.4 AUTH must be <> or an xtext mailbox (RFC 4954 section 5)"
                )
            continue
        if not dsn or keyword not in ("RET", "ENVID"):
            taken.rest.append(param)
            continue
        if keyword in seen:
            return TakenParams(error=f"501 5.5.4 Duplicate {keyword} parameter")
        seen.add(keyword)
        if keyword == "RET" and value.upper() not in RET_VALUES:
            return TakenParams(error="501 5.5.4 RET must be FULL or HDRS (RFC 3461 section 4.3)")
        if keyword == "ENVID" and not (is_xtext(value) and len(value) <= MAX_ENVID):
            return TakenParams(
                error=f"501 5.5.4 ENVID must be 1 to {MAX_ENVID} characters of xtext"
                " (RFC 3461 section 4.4)"
            )
    return taken


def take_rcpt_params(params: list[str], *, dsn: bool) -> TakenParams:
    """Take ``NOTIFY`` and ``ORCPT`` (when ``dsn``); everything else stays in ``rest``."""
    taken = TakenParams()
    seen: set[str] = set()
    for param in params:
        keyword, _, value = param.partition("=")
        keyword = keyword.upper()
        if not dsn or keyword not in ("NOTIFY", "ORCPT"):
            taken.rest.append(param)
            continue
        if keyword in seen:
            return TakenParams(error=f"501 5.5.4 Duplicate {keyword} parameter")
        seen.add(keyword)
        error = _notify_error(value) if keyword == "NOTIFY" else _orcpt_error(value)
        if error is not None:
            return TakenParams(error=error)
    return taken


def _notify_error(value: str) -> str | None:
    """RFC 3461 §4.1: ``NEVER`` alone, or a comma list of SUCCESS, FAILURE and DELAY."""
    items = value.upper().split(",")
    if items == ["NEVER"] or (items and all(item in NOTIFY_VALUES for item in items)):
        return None
    return (
        "501 5.5.4 NOTIFY must be NEVER, or a comma list of SUCCESS, FAILURE and DELAY"
        " (RFC 3461 section 4.1)"
    )


def _orcpt_error(value: str) -> str | None:
    """RFC 3461 §4.2: ``addr-type ";" xtext``, e.g. ``rfc822;bob@example.org``."""
    addr_type, semicolon, address = value.partition(";")
    pattern = _UTF8_XTEXT if addr_type.lower() == "utf-8" else _XTEXT
    if (
        semicolon
        and _ATOM.fullmatch(addr_type)
        and pattern.fullmatch(address)
        and len("ORCPT=" + value) <= MAX_ORCPT
    ):
        return None
    return (
        "501 5.5.4 ORCPT must be addr-type;xtext, e.g. rfc822;bob@example.org"
        " (RFC 3461 section 4.2)"
    )


__all__ = [
    "MAX_ENVID",
    "MAX_ORCPT",
    "NOTIFY_VALUES",
    "RET_VALUES",
    "TakenParams",
    "is_xtext",
    "take_mail_params",
    "take_rcpt_params",
]
