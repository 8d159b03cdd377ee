"""Guided SMTP lessons against the practice server (``smtpshell learn``); see docs/teaching.md.

UI-free: :func:`parse_lesson` reads the lesson format, :class:`LessonRunner` runs one over
the shared command engine and judges each line the student types, :func:`check_solution`
types a lesson's own solution (what CI does for every shipped lesson).  Faces render
:class:`StepFeedback` and its :class:`Block` items (laid out by :mod:`smtpshell.learn.layout`);
the faces are :mod:`smtpshell.repl.lesson` and :mod:`smtpshell.tui.lesson`, chosen by
:mod:`smtpshell.learn_command`.  Nothing here imports a face or the server: the practice
server is started through the engine's injected factory.
"""

from smtpshell.learn.catalog import LessonRef, find_lesson, shipped_lessons
from smtpshell.learn.lesson import (
    Lesson,
    LessonError,
    LineKind,
    ServerSetup,
    SolutionLine,
    Step,
    parse_lesson,
)
from smtpshell.learn.progress import LessonProgress, ProgressStore
from smtpshell.learn.runner import (
    LESSON_COMMANDS,
    LessonRunner,
    SolutionReport,
    StepFeedback,
    Verdict,
    check_solution,
)
from smtpshell.learn.teach import Block, BlockKind

__all__ = [
    "LESSON_COMMANDS",
    "Block",
    "BlockKind",
    "Lesson",
    "LessonError",
    "LessonProgress",
    "LessonRef",
    "LessonRunner",
    "LineKind",
    "ProgressStore",
    "ServerSetup",
    "SolutionLine",
    "SolutionReport",
    "Step",
    "StepFeedback",
    "Verdict",
    "check_solution",
    "find_lesson",
    "parse_lesson",
    "shipped_lessons",
]
