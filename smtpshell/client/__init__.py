"""SMTP, SMTP_SSL and LMTP: smtplib's API and wire behaviour, hardened, with a transcript.

The class layout, method names, return values and debug output follow ``smtplib`` so that
``import smtpshell as smtplib`` keeps working code working.  Where smtplib is unsafe
(unbounded or lenient reads, unverified TLS, silent address rewriting, LF smuggling in bytes
messages, a password retried through weaker mechanisms...) this package is strict instead;
every such difference is listed with its reason in docs/differences.md.

All parsing lives in :mod:`smtpshell.protocol`; this package only moves bytes between it and
the socket, and reports each byte to :attr:`SMTP.transcript`.  Its private modules are
layers, each a base class of the next (h11's layout):

- ``_session``: the session as replies advance it (the snapshot, the greeting attributes);
- ``_io``: the socket, buffered reads within a deadline, desync detection (``_watch``);
- ``_smtp``: connecting, command lines, one method per SMTP verb;
- ``_auth``: the SASL exchange, smtplib's authobjects, login();
- ``_tls``: TLS contexts, the handshake, STARTTLS;
- ``_transaction``: sendmail() (plain, pipelined, BDAT) and send_message();
- ``_client``: the public SMTP and SMTP_SSL; ``_lmtp``: LMTP.

``_lines`` (command lines: checked, encoded, remembered) and ``_watch`` serve the layers.
"""

import socket  # noqa: F401  (smtplib.socket: the layers look it up here, see _io.net)

from smtpshell.client._client import SMTP, SMTP_SSL, SMTP_SSL_PORT
from smtpshell.client._lmtp import LMTP, LMTP_PORT
from smtpshell.client._smtp import SMTP_PORT
from smtpshell.client._tls import default_context, unverified_context
from smtpshell.client._transaction import BDAT_CHUNK_SIZE  # noqa: F401  (see __all__)
from smtpshell.errors import *  # noqa: F403  (smtplib's exception names: errors.__all__)
from smtpshell.protocol import CRLF, DEFAULT_LIMITS, quoteaddr, quotedata
from smtpshell.protocol.session import SessionState

# smtplib's other module-level names (issue 14): code ported from smtplib, and CPython's own
# test_smtplib, read them from the module that stands in for smtplib.  Our bounds live in
# Limits; these mirror the defaults (smtplib's _MAXLINE is 8192, _MAXCHALLENGE 5).
_MAXLINE = DEFAULT_LIMITS.max_line
_MAXCHALLENGE = DEFAULT_LIMITS.max_auth_rounds
bCRLF = CRLF.encode("ascii")

for _cls in (SMTP, SMTP_SSL, LMTP):
    _cls.__module__ = __name__  # where users import them from (reprs, pickles, docs)
del _cls

# BDAT_CHUNK_SIZE, like _MAXLINE, is a knob read from this module (patch it here), not a
# name to star-import; smtpshell's top level re-exports this list.
__all__ = [
    "LMTP",
    "LMTP_PORT",
    "SMTP",
    "SMTP_PORT",
    "SMTP_SSL",
    "SMTP_SSL_PORT",
    "SessionState",
    "default_context",
    "quoteaddr",
    "quotedata",
    "unverified_context",
]
