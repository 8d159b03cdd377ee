"""The built-in shell commands, registered once in :data:`REGISTRY`.

Each handler takes the engine and the parsed invocation and returns a Result (or None for
"nothing to say": the transcript already shows the exchange).  Handlers raise freely;
the engine turns SMTP, OS and usage errors into one clear line.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from smtpshell import auth as sasl
from smtpshell.knowledge import (
    command,
    extension,
    mechanism,
)
from smtpshell.knowledge.lines import LineExplanation, LineKind, explain_reply, explain_term
from smtpshell.protocol import dsn_mail_options, dsn_rcpt_options
from smtpshell.protocol.display import display
from smtpshell.shell.engine import Engine, Mode
from smtpshell.shell.exports import FORMATS, env_word, format_for_path, render_export
from smtpshell.shell.registry import (
    PREFIX,
    Arg,
    Completion,
    Invocation,
    Option,
    Registry,
    UsageError,
)
from smtpshell.shell.results import Level, Note, Outcome, Result, Table, Text, plural
from smtpshell.shell.target import Security, parse_source, parse_target

__all__ = ["CATEGORIES", "REGISTRY"]

REGISTRY = Registry()
command_ = REGISTRY.command

#: Category -> heading, in the order /help and docs/commands.md list them.
CATEGORIES = {
    "session": "Connecting and greeting",
    "auth": "Authentication",
    "mail": "Sending mail",
    "inspect": "Looking inside",
    "transcript": "Transcript and history",
    "shell": "The shell itself",
}

_ON_OFF = ("on", "off")


def _on_off(value: str | None, current: bool) -> bool:
    if value is None:
        return not current
    return value.lower() == "on"


# --------------------------------------------------------------------------- session


@command_(
    "connect",
    "Connect to a server (or the practice server), optionally with TLS",
    "Open a new session, leaving the current one politely (QUIT).  TARGET is host[:port], "
    "a URL (smtp://, smtps://, submission://, lmtp://, with ?starttls) or a Unix socket path "
    "for LMTP; without it, the current target again, or the embedded practice server.  "
    "--starttls sends EHLO, STARTTLS and EHLO again right away; --tls speaks TLS from the "
    "first byte (port 465).  Certificates are verified unless --no-verify.",
    "session",
    args=(Arg("TARGET", "where to connect", Completion.TARGET, optional=True),),
    options=(
        Option("--starttls", "upgrade with STARTTLS right after connecting"),
        Option("--tls", "implicit TLS from the first byte (port 465)"),
        Option("--plain", "no TLS, even if the TARGET asks for it"),
        Option("--no-verify", "accept any certificate (testing only; marked unverified)"),
        Option("--helo", "the name EHLO/HELO send by default", value="NAME"),
        Option("--source", "local address to connect from", value="HOST[:PORT]"),
        Option("--lmtp", "speak LMTP (LHLO) instead of SMTP"),
        Option("--pipelining", "/send batches MAIL, RCPT and DATA when offered (RFC 2920)"),
        Option("--chunking", "/send uses BDAT instead of DATA when offered (RFC 3030)"),
    ),
    aliases=("open",),
    examples=(
        "/connect",
        "/connect mail.example.com:587 --starttls",
        "/connect smtps://smtp.example.com",
        "/connect lmtp:/var/run/dovecot/lmtp",
    ),
)
def _connect(engine: Engine, inv: Invocation) -> Result:
    text = inv.arg("TARGET")
    if text is None and engine.target is not None:
        target = engine.target
        if target.practice:
            target = target.replace(host="", port=0)
    else:
        target = parse_target(text)
    if inv.opt("starttls"):
        target = target.replace(security=Security.STARTTLS)
    if inv.opt("tls"):
        target = target.replace(security=Security.TLS)
    if inv.opt("plain"):
        target = target.replace(security=Security.PLAIN)
    if inv.opt("no_verify"):
        target = target.replace(verify=False)
    if inv.opt("helo"):
        target = target.replace(helo=inv.opt("helo"))
    if inv.opt("source"):
        target = target.replace(source=parse_source(inv.opt("source")))
    if inv.opt("lmtp"):
        target = target.replace(lmtp=True)
    if inv.opt("pipelining"):
        target = target.replace(pipelining=True)
    if inv.opt("chunking"):
        target = target.replace(chunking=True)
    if sum(bool(inv.opt(k)) for k in ("starttls", "tls", "plain")) > 1:
        raise UsageError("choose one of --starttls, --tls, --plain")
    return engine.connect(target)


@command_(
    "ehlo",
    "EHLO: greet as an extended client and learn the server's extensions",
    "Send EHLO (LHLO for LMTP) with NAME or the default name, as smtplib's ehlo() does, and "
    "remember the extensions it advertises (for /features and completion).  Typing "
    "'EHLO name' does the same with your exact spelling.",
    "session",
    args=(Arg("NAME", "the client's host name", optional=True),),
    needs_connection=True,
)
def _ehlo(engine: Engine, inv: Invocation) -> Result:
    client = engine.require_client()
    code, _ = client.ehlo(inv.arg("NAME", ""))
    engine.record("ehlo", *([inv.arg("NAME")] if inv.arg("NAME") else []))
    if code == 250:
        count = len(client.esmtp_features)
        return Result(
            [Note(f"{plural(count, 'extension')} advertised: /features explains them", Level.HINT)]
        )
    return Result()


@command_(
    "helo",
    "HELO: greet as a plain (non-extended) client",
    "Send HELO with NAME or the default name.  After HELO no extension may be used.",
    "session",
    args=(Arg("NAME", "the client's host name", optional=True),),
    needs_connection=True,
)
def _helo(engine: Engine, inv: Invocation) -> None:
    engine.require_client().helo(inv.arg("NAME", ""))
    engine.record("helo", *([inv.arg("NAME")] if inv.arg("NAME") else []))


@command_(
    "starttls",
    "Upgrade the connection to TLS (RFC 3207) and show what was negotiated",
    "Send STARTTLS (after EHLO, which is sent first if needed) and perform the TLS "
    "handshake, verifying the certificate unless --no-verify.  The server forgets the EHLO: "
    "send EHLO again.  /tls shows the certificate.",
    "session",
    options=(Option("--no-verify", "accept any certificate (testing only)"),),
    needs_connection=True,
)
def _starttls(engine: Engine, inv: Invocation) -> Result:
    return engine.starttls(verify=False if inv.opt("no_verify") else None)


@command_(
    "quit",
    "QUIT: end the session politely (the shell stays open)",
    "Send QUIT, read the 221 and close the connection.  /connect opens a new session; "
    "/exit (or Ctrl-D) leaves smtpshell.",
    "session",
    needs_connection=True,
)
def _quit(engine: Engine, inv: Invocation) -> None:
    engine.require_client().quit()
    engine.record("quit")


@command_(
    "close",
    "Close the connection without QUIT",
    "Drop the connection at once, as smtplib's close() does: no QUIT is sent.",
    "session",
)
def _close(engine: Engine, inv: Invocation) -> Result:
    if engine.client is None or not engine.connected:
        return Result([Note("not connected", Level.INFO)])
    engine.client.close()
    engine.record("close")
    return Result()


# --------------------------------------------------------------------------- auth


@command_(
    "login",
    "Log in with the best mechanism offered (password asked hidden)",
    "Authenticate as USER with the strongest of CRAM-MD5, PLAIN, LOGIN that the server "
    "offers, as smtplib's login() does.  Without PASSWORD it is asked for, hidden.  In "
    "scripts give it inline or, better, as $VARIABLE (read from the environment).  The "
    "password never appears in the transcript, the history or exports.",
    "auth",
    args=(
        Arg("USER", "the account name"),
        Arg("PASSWORD", "the password, or $VARIABLE", optional=True, secret=True),
    ),
    needs_connection=True,
    examples=("/login demo", "/login ci-bot $SMTP_PASSWORD"),
)
def _login(engine: Engine, inv: Invocation) -> Result:
    client = engine.require_client()
    user = inv.arg("USER")
    password = engine.secret(
        inv.arg("PASSWORD"),
        f"password for {user}: ",
        f"password for {user}",
        var=f"SMTPSHELL_PASSWORD_{env_word(user)}",
    )
    result = _cleartext_warning(engine)
    code, _ = client.login(user, password.value)
    engine.record("login", user, password)
    return result.add(f"authenticated as {user} ({code})", Level.OK)


def _cleartext_warning(engine: Engine) -> Result:
    status = engine.status()
    if status.tls or status.practice:
        return Result()
    return Result(
        [
            Note(
                "no TLS: PLAIN and LOGIN send the password readable by anyone on the path "
                "(base64 is not encryption); /starttls first",
                Level.WARN,
            )
        ]
    )


@command_(
    "auth",
    "AUTH with a chosen SASL mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM, OAuth)",
    "Run one AUTH exchange with MECHANISM, answering each 334 challenge for you: the "
    "password mechanisms through smtplib's login(), XOAUTH2 and OAUTHBEARER (where SECRET "
    "is the OAuth token) through login_oauth2().  --no-initial-response waits for the "
    "server's first challenge instead of sending credentials with the AUTH command, to show "
    "the whole dialogue.  To type the exchange yourself, send 'AUTH LOGIN' as a plain line: "
    "each answer line is then hidden and never stored.",
    "auth",
    args=(
        Arg("MECHANISM", "a SASL mechanism the server offers", Completion.MECHANISM),
        Arg("USER", "the account name"),
        Arg("SECRET", "password or OAuth token, or $VARIABLE", optional=True, secret=True),
    ),
    options=(Option("--no-initial-response", "let the server send the first challenge"),),
    needs_connection=True,
    examples=("/auth PLAIN demo", "/auth SCRAM-SHA-256 demo $PASSWORD", "/auth XOAUTH2 me $TOKEN"),
)
def _auth(engine: Engine, inv: Invocation) -> Result:
    client = engine.require_client()
    name = inv.arg("MECHANISM").upper()
    token = name in sasl.TOKEN_MECHANISMS
    if name not in sasl.SUPPORTED_MECHANISMS:
        info = mechanism(name)
        why = f" ({info.support} in smtpshell)" if info else ""
        usable = ", ".join(sasl.SUPPORTED_MECHANISMS)
        raise UsageError(f"mechanism {name} is not supported{why}; use one of {usable}")
    user = inv.arg("USER")
    what = f"{'token' if token else 'password'} for {user}"
    kind = "TOKEN" if token else "PASSWORD"
    secret = engine.secret(
        inv.arg("SECRET"), f"{what}: ", what, var=f"SMTPSHELL_{kind}_{env_word(user)}"
    )
    result = _cleartext_warning(engine)
    if token:
        code, _ = client.login_oauth2(user, secret.value, mechanism=name)
        engine.record("login_oauth2", user, secret, mechanism=name)
    else:
        initial = not inv.opt("no_initial_response")
        code, _ = client.login(user, secret.value, mechanisms=[name], initial_response_ok=initial)
        kwargs = {} if initial else {"initial_response_ok": False}
        engine.record("login", user, secret, mechanisms=[name], **kwargs)
    return result.add(f"authenticated as {user} with {name} ({code})", Level.OK)


# --------------------------------------------------------------------------- mail


@command_(
    "send",
    "Send a message: compose it here, or from an .eml file",
    "One whole transaction, as smtplib's sendmail() does: MAIL, RCPT for each recipient, "
    "DATA.  With --file, the file is the message (envelope taken from its headers when FROM "
    "and TO are not given, as send_message() does).  Without --file, type the message and "
    "end it with a lone '.'; if it does not start with headers, From/To/Subject/Date/"
    "Message-ID are added.  To step through a transaction yourself, type MAIL FROM:, "
    "RCPT TO: and DATA instead.",
    "mail",
    args=(
        Arg("FROM", "the envelope sender", Completion.ADDRESS, optional=True),
        Arg("TO", "envelope recipients", Completion.ADDRESS, optional=True, repeat=True),
    ),
    options=(
        Option("--file", "send this RFC 5322 message file", value="PATH", complete=Completion.PATH),
        Option("--subject", "subject of a composed message", value="TEXT"),
        Option("--mail-option", "a MAIL FROM parameter (e.g. SMTPUTF8)", value="OPT", repeat=True),
        Option(
            "--rcpt-option", "a RCPT TO parameter (e.g. NOTIFY=FAILURE)", value="OPT", repeat=True
        ),
        Option(
            "--ret",
            "DSN: return the FULL message or only HDRS (RFC 3461)",
            value="WHAT",
            choices=("full", "hdrs"),
        ),
        Option("--envid", "DSN: an envelope id to find the notification by", value="ID"),
        Option("--notify", "DSN: NEVER, or SUCCESS,FAILURE,DELAY", value="WHEN"),
    ),
    aliases=("sendmail",),
    needs_connection=True,
    examples=(
        "/send me@example.com you@example.com",
        "/send --file message.eml",
        "/send --notify FAILURE,DELAY --ret HDRS me@example.com you@example.com",
    ),
)
def _send(engine: Engine, inv: Invocation) -> Result:
    engine.require_client()
    from_addr, to_addrs = inv.arg("FROM"), inv.arg("TO", [])
    mail_options = [
        *inv.opt("mail_option", []),
        *dsn_mail_options(ret=inv.opt("ret"), envid=inv.opt("envid")),
    ]
    rcpt_options = [*inv.opt("rcpt_option", []), *dsn_rcpt_options(notify=inv.opt("notify"))]
    path = inv.opt("file")
    if path is not None:
        data = Path(path).expanduser().read_bytes()
        if from_addr is None:
            return engine._send_message(data, mail_options, rcpt_options)
        if not to_addrs:
            raise UsageError("give at least one recipient after FROM")
        return engine.sendmail(from_addr, to_addrs, data, mail_options, rcpt_options)
    if from_addr is None or not to_addrs:
        raise UsageError(f"usage: {PREFIX}send FROM TO... (or --file PATH)")
    return engine.begin_compose(
        from_addr,
        to_addrs,
        subject=inv.opt("subject"),
        mail_options=mail_options,
        rcpt_options=rcpt_options,
    )


@command_(
    "verify",
    "VRFY: ask whether a mailbox exists",
    "Send VRFY for ADDRESS, as smtplib's verify() does.  Many servers answer 252 (cannot "
    "verify, will try) so as not to leak which addresses exist.",
    "mail",
    args=(Arg("ADDRESS", "a user name or address", Completion.ADDRESS),),
    aliases=("vrfy",),
    needs_connection=True,
)
def _verify(engine: Engine, inv: Invocation) -> None:
    engine.require_client().verify(inv.arg("ADDRESS"))
    engine.record("verify", inv.arg("ADDRESS"))


@command_(
    "expn",
    "EXPN: ask for the members of a mailing list",
    "Send EXPN for LIST, as smtplib's expn() does.  Usually disabled on public servers.",
    "mail",
    args=(Arg("LIST", "a mailing list name"),),
    needs_connection=True,
)
def _expn(engine: Engine, inv: Invocation) -> None:
    engine.require_client().expn(inv.arg("LIST"))
    engine.record("expn", inv.arg("LIST"))


@command_(
    "rset",
    "RSET: abort the current transaction",
    "Send RSET: the sender, recipients and data so far are forgotten; the session stays.",
    "mail",
    needs_connection=True,
)
def _rset(engine: Engine, inv: Invocation) -> None:
    engine.require_client().rset()
    engine.record("rset")


@command_(
    "noop",
    "NOOP: do nothing, see that the server answers",
    "Send NOOP.  Useful to keep a session alive or to measure the server's latency.",
    "mail",
    needs_connection=True,
)
def _noop(engine: Engine, inv: Invocation) -> None:
    engine.require_client().noop()
    engine.record("noop")


@command_(
    "raw",
    "Send bytes exactly as given -- UNSAFE, for testing servers on purpose",
    "With TEXT, send it once; without, toggle raw mode, in which every plain line is sent "
    "raw.  Nothing is added or checked: no CRLF unless you write \\r\\n (escapes: \\r \\n "
    "\\t \\0 \\\\ \\xHH), bare LF, NUL, pipelined commands, anything.  A reply is read when "
    "the bytes end in a line feed (--read / --no-read override); /reply reads one later.  "
    "The session state shown may not follow what raw bytes did.  Inside a message (after "
    "354), '/raw TEXT' is the one line that is not message text: it writes TEXT as it is "
    "(lesson 15 hides a bare-LF dot in a body this way); a line holding only /raw switches "
    "the rest of the message to raw DATA (unsafe, for experiments such as SMTP smuggling): "
    "bare LF, un-stuffed dots and a custom end-of-data go out as typed; \\r\\n.\\r\\n "
    "reads the reply, /reply reads one after another ending, /raw returns to safe DATA.",
    "mail",
    args=(Arg("TEXT", "the bytes, with escapes", optional=True, rest=True),),
    options=(
        Option("--read", "read one reply after sending"),
        Option("--no-read", "do not read a reply"),
    ),
    needs_connection=False,
    examples=("/raw MAIL FROM:<a@example.com>\\n", "/raw NOOP\\r\\nNOOP\\r\\n"),
)
def _raw(engine: Engine, inv: Invocation) -> Result:
    text = inv.arg("TEXT")
    if text is None:
        engine.raw_mode = not engine.raw_mode
        if engine.raw_mode:
            return Result(
                [
                    Note(
                        "raw mode ON (unsafe): plain lines are sent exactly as typed, with "
                        "escapes and WITHOUT a line ending -- end them with \\r\\n; /raw again "
                        "to leave",
                        Level.WARN,
                    )
                ]
            )
        if engine.mode is Mode.DATA:
            return Result(
                [Note("raw DATA off: back to safe DATA (dot-stuffed, a lone . ends it)", Level.OK)]
            )
        return Result([Note("raw mode off", Level.INFO)])
    read = True if inv.opt("read") else False if inv.opt("no_read") else None
    return engine.send_raw(text, read)


@command_(
    "reply",
    "Read one reply from the server (after /raw or pipelining)",
    "Wait for one complete reply and show it.  Blocks until it arrives (Ctrl-C cancels, "
    "which closes the connection).",
    "mail",
    needs_connection=True,
)
def _reply(engine: Engine, inv: Invocation) -> None:
    engine.require_client().getreply()
    engine.record("getreply")


@command_(
    "base64",
    "Encode TEXT in base64 (or decode it with --decode)",
    "For building AUTH exchanges by hand: /base64 demo gives ZGVtbw==.  \\0 in TEXT stands "
    "for a NUL byte.  To build an AUTH PLAIN string, which carries a password, use /plain: "
    "its output is a secret.",
    "auth",
    args=(Arg("TEXT", "what to encode (or decode)", rest=True),),
    options=(Option("--decode", "TEXT is base64: show what it says"),),
)
def _base64(engine: Engine, inv: Invocation) -> Result:
    text = inv.arg("TEXT") or ""
    if inv.opt("decode"):
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            return Result([Note(f"not base64: {text!r}", Level.ERROR)], Outcome.USAGE)
        return Result([Note(f"{text.strip()} -> {display(raw)}")])
    raw = text.replace("\\0", "\0").encode("utf-8")
    return Result([Note(f"{display(raw)} -> {base64.b64encode(raw).decode('ascii')}")])


@command_(
    "plain",
    "Build the AUTH PLAIN string for USER and PASSWORD (a secret: /reveal on shows it)",
    "base64( '' NUL USER NUL PASSWORD ), as RFC 4616 §2 defines it, to type as "
    "AUTH PLAIN <string>.  It carries the password, so it is born secret: the log shows it "
    "only with /reveal on, and the history keeps /plain USER <redacted>.",
    "auth",
    args=(
        Arg("USER", "the account"),
        Arg("PASSWORD", "the password, or $VARIABLE", optional=True, secret=True),
    ),
)
def _plain(engine: Engine, inv: Invocation) -> Result:
    user = inv.arg("USER") or ""
    password = engine.secret(inv.arg("PASSWORD"), f"Password for {user}: ", "password")
    encoded = base64.b64encode(f"\0{user}\0{password.value}".encode()).decode("ascii")
    shape = f"base64( '' NUL '{user}' NUL '{'*' * 4}' )"
    if not engine.reveal:
        return Result(
            [
                Note(f"AUTH PLAIN <redacted>   = {shape}"),
                Note(
                    "The string carries the password: /reveal on shows it here "
                    "(it is never written to history or exports).",
                    Level.HINT,
                ),
            ]
        )
    return Result([Note(f"AUTH PLAIN {encoded}   = {shape}")])


def _lesson_dns(engine: Engine, server: str | None) -> tuple[str, int] | Result:
    if server:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "53")
        if not port.isdigit():
            return Result(
                [Note(f"--server wants HOST or HOST:PORT, not {server!r}")], Outcome.USAGE
            )
        return host or server, int(port)
    port = getattr(engine.practice, "dns_port", None)
    if port is None:
        return Result(
            [
                Note(
                    "no DNS server to ask: lessons with 'server: --dns' start one "
                    "(or: smtpshell serve --dns); --server HOST:PORT asks another",
                    Level.ERROR,
                )
            ],
            Outcome.USAGE,
        )
    return "127.0.0.1", port


@command_(
    "dns",
    "Ask DNS: MX, A, AAAA or TXT records of NAME (the lesson's DNS server by default)",
    "Sends one query and shows the answer.  MX records are sorted by preference: a sender "
    "tries the lowest first (RFC 5321 §5.1).  TXT shows SPF (v=spf1), DKIM keys "
    "(SELECTOR._domainkey) and DMARC policies (_dmarc).  Without --server it asks the "
    "practice server's in-process DNS server (lessons with --dns).",
    "inspect",
    args=(
        Arg("TYPE", "MX, A, AAAA or TXT", Completion.CHOICE, choices=("mx", "a", "aaaa", "txt")),
        Arg("NAME", "a domain name"),
    ),
    options=(Option("--server", "the DNS server to ask", value="HOST:PORT"),),
    examples=("/dns MX example.test", "/dns TXT _dmarc.example.test"),
)
def _dns(engine: Engine, inv: Invocation) -> Result:
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    kind = (inv.arg("TYPE") or "").upper()
    name = inv.arg("NAME") or ""
    where = _lesson_dns(engine, inv.opt("server"))
    if isinstance(where, Result):
        return where
    try:
        query = dns.message.make_query(name, kind)
        answer = dns.query.udp(query, where[0], port=where[1], timeout=engine.timeout or 5)
    except (dns.exception.DNSException, OSError, ValueError) as error:
        return Result([Note(f"DNS query failed: {error}", Level.ERROR)], Outcome.CONNECTION)
    rcode = dns.rcode.to_text(answer.rcode())
    if rcode != "NOERROR":
        return Result([Note(f"{name} {kind}: {rcode}", Level.WARN)])
    rows: list[tuple[str, ...]] = []
    for rrset in answer.answer:
        for rdata in rrset:
            if rrset.rdtype == dns.rdatatype.MX:
                rows.append((str(rdata.preference), rdata.exchange.to_text().rstrip(".")))
            elif rrset.rdtype == dns.rdatatype.TXT:
                rows.append(("", b"".join(rdata.strings).decode("utf-8", "replace")))
            else:
                rows.append(("", rdata.to_text()))
    if not rows:
        return Result([Note(f"{name} has no {kind} records", Level.WARN)])
    if kind == "MX":
        rows.sort(key=lambda row: int(row[0]))
        headers: tuple[str, ...] = ("preference", "mail exchanger")
    else:
        rows = [(row[1],) for row in rows]
        headers = (kind,)
    return Result([Table(f"{name} {kind}", tuple(rows), headers)])


@command_(
    "dkim",
    "Verify the DKIM signature of a message the practice server stored",
    "Checks the DKIM-Signature of stored message N (default: the last one) against the "
    "public key DNS publishes (RFC 6376 §6), with the dkimpy library.  --tamper changes one "
    "byte of the body first, to see the body hash fail.  Lessons with --dns sign the mail "
    "that logged-in users send from @example.test.",
    "inspect",
    args=(Arg("N", "a stored message number (1 = the first)", optional=True),),
    options=(Option("--tamper", "change the body before verifying"),),
)
def _dkim(engine: Engine, inv: Invocation) -> Result:
    import dkim
    import dns.exception
    import dns.message
    import dns.query
    import dns.rdatatype

    practice = engine.practice
    where = _lesson_dns(engine, None)
    if isinstance(where, Result) or practice is None:
        return where if isinstance(where, Result) else Result([], Outcome.USAGE)
    stored = list(practice.messages)
    number = inv.arg("N")
    if not stored:
        return Result([Note("the practice server has stored no message yet", Level.ERROR)])
    if number is not None and (not number.isdigit() or not 1 <= int(number) <= len(stored)):
        return Result([Note(f"N is a number from 1 to {len(stored)}", Level.ERROR)], Outcome.USAGE)
    data = stored[int(number) - 1 if number else -1].data
    if inv.opt("tamper"):
        data = data.rstrip(b"\r\n") + b"!\r\n"
    if b"dkim-signature:" not in data.lower():
        return Result([Note("this message carries no DKIM-Signature", Level.WARN)])

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        query = dns.message.make_query(name.decode("ascii").rstrip("."), "TXT")
        try:
            answer = dns.query.udp(query, where[0], port=where[1], timeout=timeout)
        except (dns.exception.DNSException, OSError):
            return None
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(b"".join(r.strings) for r in rrset)
        return None

    checker = dkim.DKIM(data)
    try:
        ok = checker.verify(dnsfunc=txt)
    except dkim.DKIMException as error:
        ok, why = False, str(error)
    else:
        why = "" if ok else "the signature does not match (body or signed headers changed)"
    domain = (checker.domain or b"?").decode()
    selector = (checker.selector or b"?").decode()
    where_key = f"{selector}._domainkey.{domain}"
    if ok:
        return Result([Note(f"dkim=pass: d={domain} s={selector}, key from {where_key}", Level.OK)])
    return Result([Note(f"dkim=fail: d={domain} s={selector}: {why}", Level.ERROR)])


@command_(
    "mailbox",
    "Your mailbox on a class server (XMAILBOX): the list, or message N",
    "On a class server (smtpshell class; its EHLO lists XCLASS), after /login: the messages "
    "sent to you at NAME@class.test, one line each; /mailbox N shows message N.  The server "
    "only ever shows the mailbox of the account you logged in with.",
    "mail",
    args=(Arg("N", "a message number", optional=True),),
    needs_connection=True,
)
def _mailbox(engine: Engine, inv: Invocation) -> Result | None:
    if "xclass" not in engine.features:
        return Result(
            [
                Note(
                    "not a class server: its EHLO does not list XCLASS (send EHLO first)",
                    Level.ERROR,
                )
            ],
            Outcome.USAGE,
        )
    number = inv.arg("N")
    if number is not None and not number.isdigit():
        return Result([Note("/mailbox takes a message number", Level.ERROR)], Outcome.USAGE)
    engine.require_client().docmd("XMAILBOX", number or "")
    return None


# --------------------------------------------------------------------------- inspect


@command_(
    "features",
    "The extensions the server advertised, explained",
    "Each EHLO keyword with its parameters, what it means and its RFC.  Send EHLO first.",
    "inspect",
    aliases=("extensions",),
)
def _features(engine: Engine, inv: Invocation) -> Result:
    rows = engine.views.features()
    if rows is None:
        return Result([Note("no EHLO answer yet: send EHLO first", Level.HINT)])
    table = tuple((row.keyword, row.params, row.meaning, row.source) for row in rows)
    return Result(
        [Table("Advertised extensions", table, ("keyword", "params", "meaning", "source"))]
    )


@command_(
    "tls",
    "The TLS session and the server's certificate",
    "Protocol version, cipher, whether the certificate was verified, and the certificate's "
    "subject, issuer, validity, names and SHA-256 fingerprint.",
    "inspect",
)
def _tls(engine: Engine, inv: Invocation) -> Result:
    rows = engine.views.tls()
    if rows is None:
        return Result([Note("no TLS on this connection: /starttls or /connect --tls", Level.HINT)])
    return Result([Table("TLS", tuple(tuple(row) for row in rows))])


@command_(
    "explain",
    "Explain a reply code, an enhanced code, an extension or a command (the last reply by default)",
    "The long explanation with its RFC of: a reply code (550, with its text and enhanced code "
    "when given: 550 5.1.1 no such user), an enhanced status code alone (5.7.1, RFC 3463), an "
    "EHLO keyword with its parameters (PIPELINING, SIZE 10240000) or a command verb (RCPT).  "
    "Without anything, the last reply.",
    "inspect",
    args=(
        Arg(
            "WHAT",
            "a reply code (550), enhanced code (5.7.1), extension (SIZE) or verb (RCPT)",
            Completion.REPLY_CODE,
            optional=True,
        ),
        Arg("TEXT", "the reply text or the extension's parameters", optional=True, rest=True),
    ),
    examples=(
        "/explain",
        "/explain 550 5.1.1",
        "/explain 5.7.1",
        "/explain PIPELINING",
        "/explain RCPT",
    ),
)
def _explain(engine: Engine, inv: Invocation) -> Result:
    what, text = inv.arg("WHAT"), inv.arg("TEXT", "")
    if what is None:
        reply = engine.last_reply
        if reply is None:
            return Result([Note("no reply yet: /explain CODE", Level.HINT)])
        info = explain_reply(reply.code, reply.first_line)
    else:
        info = explain_term(f"{what} {text}".strip())
        if info is None:
            raise UsageError(
                f"nothing known about {what!r}: give a reply code (550), an enhanced code "
                "(5.7.1), an extension (PIPELINING) or a command verb (RCPT)"
            )
    return Result([Text(info.headline.title, "\n".join(_explanation_lines(info)).rstrip())])


def _explanation_lines(info: LineExplanation) -> list[str]:
    head, klass, enhanced = info.headline, info.reply_class, info.enhanced
    lines = [head.text] if head.text else []
    if info.kind is LineKind.REPLY:
        klass_title = klass.title if klass else "Not a valid SMTP reply code"
        lines.append(f"({klass_title}; {head.source})")
    elif info.kind is LineKind.ENHANCED:
        if klass is not None:
            lines.append(f"(class {klass.title}; {head.source or klass.source})")
        enhanced = None  # the headline already is the code
    elif head.source:
        lines.append(f"({head.source})")
    if enhanced is not None:
        code_text, _, title = enhanced.title.partition(" ")
        lines += ["", f"{code_text}: {title}", enhanced.text]
        if enhanced.source:
            lines.append(f"({enhanced.source})")
    if info.items:
        lines.append("")
        lines += [f"  {name}: {note}" if note else f"  {name}" for name, note in info.items]
    if info.syntax:
        lines += ["", f"syntax: {info.syntax}"]
    if info.needs:
        lines.append(f"needs the {info.needs} extension")
    lines += list(info.notes)
    return lines


@command_(
    "status",
    "Where the session is: target, TLS, user, transaction stage",
    "The same state the prompt shows, in full.",
    "inspect",
)
def _status(engine: Engine, inv: Invocation) -> Result:
    return Result([Table("Session", tuple(tuple(row) for row in engine.views.status()))])


# --------------------------------------------------------------------------- transcript


@command_(
    "history",
    "The commands typed in this session",
    "What was typed, as history stores it: secrets are never kept (AUTH payloads become "
    "<redacted>, passwords are dropped, answers to AUTH challenges are not stored).",
    "transcript",
    args=(Arg("N", "show only the last N", optional=True),),
)
def _history(engine: Engine, inv: Invocation) -> Result:
    entries = engine.history[:-1]  # the /history line itself is the last one
    count = inv.arg("N")
    if count is not None:
        if not (count.isascii() and count.isdigit()):
            raise UsageError(f"not a number: {count!r}")
        entries = entries[-int(count) :] if int(count) else []
    start = len(engine.history[:-1]) - len(entries) + 1
    rows = tuple((str(start + i), line) for i, line in enumerate(entries))
    return Result([Table("History", rows)]) if rows else Result([Note("no history yet")])


@command_(
    "export",
    "Save the transcript as text, JSON Lines or a runnable smtplib script",
    "Write the session to PATH; the format follows the suffix (.txt, .jsonl, .py) unless "
    "--format says.  Without PATH, show the text transcript here.  Files never hold a "
    "secret, even with /reveal on (AUTH payloads are written as <redacted>).  The Python "
    "export replays the session with smtplib calls; it reads each secret from an "
    "environment variable named at its top.",
    "transcript",
    args=(Arg("PATH", "the file to write", Completion.PATH, optional=True),),
    options=(Option("--format", "text, jsonl or python", value="FORMAT", choices=tuple(FORMATS)),),
    aliases=("save",),
    examples=("/export session.txt", "/export session.py", "/export --format python"),
)
def _export(engine: Engine, inv: Invocation) -> Result:
    path = inv.arg("PATH")
    fmt = inv.opt("format") or (format_for_path(path) if path and path != "-" else "text")
    on_screen = path is None or path == "-"
    reveal = engine.reveal and on_screen and fmt != "python"  # a file never holds a secret
    text = render_export(fmt, engine.transcript.events(), engine.steps, reveal=reveal)
    secrets = "secrets REVEALED" if reveal else "secrets redacted"
    if on_screen:
        return Result([Text(f"Transcript ({fmt}, {secrets})", text, preformatted=True)])
    target = Path(path).expanduser()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    dropped = engine.transcript.dropped
    note = f"wrote {fmt} to {target.resolve()} ({secrets})"
    if dropped:
        lost = plural(dropped, "oldest event was", "oldest events were")
        note += f"; the {lost} beyond the transcript's memory bound"
    return Result([Note(note, Level.OK)])


@command_(
    "reveal",
    "Show secrets (AUTH payloads) in the log, or hide them again",
    "Off by default: every AUTH payload is shown as <redacted>.  On: the log on this screen "
    "shows them.  Files never hold them either way: exports, transcripts and history write "
    "<redacted>.",
    "transcript",
    args=(
        Arg(
            "STATE",
            "on or off (default: toggle)",
            Completion.CHOICE,
            optional=True,
            choices=_ON_OFF,
        ),
    ),
)
def _reveal(engine: Engine, inv: Invocation) -> Result:
    engine.reveal = _on_off(inv.arg("STATE"), engine.reveal)
    if engine.reveal:
        return Result(
            [
                Note(
                    "secrets REVEALED in the log on this screen until /reveal off "
                    "(files still get <redacted>)",
                    Level.WARN,
                )
            ]
        )
    return Result([Note("secrets redacted", Level.OK)])


# --------------------------------------------------------------------------- shell


@command_(
    "expect",
    "Check the last reply: /expect 250, 2xx, 550 5.1.1, 250 text",
    "Assert on the last reply: a code (x for any digit), optionally an enhanced status code "
    "and text that must appear.  After the end of an LMTP message, every recipient's reply "
    "must match (one reply per recipient, RFC 2033); 'for RCPT' checks only that "
    "recipient's.  In scripts the leading / may be left out; a failed expectation ends the "
    "script with exit code 1.",
    "shell",
    args=(Arg("PATTERN", "[for RCPT] CODE [ENHANCED] [TEXT]", rest=True),),
    examples=(
        "/expect 250",
        "/expect 2xx",
        "/expect 550 5.1.1",
        "/expect 250 queued",
        "/expect for bob@example.com 552 5.2.2",
    ),
)
def _expect(engine: Engine, inv: Invocation) -> Result:
    return engine.expect(inv.arg("PATTERN", ""))


@command_(
    "replay",
    "Step through a script (a probe finding) line by line: /replay FILE",
    "Load FILE, a script as 'smtpshell run' reads it (such as one 'smtpshell probe "
    "--emit-script' wrote), and offer its lines one at a time at the prompt: Enter sends "
    "the offered line, or edit it first; 'expect' lines are checked as 'run' checks them "
    "and the replay goes on after a failed one.  The replay connects afresh to TARGET, else "
    "to the target in the script's '# run:' line, else it uses the current session.  "
    "/replay skip skips the offered line, /replay next sends it as written, /replay stop "
    "ends the replay, /replay alone shows where it is.  Other shell commands (/status) run "
    "beside it.  A line holding <redacted> asks for the secret, as recalled history does.  "
    "In a script, /replay FILE runs the whole file at once.",
    "shell",
    args=(
        Arg("FILE", "a script, or next, skip, stop, status", Completion.PATH, optional=True),
        Arg(
            "TARGET",
            "where to replay it (default: the script's '# run:' target)",
            Completion.TARGET,
            optional=True,
        ),
    ),
    examples=(
        "/replay probe-out/mx.example.com/smtp.vrfy.confirms_user.smtp",
        "/replay finding.smtp practice",
        "/replay skip",
        "/replay stop",
    ),
)
def _replay(engine: Engine, inv: Invocation) -> Result:
    from smtpshell.shell.replay import CONTROL_WORDS, start_replay

    path, target = inv.arg("FILE"), inv.arg("TARGET")
    replay = engine.replay
    if path is None or path in CONTROL_WORDS:
        if target is not None:
            raise UsageError(f"/replay {path} takes no TARGET")
        if replay is None:
            if path in (None, "status"):
                return Result([Note("no replay: /replay FILE starts one")])
            raise UsageError(f"no replay to {path}: /replay FILE starts one")
        if path == "stop":
            return replay.finish(stopped=True)
        if path == "skip":
            return replay.skip()
        if path == "next":
            return replay.submit()
        return replay.status()
    return start_replay(engine, path, target)


@command_(
    "debuglevel",
    "smtplib-style debug output on stderr (0 off, 1 lines, 2 with times)",
    "As smtplib's set_debuglevel(): the client prints each line sent and received on "
    "stderr.  The transcript shows the same thing better; this is for comparing with "
    "smtplib.",
    "shell",
    args=(Arg("LEVEL", "0, 1 or 2", Completion.CHOICE, choices=("0", "1", "2")),),
)
def _debuglevel(engine: Engine, inv: Invocation) -> Result:
    engine.debuglevel = int(inv.arg("LEVEL"))
    if engine.client is not None:
        engine.client.set_debuglevel(engine.debuglevel)
        engine.record("set_debuglevel", engine.debuglevel)
    return Result([Note(f"debug level {engine.debuglevel}")])


def _help_topic(engine: Engine, topic: str) -> Result:
    spec = engine.registry.get(topic)
    if spec is not None:
        lines = [spec.help, ""]
        lines.append("usage: " + spec.usage)
        if spec.aliases:
            lines.append("aliases: " + ", ".join(PREFIX + a for a in spec.aliases))
        for arg in spec.args:
            lines.append(f"  {arg.name:<14} {arg.help}")
        for opt in spec.options:
            name = f"{opt.name} {opt.value}" if opt.value else opt.name
            lines.append(f"  {name:<14} {opt.help}")
        if spec.examples:
            lines += ["examples:", *(f"  {e}" for e in spec.examples)]
        return Result([Text(f"{PREFIX}{spec.name}: {spec.summary}", "\n".join(lines))])
    verb = command(topic)
    if verb is not None:
        body = [verb.description, "", f"syntax: {verb.syntax}", f"source: {verb.rfc}"]
        if verb.extension:
            body.append(f"needs the {verb.extension} extension")
        if verb.replies:
            body.append("typical replies: " + " ".join(str(r) for r in verb.replies))
        return Result([Text(f"SMTP command {verb.verb}", "\n".join(body))])
    ext = extension(topic)
    if ext is not None:
        body = [ext.summary, "", ext.long, "", f"EHLO parameters: {ext.ehlo_params}", ext.rfc]
        if ext.parameters:
            body.append("adds: " + ", ".join(p.syntax for p in ext.parameters))
        return Result([Text(f"Extension {ext.keyword}: {ext.title}", "\n".join(body))])
    raise UsageError(f"no help on {topic!r}: try a /command, an SMTP verb or an extension")


@command_(
    "help",
    "List commands, or explain one command, SMTP verb or extension",
    "Without TOPIC: every shell command.  With TOPIC: a shell command (/login), an SMTP "
    "verb (MAIL) or an ESMTP extension (PIPELINING).",
    "shell",
    args=(Arg("TOPIC", "a command, verb or extension", Completion.TOPIC, optional=True),),
    aliases=("?",),
)
def _help(engine: Engine, inv: Invocation) -> Result:
    topic = inv.arg("TOPIC")
    if topic is not None:
        return _help_topic(engine, topic)
    result = Result(
        [
            Note(
                "Lines starting with / are shell commands; every other line is sent to the "
                "server as an SMTP command (EHLO, MAIL FROM:<...>, RCPT TO:<...>, DATA ...).",
                Level.HINT,
            )
        ]
    )
    for category, specs in engine.registry.categories().items():
        rows = tuple((PREFIX + s.name, s.summary) for s in specs)
        result.add(Table(CATEGORIES.get(category, category), rows))
    result.add("/help TOPIC for details; Tab completes; Ctrl-C cancels; Ctrl-D quits", Level.HINT)
    return result


@command_(
    "exit",
    "Leave smtpshell (QUIT is sent first if connected)",
    "End the session politely and leave.  Ctrl-D does the same.",
    "shell",
    aliases=("bye",),
)
def _exit(engine: Engine, inv: Invocation) -> Result:
    engine.leave()
    return Result(exit=True)
