"""AUTH (RFC 4954): the SASL exchange, smtplib's authobjects, login() and OAuth 2.0."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from smtpshell import auth as sasl
from smtpshell.client._smtp import _Commands
from smtpshell.errors import (
    SMTPAuthenticationError,
    SMTPAuthLoopError,
    SMTPException,
    SMTPNotSupportedError,
    SMTPServerDisconnected,
)
from smtpshell.protocol import check_no_control
from smtpshell.protocol.capabilities import Capability, auth_mechanisms
from smtpshell.transcript import AuthFacts

#: RFC 4954 §6: 504 means "mechanism not supported": the credentials were never judged, so
#: login() may try the next mechanism.  Any other failure is final.
_MECHANISM_UNSUPPORTED = 504


class _Auth(_Commands):
    """The AUTH exchange and the authobjects smtplib subclasses override."""

    def _advertised_mechanisms(self) -> list[str]:
        """The AUTH mechanisms of ``esmtp_features`` (smtplib's dict, which callers may set),
        read by the capabilities model's rule: upper case, deduplicated, server order."""
        offered = Capability("AUTH", self.esmtp_features.get("auth", ""))
        return list(auth_mechanisms([offered]))

    def _cancel_auth(self) -> tuple[int, bytes]:
        """RFC 4954 §4: a lone ``*`` cancels the exchange."""
        try:
            return self.docmd("*")
        except SMTPServerDisconnected:
            return (-1, b"")

    def auth(
        self,
        mechanism: str,
        authobject: Callable[..., str | bytes | None],
        *,
        initial_response_ok: bool = True,
    ) -> tuple[int, bytes]:
        """Run one SASL exchange; ``authobject(challenge)`` answers each 334 challenge.

        Only 235 is success.  Any other final reply raises SMTPAuthenticationError; a
        malformed challenge, or more than ``limits.max_auth_rounds`` of them, cancels the
        exchange first.
        """
        mechanism = mechanism.upper()
        check_no_control(mechanism, "mechanism")
        if " " in mechanism or not mechanism:
            raise ValueError(f"invalid SASL mechanism name: {mechanism!r}")
        initial_response = authobject() if initial_response_ok else None
        if initial_response is not None:
            response = sasl.encode_response(initial_response) or "="
            (code, resp) = self.docmd("AUTH", f"{mechanism} {response}")
            self._auth_challenge_count = 1
        else:
            (code, resp) = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            if self._auth_challenge_count > self.limits.max_auth_rounds:
                self._cancel_auth()
                raise SMTPAuthLoopError(code, resp[:100])  # str() is smtplib's loop-guard text
            try:
                challenge = sasl.decode_challenge(resp)
            except ValueError as exc:
                cancel_code, cancel_resp = self._cancel_auth()
                raise SMTPAuthenticationError(
                    cancel_code, f"{exc}; exchange cancelled".encode() + b" " + cancel_resp
                ) from None
            try:
                answer = authobject(challenge)
            except ValueError as exc:  # the mechanism refuses what the server sent
                cancel_code, _ = self._cancel_auth()
                raise SMTPAuthenticationError(
                    cancel_code, f"{exc}; exchange cancelled".encode()
                ) from None
            except BaseException:
                self._cancel_auth()
                raise
            (code, resp) = self.docmd(sasl.encode_response(answer or ""))
        if code == 235:
            if isinstance(authobject, sasl.ScramClient) and not authobject.verified:
                # RFC 5802 §5: success without the server's proof proves nothing.
                raise SMTPAuthenticationError(
                    code, b"server accepted SCRAM without proving it knows the password"
                )
            return (code, resp)
        raise SMTPAuthenticationError(code, resp)

    def auth_cram_md5(self, challenge: bytes | None = None) -> str | None:
        """Authobject for CRAM-MD5 (RFC 2195); uses ``self.user`` and ``self.password``."""
        if challenge is None:
            return None
        return sasl.cram_md5_response(self.user, self.password, challenge)

    def auth_plain(self, challenge: bytes | None = None) -> str:
        """Authobject for PLAIN (RFC 4616)."""
        return sasl.plain_response(self.user, self.password)

    def auth_login(self, challenge: bytes | None = None) -> str:
        """Authobject for LOGIN: the user name first, then the password."""
        if challenge is None or self._auth_challenge_count < 2:
            return self.user
        return self.password

    def scram_authobject(self, mechanism: str = "SCRAM-SHA-256") -> sasl.ScramClient:
        """A fresh SCRAM exchange for ``self.user`` / ``self.password``."""
        hash_name = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-1": "sha1"}[mechanism.upper()]
        return sasl.ScramClient(hash_name, self.user, self.password)

    def _authobject(self, mechanism: str) -> Callable[..., str | bytes | None]:
        if mechanism.startswith("SCRAM-"):
            return self.scram_authobject(mechanism)
        method: Callable[..., str | bytes | None]
        method = getattr(self, "auth_" + mechanism.lower().replace("-", "_"))
        return method

    def login(
        self,
        user: str,
        password: str,
        *,
        initial_response_ok: bool = True,
        mechanisms: Sequence[str] | None = None,
    ) -> tuple[int, bytes]:
        """Authenticate with the best mechanism the server offers.

        smtplib's preference (CRAM-MD5, PLAIN, LOGIN) unless ``mechanisms`` names others, in
        order, from ``auth.PASSWORD_MECHANISMS`` (SCRAM-SHA-256 and SCRAM-SHA-1 too).
        A rejection ends the attempt: the password is not offered again through a weaker
        mechanism.  Only a 504 (mechanism not supported) moves on to the next one.
        """
        preference = tuple(m.upper() for m in (mechanisms or sasl.LOGIN_PREFERENCE))
        unknown = [m for m in preference if m not in sasl.PASSWORD_MECHANISMS]
        if unknown:
            raise ValueError(f"login() cannot run {', '.join(unknown)}")
        if not isinstance(user, str) or not isinstance(password, str):
            raise TypeError("user and password must be str")
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        advertised = self._advertised_mechanisms()
        authlist = [m for m in preference if m in advertised]
        if not authlist:
            raise SMTPException("No suitable authentication method found.")
        self.user, self.password = user, sasl.Secret(password)
        last_exception: SMTPAuthenticationError | None = None
        for authmethod in authlist:
            self.transcript.note(
                f"AUTH {authmethod} as {user!r} (password hidden)", AuthFacts(authmethod, user)
            )
            try:
                return self.auth(
                    authmethod,
                    self._authobject(authmethod),
                    initial_response_ok=initial_response_ok,
                )
            except SMTPAuthenticationError as exc:
                last_exception = exc
                if exc.smtp_code != _MECHANISM_UNSUPPORTED:
                    raise
        assert last_exception is not None
        raise last_exception

    def login_oauth2(
        self, user: str, token: str, *, mechanism: str | None = None
    ) -> tuple[int, bytes]:
        """Authenticate with an OAuth 2.0 bearer token (OAUTHBEARER, RFC 7628, or XOAUTH2).

        Without ``mechanism``, OAUTHBEARER is preferred when both are offered.  Getting the
        token is the caller's business; it is a secret like a password.
        """
        self.ehlo_or_helo_if_needed()
        if not self.has_extn("auth"):
            raise SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        advertised = self._advertised_mechanisms()
        choices = [mechanism.upper()] if mechanism else list(sasl.TOKEN_MECHANISMS)
        chosen = next((m for m in choices if m in advertised), None)
        if chosen is None:
            raise SMTPException(f"server offers none of {', '.join(choices)}")
        self.user, secret = user, sasl.Secret(token)
        host = self._state.host if not self._state.host.startswith("/") else ""
        if chosen == "OAUTHBEARER":
            first = sasl.oauthbearer_response(user, secret, host, self._state.port)
            error_answer = "\x01"  # RFC 7628 §3.2.3: acknowledge the error, then 535 follows
        else:
            first = sasl.xoauth2_response(user, secret)
            error_answer = ""

        def authobject(challenge: bytes | None = None) -> str:
            return first if challenge is None else error_answer

        self.transcript.note(f"AUTH {chosen} as {user!r} (token hidden)", AuthFacts(chosen, user))
        return self.auth(chosen, authobject)
