"""Probe one SMTP server: connect, greet, STARTTLS, look at the certificate, QUIT.

``probe_target`` never raises.  Each stage is timed, and the first failure is recorded in
the report with the stage it happened in, so a report always says how far the probe got.
It drives the smtpshell client exactly as a user's code would: verification on by default,
and an explicitly unverified second connection only to show what a server presents when
its certificate did not verify.
"""

from __future__ import annotations

import dataclasses
import functools
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from smtpshell.client import LMTP, SMTP, SMTP_SSL, unverified_context
from smtpshell.errors import (
    SMTPCertificateError,
    SMTPHeloError,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTLSError,
)
from smtpshell.probe.checks import assess
from smtpshell.probe.findings import PortRole, port_role
from smtpshell.probe.pinned import PinnedSMTP, PinnedSMTP_SSL, presented_chain
from smtpshell.probe.report import (
    Enforcement,
    Greeting,
    ProbeIssue,
    ProbeReport,
    Reply,
    SizeInfo,
    StageReply,
    TLSReport,
    VrfyResult,
)
from smtpshell.probe.targets import Target
from smtpshell.protocol.capabilities import (
    Capability,
    auth_mechanisms,
    diff_capabilities,
    parse_capabilities,
    size_limit,
)
from smtpshell.protocol.display import display
from smtpshell.tls_settings import TLSSettings
from smtpshell.transcript import ConnectFacts, Event, EventKind, Transcript, events_to_text

__all__ = ["Cancellation", "ProbeOptions", "default_helo_name", "probe_target", "tls_context"]


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How to probe; the command-line options, as values."""

    port: int | None = None
    implicit_tls: bool = False
    starttls: bool = True
    timeout: float = 10.0
    helo: str | None = None
    verify: bool = True
    ca_file: str | None = None
    vrfy: str | None = None
    mx: bool = False
    concurrency: int = 4
    #: ``--nameserver IP[:PORT]``: every DNS query of the run goes there (MX, TLSA, ...).
    nameserver: str | None = None
    #: Check what the domains publish (DANE, MTA-STS, TLS-RPT, every MX address, identity).
    policy: bool = True
    #: Tests only: fetch MTA-STS policies from this (host, port) instead of mta-sts.DOMAIN:443;
    #: the name verified, sent and shown stays mta-sts.DOMAIN.
    mta_sts_connect: tuple[str, int] | None = None
    #: Treat every target as a submission port (587 always is): test STARTTLS enforcement.
    submission: bool = False
    #: Enumerate TLS versions, suites, order and groups (many handshakes per target).
    tls_scan: bool = False
    expn: str | None = None
    #: Send NOOP before the greeting on a connection of its own (a bot's habit).
    early_talk: bool = False
    #: Speak LMTP (RFC 2033): LHLO instead of EHLO, no HELO fallback, default port 2003.
    lmtp: bool = False
    #: The shared connection and TLS options (smtpshell.shell.options), for every
    #: connection the probe makes: what the client offers in the handshake (a client
    #: certificate, version limits, ciphers, the SNI name), 4 or 6, and a local address.
    tls: TLSSettings = field(default_factory=TLSSettings)
    family: int = 0
    source_address: tuple[str, int] | None = None

    @property
    def address_family(self) -> int:
        """``socket.AF_INET``/``AF_INET6`` for ``-4``/``-6``; 0 for either."""
        return {4: socket.AF_INET, 6: socket.AF_INET6}.get(self.family, 0)

    def to_dict(self) -> dict[str, Any]:
        """The options as the ``--json`` document shows them: flat (schema.json)."""
        data: dict[str, Any] = {}
        for name, value in dataclasses.asdict(self).items():
            if name == "tls":
                data.update(value)
            else:
                data[name] = value
        return data


class Cancellation:
    """Lets another thread (Ctrl-C in the runner) stop probes in flight.

    Probes register their connections here; ``cancel()`` aborts them, so a probe blocked on
    a slow server ends at once instead of after its timeout.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[SMTP] = set()
        self.cancelled = False

    def track(self, client: SMTP) -> None:
        with self._lock:
            self._clients.add(client)
            cancelled = self.cancelled
        if cancelled:
            client.abort()

    def forget(self, client: SMTP) -> None:
        with self._lock:
            self._clients.discard(client)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            clients = list(self._clients)
        for client in clients:
            client.abort()


@functools.cache
def default_helo_name() -> str:
    """The name the client core would send (RFC 5321 §4.1.4), worked out once per run:
    ``socket.getfqdn()`` can be slow, and a run may probe hundreds of servers."""
    return SMTP().local_hostname


@functools.cache
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying context: the system's trust store, plus ``ca_file`` when given.

    Shared by all probe threads (an SSLContext is safe to share once configured).  Raises
    ``OSError`` / ``ssl.SSLError`` for an unreadable or invalid ``ca_file``.
    """
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


@functools.cache
def client_context(options: ProbeOptions, verify: bool) -> ssl.SSLContext:
    """The context of the probe's main connections: verifying (``--ca-file``) or not, with
    the client certificate, version limits and ciphers the options name."""
    from smtpshell.shell.options import tune_context

    if verify:  # a context of its own: tls_context() is shared and must stay as it is
        context = ssl.create_default_context()
        if options.ca_file:
            context.load_verify_locations(cafile=options.ca_file)
    else:
        context = unverified_context()
    return tune_context(context, options.tls)


def _starttls_reply(client: SMTP) -> Reply | None:
    """The server's reply to STARTTLS as the transcript saw it; None when none came."""
    events = client.transcript.events()
    sent = [
        index
        for index, event in enumerate(events)
        if event.kind == EventKind.SENT and event.data[:8].upper() == b"STARTTLS"
    ]
    if not sent:
        return None
    lines: list[bytes] = []
    for event in events[sent[-1] + 1 :]:
        if event.kind != EventKind.RECEIVED:
            continue
        lines.append(event.data.rstrip(b"\r\n")[4:])
        if event.final:
            code = event.code
            return Reply(int(code), _text(b"\n".join(lines))) if code else None
    return None


def _text(message: bytes | str) -> str:
    """Reply text for the report: each line display-safe (protocol.display), LF-joined."""
    lines = message.split(b"\n") if isinstance(message, bytes) else message.split("\n")
    return "\n".join(display(line) for line in lines)


def _milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 2)


def issue_from_exception(
    stage: str, exc: BaseException, *, implicit_tls: bool | None = None
) -> ProbeIssue:
    """A ProbeIssue carrying the error class, its message and the SMTP code if any."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, SMTPResponseException):
        message = _text(exc.smtp_error)
    elif len(exc.args) == 1 and isinstance(exc.args[0], str):
        message = exc.args[0]  # str() of an ssl.SSLError subclass is the args tuple
    else:
        message = str(exc)
    return ProbeIssue(
        stage=stage,
        type=type(exc).__name__,
        message=message or type(exc).__name__,
        code=code if isinstance(code, int) and code > 0 else None,
        hint=_hint(stage, exc, implicit_tls),
    )


def _hint(stage: str, exc: BaseException, implicit_tls: bool | None) -> str | None:
    """The usual cause of a failure, when there is one worth naming."""
    if stage == "banner" and implicit_tls is False and isinstance(exc, SMTPServerDisconnected):
        return (
            "no greeting: if this port speaks implicit TLS (like 465), it is waiting for a TLS"
            " handshake; try smtps://HOST:PORT or --implicit-tls"
        )
    handshake_failed = isinstance(exc, SMTPTLSError) and not isinstance(exc, SMTPCertificateError)
    if stage == "connect" and implicit_tls and handshake_failed:
        return "the TLS handshake failed: if this port speaks plain SMTP, drop --implicit-tls"
    return None


class _Stopped(Exception):
    """The probe cannot go on; the reason is already in the report."""


class _Probe:
    """One probe's state: the report being filled and the live connection."""

    def __init__(
        self, target: Target, options: ProbeOptions, report: ProbeReport, cancel: Cancellation
    ):
        self.target = target
        self.options = options
        self.report = report
        self.cancel = cancel
        self.client: SMTP | None = None
        #: Set when the verified handshake failed; the details then come from a retry.
        self.verify_failure: SMTPCertificateError | None = None
        #: The stage the transcript events being recorded belong to.
        self.stage = "connect"
        # LMTP delivers to a local store: never a submission service, always a relay.
        self.role = (
            PortRole.RELAY
            if options.lmtp
            else port_role(
                target.port, implicit_tls=target.implicit_tls, submission=options.submission
            )
        )
        report.role = self.role.value

    # ---------------------------------------------------------------- transcript

    def _observe(self, event: Event) -> None:
        """Every transcript event: kept (redacted) per stage; 421s and early talk noted."""
        if event.kind is EventKind.CONNECT and self.stage == "connect":
            self.stage = "banner"
        text = events_to_text([event]).rstrip("\n")
        if text:
            self.report.transcript.setdefault(self.stage, []).extend(text.split("\n"))
        if event.kind is not EventKind.RECEIVED:
            return
        early = event.unsolicited or (event.malformed and self.stage == "banner")
        if early and self.report.early_talk is None:
            self.report.early_talk = display(event.shown())
        if event.code == 421:
            line = event.shown().strip()  # the final line: "421 4.3.2 text"
            self.report.replies_421.append(StageReply(self.stage, 421, display(line[4:])))

    def _observe_transcript(self, transcript: Transcript) -> None:
        transcript.subscribe(self._observe)

    # ---------------------------------------------------------------- plumbing

    def _fail(self, issue: ProbeIssue) -> None:
        self.report.error = issue
        raise _Stopped

    def _record(self, stage: str, started: float) -> None:
        self.report.timings_ms[stage] = _milliseconds(time.monotonic() - started)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        """Time a stage; any exception in it becomes the report's error, ending the probe."""
        if self.cancel.cancelled:
            self._fail(ProbeIssue(name, "Cancelled", "the run was interrupted"))
        self.stage = name
        started = time.monotonic()
        try:
            yield
        except _Stopped:
            raise
        except Exception as exc:
            self._fail(issue_from_exception(name, exc))
        finally:
            self._record(name, started)

    def _new_client(self, verify: bool) -> SMTP:
        helo = self.options.helo or default_helo_name()
        client: SMTP
        address = self.target.address
        options = self.options
        if self.target.implicit_tls:
            context = client_context(options, verify)
            if address:
                client = PinnedSMTP_SSL(
                    address, local_hostname=helo, timeout=self.options.timeout, context=context
                )
            else:
                client = SMTP_SSL(
                    local_hostname=helo, timeout=self.options.timeout, context=context
                )
        elif self.options.lmtp:
            client = LMTP(local_hostname=helo, timeout=self.options.timeout)
        elif address:
            client = PinnedSMTP(address, local_hostname=helo, timeout=self.options.timeout)
        else:
            client = SMTP(local_hostname=helo, timeout=self.options.timeout)
        if options.tls.sni:
            client.server_hostname = options.tls.sni
        client.address_family = options.address_family
        client.source_address = options.source_address
        self._observe_transcript(client.transcript)
        self.cancel.track(client)
        return client

    def _reconnect_unverified(self) -> SMTP:
        """A fresh, unverified client in place of the one whose verification failed."""
        if self.client is not None:
            self.client.close()
            self.cancel.forget(self.client)
        self.client = self._new_client(verify=False)
        return self.client

    def _starttls_context(self, verify: bool) -> ssl.SSLContext:
        return client_context(self.options, verify)

    @staticmethod
    def _connect_event(client: SMTP) -> Any:
        return next((e for e in client.transcript if e.kind == EventKind.CONNECT), None)

    # ---------------------------------------------------------------- stages

    def run(self) -> None:
        if self.cancel.cancelled:
            self._fail(ProbeIssue("connect", "Cancelled", "the run was interrupted"))
        try:
            self._connect()
            if self.target.implicit_tls:
                self._collect_tls("implicit")
            capabilities = self._greet()
            if self.target.implicit_tls:
                self._set_capabilities_after_tls(capabilities)
            else:
                self.report.capabilities_before_tls = capabilities
                self.report.auth_before_tls = list(auth_mechanisms(capabilities))
                # SIZE as the clear-text EHLO said it, so a STARTTLS that fails later
                # does not lose it; the EHLO after TLS, when there is one, replaces it.
                self._size()
                if self.role.is_submission:
                    self._enforcement(capabilities)
                self._starttls(capabilities)
            self._size()
            self._vrfy()
            self._expn()
        finally:
            self._quit()
        self._extra_connections()

    def _connect(self) -> None:
        """TCP connect (plus the TLS handshake with implicit TLS) and the banner."""
        verify = self.options.verify
        client = self.client = self._new_client(verify)
        self.stage = "connect"
        started = time.monotonic()
        try:
            code, banner = client.connect(self.target.host, self.target.port)
        except SMTPCertificateError as exc:
            self._record("connect", started)
            self.verify_failure = exc
            client = self._reconnect_unverified()
            with self._stage("unverified-retry"):
                code, banner = client.connect(self.target.host, self.target.port)
        except Exception as exc:
            connected = self._connect_event(client)
            implicit = self.target.implicit_tls
            # A failed implicit-TLS handshake belongs to the connect stage, although the
            # client announces the TCP connection before the handshake.
            if connected is None or isinstance(exc, SMTPTLSError):
                self._record("connect", started)
                self._fail(issue_from_exception("connect", exc, implicit_tls=implicit))
            self.report.timings_ms["connect"] = _milliseconds(connected.monotonic - started)
            self._record("banner", connected.monotonic)
            self._note_peer(connected)
            self._fail(issue_from_exception("banner", exc, implicit_tls=implicit))
        else:
            connected = self._connect_event(client)
            if connected is not None:
                self.report.timings_ms["connect"] = _milliseconds(connected.monotonic - started)
                self._record("banner", connected.monotonic)
        self._note_peer(self._connect_event(client))
        self.report.banner = Reply(code, _text(banner))
        if code != 220:
            self._fail(ProbeIssue("banner", "SMTPConnectError", _text(banner), code))

    def _note_peer(self, connected: Any) -> None:
        facts = connected.facts if connected is not None else None
        peer = facts.peer if isinstance(facts, ConnectFacts) else None
        if peer:
            self.report.address = str(peer[0])

    def _greet(self) -> list[Capability]:
        """EHLO; HELO when EHLO is refused (RFC 5321 §4.1.4 / smtplib's fallback).

        Over LMTP it is LHLO, and there is no fallback: RFC 2033 §4.1 has no HELO.
        """
        client = self.client
        assert client is not None
        command = "LHLO" if self.options.lmtp else "EHLO"
        with self._stage("ehlo"):
            code, message = client.ehlo()
        if code == 250:
            text = _text(message)
            self.report.greeting = Greeting(command, Reply(code, text.split("\n", 1)[0]))
            return list(parse_capabilities(message))
        refused = Reply(code, _text(message))
        if code == 421 or client.sock is None or self.options.lmtp:
            self._fail(ProbeIssue("ehlo", "SMTPHeloError", refused.text, code))
        with self._stage("helo"):
            code, message = client.helo()
        self.report.greeting = Greeting("HELO", Reply(code, _text(message)), refused)
        if not 200 <= code < 300:
            self._fail(ProbeIssue("helo", SMTPHeloError.__name__, _text(message), code))
        return []

    def _starttls(self, capabilities: list[Capability]) -> None:
        offered = any(cap.name == "STARTTLS" for cap in capabilities)
        self.report.starttls_offered = offered
        if not offered or not self.options.starttls:
            return
        client = self.client
        assert client is not None
        self.stage = "starttls"
        started = time.monotonic()
        try:
            code, message = client.starttls(context=self._starttls_context(self.options.verify))
        except SMTPCertificateError as exc:
            self._record("starttls", started)
            self.verify_failure = exc
            self._retry_starttls_unverified()
        except Exception as exc:
            self._record("starttls", started)
            # The server may have said 220 before the handshake failed: keep that answer.
            # (A refusal such as 454 is the error's code, as before.)
            reply = _starttls_reply(client)
            if reply is not None and reply.code == 220:
                self.report.starttls = reply
            self._fail(issue_from_exception("starttls", exc))
        else:
            self._record("starttls", started)
            self.report.starttls = Reply(code, _text(message))
        self._collect_tls("starttls")
        with self._stage("ehlo-after-tls"):
            code, message = self.client.ehlo()
        if code != 250:
            self._fail(ProbeIssue("ehlo-after-tls", "SMTPHeloError", _text(message), code))
        self._set_capabilities_after_tls(list(parse_capabilities(message)))

    def _retry_starttls_unverified(self) -> None:
        """Connect again and upgrade without verification, to show what the server presents."""
        client = self._reconnect_unverified()
        with self._stage("unverified-retry"):
            code, banner = client.connect(self.target.host, self.target.port)
            if code != 220:
                raise SMTPResponseException(code, banner)
            client.ehlo_or_helo_if_needed()
            code, message = client.starttls(context=self._starttls_context(verify=False))
        self.report.starttls = Reply(code, _text(message))

    def _collect_tls(self, mode: str) -> None:
        """Fill ``report.tls`` from the live TLS connection."""
        client = self.client
        assert client is not None
        info = client.tls_info() or {}
        failure = self.verify_failure
        if failure is not None:
            verification = "failed"
        elif info.get("verified"):
            verification = "verified"
        else:
            verification = "skipped"
        tls = TLSReport(
            mode=mode,  # type: ignore[arg-type]
            verification=verification,  # type: ignore[arg-type]
            version=info.get("version"),
            cipher=info.get("cipher"),
            bits=info.get("bits"),
            verify_error=(failure.verify_message or str(failure)) if failure else None,
            verify_code=failure.verify_code if failure else None,
            unverified_retry=failure is not None,
            server_hostname=info.get("server_hostname") or self.target.host,
            hostname_checked=bool(info.get("hostname_checked")),
        )
        self.report.tls = tls
        der = info.get("peer_cert_der")
        self.report.peer_chain = presented_chain(client.sock) or ([der] if der else [])
        if der:
            self._describe_certificate(tls, der)
        self._describe_chain(tls, verification == "verified")

    def _describe_certificate(self, tls: TLSReport, der: bytes) -> None:
        from smtpshell.probe.certificate import hostname_matches, summarize_certificate

        try:
            summary = summarize_certificate(der)
        except Exception as exc:  # a certificate cryptography cannot read is a finding
            tls.certificate_error = f"{type(exc).__name__}: {exc}"
            return
        tls.certificate = summary
        tls.hostname_matches = hostname_matches(
            tls.server_hostname or self.target.host, summary.dns_names, summary.ip_addresses
        )

    def _describe_chain(self, tls: TLSReport, verified: bool) -> None:
        """The whole chain where ``ssl`` offers it (Python 3.13+); otherwise leaf only."""
        sock = self.client.sock if self.client is not None else None
        getter = getattr(sock, "get_verified_chain" if verified else "get_unverified_chain", None)
        if getter is None:
            return
        from smtpshell.probe.certificate import summarize_certificate

        try:
            subjects = [summarize_certificate(der).subject for der in getter() or []]
        except Exception:  # not DER bytes after all, or unreadable: stay with the leaf
            return
        tls.chain_source = "verified" if verified else "presented"
        tls.chain_subjects = subjects

    def _set_capabilities_after_tls(self, capabilities: list[Capability]) -> None:
        report = self.report
        report.capabilities_after_tls = capabilities
        report.auth_after_tls = list(auth_mechanisms(capabilities))
        if report.capabilities_before_tls is not None:
            report.capability_diff = diff_capabilities(report.capabilities_before_tls, capabilities)

    def _size(self) -> None:
        from smtpshell.knowledge import human_size

        capabilities = self.report.capabilities or []
        size = size_limit(capabilities)
        if size.advertised:
            limit = size.max_bytes
            human = human_size(limit) if limit else "no fixed limit"
            self.report.size = SizeInfo(limit, human)

    def _vrfy(self) -> None:
        if self.options.vrfy:
            self.report.vrfy = self._lookup("vrfy", self.options.vrfy)

    def _lookup(self, verb: str, argument: str) -> VrfyResult:
        """VRFY or EXPN ``argument`` in a stage of its own, with the reply's meaning."""
        from smtpshell.knowledge import explain_reply

        client = self.client
        assert client is not None
        with self._stage(verb):
            code, message = client.verify(argument) if verb == "vrfy" else client.expn(argument)
        text = _text(message)
        headline = explain_reply(code, text).headline.title  # "250 Requested action okay"
        return VrfyResult(argument, code, text, headline.partition(" ")[2])

    def _enforcement(self, capabilities: list[Capability]) -> None:
        """Submission: MAIL and AUTH before STARTTLS must get 530 5.7.0 (RFC 3207 §4).

        No credentials are sent: ``AUTH MECH`` without an initial response, and a 334 is
        cancelled with ``*`` (RFC 4954 §4).  A transaction MAIL opened is reset.  Never DATA.
        """
        client = self.client
        assert client is not None
        enforcement = self.report.enforcement = Enforcement()
        offered = [str(m).upper() for m in auth_mechanisms(capabilities)]
        preferred = [m for m in ("PLAIN", "LOGIN") if m in offered]
        mechanism: str = (preferred or offered or ["PLAIN"])[0]
        enforcement.auth_mechanism = mechanism
        with self._stage("submission"):
            code, message = client.mail("")
            enforcement.mail_from = Reply(code, _text(message))
            if client.sock is not None:
                if 200 <= code < 300:
                    client.rset()
                code, message = client.docmd("AUTH", mechanism)
                enforcement.auth = Reply(code, _text(message))
                if code == 334 and client.sock is not None:
                    client.docmd("*")
        if client.sock is None:  # a 421 (or a hang-up): the session is over, say where
            self._fail(ProbeIssue("submission", "SMTPServerDisconnected", _text(message), code))

    def _expn(self) -> None:
        if self.options.expn:
            self.report.expn = self._lookup("expn", self.options.expn)

    def _extra_connections(self) -> None:
        """Checks that need connections of their own: STARTTLS injection, the TLS scan."""
        report, options = self.report, self.options
        if self.cancel.cancelled or report.error is not None or options.lmtp:
            return  # (LMTP: a Unix socket or a local store; these checks speak SMTP)
        helo = options.helo or default_helo_name()
        # One address of a pool (docs/probe.md, "Every address"): these connections go there
        # too.  Nothing here verifies a certificate, so the name is not needed for TLS.
        where = self.target.address or self.target.host
        starttls = bool(report.starttls_offered) and options.starttls
        if starttls and (self.role.is_submission or options.tls_scan):
            from smtpshell.probe.injection import check_injection

            transcript = Transcript()
            self.stage = "injection"
            self._observe_transcript(transcript)
            started = time.monotonic()
            injection = check_injection(
                where,
                self.target.port,
                helo=helo,
                timeout=options.timeout,
                transcript=transcript,
                family=options.address_family,
                source_address=options.source_address,
                sni=options.tls.sni,
                cert=options.tls.cert,
                key=options.tls.key,
            )
            self._record("injection", started)
            if report.enforcement is None:
                report.enforcement = Enforcement()
            report.enforcement.injection = injection
        if options.early_talk and not self.target.implicit_tls:
            from smtpshell.probe.injection import check_early_client

            transcript = Transcript()
            self.stage = "early-talk"
            self._observe_transcript(transcript)
            started = time.monotonic()
            report.early_client = check_early_client(
                where,
                self.target.port,
                timeout=options.timeout,
                transcript=transcript,
                family=options.address_family,
                source_address=options.source_address,
            )
            self._record("early-talk", started)
        if options.tls_scan and (self.target.implicit_tls or starttls):
            from smtpshell.probe.tlsscan import scan_tls

            started = time.monotonic()
            report.tls_scan = scan_tls(
                where,
                self.target.port,
                implicit=self.target.implicit_tls,
                helo=helo,
                timeout=options.timeout,
                track=self._track_scan_client,
                limits=options,
            )
            self._record("tls-scan", started)

    def _track_scan_client(self, client: SMTP) -> None:
        self.cancel.track(client)
        if self.cancel.cancelled:
            raise _Stopped

    def _quit(self) -> None:
        """QUIT politely if the connection is still open; a failure here is only a warning."""
        client = self.client
        if client is None:
            return
        self.stage = "quit"
        try:
            if client.sock is not None and not self.cancel.cancelled:
                started = time.monotonic()
                try:
                    client.quit()
                except Exception as exc:
                    self.report.warnings.append(issue_from_exception("quit", exc))
                finally:
                    self._record("quit", started)
        finally:
            client.close()
            self.cancel.forget(client)


def probe_target(
    target: Target, options: ProbeOptions, *, cancel: Cancellation | None = None
) -> ProbeReport:
    """Probe one server and report what it offers.  Never raises (Ctrl-C aside)."""
    report = ProbeReport(
        input=target.input,
        host=target.host,
        address=target.address,
        pinned=target.address is not None,
        port=target.port,
        implicit_tls=target.implicit_tls,
        mx=target.mx,
        warnings=list(target.warnings),
    )
    if target.error is not None:
        report.error = target.error
        return report
    started = time.monotonic()
    try:
        _Probe(target, options, report, cancel or Cancellation()).run()
    except _Stopped:
        pass
    except Exception as exc:  # a bug in the probe still ends as one report entry
        report.error = issue_from_exception("internal", exc)
    finally:
        report.total_ms = _milliseconds(time.monotonic() - started)
    try:
        assess(report)
    except Exception as exc:  # never lose the report to a bug in a rule
        report.warnings.append(issue_from_exception("internal", exc))
    return report
