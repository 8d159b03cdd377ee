"""Completion as pure logic over the text before the cursor (pgcli style).

``complete(text, context)`` returns :class:`Candidate` items; the REPL wraps it in a
prompt_toolkit ``Completer`` and the TUI in its own, so both offer the same things:
shell commands and their arguments (from the registry), SMTP verbs, the extensions and
AUTH mechanisms the server advertised, MAIL/RCPT parameters and their values (from the
knowledge tables), reply codes and file paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from smtpshell.knowledge import (
    EXTENSIONS,
    REPLY_CODES,
    SASL_MECHANISMS,
    commands,
    mail_parameters,
    mechanism,
    rcpt_parameters,
)
from smtpshell.knowledge.auth import split_mechanisms
from smtpshell.shell.registry import PREFIX, Arg, CommandSpec, Completion, Option, Registry

__all__ = ["TARGET_SCHEMES", "Candidate", "CompletionContext", "complete"]

#: Offered for a TARGET argument.
TARGET_SCHEMES = (
    ("practice", "the embedded practice server"),
    ("smtp://", "plain SMTP, port 25 (add ?starttls to upgrade)"),
    ("submission://", "port 587 with STARTTLS"),
    ("smtps://", "implicit TLS, port 465"),
    ("lmtp://", "LMTP over TCP, port 2003"),
    ("lmtp:/", "LMTP over a Unix socket"),
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A completion: insert ``text`` in place of the ``-start`` characters before the cursor."""

    text: str
    start: int
    display: str = ""
    meta: str = ""

    @property
    def label(self) -> str:
        return self.display or self.text


@dataclass(frozen=True)
class CompletionContext:
    """What completion may know about the session (a snapshot; cheap to build)."""

    registry: Registry
    features: Mapping[str, str] | None = None  # EHLO keywords; None until the server said EHLO
    lmtp: bool = False
    collecting: bool = False  # typing a message (DATA/compose): nothing to complete
    scripted: bool = False  # scripts also accept bare ``expect``
    list_dir: Callable[[str], Iterable[str]] = field(default=os.listdir)
    is_dir: Callable[[str], bool] = field(default=os.path.isdir)


def _first_sentence(text: str) -> str:
    head = text.split(".  ", 1)[0].split(". ", 1)[0]
    return head.rstrip(".")


def _case_like(word: str, text: str) -> str:
    """Insert in the case the user is typing in (``mail`` -> ``mail``, ``MA`` -> ``MAIL``)."""
    return text.lower() if word and word.islower() else text


def _matching(word: str, options: Iterable[tuple[str, str]], *, keep_case: bool = False):
    lowered = word.lower()
    seen: set[str] = set()
    for text, meta in options:
        if text.lower().startswith(lowered) and text not in seen:
            seen.add(text)
            inserted = text if keep_case else _case_like(word, text)
            yield Candidate(inserted, -len(word), text, meta)


def complete(text: str, context: CompletionContext) -> list[Candidate]:
    """Candidates for the word before the cursor; [] when there is nothing to offer."""
    if context.collecting or "\n" in text:
        return []
    stripped = text.lstrip()
    if stripped.startswith(PREFIX):
        return _complete_shell(stripped[len(PREFIX) :], context)
    return _complete_smtp(stripped, context)


# --------------------------------------------------------------------------- SMTP lines


def _words(text: str) -> tuple[list[str], str]:
    """The complete words before the cursor, and the partial word at it."""
    parts = text.split(" ")
    return [p for p in parts[:-1] if p], parts[-1]


def _mechanisms(context: CompletionContext) -> list[tuple[str, str]]:
    features = {k.lower(): v for k, v in (context.features or {}).items()}
    if "auth" in features:
        names = split_mechanisms(features["auth"])
    else:
        names = [m.name for m in SASL_MECHANISMS.values() if m.supported]
    out = []
    for name in names:
        info = mechanism(name)
        meta = info.summary if info else "offered by the server"
        if info is not None and not info.supported:
            meta += f" ({info.support} in smtpshell)"
        out.append((name, meta))
    return out


def _verbs(context: CompletionContext) -> list[tuple[str, str]]:
    verbs = [
        (c.verb, _first_sentence(c.description))
        for c in commands(context.features, lmtp=context.lmtp)
    ]
    if context.scripted:
        verbs.append(("expect", "script assertion on the last reply: expect 250, 2xx, 550 5.1.1"))
    return verbs


def _complete_smtp(text: str, context: CompletionContext) -> list[Candidate]:
    words, word = _words(text)
    if not words:
        return list(_matching(word, _verbs(context)))
    verb = words[0].upper()
    if verb in ("MAIL", "RCPT"):
        keyword = "FROM:" if verb == "MAIL" else "TO:"
        if len(words) == 1 and not word.upper().startswith(keyword):
            return list(_matching(word, [(keyword + "<", "the envelope address, in <>")]))
        if len(words) == 1:
            return []
        params = mail_parameters if verb == "MAIL" else rcpt_parameters
        return _complete_parameter(word, words, params(context.features))
    if verb == "AUTH" and len(words) == 1:
        return list(_matching(word, _mechanisms(context), keep_case=False))
    if verb == "HELP" and len(words) == 1:
        return list(_matching(word, _verbs(context)))
    return []


def _complete_parameter(word: str, words: list[str], params) -> list[Candidate]:
    used = {w.split("=", 1)[0].upper() for w in words[2:]}
    name, eq, value = word.partition("=")
    if not eq:
        return list(
            _matching(
                word,
                [
                    (p.completion, f"{p.syntax} -- {_first_sentence(p.description)}")
                    for p in params
                    if p.name not in used
                ],
            )
        )
    param = next((p for p in params if p.name == name.upper()), None)
    if param is None or not param.values:
        return []
    done, _, partial = value.rpartition(",") if param.name == "NOTIFY" else ("", "", value)
    chosen = {v.upper() for v in done.split(",") if v}
    return [
        Candidate(v, -len(partial), v, param.syntax)
        for v in param.values
        if v.upper().startswith(partial.upper()) and v.upper() not in chosen
    ]


# --------------------------------------------------------------------------- shell lines


def _complete_shell(text: str, context: CompletionContext) -> list[Candidate]:
    registry = context.registry
    if " " not in text:
        names = [(PREFIX + s.name, s.summary) for s in registry]
        primary = {s.name for s in registry}
        aliases = [
            (PREFIX + a, f"= {PREFIX}{s.name}: {s.summary}")
            for s in registry
            for a in s.aliases
            if a not in primary
        ]
        word = PREFIX + text
        found = list(_matching(word, names, keep_case=True))
        found += [c for c in _matching(word, aliases, keep_case=True) if not found]
        return found
    head, _, tail = text.partition(" ")
    spec = registry.get(head)
    if spec is None:
        return []
    words, word = _words(tail)
    option = _pending_option(spec, words)
    if option is not None:
        return _complete_kind(word, option.complete, option.choices, context)
    if word.startswith("--"):
        used = set(words)
        return list(
            _matching(
                word,
                [(o.name, o.help) for o in spec.options if o.repeat or o.name not in used],
                keep_case=True,
            )
        )
    arg = _positional(spec, words)
    if arg is None:
        return []
    found = _complete_kind(word, arg.complete, arg.choices, context)
    if not word and spec.options and not found:
        found = [Candidate(o.name, 0, o.name, o.help) for o in spec.options]
    return found


def _pending_option(spec: CommandSpec, words: list[str]) -> Option | None:
    """The option whose value is being typed, if the previous word names one."""
    if not words:
        return None
    opt = spec.option(words[-1]) if words[-1].startswith("--") else None
    return opt if opt is not None and opt.value is not None else None


def _positional(spec: CommandSpec, words: list[str]) -> Arg | None:
    count = 0
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        opt = spec.option(w) if w.startswith("--") else None
        if opt is not None:
            skip = opt.value is not None
            continue
        count += 1
    if not spec.args:
        return None
    if count < len(spec.args):
        arg = spec.args[count]
    else:
        arg = spec.args[-1] if spec.args[-1].repeat else None
    return None if arg is None or arg.rest else arg


def _complete_kind(
    word: str, kind: Completion, choices: tuple[str, ...], context: CompletionContext
) -> list[Candidate]:
    if kind is Completion.CHOICE or (choices and kind is Completion.NONE):
        return list(_matching(word, [(c, "") for c in choices], keep_case=True))
    if kind is Completion.PATH:
        return _complete_path(word, context)
    if kind is Completion.TARGET:
        if word.startswith(("/", "~", ".")):
            return _complete_path(word, context)
        return list(_matching(word, TARGET_SCHEMES, keep_case=True))
    if kind is Completion.MECHANISM:
        return list(_matching(word, _mechanisms(context)))
    if kind is Completion.REPLY_CODE:
        terms = [(str(code), r.short) for code, r in REPLY_CODES.items()]
        if word[:1].isalpha():  # /explain also takes extension keywords and verbs
            terms += [(e.keyword, e.title) for e in EXTENSIONS.values()]
            terms += [(v, m) for v, m in _verbs(context) if v != "expect" and v.isupper()]
        return list(_matching(word, terms))
    if kind is Completion.TOPIC:
        topics = [(s.name, s.summary) for s in context.registry]
        topics += [(v, m) for v, m in _verbs(context) if v != "expect"]
        topics += [(e.keyword, e.title) for e in EXTENSIONS.values()]
        return list(_matching(word, topics))
    return []


def _complete_path(word: str, context: CompletionContext) -> list[Candidate]:
    expanded = os.path.expanduser(word) if word.startswith("~") else word
    directory, _, base = expanded.rpartition("/")
    listing_dir = (directory or "/") if expanded.startswith("/") else (directory or ".")
    try:
        names = sorted(context.list_dir(listing_dir))
    except OSError:
        return []
    out = []
    typed_dir = word[: len(word) - len(base)]
    for name in names:
        if not name.startswith(base) or (name.startswith(".") and not base.startswith(".")):
            continue
        full = os.path.join(listing_dir, name)
        suffix = "/" if context.is_dir(full) else ""
        out.append(Candidate(typed_dir + name + suffix, -len(word), name + suffix, ""))
    return out
