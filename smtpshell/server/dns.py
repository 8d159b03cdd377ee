"""An in-process DNS server for the lessons: MX, A, TXT (SPF, DKIM, DMARC) for example.test.

A UDP server on loopback in a thread of its own, answering from a small zone with
dnspython's message codec (a dependency already).  ``--dns`` in a lesson's ``server:`` line
starts it beside the practice server; ``/dns TYPE NAME`` asks it.  It answers only for its
zone (REFUSED for anything else) and never recurses: nothing leaves the machine.

The zone (:func:`lesson_zone`) plays a small organisation: ``example.test`` with two MX
hosts, an SPF record that authorises only 127.0.0.1, a DMARC policy, and a DKIM public key
under the selector ``lesson`` whose private half the practice server signs with.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["DKIM_SELECTOR", "LESSON_DOMAIN", "DkimKey", "ZoneServer", "dkim_key", "lesson_zone"]

LESSON_DOMAIN = "example.test"
DKIM_SELECTOR = "lesson"

#: name -> [(type, text)], names without the final dot.
Zone = Mapping[str, Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class DkimKey:
    private_pem: bytes
    public_b64: str


@lru_cache(maxsize=1)
def dkim_key() -> DkimKey:
    """An RSA key for the lesson's DKIM selector, made once per process (2048 bits)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKey(private, base64.b64encode(public).decode("ascii"))


def _txt(text: str) -> str:
    """A TXT value as zone text: quoted strings of at most 255 characters each."""
    chunks = [text[i : i + 250] for i in range(0, len(text), 250)]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def lesson_zone(public_b64: str | None = None) -> dict[str, list[tuple[str, str]]]:
    public_b64 = public_b64 or dkim_key().public_b64
    domain = LESSON_DOMAIN
    return {
        domain: [
            ("MX", f"10 mx1.{domain}."),
            ("MX", f"20 mx2.{domain}."),
            ("TXT", _txt("v=spf1 ip4:127.0.0.1 -all")),
        ],
        f"mx1.{domain}": [("A", "127.0.0.1")],
        f"mx2.{domain}": [("A", "127.0.0.2")],
        f"_dmarc.{domain}": [
            ("TXT", _txt("v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc@example.test"))
        ],
        f"{DKIM_SELECTOR}._domainkey.{domain}": [("TXT", _txt(f"v=DKIM1; k=rsa; p={public_b64}"))],
    }


class ZoneServer:
    """Answers DNS queries over UDP on 127.0.0.1 from ``zone``; ``start()``/``stop()``."""

    def __init__(self, zone: Zone, host: str = "127.0.0.1", port: int = 0) -> None:
        self.zone = {name.lower().rstrip("."): list(records) for name, records in zone.items()}
        self.host = host
        self.port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def __enter__(self) -> ZoneServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="smtpshell-dns", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._thread = self._sock = None

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stopping.is_set():
            readable, _, _ = select.select([sock], [], [], 0.2)
            if not readable:
                continue
            try:
                data, peer = sock.recvfrom(4096)
            except OSError:
                return
            answer = self.answer(data)
            if answer is not None:
                with contextlib.suppress(OSError):
                    sock.sendto(answer, peer)

    def answer(self, data: bytes) -> bytes | None:
        """The wire answer to one query (None for garbage, which gets no answer)."""
        try:
            query = dns.message.from_wire(data)
        except Exception:  # a hostile or broken packet: stay silent, like most servers
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        name = question.name.to_text().lower().rstrip(".")
        if not (name == LESSON_DOMAIN or name.endswith("." + LESSON_DOMAIN)):
            response.set_rcode(dns.rcode.REFUSED)  # not our zone; we never recurse
            return response.to_wire()
        records = self.zone.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        wanted = dns.rdatatype.to_text(question.rdtype)
        texts = [text for kind, text in records if kind == wanted]
        if texts:
            rrset = dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, wanted, texts)
            response.answer.append(rrset)
        return response.to_wire()
