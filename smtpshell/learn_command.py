"""``smtpshell learn [LESSON|FILE]``: guided lessons against the practice server.

Without LESSON it lists the lessons with your progress; ``next`` continues the first one
not finished; ``--check`` types a lesson's own solution instead of waiting for a student
(exit 1 when a step fails), which is how teachers test the lessons they write; ``--tui``
runs the lesson in the full-screen app instead of the REPL.
``configure`` only touches argparse; ``run`` imports the rest.

This is the cli's glue for ``learn``: it picks a face (:mod:`smtpshell.repl.lesson` or
:mod:`smtpshell.tui.lesson`) for the UI-free lesson core in :mod:`smtpshell.learn`, and
wires the engine (:mod:`smtpshell.wiring`).  It lives outside both, so no face imports
the other and the core imports neither.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "lesson",
        nargs="?",
        metavar="LESSON",
        help="a lesson number or name (1, 02, greeting), 'next', or a .lesson file; "
        "without it, the lessons are listed with your progress",
    )
    parser.add_argument(
        "--restart", action="store_true", help="start the lesson from its first step"
    )
    parser.add_argument(
        "--presenter",
        action="store_true",
        help="projector mode: long explanations, bold high-contrast colours, more spacing",
    )
    parser.add_argument(
        "--tui",
        action="store_true",
        help="run the lesson in the full-screen TUI (lesson panel beside the live log) "
        "instead of the REPL",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run the lesson's solution non-interactively and report (all lessons without "
        "LESSON); exit 1 if a step fails",
    )
    from smtpshell.shell.options import add_connection_options

    add_connection_options(parser, timeout=30.0)


def _progress_text(progress, steps: int) -> str:
    if progress.step >= steps > 0 or (progress.completed and progress.step == 0):
        return "done"
    if progress.step:
        return f"at step {progress.step + 1} of {steps}" + (" (done before)" * progress.completed)
    return ""


def list_lessons(out=None) -> int:
    """Print the shipped lessons with progress."""
    from smtpshell.learn.catalog import shipped_lessons
    from smtpshell.learn.lesson import LessonError
    from smtpshell.learn.progress import ProgressStore

    out = out or sys.stdout
    store = ProgressStore()
    print(
        "smtpshell lessons (start one with: smtpshell learn NUMBER, or: smtpshell learn next)",
        file=out,
    )
    print(file=out)
    for ref in shipped_lessons():
        number = ref.name.split("-", 1)[0]
        try:
            lesson = ref.load()
        except LessonError as error:
            print(f"  {number:>3}  {ref.name}: BROKEN: {error}", file=out)
            continue
        minutes = f"{lesson.minutes} min" if lesson.minutes else ""
        state = _progress_text(store.get(ref.key), len(lesson.steps))
        print(
            f"  {number:>3}  {lesson.title:<46} {len(lesson.steps):>2} steps {minutes:>7}  {state}",
            file=out,
        )
    print(file=out)
    print(f"Progress is kept in {store.path}.  Your own lesson: smtpshell learn FILE.", file=out)
    return 0


def _next_lesson():
    from smtpshell.learn.catalog import shipped_lessons
    from smtpshell.learn.progress import ProgressStore

    store = ProgressStore()
    lessons = shipped_lessons()
    for ref in lessons:
        if not store.get(ref.key).completed:
            return ref
    return lessons[0]


def _check(specs: list[str], timeout: float) -> int:
    from smtpshell.learn.catalog import find_lesson, shipped_lessons
    from smtpshell.learn.lesson import LessonError
    from smtpshell.learn.runner import check_solution
    from smtpshell.shell.results import plural
    from smtpshell.wiring import new_engine

    refs = [find_lesson(spec) for spec in specs] if specs else shipped_lessons()
    failed = 0
    for ref in refs:
        try:
            lesson = ref.load()
        except LessonError as error:
            print(f"FAIL {ref.name}: {error}")
            failed += 1
            continue
        report = check_solution(lesson, engine=new_engine(scripted=True, timeout=timeout))
        if report.ok:
            print(f"ok   {ref.name}: {plural(report.steps, 'step')}")
        else:
            failed += 1
            where = f"step {report.steps_done + 1} of {report.steps}"
            print(f"FAIL {ref.name}: {where}: {report.reason}")
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    from smtpshell.learn.catalog import find_lesson
    from smtpshell.learn.lesson import LessonError

    try:
        if args.check:
            return _check([args.lesson] if args.lesson else [], args.timeout)
        if args.lesson is None:
            return list_lessons()
        ref = _next_lesson() if args.lesson.lower() == "next" else find_lesson(args.lesson)
        lesson = ref.load()
    except (LookupError, LessonError) as error:
        print(f"smtpshell learn: {error}", file=sys.stderr)
        return 2

    from smtpshell.learn.progress import ProgressStore
    from smtpshell.learn.runner import LessonRunner
    from smtpshell.wiring import new_engine

    progress = ProgressStore()
    if args.restart:
        progress.reset(ref.key)
    from smtpshell.shell.options import apply_connection_options
    from smtpshell.shell.registry import UsageError
    from smtpshell.shell.target import Target

    try:
        defaults = apply_connection_options(Target(practice=True), args)
    except UsageError as error:
        print(f"smtpshell learn: {error}", file=sys.stderr)
        return 2
    engine = new_engine(timeout=args.timeout, helo_name=args.helo)
    engine.connection_defaults = defaults
    runner = LessonRunner(lesson, engine, key=ref.key, progress=progress, presenter=args.presenter)
    if getattr(args, "tui", False):
        return _run_tui(runner, resume=not args.restart)
    from smtpshell.repl.lesson import LessonRepl

    return LessonRepl(runner).run_lesson(resume=not args.restart)


def _run_tui(runner, *, resume: bool) -> int:
    """The lesson in the Textual app; the server is stopped however the app ends."""
    from smtpshell.tui.lesson import LessonApp

    app = LessonApp(runner, resume=resume)
    try:
        app.run()
    finally:
        runner.close()
    return int(app.return_code or 0)
