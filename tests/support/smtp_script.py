"""A small, deterministic, well-behaved SMTP/LMTP server script for differential tests.

Deterministic on purpose (fixed CRAM-MD5 challenge, fixed texts) so that two clients making
the same calls produce the same bytes, which is what the differential tests compare.
"""

from __future__ import annotations

import base64
import hmac
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from tests.support.scripted import Peer

CRAM_CHALLENGE = b"<1896.697170952@postoffice.example>"
DEFAULT_FEATURES = ("SIZE 1000000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "HELP")


@dataclass
class SmtpBehaviour:
    features: tuple[str, ...] = DEFAULT_FEATURES
    auth: tuple[str, ...] = ()
    users: Mapping[str, str] = field(default_factory=lambda: {"alice": "wonderland"})
    reject_rcpt: Collection[str] = ()
    reject_sender: Collection[str] = ()
    reject_data: bool = False
    ehlo_supported: bool = True
    lmtp: bool = False
    #: LMTP: these accepted recipients get 552 5.2.2 after the data, the others 250.
    fail_data_for: Collection[str] = ()
    tls_context: ssl.SSLContext | None = None
    messages: list[bytes] = field(default_factory=list)


def _path(arg: bytes) -> str:
    text = arg.decode("utf-8", "replace")
    start, end = text.find("<"), text.find(">")
    return text[start + 1 : end] if start >= 0 and end > start else text


def smtp_script(behaviour: SmtpBehaviour):
    def script(peer: Peer) -> None:
        _Session(peer, behaviour).run()

    return script


class _Session:
    def __init__(self, peer: Peer, behaviour: SmtpBehaviour):
        self.peer = peer
        self.b = behaviour
        self.accepted: list[str] = []
        self.tls = False

    def reply(self, *lines: str, code: int = 250) -> None:
        out = [f"{code}-{line}\r\n" for line in lines[:-1]]
        out.append(f"{code} {lines[-1]}\r\n")
        self.peer.send("".join(out).encode())

    def features(self) -> list[str]:
        features = list(self.b.features)
        if self.b.tls_context is not None and not self.tls:
            features.append("STARTTLS")
        if self.b.auth:
            features.append("AUTH " + " ".join(self.b.auth))
        return features

    def run(self) -> None:
        self.reply("test.example ESMTP ready", code=220)
        while True:
            line = self.peer.readline()
            if not line:
                return
            verb, _, arg = line.rstrip(b"\r\n").partition(b" ")
            verb = verb.upper()
            if verb in (b"EHLO", b"LHLO"):
                if not self.b.ehlo_supported:
                    self.reply("5.5.1 EHLO not implemented", code=502)
                else:
                    self.reply("test.example greets " + arg.decode(), *self.features())
            elif verb == b"HELO":
                self.reply("test.example")
            elif verb == b"MAIL":
                if _path(arg) in self.b.reject_sender:
                    self.reply("5.7.1 sender rejected", code=550)
                else:
                    self.accepted = []
                    self.reply("2.1.0 OK")
            elif verb == b"RCPT":
                rcpt = _path(arg)
                if rcpt in self.b.reject_rcpt:
                    self.reply("5.1.1 no such user", code=550)
                else:
                    self.accepted.append(rcpt)
                    self.reply("2.1.5 OK")
            elif verb == b"DATA":
                self.reply("End data with <CR><LF>.<CR><LF>", code=354)
                body = self.peer.read_until(b"\r\n.\r\n")
                self.b.messages.append(body)
                for rcpt in self.accepted if self.b.lmtp else [None]:
                    if rcpt in self.b.fail_data_for:
                        self.reply(f"5.2.2 <{rcpt}> mailbox full", code=552)
                    elif self.b.reject_data:
                        self.reply("5.6.0 content rejected", code=554)
                    else:
                        self.reply("2.0.0 queued as 1234")
            elif verb == b"RSET":
                self.accepted = []
                self.reply("2.0.0 reset")
            elif verb == b"NOOP":
                self.reply("2.0.0 OK")
            elif verb == b"VRFY":
                self.reply(f"2.1.5 <{arg.decode()}>" if b"@" in arg else "2.1.5 alice", code=250)
            elif verb == b"EXPN":
                self.reply("<alice@test.example>", "<bob@test.example>")
            elif verb == b"HELP":
                self.reply("2.0.0 commands: EHLO HELO MAIL RCPT DATA", code=214)
            elif verb == b"STARTTLS" and self.b.tls_context is not None and not self.tls:
                self.reply("2.0.0 go ahead", code=220)
                self.peer.starttls(self.b.tls_context)
                self.tls = True
            elif verb == b"AUTH":
                self.auth(arg)
            elif verb == b"QUIT":
                self.reply("2.0.0 bye", code=221)
                return
            else:
                self.reply("5.5.2 command not recognized", code=500)

    def challenge(self, data: bytes) -> bytes:
        self.peer.send(b"334 " + base64.b64encode(data) + b"\r\n")
        return base64.b64decode(self.peer.readline().strip())

    def auth(self, arg: bytes) -> None:
        mechanism, _, initial = arg.partition(b" ")
        mechanism = mechanism.upper()
        if mechanism.decode() not in self.b.auth:
            self.reply("5.5.4 mechanism not supported", code=504)
            return
        if mechanism == b"PLAIN":
            raw = base64.b64decode(initial) if initial else self.challenge(b"")
            _, user, password = raw.decode().split("\0")
            ok = self.b.users.get(user) == password
        elif mechanism == b"LOGIN":
            user = base64.b64decode(initial) if initial else self.challenge(b"Username:")
            password = self.challenge(b"Password:")
            ok = self.b.users.get(user.decode()) == password.decode()
        else:  # CRAM-MD5
            user, _, digest = self.challenge(CRAM_CHALLENGE).decode().partition(" ")
            secret = self.b.users.get(user, "").encode()
            ok = (
                user in self.b.users
                and digest == hmac.new(secret, CRAM_CHALLENGE, "md5").hexdigest()
            )
        if ok:
            self.reply("2.7.0 Authentication successful", code=235)
        else:
            self.reply("5.7.8 Authentication credentials invalid", code=535)
