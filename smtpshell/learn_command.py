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
    parser.add_argument(
        "--class",
        dest="class_address",
        metavar="HOST:PORT",
        help="report each step done to the teacher's class server (smtpshell class); "
        "the lessons still run on your own practice server",
    )
    parser.add_argument(
        "--student",
        metavar="ACCOUNT",
        help="with --class: your account on the class sheet (the password is asked, or "
        "read from $SMTPSHELL_CLASS_PASSWORD)",
    )
    parser.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help="with --class: the certificate fingerprint on your class sheet; your password "
        "is sent only to a server whose certificate has it",
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
    from smtpshell.shell.options import apply_connection_options
    from smtpshell.shell.registry import UsageError
    from smtpshell.shell.target import Target
    from smtpshell.wiring import engine_for_options

    try:
        defaults = apply_connection_options(Target(practice=True), args)
    except UsageError as error:
        print(f"smtpshell learn: {error}", file=sys.stderr)
        return 2
    try:
        progress = _class_progress(args) or ProgressStore()
    except ValueError as error:
        print(f"smtpshell learn: {error}", file=sys.stderr)
        return 2
    if args.restart:
        progress.reset(ref.key)
    while True:
        engine = engine_for_options(args, defaults)
        runner = LessonRunner(
            lesson, engine, key=ref.key, progress=progress, presenter=args.presenter
        )
        if getattr(args, "tui", False):
            status = _run_tui(runner, resume=not args.restart)
        else:
            from smtpshell.repl.lesson import LessonRepl

            status = LessonRepl(runner).run_lesson(resume=not args.restart)
        following = _following(ref) if runner.next_requested else None
        if following is None:
            return status
        ref, lesson = following, following.load()  # /next: on to the next lesson
        args.restart = False


def _following(ref):
    """The shipped lesson after ``ref`` (None after the last, or for a lesson file)."""
    from smtpshell.learn.catalog import shipped_lessons

    keys = [item.key for item in shipped_lessons()]
    if ref.key not in keys or keys.index(ref.key) + 1 >= len(keys):
        return None
    return shipped_lessons()[keys.index(ref.key) + 1]


def _class_progress(args: argparse.Namespace):
    """With ``--class``: a progress store that also reports to the class server."""
    address = getattr(args, "class_address", None)
    if not address:
        return None
    import getpass
    import os

    from smtpshell.learn.classlink import ClassLink, ReportingProgress, parse_class_address

    host, port = parse_class_address(address)
    if not args.student:
        raise ValueError("--class needs --student ACCOUNT (the account on your class sheet)")
    password = os.environ.get("SMTPSHELL_CLASS_PASSWORD") or getpass.getpass(
        f"Password for {args.student} on the class server: "
    )
    link = ClassLink(
        host,
        port,
        args.student,
        password,
        timeout=args.timeout,
        fingerprint=getattr(args, "fingerprint", None),
    )
    if not link.report("joined", 0, 0):
        print(f"smtpshell learn: cannot report to the class: {link.problem}", file=sys.stderr)
        return None
    print(f"Reporting your progress to the class server {host}:{port} as {args.student}.")
    return ReportingProgress(link)


def _run_tui(runner, *, resume: bool) -> int:
    """The lesson in the Textual app; the server is stopped however the app ends."""
    from smtpshell.tui.lesson import LessonApp

    app = LessonApp(runner, resume=resume)
    try:
        app.run()
    finally:
        runner.close()
    return int(app.return_code or 0)
