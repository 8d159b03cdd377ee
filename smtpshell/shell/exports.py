"""Exports: the transcript as text or JSON Lines, and the session as a runnable smtplib script.

Text and JSON Lines come from the transcript's own renderers (secrets redacted unless
revealed; files are always written redacted).  The Python export is built from the engine's
:class:`Step` log, the high-level calls the session made, so ``/login demo`` becomes
``s.login("demo", ...)`` rather than the base64 it put on the wire: it answers "what is this
in code?".  It never holds a secret, revealed or not: every :class:`SecretArg` becomes a
``_secret("VARIABLE", "what")`` call that reads an environment variable named in the
script's docstring when it runs (asking with getpass only on a terminal).
"""

from __future__ import annotations

import datetime
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from smtpshell.tls_settings import TLSSettings
from smtpshell.transcript import Event, events_to_jsonl, events_to_text

__all__ = [
    "FORMATS",
    "ContextArg",
    "Joined",
    "MessageArg",
    "SecretArg",
    "Step",
    "env_word",
    "format_for_path",
    "python_script",
    "render_export",
]

#: Export format names, with the file suffixes that select them.
FORMATS = {"text": (".txt", ".log"), "jsonl": (".jsonl", ".json"), "python": (".py",)}


@dataclass(frozen=True, slots=True)
class SecretArg:
    """A secret argument, never written by an export.

    ``label`` says what it is ("password for demo"); ``env`` is the environment variable it
    came from (``$VAR``), ``var`` the name an export suggests when there is none.
    """

    value: str
    label: str
    env: str | None = None
    var: str | None = None

    def __repr__(self) -> str:
        return "SecretArg(<redacted>)"


@dataclass(frozen=True, slots=True)
class Joined:
    """An argument built from pieces, some of them secret: ``'AUTH PLAIN ' + <secret>``.

    Bytes pieces make the whole a bytes expression (the secret pieces are encoded)."""

    parts: tuple[str | bytes | SecretArg, ...]

    def __repr__(self) -> str:
        return "Joined(<with a secret>)"


@dataclass(frozen=True, slots=True)
class MessageArg:
    """A whole RFC 5322 message, sent with send_message()."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ContextArg:
    """How a TLS context was made: ``default``, ``unverified`` or trusting one ``cafile``;
    ``tls``: the client certificate, version limits and ciphers set on it."""

    kind: str = "default"
    cafile: str | None = None
    tls: TLSSettings = field(default_factory=TLSSettings)

    @property
    def tuned(self) -> bool:
        """True when the context carries more than its trust (what ``_tls_context`` sets)."""
        tls = self.tls
        return bool(tls.cert or tls.tls_min or tls.tls_max or tls.ciphers)


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


def _tls_version(version: str | None) -> str | None:
    """``"1.2"`` -> ``ssl.TLSVersion.TLSv1_2`` (``"1.0"`` is ``TLSv1``)."""
    if not version:
        return None
    return "ssl.TLSVersion.TLSv1" + ("" if version == "1.0" else "_" + version.split(".")[1])


def env_word(text: str) -> str:
    """``text`` as part of an environment variable name: ``SCRAM-SHA-256`` -> ``SCRAM_SHA_256``."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


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
        return python_script(steps)  # never holds a secret, revealed or not
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------- python


def _q(value: Any) -> str:
    """``repr()``, with double quotes for strings and bytes where that costs no escape (the
    style ruff format writes), so the export reads like the code around it."""
    text = repr(value)
    if not isinstance(value, str | bytes):
        return text
    prefix = "b" if isinstance(value, bytes) else ""
    body = text[len(prefix) :]
    if not body.startswith("'") or '"' in body:
        return text  # repr() chose double quotes already, or single ones save escapes
    return f'{prefix}"{body[1:-1]}"'


def _bytes_literal(data: bytes, indent: str) -> str:
    if len(data) <= 60:
        return _q(data)
    lines = data.splitlines(keepends=True)
    inner = "\n".join(f"{indent}    {_q(line)}" for line in lines)
    return f"(\n{inner}\n{indent})"


class _Script:
    """What one export needs: environment variable names for its secrets, and imports."""

    def __init__(self) -> None:
        #: (environment variable, Python name, what it holds), in order of first use.
        self.secrets: list[tuple[str, str, str]] = []
        self._identifiers: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._taken: dict[str, str] = {}
        self.uses: set[str] = set()

    def variable(self, secret: SecretArg) -> str:
        """The variable a secret is read from: the one it came from, else a name of its own
        (one per distinct value, so a password used twice is asked for once)."""
        if secret.env:
            name = secret.env
        else:
            base = secret.var or "SMTPSHELL_SECRET"
            known = self._by_value.get((base, secret.value))
            if known is not None:
                return known
            name, number = base, 1
            while name in self._taken:
                number += 1
                name = f"{base}_{number}"
            self._by_value[(base, secret.value)] = name
        if name not in self._taken:
            self._taken[name] = secret.label
            identifier = _identifier(name, set(self._identifiers.values()))
            self._identifiers[name] = identifier
            self.secrets.append((name, identifier, secret.label))
        return name

    def literal(self, value: Any, indent: str = "") -> str:
        if isinstance(value, SecretArg):
            self.uses.add("secret")
            return self._identifiers[self.variable(value)]
        if isinstance(value, Joined):
            binary = any(isinstance(part, bytes) for part in value.parts)
            pieces = []
            for part in value.parts:
                text = self.literal(part, indent)
                if isinstance(part, SecretArg) and binary:
                    text += ".encode()"
                pieces.append(text)
            return " + ".join(pieces)
        if isinstance(value, ContextArg):
            self.uses.add("ssl")
            if value.tuned:
                return self._tuned_context(value)
            if value.kind == "unverified":
                self.uses.add("unverified")
                return "_unverified_context()"
            if value.cafile:
                return f"ssl.create_default_context(cafile={_q(value.cafile)})"
            return "ssl.create_default_context()"
        if isinstance(value, MessageArg):
            self.uses.add("email")
            return (
                f"email.message_from_bytes({_bytes_literal(value.data, indent)}, "
                "policy=email.policy.default)"
            )
        if isinstance(value, bytes):
            return _bytes_literal(value, indent)
        if isinstance(value, list | tuple):
            return "[" + ", ".join(self.literal(v, indent) for v in value) + "]"
        return _q(value)

    def _tuned_context(self, value: ContextArg) -> str:
        """``_tls_context(...)``: the session's trust, client certificate, versions, ciphers."""
        self.uses.add("tls_context")
        tls = value.tls
        arguments = [
            ("cafile", _q(value.cafile) if value.cafile else None),
            ("verify", "False" if value.kind == "unverified" else None),
            ("cert", _q(tls.cert) if tls.cert else None),
            ("key", _q(tls.key) if tls.key else None),
            ("minimum", _tls_version(tls.tls_min)),
            ("maximum", _tls_version(tls.tls_max)),
            ("ciphers", _q(tls.ciphers) if tls.ciphers else None),
        ]
        return "_tls_context(" + ", ".join(f"{k}={v}" for k, v in arguments if v) + ")"

    def call(self, step: Step, indent: str) -> str:
        if step.method in _SMTPSHELL_ONLY or any(k in _SMTPSHELL_ONLY for k, _ in step.kwargs):
            self.uses.add("smtpshell")
        parts = [self.literal(a, indent) for a in step.args]
        parts += [f"{k}={self.literal(v, indent)}" for k, v in step.kwargs]
        return f"s.{step.method}({', '.join(parts)})"

    def connect(self, step: Step) -> list[str]:
        kw = dict(step.kwargs)
        cls = kw.pop("cls", "SMTP")
        host = kw.pop("host")
        port = kw.pop("port", 0)
        # smtpshell's attributes, set before connecting: --sni and -4/-6.
        settings = [(name, kw.pop(name, None)) for name in ("server_hostname", "address_family")]
        if any(k in _SMTPSHELL_ONLY for k, v in kw.items() if v is not None):
            self.uses.add("smtpshell")
        ctor = [f"{k}={self.literal(v)}" for k, v in kw.items() if v is not None]
        where = f"{_q(host)}, {port!r}" if port else _q(host)
        lines = [f"with smtplib.{cls}({', '.join(ctor)}) as s:"]
        for name, value in settings:
            if value is None:
                continue
            self.uses.add("smtpshell")
            if name == "address_family":
                self.uses.add("socket")
                value = f"socket.{'AF_INET6' if value == 6 else 'AF_INET'}"
            else:
                value = _q(value)
            lines.append(f"    s.{name} = {value}")
        return [*lines, f"    print(s.connect({where}))"]


#: Calls and keywords that stdlib smtplib does not have: the export then imports smtpshell.
_SMTPSHELL_ONLY = frozenset({"login_oauth2", "mechanisms", "pipelining", "chunking"})

_SECRET_HELPER = '''

def _secret(name, what):
    """A secret from the environment variable NAME; asked for only on a terminal."""
    if name in os.environ:
        return os.environ[name]
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"{what} ({name} is not set): ")
        except (EOFError, KeyboardInterrupt):
            pass
    sys.exit(f"{sys.argv[0]}: set {name} to the {what} (this script holds no secrets)")
'''

_TLS_CONTEXT_HELPER = '''

def _tls_context(cafile=None, verify=True, cert=None, key=None, minimum=None, maximum=None,
                 ciphers=None):
    """The session's TLS context: whom it trusted, its client certificate, TLS versions
    and ciphers, as the smtpshell options (--ca-file, --cert, --tls-min ...) set them."""
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert:
        context.load_cert_chain(cert, key)
    if minimum:
        context.minimum_version = minimum
    if maximum:
        context.maximum_version = maximum
    if ciphers:
        context.set_ciphers(ciphers)
    return context
'''

_UNVERIFIED_HELPER = '''

def _unverified_context():
    """Accept any certificate: what /connect --no-verify did.  Only for testing."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
'''


def _identifier(variable: str, taken: set[str]) -> str:
    """The Python name a secret is held in: ``SMTPSHELL_PASSWORD_DEMO`` -> ``password_demo``."""
    base = re.sub(r"\W+", "_", variable.lower().removeprefix("smtpshell_")).strip("_") or "secret"
    if base[0].isdigit() or keyword.iskeyword(base) or base in ("s", "email", "os", "sys", "ssl"):
        base = f"secret_{base}"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}_{number}"
    return name


def _header(when: str, script: _Script) -> str:
    lines = [
        f'"""An smtpshell session as smtplib calls (exported {when}).',
        "",
        "Run it with python3 to replay the session; each call's reply is printed, and each",
        "connection ends with QUIT when its block ends.",
    ]
    if script.secrets:
        lines += [
            "",
            "This file holds no secrets.  Each is read from an environment variable before the",
            "first connection, or asked for (hidden) when the variable is not set and the script",
            "runs on a terminal; otherwise it stops with a message naming the variable:",
            "",
        ]
        width = max(len(name) for name, _, _ in script.secrets)
        lines += [f"    {name.ljust(width)}  {what}" for name, _, what in script.secrets]
    lines.append('"""')
    lines.append("")
    imports = []
    if "email" in script.uses:
        imports += ["email", "email.policy"]
    if "secret" in script.uses:
        imports += ["getpass", "os", "sys"]
    if "socket" in script.uses:
        imports.append("socket")
    if "ssl" in script.uses:
        imports.append("ssl")
    if "smtpshell" not in script.uses and "connect" in script.uses:
        imports.append("smtplib")
    lines += [f"import {name}" for name in sorted(imports)]
    if "smtpshell" in script.uses:
        if imports:
            lines.append("")
        lines.append("import smtpshell as smtplib  # smtplib plus what this session used beyond it")
    text = "\n".join(lines) + "\n"
    if "secret" in script.uses:
        text += _SECRET_HELPER
    if "unverified" in script.uses:
        text += _UNVERIFIED_HELPER
    if "tls_context" in script.uses:
        text += _TLS_CONTEXT_HELPER
    if script.secrets:
        text += "\n\n" + "".join(
            f"{identifier} = _secret({_q(name)}, {_q(what)})\n"
            for name, identifier, what in script.secrets
        )
    return text


def python_script(steps: Sequence[Step], *, when: str | None = None) -> str:
    """A runnable script of the equivalent smtplib calls, one ``with`` block per connection.

    Secrets are never written: each becomes a ``_secret(VARIABLE, what)`` call that reads
    the environment (or asks, on a terminal) when the script runs.
    """
    when = when or datetime.datetime.now().isoformat(timespec="seconds")
    script = _Script()
    body: list[str] = []
    connected = False
    for step in steps:
        if step.method == "connect":
            body.append("")
            if step.comment:
                body.append(f"# {step.comment}")
            body.extend(script.connect(step))
            script.uses.add("connect")
            connected = True
            continue
        if not connected:
            continue  # nothing to call it on (e.g. /debuglevel before /connect)
        indent = "    "
        if step.comment:
            body.append(f"{indent}# {step.comment}")
        call = script.call(step, indent)
        if step.method in ("send", "close", "set_debuglevel"):
            body.append(indent + call)
        elif step.method in ("sendmail", "send_message"):
            body.append(f'{indent}print("refused recipients:", {call})')
        else:
            body.append(f"{indent}print({call})")
    if not body:
        return _header(when, script) + "\n# (no commands were run)\n"
    header = _header(when, script)
    if not ("secret" in script.uses or "unverified" in script.uses):
        body = body[1:]  # after imports, one blank line (two only after a function)
    return header + "\n" + "\n".join(body) + "\n"
