"""The lesson format: a script (the lines a person types, plus ``expect``) with teaching text.

A lesson is plain text, so teachers write their own in any editor (docs/teaching.md,
"Writing your own lesson")::

    title: The greeting                      header: ``key: value`` lines before the first step
    server: --reject-rcpt @busy\\.example$ --reject-code 450
    > Introduction, shown when the lesson starts.

    ## Connect                               a step starts; its title
    > What the teacher explains before the step.
    ? What to type (the hint).
    /connect                                 the solution: shell lines, as in scripts ...
    expect 220                               ... and the check, judged on the student's reply
    ! What to take away, shown once the step is done.

Inside a message (after ``DATA`` or a ``/send`` without ``--file``) every line is message
text until a lone ``.``; the message starts at the first line that is not an ``expect``, a
blank, a comment or a lesson marker, because DATA's own ``expect 354`` comes first.  A
``DATA`` whose expectation cannot be 354 (``expect 503``) opens no message, and an
``expect 354`` opens one wherever DATA was sent (``/raw ...DATA\r\n`` then ``/reply``).

Pure: text in, :class:`Lesson` out, or :class:`LessonError` naming the line.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from smtpshell.practice import PracticeOptions, parse_option_text
from smtpshell.shell.expect import Expectation, StateExpectation, parse_check
from smtpshell.shell.registry import UsageError
from smtpshell.shell.results import ReplyRecord

__all__ = [
    "LMTP_PLACEHOLDER",
    "Lesson",
    "LessonError",
    "LineKind",
    "ServerSetup",
    "SolutionLine",
    "Step",
    "parse_lesson",
    "parse_server_options",
]

#: Replaced by the practice server's LMTP socket path in commands, hints and text.
LMTP_PLACEHOLDER = "{lmtp}"

_HEADER_KEYS = ("title", "summary", "rfc", "minutes", "server", "connect")
_HEADER = re.compile(r"^([A-Za-z][A-Za-z-]*):\s*(.*)$")
_MARKERS = (">", "?", "!")
#: The end of data as a "/raw" line writes it (escaped).
_ENDS_DATA = "\\r\\n.\\r\\n"
#: DATA's go-ahead: a DATA line opens a message unless its expectation rules this out.
_GO_AHEAD = ReplyRecord(354, ("End data with <CR><LF>.<CR><LF>",))


class LessonError(ValueError):
    """A lesson file that cannot be run; ``str()`` is ``source:line: message``."""

    def __init__(self, message: str, line: int | None = None, source: str = "<lesson>") -> None:
        self.message = message
        self.line = line
        self.source = source
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class LineKind(enum.StrEnum):
    COMMAND = "command"  # a shell line: an SMTP command or a /command
    MESSAGE = "message"  # a line of a message being typed (after DATA or /send), or its "."
    EXPECT = "expect"  # an expectation: judges the reply or the session state


@dataclass(frozen=True, slots=True)
class SolutionLine:
    kind: LineKind
    text: str
    line: int
    check: Expectation | StateExpectation | None = None


#: How the practice server is configured for a lesson (``server:`` header lines): the
#: practice options table's values, so a teacher can try a setup with ``smtpshell serve``.
ServerSetup = PracticeOptions


def parse_server_options(text: str, setup: ServerSetup | None = None) -> ServerSetup:
    """``smtpshell serve`` options -> a ServerSetup (added to ``setup``); ValueError if bad.

    The options, their values and their errors are those of the practice options table
    (:mod:`smtpshell.practice`), the same that ``serve``'s argparse is built from.
    """
    return parse_option_text(text, setup)


@dataclass(frozen=True, slots=True)
class Step:
    """One step: text before it, the hint, the solution (whose last checks judge the
    student's reply) and the text after it.  A step without a solution is read, not done."""

    title: str
    line: int
    explanation: tuple[str, ...] = ()
    hint: str = ""
    after: tuple[str, ...] = ()
    solution: tuple[SolutionLine, ...] = ()

    @property
    def reading(self) -> bool:
        return not self.solution

    @property
    def checks(self) -> tuple[SolutionLine, ...]:
        """The expectations after the last command: what the student's work must satisfy."""
        tail: list[SolutionLine] = []
        for item in reversed(self.solution):
            if item.kind is not LineKind.EXPECT:
                break
            tail.append(item)
        return tuple(reversed(tail))

    @property
    def last_action(self) -> SolutionLine | None:
        """The last line the solution types (a command or a message line)."""
        for item in reversed(self.solution):
            if item.kind is not LineKind.EXPECT:
                return item
        return None

    @property
    def typed(self) -> tuple[str, ...]:
        """What the solution types, for ``/hint`` twice and ``/skip``."""
        return tuple(s.text for s in self.solution if s.kind is not LineKind.EXPECT)


@dataclass(frozen=True, slots=True)
class Lesson:
    title: str
    steps: tuple[Step, ...]
    source: str = "<lesson>"
    summary: str = ""
    intro: tuple[str, ...] = ()
    rfcs: tuple[str, ...] = ()
    minutes: int | None = None
    setup: ServerSetup = field(default_factory=ServerSetup)
    connect: bool = True


# --------------------------------------------------------------------------- parsing


def _paragraphs(lines: list[str]) -> tuple[str, ...]:
    """``>`` lines -> paragraphs: consecutive lines join, a bare ``>`` separates them, and
    lines indented by two or more spaces stay as they are (wire examples keep their shape;
    such a paragraph starts with its two spaces, which is how renderers recognise it)."""
    out: list[str] = []
    prose: list[str] = []
    verbatim: list[str] = []

    def flush() -> None:
        if prose:
            out.append(" ".join(prose))
            prose.clear()
        while verbatim and not verbatim[-1]:
            verbatim.pop()
        if verbatim:
            out.append("\n".join(verbatim))
            verbatim.clear()

    for text in lines:
        if text.startswith("  "):
            if prose:
                flush()
            verbatim.append(text.rstrip())
        elif not text.strip():
            if verbatim:
                verbatim.append("")  # a blank line inside a wire example belongs to it
            else:
                flush()
        else:
            if verbatim:
                flush()
            prose.append(text.strip())
    flush()
    return tuple(out)


def _marker(raw: str) -> tuple[str, str] | None:
    """(marker, text) for ``> text``, ``? text``, ``! text`` (or the bare marker)."""
    if raw[:1] in _MARKERS and (len(raw) == 1 or raw[1] == " "):
        return raw[0], raw[2:]
    return None


def _is_comment(stripped: str) -> bool:
    return stripped.startswith("#") and not stripped.startswith("## ")


def _opens_message(command: str) -> bool:
    words = command.split()
    if not words:
        return False
    if words[0].upper() == "DATA" and len(words) == 1:
        return True
    return words[0].lower() in ("/send", "/sendmail") and not any(
        w == "--file" or w.startswith("--file=") for w in words
    )


@dataclass
class _StepDraft:
    title: str
    line: int
    explanation: list[str] = field(default_factory=list)
    hint: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    solution: list[SolutionLine] = field(default_factory=list)

    def build(self) -> Step:
        return Step(
            self.title,
            self.line,
            _paragraphs(self.explanation),
            " ".join(h.strip() for h in self.hint if h.strip()),
            _paragraphs(self.after),
            tuple(self.solution),
        )


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.header: dict[str, list[tuple[int, str]]] = {}
        self.intro: list[str] = []
        self.steps: list[_StepDraft] = []
        #: The line that opened the message being read, and whether its text has begun.
        self.message_from: int | None = None
        self.message_started = False

    def error(self, message: str, line: int | None) -> LessonError:
        return LessonError(message, line, self.source)

    def parse(self) -> Lesson:
        for number, raw in enumerate(self.lines, start=1):
            self.line(number, raw.rstrip("\r\n"))
        if self.message_from is not None:
            raise self.error(
                "the message begun here never ends: add a line holding only '.'",
                self.message_from,
            )
        return self.finish()

    def line(self, number: int, raw: str) -> None:
        if self.message_from is not None and raw.startswith("/raw ") and _ENDS_DATA in raw:
            # Raw bytes that end the message themselves (the engine runs "/raw" inside one).
            self.steps[-1].solution.append(SolutionLine(LineKind.COMMAND, raw.strip(), number))
            self.message_from, self.message_started = None, False
            return
        if self.message_started:
            self.steps[-1].solution.append(SolutionLine(LineKind.MESSAGE, raw, number))
            if raw == ".":
                self.message_from, self.message_started = None, False
            return
        stripped = raw.strip()
        if raw.startswith("## "):
            title = raw[3:].strip()
            if not title:
                raise self.error("a step needs a title after '## '", number)
            self.steps.append(_StepDraft(title, number))
            return
        if not stripped or _is_comment(stripped):
            return
        marker = _marker(raw)
        if not self.steps:
            self.before_steps(number, raw, marker)
            return
        step = self.steps[-1]
        if marker is not None:
            kind, text = marker
            target = {">": step.explanation, "?": step.hint, "!": step.after}[kind]
            target.append(text)
            return
        first = stripped.split(None, 1)[0].lower()
        if first in ("expect", "/expect"):
            self.expectation(number, stripped, step)
            return
        if self.message_from is not None:
            self.message_started = True
            step.solution.append(SolutionLine(LineKind.MESSAGE, raw, number))
            if raw == ".":
                self.message_from, self.message_started = None, False
            return
        step.solution.append(SolutionLine(LineKind.COMMAND, stripped, number))
        if _opens_message(stripped):
            self.message_from = number

    def expectation(self, number: int, stripped: str, step: _StepDraft) -> None:
        if not any(s.kind is not LineKind.EXPECT for s in step.solution):
            raise self.error(
                "an expect line needs a command before it in its step: it judges that "
                "command's reply",
                number,
            )
        spec = stripped.split(None, 1)[1] if " " in stripped else ""
        try:
            check = parse_check(spec)
        except UsageError as error:
            raise self.error(str(error), number) from None
        step.solution.append(SolutionLine(LineKind.EXPECT, stripped, number, check))
        if isinstance(check, Expectation):
            if self.message_from is not None and check.check(_GO_AHEAD) is not None:
                self.message_from = None  # DATA is expected to fail: no message follows
            elif self.message_from is None and check.code == "354":
                self.message_from = number  # e.g. a DATA sent with /raw, answered by /reply

    def before_steps(self, number: int, raw: str, marker: tuple[str, str] | None) -> None:
        if marker is not None:
            if marker[0] != ">":
                raise self.error(
                    f"'{marker[0]} ' lines belong to a step: start one with '## Title' first",
                    number,
                )
            self.intro.append(marker[1])
            return
        match = _HEADER.match(raw.strip())
        if match is None:
            raise self.error(
                f"{raw.strip()!r} before the first step: the header takes 'key: value' lines "
                f"({', '.join(_HEADER_KEYS)}); steps start with '## Title'",
                number,
            )
        key = match.group(1).lower()
        if key not in _HEADER_KEYS:
            raise self.error(f"unknown header {key!r}; known: {', '.join(_HEADER_KEYS)}", number)
        self.header.setdefault(key, []).append((number, match.group(2).strip()))

    def single(self, key: str) -> tuple[int, str] | None:
        entries = self.header.get(key, [])
        if len(entries) > 1:
            raise self.error(f"{key!r} is given twice", entries[1][0])
        return entries[0] if entries else None

    def finish(self) -> Lesson:
        title = self.single("title")
        if title is None or not title[1]:
            raise self.error("a lesson needs a 'title: ...' line at the top", 1)
        setup = ServerSetup()
        for number, options in self.header.get("server", []):
            try:
                setup = parse_server_options(options, setup)
            except ValueError as error:
                raise self.error(f"server: {error}", number) from None
        minutes = None
        if (entry := self.single("minutes")) is not None:
            if not entry[1].isdigit():
                raise self.error(f"minutes wants a whole number, not {entry[1]!r}", entry[0])
            minutes = int(entry[1])
        connect = True
        if (entry := self.single("connect")) is not None:
            if entry[1].lower() not in ("yes", "no"):
                raise self.error(f"connect wants yes or no, not {entry[1]!r}", entry[0])
            connect = entry[1].lower() == "yes"
        if not self.steps:
            raise self.error("a lesson needs at least one step ('## Title')", None)
        steps = tuple(draft.build() for draft in self.steps)
        for step in steps:
            self.check_step(step, setup)
        summary = self.single("summary")
        return Lesson(
            title=title[1],
            steps=steps,
            source=self.source,
            summary=summary[1] if summary else "",
            intro=_paragraphs(self.intro),
            rfcs=tuple(value for _, value in self.header.get("rfc", []) if value),
            minutes=minutes,
            setup=setup,
            connect=connect,
        )

    def check_step(self, step: Step, setup: ServerSetup) -> None:
        if step.solution and not step.checks:
            last = step.last_action
            raise self.error(
                f"step {step.title!r} ends without an expect line, so the student's work "
                "cannot be checked: add one after its last command",
                last.line if last else step.line,
            )
        if not setup.lmtp:
            for item in step.solution:
                if LMTP_PLACEHOLDER in item.text:
                    raise self.error(
                        f"{LMTP_PLACEHOLDER} needs 'server: --lmtp' in the header", item.line
                    )


def parse_lesson(text: str, source: str = "<lesson>") -> Lesson:
    """Parse a lesson; LessonError (a ValueError) names the line of the first problem."""
    return _Parser(text, source).parse()
