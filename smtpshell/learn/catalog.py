"""Finding lessons: the shipped ones by number or name, a teacher's own by path."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

from smtpshell.learn.lesson import Lesson, LessonError, parse_lesson

__all__ = ["LESSON_SUFFIX", "LessonRef", "find_lesson", "shipped_lessons"]

LESSON_SUFFIX = ".lesson"
_PACKAGE = "smtpshell.lessons"


@dataclass(frozen=True, slots=True)
class LessonRef:
    """Where a lesson lives.  ``key`` names its progress: the file name for shipped lessons
    (stable across installs), the absolute path for a teacher's own file."""

    key: str
    name: str
    path: Path | None = None  # None: shipped, read from the package
    shipped: bool = False

    def read(self) -> str:
        if self.shipped:
            resource = importlib.resources.files(_PACKAGE).joinpath(self.name + LESSON_SUFFIX)
            return resource.read_text(encoding="utf-8")
        assert self.path is not None
        return self.path.read_text(encoding="utf-8")

    def load(self) -> Lesson:
        """Parse the lesson; LessonError (with file and line) when it is malformed."""
        source = f"{self.name}{LESSON_SUFFIX}" if self.shipped else str(self.path)
        try:
            text = self.read()
        except (OSError, UnicodeDecodeError) as error:
            raise LessonError(f"cannot read the lesson: {error}", None, source) from None
        return parse_lesson(text, source)


def shipped_lessons() -> list[LessonRef]:
    """The lessons in ``smtpshell/lessons``, in course order (their number prefix)."""
    folder = importlib.resources.files(_PACKAGE)
    names = sorted(
        entry.name.removesuffix(LESSON_SUFFIX)
        for entry in folder.iterdir()
        if entry.name.endswith(LESSON_SUFFIX)
    )
    return [LessonRef(name, name, shipped=True) for name in names]


def find_lesson(spec: str) -> LessonRef:
    """``01``, ``1``, ``greeting``, ``01-greeting`` or a path to a ``.lesson`` file.

    LookupError says which lessons exist when nothing matches.
    """
    text = spec.strip()
    path = Path(text).expanduser()
    if text.endswith(LESSON_SUFFIX) or "/" in text or path.is_file():
        if not path.is_file():
            raise LookupError(f"no lesson file {text!r}")
        resolved = path.resolve()
        return LessonRef(str(resolved), resolved.stem, resolved)
    lessons = shipped_lessons()
    lowered = text.lower()
    for ref in lessons:
        number, _, words = ref.name.partition("-")
        if lowered in (ref.name, words) or (lowered.isdigit() and int(lowered) == int(number)):
            return ref
    matches = [ref for ref in lessons if lowered and lowered in ref.name]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(ref.name for ref in lessons)
    raise LookupError(f"no lesson {spec!r}; the lessons are: {known}")
