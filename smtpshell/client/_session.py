"""The session as replies advance it: the snapshot faces read, smtplib's greeting
attributes, and the reply bookkeeping sendmail() defers.

The base of the client's layers: it knows replies, verbs and the session model
(``protocol.session.advance``), and nothing of sockets; the connection above it closes
itself when a reply says the server is going (421).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smtpshell.protocol import Reply, parse_ehlo
from smtpshell.protocol.session import (
    AUTH_RESPONSE,
    DATA_END,
    TRANSITIONS,
    SessionState,
    advance,
)
from smtpshell.transcript import Event, Transcript

_GREETINGS = frozenset({"EHLO", "LHLO", "HELO"})


class _Session:
    """What the replies of one connection made of its session."""

    helo_resp: bytes | None = None
    ehlo_resp: bytes | None = None
    does_esmtp = False
    esmtp_features: dict[str, str]
    transcript: Transcript
    user: str
    _auth_pending: bool
    _auth_user: str | None
    _raw_partial: bytes
    _tls_info: dict[str, Any] | None
    _data_recipients: Sequence[str]
    _core: SessionState
    _last_reply: tuple[int | None, float | None]
    _built: tuple[SessionState, tuple[int | None, float | None], SessionState] | None
    #: Set by sendmail() while it drives a transaction (see _settle()).
    _defer_replies = False
    #: A reply read but not yet recorded: (event, reply, latency, verb, command).
    _deferred: tuple[Event, Reply, float | None, str, str] | None = None

    if TYPE_CHECKING:

        def close(self) -> None: ...  # the connection's (a 421 closes it)

    @property
    def expecting_auth_response(self) -> bool:
        """True while the server waits for an answer to a 334 challenge (a secret line)."""
        return self._auth_pending

    @property
    def raw_line_open_secret(self) -> bool:
        """True when an earlier send_raw() left an AUTH line, or an answer to a 334,
        unfinished: the next raw bytes continue a secret."""
        partial = self._raw_partial
        if not partial:
            return False
        if self._auth_pending:
            return partial.strip() != b"*"
        return partial.lstrip()[:5].upper() == b"AUTH "

    @property
    def session(self) -> SessionState:
        """An immutable snapshot of the session, for prompts, status bars and inspectors."""
        return self._state

    def tls_info(self) -> dict[str, Any] | None:
        """Protocol, cipher, verification and peer certificate of the TLS layer, if any."""
        return dict(self._tls_info) if self._tls_info is not None else None

    # The session advances on every state-changing reply (one small tuple each), but the
    # last reply's code and latency change on every reply and faces read them far less
    # often: they are kept apart and merged into the snapshot when it is read.  Only the
    # client's thread writes; a reader builds from one consistent pair and caches it.

    @property
    def _state(self) -> SessionState:
        core, last = self._core, self._last_reply
        cached = self._built
        if cached is not None and cached[0] is core and cached[1] is last:
            return cached[2]
        state = core._replace(last_code=last[0], last_latency=last[1])
        self._built = (core, last, state)
        return state

    @_state.setter
    def _state(self, state: SessionState) -> None:
        self._core = state
        #: (code, latency) of the last reply: set on every reply, so kept out of ``_core``.
        self._last_reply = (state.last_code, state.last_latency)
        self._built = None

    def _update(self, **changes: Any) -> None:
        self._core = self._core._replace(**changes)

    def _settle(self) -> None:
        """Record a deferred reply: its event, then the session state it changes.

        Inside sendmail(), a reply that lets the transaction go on (MAIL 250, RCPT 250/251,
        DATA 354) is returned at once and recorded right after the next command is written,
        while the server works on that command: the bookkeeping leaves the round trip's
        critical path (issue 15).  The order of events is unchanged: every write, read,
        desync check and close settles first, and sendmail() settles before it returns.
        """
        deferred = self._deferred
        if deferred is not None:
            self._deferred = None
            event, reply, latency, verb, command = deferred
            self.transcript.emit(event)
            self._after_reply(reply, latency, verb, command)

    def _after_reply(self, reply: Reply, latency: float | None, verb: str, command: str) -> None:
        """Track the session from each reply, whichever method or raw command caused it.

        ``_io._Connection._read_reply`` skips the call for the common reply, which changes
        only the last reply (a verb outside TRANSITIONS, no 421 or 334, no AUTH pending):
        keep the two in step."""
        code = reply.code
        self._auth_pending = code == 334 and (verb == "AUTH" or verb == AUTH_RESPONSE)
        self._last_reply = (code, latency)
        if verb in TRANSITIONS:  # NOOP, VRFY, HELP...: nothing to track (the common case)
            self._track(reply, verb, command)
        if code == 421:
            self._server_closing()

    def _track(self, reply: Reply, verb: str, command: str) -> None:
        code = reply.code
        if verb in _GREETINGS:
            self._after_greeting(reply, verb)
        core = self._core
        if verb == DATA_END or verb == "BDAT":
            self._data_recipients = core.recipients  # immutable: kept, not copied
        user = ""
        if code == 235:
            user = self._auth_user or getattr(self, "user", None) or "(unknown)"
        self._core = advance(core, verb, command, code, user=user)

    def _after_greeting(self, reply: Reply, verb: str) -> None:
        """EHLO/LHLO/HELO typed by hand through docmd() or sent by ehlo(): the features
        follow either way (smtplib's attributes; the session itself is ``advance``'s)."""
        code = reply.code
        if verb == "HELO":
            self.helo_resp = reply.message
            if 200 <= code < 300:
                # RFC 5321 §4.1.4: a new greeting resets the session; after HELO it is plain
                # SMTP, and extensions an earlier EHLO listed no longer apply.
                self.esmtp_features = {}
                self.does_esmtp = False
            return
        self.ehlo_resp = reply.message
        self.esmtp_features = parse_ehlo(reply.message) if code == 250 else {}
        if code == 250:
            self.does_esmtp = True

    def _server_closing(self) -> None:
        # RFC 5321 §3.8: the server is closing the channel; nothing more may be sent.
        self.transcript.note("server replied 421: connection closed")
        self.close()
