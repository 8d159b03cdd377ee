"""Exports: the transcript as text or JSON Lines, and the session as a runnable smtplib script.

Text and JSON Lines come from the transcript's own renderers (secrets redacted unless
revealed).  The Python export is built from the engine's :class:`Step` log, the high-level
calls the session made, so ``/login demo`` becomes ``s.login("demo", ...)`` rather than
the base64 it put on the wire: it answers "what is this in code?".  Redacted secrets become
``_secret("...")`` (asked with getpass when the script runs) or ``os.environ["VAR"]`` when
they were given as ``$VAR``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from smtpshell.transcript import Event, events_to_jsonl, events_to_text

__all__ = [
    "FORMATS",
    "ContextArg",
    "SecretArg",
    "Step",
    "format_for_path",
    "python_script",
    "render_export",
]

#: Export format names, with the file suffixes that select them.
FORMATS = {"text": (".txt", ".log"), "jsonl": (".jsonl", ".json"), "python": (".py",)}


@dataclass(frozen=True, slots=True)
class SecretArg:
    """A secret argument: shown only when revealed; ``env`` names where it came from."""

    value: str
    label: str
    env: str | None = None

    def __repr__(self) -> str:
        return "SecretArg(<redacted>)"


@dataclass(frozen=True, slots=True)
class ContextArg:
    """How a TLS context was made: ``default``, ``unverified`` or trusting one ``cafile``."""

    kind: str = "default"
    cafile: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One call on the client, as it would be written with smtplib.

    ``method == "connect"`` is special: ``kwargs`` carry ``cls``, ``host``, ``port`` and the
    constructor arguments.
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    comment: str = ""


def format_for_path(path: str, default: str = "text") -> str:
    suffix = PurePath(path).suffix.lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    return default


def render_export(
    fmt: str, events: Iterable[Event], steps: Sequence[Step], *, reveal: bool = False
) -> str:
    if fmt == "text":
        return events_to_text(events, reveal=reveal)
    if fmt == "jsonl":
        return events_to_jsonl(events, reveal=reveal)
    if fmt == "python":
        return python_script(steps, reveal=reveal)
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- python


def _bytes_literal(data: bytes, indent: str) -> str:
    if len(data) <= 60:
        return repr(data)
    lines = data.splitlines(keepends=True)
    inner = "\n".join(f"{indent}    {line!r}" for line in lines)
    return f"(\n{inner}\n{indent})"


def _literal(value: Any, reveal: bool, indent: str = "") -> str:
    if isinstance(value, SecretArg):
        if reveal:
            return repr(value.value)
        if value.env:
            return f"os.environ[{value.env!r}]"
        return f"_secret({value.label!r})"
    if isinstance(value, ContextArg):
        return _context_literal(value)
    if isinstance(value, bytes):
        return _bytes_literal(value, indent)
    if isinstance(value, list | tuple):
        inner = ", ".join(_literal(v, reveal, indent) for v in value)
        return f"[{inner}]"
    return repr(value)


def _context_literal(context: ContextArg) -> str:
    if context.kind == "unverified":
        return "_unverified_context()"
    if context.cafile:
        return f"ssl.create_default_context(cafile={context.cafile!r})"
    return "ssl.create_default_context()"


def _call(step: Step, reveal: bool) -> str:
    parts = [_literal(a, reveal, "") for a in step.args]
    parts += [f"{k}={_literal(v, reveal, '')}" for k, v in step.kwargs]
    return f"s.{step.method}({', '.join(parts)})"


def _connect(step: Step, reveal: bool) -> list[str]:
    kw = dict(step.kwargs)
    cls = kw.pop("cls", "SMTP")
    host = kw.pop("host")
    port = kw.pop("port", 0)
    ctor = [f"{k}={_literal(v, reveal)}" for k, v in kw.items() if v is not None]
    lines = [f"s = smtplib.{cls}({', '.join(ctor)})"]
    where = f"{host!r}, {port!r}" if port else repr(host)
    lines.append(f"print(s.connect({where}))")
    return lines


_HEADER = '''\
"""An smtpshell session as smtplib calls (exported {when}).

Run it with python3 to replay the session.  Each call's reply is printed.  Secrets the
export redacted are asked for when it runs (or read from the environment variables named
below); export with /reveal on to embed them instead.
"""

import getpass
import os
import smtplib
import ssl


def _secret(prompt):
    return getpass.getpass(prompt + ": ")


def _unverified_context():
    """Accept any certificate: what /connect --no-verify did.  Only for testing."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


'''


def python_script(steps: Sequence[Step], *, reveal: bool = False, when: str | None = None) -> str:
    """A runnable script of the equivalent smtplib calls."""
    when = when or datetime.datetime.now().isoformat(timespec="seconds")
    body: list[str] = []
    for step in steps:
        if step.comment:
            body.append(f"# {step.comment}")
        if step.method == "connect":
            body.extend(_connect(step, reveal))
            continue
        call = _call(step, reveal)
        if step.method in ("send", "close", "set_debuglevel"):
            body.append(call)
        elif step.method == "sendmail":
            body.append(f"refused = {call}")
            body.append("print('refused recipients:', refused)")
        else:
            body.append(f"print({call})")
    if not body:
        body.append("# (no commands were run)")
    return _HEADER.format(when=when) + "\n".join(body) + "\n"
