"""The one registry of shell commands: names, help, argument specs, completion kinds.

The engine dispatches from it, completion and the REPL's ``/help`` read it, the TUI's
command palette lists it and ``docs/commands.md`` is rendered from it, so a command is
described exactly once.  Parsing a ``/command`` line into an :class:`Invocation` lives here
too, because the argument spec is what parsing needs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpshell.shell.engine import Engine
    from smtpshell.shell.results import Result

__all__ = [
    "PREFIX",
    "Arg",
    "CommandSpec",
    "Completion",
    "Invocation",
    "Option",
    "Registry",
    "UsageError",
    "tokenize",
]

#: Shell commands start with this; every other line is an SMTP command for the server.
PREFIX = "/"


class UsageError(ValueError):
    """A shell command line that does not fit its spec (reported, never sent anywhere)."""


class Completion(enum.StrEnum):
    """What kind of value an argument takes, so completers know what to offer."""

    NONE = "none"
    PATH = "path"
    TARGET = "target"
    MECHANISM = "mechanism"
    REPLY_CODE = "reply-code"
    TOPIC = "topic"  # a shell command, SMTP verb or extension keyword (for /help)
    CHOICE = "choice"  # one of ``choices``
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument.  ``rest`` takes the remainder of the line verbatim."""

    name: str
    help: str
    complete: Completion = Completion.NONE
    optional: bool = False
    repeat: bool = False
    rest: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        text = self.name + ("..." if self.repeat else "")
        return f"[{text}]" if self.optional else text


@dataclass(frozen=True, slots=True)
class Option:
    """A ``--flag`` or ``--name VALUE`` option; ``value`` is the metavar when it takes one."""

    name: str
    help: str
    value: str | None = None
    complete: Completion = Completion.NONE
    repeat: bool = False
    choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The name handlers read it by: ``--no-verify`` -> ``no_verify``."""
        return self.name.lstrip("-").replace("-", "_")

    @property
    def usage(self) -> str:
        return f"[{self.name} {self.value}]" if self.value else f"[{self.name}]"


Handler = Callable[["Engine", "Invocation"], "Result | None"]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One shell command: everything faces, completion and docs need to know about it."""

    name: str
    summary: str
    help: str
    category: str
    handler: Handler = field(repr=False, compare=False)
    args: tuple[Arg, ...] = ()
    options: tuple[Option, ...] = ()
    aliases: tuple[str, ...] = ()
    needs_connection: bool = False
    examples: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        parts = [PREFIX + self.name]
        parts += [a.usage for a in self.args]
        parts += [o.usage for o in self.options]
        return " ".join(parts)

    def option(self, name: str) -> Option | None:
        for opt in self.options:
            if opt.name == name:
                return opt
        return None


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed shell command line: the spec, its arguments by name, its options by key."""

    spec: CommandSpec
    args: dict[str, Any]
    options: dict[str, Any]
    line: str

    def arg(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name)
        return default if value is None else value

    def opt(self, key: str, default: Any = None) -> Any:
        value = self.options.get(key)
        return default if value is None else value


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split on whitespace, honouring '...' and "..." quotes; (token, start, end) each.

    No backslash escapes: ``/raw`` passes ``\\r\\n`` through untouched and file paths stay
    literal.  An unterminated quote runs to the end of the line (completion needs that).
    """
    tokens: list[tuple[str, int, int]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        value: list[str] = []
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch in "'\"":
                end = text.find(ch, i + 1)
                if end < 0:
                    value.append(text[i + 1 :])
                    i = n
                    break
                value.append(text[i + 1 : end])
                i = end + 1
            else:
                value.append(ch)
                i += 1
        tokens.append(("".join(value), start, i))
    return tokens


def _unterminated_quote(text: str) -> bool:
    quote = None
    for ch in text:
        if quote is None and ch in "'\"":
            quote = ch
        elif ch == quote:
            quote = None
    return quote is not None


class Registry:
    """Shell commands by name and alias, in the order they were registered."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._names: dict[str, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> CommandSpec:
        for name in (spec.name, *spec.aliases):
            if name in self._names:
                raise ValueError(f"shell command name {name!r} registered twice")
            self._names[name] = spec
        self._specs[spec.name] = spec
        return spec

    def command(
        self,
        name: str,
        summary: str,
        help: str,
        category: str,
        *,
        args: tuple[Arg, ...] = (),
        options: tuple[Option, ...] = (),
        aliases: tuple[str, ...] = (),
        needs_connection: bool = False,
        examples: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Decorator: register the decorated function as the handler of a new command."""

        def decorate(handler: Handler) -> Handler:
            self.add(
                CommandSpec(
                    name,
                    summary,
                    help,
                    category,
                    handler,
                    args,
                    options,
                    aliases,
                    needs_connection,
                    examples,
                )
            )
            return handler

        return decorate

    def get(self, name: str) -> CommandSpec | None:
        """The command called ``name`` or one of its aliases (a leading ``/`` is allowed)."""
        return self._names.get(name.removeprefix(PREFIX).lower())

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def names(self, *, aliases: bool = True) -> list[str]:
        return list(self._names) if aliases else list(self._specs)

    def categories(self) -> dict[str, list[CommandSpec]]:
        out: dict[str, list[CommandSpec]] = {}
        for spec in self:
            out.setdefault(spec.category, []).append(spec)
        return out

    def parse(self, line: str) -> Invocation:
        """A ``/command args...`` line -> Invocation, or UsageError saying what is wrong."""
        text = line.strip()
        if not text.startswith(PREFIX):
            raise UsageError(f"not a shell command (they start with {PREFIX!r}): {text!r}")
        head, _, tail = text[len(PREFIX) :].partition(" ")
        spec = self.get(head)
        if spec is None:
            raise UsageError(f"unknown command {PREFIX}{head}; {PREFIX}help lists them")
        return _bind(spec, tail, line)


def _bind(spec: CommandSpec, tail: str, line: str) -> Invocation:
    options: dict[str, Any] = {}
    args: dict[str, Any] = {}
    positional: list[tuple[str, int, int]] = []
    rest_arg = next((a for a in spec.args if a.rest), None)
    if rest_arg is None and _unterminated_quote(tail):
        raise UsageError("unterminated quote")
    tokens = tokenize(tail)
    i = 0
    while i < len(tokens):
        token, start, _ = tokens[i]
        if token.startswith("--") and len(token) > 2:
            opt = spec.option(token)
            if opt is None:
                raise UsageError(f"{PREFIX}{spec.name} has no option {token}; usage: {spec.usage}")
            if opt.value is None:
                options[opt.key] = True
            else:
                if i + 1 >= len(tokens):
                    raise UsageError(f"{token} needs a value ({opt.value})")
                value = tokens[i + 1][0]
                if opt.choices and value.lower() not in opt.choices:
                    raise UsageError(f"{token} is one of {', '.join(opt.choices)}")
                if opt.repeat:
                    options.setdefault(opt.key, []).append(value)
                else:
                    options[opt.key] = value
                i += 1
            i += 1
            continue
        if rest_arg is not None and len(positional) == spec.args.index(rest_arg):
            args[rest_arg.name] = tail[start:].rstrip("\r\n")
            break
        positional.append(tokens[i])
        i += 1
    fixed = [a for a in spec.args if not a.rest]
    values = [tok for tok, _, _ in positional]
    for index, arg in enumerate(fixed):
        if arg.repeat:
            args[arg.name] = values[index:]
            values = values[:index]
            break
        if index < len(values):
            value = values[index]
            if arg.choices and value.lower() not in arg.choices:
                raise UsageError(f"{arg.name} is one of {', '.join(arg.choices)}, not {value!r}")
            args[arg.name] = value
    else:
        if len(values) > len(fixed):
            raise UsageError(f"too many arguments; usage: {spec.usage}")
    for arg in spec.args:
        missing = args.get(arg.name) in (None, [], "")
        if missing and not arg.optional:
            raise UsageError(f"missing {arg.name}; usage: {spec.usage}")
    return Invocation(spec, args, options, line)
