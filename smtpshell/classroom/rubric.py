"""Rubrics: plain TOML files a teacher writes, naming the runs and the checks of each.

A rubric has one or more ``[[run]]`` tables.  Each run starts a fresh recording server
(:mod:`smtpshell.classroom.recorder`), set up as the run says (``pipelining``, ``inject``:
the reply given the first time a verb arrives), runs the student's program once against it
and applies the run's ``checks`` to what was recorded.  The checks are the catalogue in
:data:`CHECKS` (``smtpshell grade --list-checks``), plus two that take a verb:
``sends:VERB`` and ``never:VERB``.  The shipped rubrics live beside this module in
``rubrics/`` (``basic-client``).  See docs/teaching.md, "Grading a client".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from smtpshell.classroom.recorder import ClientLine, RecordedSession, ServerLine

__all__ = [
    "CHECKS",
    "Check",
    "CheckOutcome",
    "Rubric",
    "RubricError",
    "RunFacts",
    "RunSpec",
    "load_rubric",
    "shipped_rubrics",
]


class RubricError(ValueError):
    """A rubric file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class RunFacts:
    """What one run of the student's program left behind, for the checks to judge."""

    sessions: list[RecordedSession]
    exit_code: int | None
    killed: bool
    message: bytes  # the message the program was asked to send (CRLF line endings)
    stderr: str = ""

    @property
    def first(self) -> RecordedSession | None:
        return self.sessions[0] if self.sessions else None


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    judge: Callable[[RunFacts], CheckOutcome]


def _session(facts: RunFacts) -> RecordedSession | CheckOutcome:
    if facts.first is None:
        return CheckOutcome(False, "the program never connected")
    return facts.first


def _waits_for_greeting(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    if session.spoke_early:
        early = next(line for line in session.client_lines if line.kind == "early")
        return CheckOutcome(False, f"sent {early.text!r} before the 220 greeting (RFC 5321 §3.1)")
    return CheckOutcome(True)


def _greets_first(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    commands = session.commands
    if not commands:
        return CheckOutcome(False, "sent no command")
    if commands[0].verb not in ("EHLO", "HELO"):
        return CheckOutcome(False, f"first command was {commands[0].text!r}, not EHLO or HELO")
    return CheckOutcome(True)


def _transaction_order(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    verbs = "".join(
        {"MAIL": "M", "RCPT": "R", "DATA": "D", "RSET": "S", "QUIT": "Q"}.get(line.verb, "")
        for line in session.commands
    )
    if "D" not in verbs:
        return CheckOutcome(False, "no DATA was sent")
    if not re.fullmatch(r"(S*(MR+D)?)*S*Q?", verbs):
        order = " ".join(line.verb for line in session.commands if line.verb)
        return CheckOutcome(False, f"commands in this order: {order} (want MAIL, RCPT..., DATA)")
    return CheckOutcome(True)


#: RFC 2920 §3.1: with PIPELINING these may be followed at once by the next command.
_PIPELINABLE = {"MAIL", "RCPT", "RSET", "NOOP", "HELO", "SEND", "SOML", "SAML"}


def _waits_for_replies(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    advertised = "PIPELINING" in session.advertised
    previous: ClientLine | None = None
    for line in session.client_lines:
        if line.kind == "early":
            continue
        if line.before_reply and previous is not None:
            if line.kind == "data":
                return CheckOutcome(False, "sent the message before the 354 reply to DATA")
            if not (advertised and previous.verb in _PIPELINABLE):
                why = "" if advertised else " (the server did not advertise PIPELINING)"
                return CheckOutcome(
                    False, f"sent {line.text!r} before the reply to {previous.text!r}{why}"
                )
        if line.kind != "data":
            previous = line
    return CheckOutcome(True)


def _crlf(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    bare = [line for line in session.client_lines if not line.crlf]
    if bare:
        return CheckOutcome(
            False,
            f"{len(bare)} line(s) not ended by CRLF, first: {bare[0].text!r} (RFC 5321 §2.3.8)",
        )
    return CheckOutcome(True)


def _sent_message(facts: RunFacts) -> list[bytes] | CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    if not session.messages:
        return CheckOutcome(False, "no message was sent (no DATA ... end of data)")
    return session.messages[0]


def _dot_stuffing(facts: RunFacts) -> CheckOutcome:
    sent = _sent_message(facts)
    if isinstance(sent, CheckOutcome):
        return sent
    expected = [line for line in facts.message.split(b"\r\n") if line.startswith(b".")]
    if not expected:
        return CheckOutcome(True, "the message had no line starting with a dot")
    lines = [line.rstrip(b"\r\n") for line in sent]
    for line in expected:
        if b"." + line in lines:
            continue
        if line in lines:
            return CheckOutcome(
                False,
                f"the line {line.decode(errors='replace')!r} was not dot-stuffed (RFC 5321 §4.5.2)",
            )
        return CheckOutcome(
            False,
            f"the line {line.decode(errors='replace')!r} of $SMTPSHELL_MESSAGE was not sent",
        )
    return CheckOutcome(True)


def _end_of_data(facts: RunFacts) -> CheckOutcome:
    sent = _sent_message(facts)
    if isinstance(sent, CheckOutcome):
        return sent
    session = facts.first
    assert session is not None
    end = session.data_ends[0] if session.data_ends else b""
    if end != b".\r\n" or (sent and not sent[-1].endswith(b"\r\n")):
        return CheckOutcome(False, "the message did not end with <CRLF>.<CRLF> (RFC 5321 §4.1.1.4)")
    return CheckOutcome(True)


def _quit(facts: RunFacts) -> CheckOutcome:
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    if session.closed_without_quit:
        return CheckOutcome(False, "the connection ended without QUIT")
    return CheckOutcome(True)


def _exits_cleanly(facts: RunFacts) -> CheckOutcome:
    if facts.killed:
        return CheckOutcome(False, "killed at the timeout")
    if facts.exit_code != 0:
        return CheckOutcome(False, f"exit status {facts.exit_code}")
    return CheckOutcome(True)


def _finishes(facts: RunFacts) -> CheckOutcome:
    if facts.killed:
        return CheckOutcome(False, "killed at the timeout (it did not finish by itself)")
    if "Traceback (most recent call last)" in facts.stderr:
        return CheckOutcome(False, f"crashed (exit status {facts.exit_code}) with a traceback")
    return CheckOutcome(True)


def _no_flood(facts: RunFacts) -> CheckOutcome:
    flooded = [session for session in facts.sessions if session.flooded]
    if flooded:
        return CheckOutcome(False, f"sent more than the server reads ({flooded[0].received} bytes)")
    return CheckOutcome(True)


def _stops_after_error(facts: RunFacts) -> CheckOutcome:
    """After a 4xx/5xx to MAIL or RCPT, no command that needs what was refused."""
    session = _session(facts)
    if isinstance(session, CheckOutcome):
        return session
    refused: str | None = None
    accepted_rcpt = False
    saw_refusal = False
    last: ClientLine | None = None
    for event in session.events:
        if isinstance(event, ServerLine):
            if last is None or event.answers not in ("MAIL", "RCPT"):
                continue
            if event.code >= 400:
                refused, saw_refusal = event.answers, True
            elif event.answers == "RCPT":
                accepted_rcpt = True
            continue
        if event.kind == "data":
            continue
        last = event
        verb = event.verb
        if verb in ("RSET", "QUIT") or (verb == "MAIL" and refused == "MAIL"):
            refused, accepted_rcpt = None, False
        elif refused == "MAIL" and verb in ("RCPT", "DATA"):
            return CheckOutcome(False, f"sent {event.text!r} after MAIL was refused")
        elif refused == "RCPT" and verb == "DATA" and not accepted_rcpt:
            return CheckOutcome(False, "sent DATA although its only recipient was refused")
    if not saw_refusal:
        return CheckOutcome(False, "the refusal this run injects never came (no MAIL/RCPT sent)")
    return CheckOutcome(True)


CHECKS: dict[str, Check] = {
    check.name: check
    for check in (
        Check(
            "waits-for-greeting", "waits for the 220 greeting before speaking", _waits_for_greeting
        ),
        Check("greets-first", "EHLO or HELO comes first", _greets_first),
        Check("transaction-order", "MAIL, then RCPT, then DATA", _transaction_order),
        Check(
            "waits-for-replies",
            "each command waits for its reply (no pipelining unless advertised)",
            _waits_for_replies,
        ),
        Check("crlf", "every line ends with CRLF", _crlf),
        Check("dot-stuffing", "lines starting with a dot are dot-stuffed", _dot_stuffing),
        Check("end-of-data", "the message ends with <CRLF>.<CRLF>", _end_of_data),
        Check("quit", "the session ends with QUIT", _quit),
        Check("exits-cleanly", "the program exits with status 0 by itself", _exits_cleanly),
        Check("finishes", "the program finishes by itself, without a traceback", _finishes),
        Check("no-flood", "the program does not flood the server", _no_flood),
        Check(
            "stops-after-error",
            "after a refused MAIL or RCPT, nothing that needs it is sent",
            _stops_after_error,
        ),
    )
}


def _verb_check(name: str) -> Check | None:
    kind, sep, verb = name.partition(":")
    verb = verb.strip().upper()
    if not sep or kind not in ("sends", "never") or not re.fullmatch(r"[A-Z]{4}", verb):
        return None

    def judge(facts: RunFacts) -> CheckOutcome:
        sent = any(line.verb == verb for s in facts.sessions for line in s.commands)
        if sent == (kind == "sends"):
            return CheckOutcome(True)
        return CheckOutcome(False, f"{verb} was {'never ' if kind == 'sends' else ''}sent")

    described = f"sends {verb}" if kind == "sends" else f"never sends {verb}"
    return Check(name, described, judge)


def resolve_check(name: str) -> Check | None:
    return CHECKS.get(name) or _verb_check(name)


@dataclass(frozen=True)
class RunSpec:
    name: str
    checks: tuple[Check, ...]
    inject: dict[str, str] = field(default_factory=dict)
    pipelining: bool = False
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    name: str
    title: str
    runs: tuple[RunSpec, ...]
    timeout: float = 10.0
    sender: str = "student@class.test"
    recipient: str = "teacher@class.test"
    message: str = ""
    source: str = ""

    @property
    def message_bytes(self) -> bytes:
        lines = self.message.replace("\r\n", "\n").rstrip("\n").split("\n")
        return b"\r\n".join(line.encode("utf-8") for line in lines) + b"\r\n"


_DEFAULT_MESSAGE = """From: student@class.test
To: teacher@class.test
Subject: SMTP lab

I love computer networks!
.A line that starts with a dot must be dot-stuffed.
..And so must this one.
"""


def _reply_text(where: str, verb: str, reply: object) -> str:
    if not isinstance(reply, str) or not re.fullmatch(r"[2-5][0-9][0-9]( .*)?", reply):
        raise RubricError(f'{where}: inject.{verb} must be a reply like "451 4.3.0 Try later"')
    return reply


def parse_rubric(text: str, name: str = "rubric", source: str = "") -> Rubric:
    where = source or name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{where}: not valid TOML: {error}") from None
    known = {"name", "title", "timeout", "from", "to", "message", "run"}
    if unknown := set(data) - known:
        raise RubricError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    runs = []
    raw_runs = data.get("run")
    if not isinstance(raw_runs, list) or not raw_runs:
        raise RubricError(f"{where}: needs at least one [[run]] table")
    for index, raw in enumerate(raw_runs, 1):
        run_where = f"{where}: run {index}"
        if not isinstance(raw, dict):
            raise RubricError(f"{run_where}: must be a table")
        unknown = set(raw) - {"name", "checks", "inject", "pipelining", "description"}
        if unknown:
            raise RubricError(f"{run_where}: unknown key(s) {', '.join(sorted(unknown))}")
        checks = []
        for check_name in raw.get("checks", []):
            check = resolve_check(str(check_name))
            if check is None:
                raise RubricError(
                    f"{run_where}: unknown check {check_name!r}; known: "
                    + ", ".join(CHECKS)
                    + ", sends:VERB, never:VERB"
                )
            checks.append(check)
        if not checks:
            raise RubricError(f"{run_where}: lists no checks")
        inject = {
            str(verb).upper(): _reply_text(run_where, str(verb), reply)
            for verb, reply in dict(raw.get("inject", {})).items()
        }
        runs.append(
            RunSpec(
                name=str(raw.get("name", f"run-{index}")),
                checks=tuple(checks),
                inject=inject,
                pipelining=bool(raw.get("pipelining", False)),
                description=str(raw.get("description", "")),
            )
        )
    timeout = data.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise RubricError(f"{where}: timeout must be a number of seconds in (0, 600]")
    return Rubric(
        name=str(data.get("name", name)),
        title=str(data.get("title", name)),
        runs=tuple(runs),
        timeout=float(timeout),
        sender=str(data.get("from", "student@class.test")),
        recipient=str(data.get("to", "teacher@class.test")),
        message=str(data.get("message", _DEFAULT_MESSAGE)),
        source=source,
    )


def shipped_rubrics() -> list[str]:
    folder = resources.files("smtpshell.classroom") / "rubrics"
    return sorted(
        item.name.removesuffix(".toml") for item in folder.iterdir() if item.name.endswith(".toml")
    )


def load_rubric(spec: str) -> Rubric:
    """A shipped rubric by name (``basic-client``) or a rubric file by path."""
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise RubricError(f"{spec}: {error.strerror or error}") from None
        return parse_rubric(text, path.stem, str(path))
    if spec in shipped_rubrics():
        text = (resources.files("smtpshell.classroom") / "rubrics" / f"{spec}.toml").read_text(
            encoding="utf-8"
        )
        return parse_rubric(text, spec, f"{spec} (shipped)")
    raise RubricError(
        f"no rubric {spec!r}: give a .toml file or one of {', '.join(shipped_rubrics())}"
    )
