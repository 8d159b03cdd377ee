"""Fixtures for the probe tests: practice servers, a tiny in-process DNS server, scripts.

No test here needs the internet: MX lookups go to :class:`FakeDNS` on 127.0.0.1, and every
SMTP server is in-process (the practice server or a one-behaviour scripted server).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest
import trustme

from smtpshell.probe.core import ProbeOptions
from smtpshell.server import PracticeServer
from tests.support.scripted import Peer

# ------------------------------------------------------------------------------ DNS


@dataclass
class Zone:
    """What FakeDNS knows: MX records per name, names that do not exist, broken names.

    ``records`` maps (name, type) to zone-file rdata texts (A, AAAA, TXT, TLSA, PTR ...);
    ``cnames`` maps an alias to its target, answered with the chain as a recursive resolver
    does; answers carry the AD bit unless their name is in ``insecure`` (or ``secure`` is
    False); ``servfail`` names answer SERVFAIL, as a validating resolver does for bogus data.
    """

    mx: Mapping[str, Sequence[tuple[int, str]]] = field(default_factory=dict)
    nxdomain: Sequence[str] = ()
    servfail: Sequence[str] = ()
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    cnames: Mapping[str, str] = field(default_factory=dict)
    secure: bool = True
    insecure: Sequence[str] = ()
    #: Names whose queries are never answered (a resolver that hangs on them).
    silent: Sequence[str] = ()

    def add(self, name: str, rdtype: str, *texts: str) -> Zone:
        self.records.setdefault((name.rstrip(".").lower(), rdtype.upper()), []).extend(texts)
        return self


class FakeDNS:
    """A UDP DNS server on 127.0.0.1 that answers MX queries from a :class:`Zone`."""

    def __init__(self, zone: Zone):
        self.zone = zone
        self.queries: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        return resolver

    @staticmethod
    def _key(name: str) -> str:
        return name.rstrip(".").lower()

    def _answer(self, query: dns.message.Message) -> dns.message.Message | None:
        response = dns.message.make_response(query)
        question = query.question[0]
        name = self._key(question.name.to_text())
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        zone = self.zone
        if name in map(self._key, zone.silent):
            return None
        secure = zone.secure and name not in map(self._key, zone.insecure)
        cnames = {self._key(k): v for k, v in zone.cnames.items()}
        owner = question.name
        while name in cnames and rdtype != "CNAME":  # the chain, as a recursive resolver
            target = dns.name.from_text(cnames[name])
            response.answer.append(dns.rrset.from_text(owner, 300, "IN", "CNAME", str(target)))
            owner, name = target, self._key(str(target))
            secure = secure and name not in map(self._key, zone.insecure)
        if name in map(self._key, zone.nxdomain):
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif name in map(self._key, zone.servfail):
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        elif question.rdtype == dns.rdatatype.MX:
            records = {self._key(k): v for k, v in zone.mx.items()}.get(name)
            if records:
                texts = [f"{preference} {exchange}" for preference, exchange in records]
                response.answer.append(dns.rrset.from_text(owner, 300, "IN", "MX", *texts))
        elif texts := zone.records.get((name, rdtype)):
            response.answer.append(dns.rrset.from_text(owner, 300, "IN", rdtype, *texts))
        if secure and (query.flags & dns.flags.AD or query.ednsflags & dns.flags.DO):
            response.flags |= dns.flags.AD
        return response

    def _serve(self) -> None:
        self.sock.settimeout(0.05)  # lets stop() end the loop; not a synchronisation sleep
        while not self._stopping.is_set():
            try:
                data, address = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            response = self._answer(dns.message.from_wire(data))
            if response is not None:
                self.sock.sendto(response.to_wire(), address)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self.sock.close()


ZONE = Zone(
    mx={
        "example.test": [
            (20, "backup.example.test."),
            (10, "mx2.example.test."),
            (10, "mx1.example.test."),
        ],
        "local.test": [(5, "localhost.")],
        "nullmx.test": [(0, ".")],
    },
    nxdomain=["missing.test"],
    servfail=["broken.test"],
)


@pytest.fixture(scope="module")
def fake_dns() -> Iterator[FakeDNS]:
    server = FakeDNS(ZONE)
    yield server
    server.stop()


@pytest.fixture
def resolver(fake_dns: FakeDNS) -> dns.resolver.Resolver:
    return fake_dns.resolver()


# ------------------------------------------------------------------------------ SMTP servers


@pytest.fixture(scope="module")
def practice() -> Iterator[PracticeServer]:
    """A default practice server: STARTTLS with a self-signed cert, AUTH before and after."""
    with PracticeServer(tls_port=0) as server:
        yield server


@pytest.fixture(scope="module")
def tls_only_auth() -> Iterator[PracticeServer]:
    """AUTH offered only after STARTTLS: the capability diff shows it appear."""
    with PracticeServer(auth_require_tls=True) as server:
        yield server


@pytest.fixture
def options() -> ProbeOptions:
    """Fast, deterministic defaults: a short timeout and a fixed EHLO name."""
    return ProbeOptions(timeout=5.0, helo="probe.test")


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def probe_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(probe_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe-ca") / "ca.pem"
    probe_ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


# ------------------------------------------------------------------------------ scripts


def smtp_script(
    *,
    banner: str = "220 scripted.test ESMTP",
    ehlo: Sequence[str] = ("scripted.test", "SIZE 1000"),
    replies: Mapping[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
    ehlo_after_tls: Sequence[str] | None = None,
) -> Callable[[Peer], None]:
    """A small SMTP server script: fixed banner and EHLO lines, canned replies by verb.

    ``replies`` maps a verb (upper case) to a raw reply (CRLFs added per line), or to
    ``"<drop>"`` to hang up without answering.  With ``tls`` STARTTLS is offered and done.
    """
    canned = {"QUIT": "221 bye", "HELO": "250 scripted.test", **(replies or {})}

    def ehlo_reply(lines: Sequence[str]) -> bytes:
        out = [f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"]
        return ("\r\n".join(out) + "\r\n").encode()

    def script(peer: Peer) -> None:
        peer.send(banner.encode() + b"\r\n")
        if not banner.startswith("220"):
            if peer.readline().upper().startswith(b"QUIT"):
                peer.send(b"221 bye\r\n")
            return
        in_tls = False
        while line := peer.readline():
            verb = line.split()[0].decode().upper() if line.split() else ""
            reply = canned.get(verb)
            if reply == "<drop>":
                return
            if reply is not None:
                peer.send(reply.encode().replace(b"\n", b"\r\n") + b"\r\n")
            elif verb == "EHLO":
                lines = list(ehlo_after_tls or ehlo) if in_tls else list(ehlo)
                if tls is not None and not in_tls:
                    lines.append("STARTTLS")
                peer.send(ehlo_reply(lines))
            elif verb == "STARTTLS" and tls is not None:
                peer.send(b"220 go ahead\r\n")
                peer.starttls(tls)
                in_tls = True
            else:
                peer.send(b"502 not implemented\r\n")
            if verb == "QUIT":
                return

    return script
