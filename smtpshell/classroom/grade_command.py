"""``smtpshell grade``: autograde a student's own SMTP client against a recording server.

    smtpshell grade -- python3 client.py {host} {port}
    smtpshell grade --rubric my.toml --junit report.xml -- ./client {host} {port}
    smtpshell grade --batch submissions/ --out results/

Exit status: 0 every check passed, 1 a check failed, 2 the program (or the rubric) could
not be used.  ``configure`` only touches argparse; ``run`` imports the rest.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "program",
        nargs="*",
        metavar="PROGRAM",
        help="the student's program and its arguments (after --); {host} and {port} are "
        "replaced by the server's address, {message} by a file with the message to send; "
        "also in the environment as SMTPSHELL_HOST, SMTPSHELL_PORT, SMTPSHELL_MESSAGE",
    )
    parser.add_argument(
        "--rubric",
        default="basic-client",
        metavar="NAME|FILE",
        help="a shipped rubric (basic-client) or a rubric file (.toml); default %(default)s",
    )
    parser.add_argument("--student", metavar="NAME", help="the name on the report")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="override the rubric's")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--junit", metavar="FILE", help="also write JUnit XML to FILE")
    parser.add_argument(
        "--transcript", action="store_true", help="show each run's transcript, not only failed ones"
    )
    parser.add_argument(
        "--batch",
        metavar="DIR",
        help="grade every submission in DIR (PROGRAM may use {submission}); prints a class summary",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="with --batch: write each report and the summary here"
    )
    parser.add_argument(
        "--jobs", type=int, default=4, metavar="N", help="with --batch: grade N at once (4)"
    )
    parser.add_argument(
        "--list-checks", action="store_true", help="list the checks a rubric may use, and exit"
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import json
    from pathlib import Path

    from smtpshell.classroom.grading import (
        grade_batch,
        grade_program,
        junit_xml,
        summary_json,
        summary_text,
    )
    from smtpshell.classroom.rubric import CHECKS, RubricError, load_rubric

    if args.list_checks:
        for check in CHECKS.values():
            print(f"{check.name:<20} {check.description}")
        print(f"{'sends:VERB':<20} the client sends VERB (e.g. sends:EHLO)")
        print(f"{'never:VERB':<20} the client never sends VERB")
        return 0
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as error:
        print(f"smtpshell grade: {error}", file=sys.stderr)
        return 2
    if args.timeout is not None:
        if not 0 < args.timeout <= 600:
            print("smtpshell grade: --timeout wants seconds in (0, 600]", file=sys.stderr)
            return 2
        rubric = dataclasses.replace(rubric, timeout=args.timeout)
    program = [word for word in args.program if word != "--"]

    if args.batch:
        directory = Path(args.batch)
        if not directory.is_dir():
            print(f"smtpshell grade: {directory} is not a directory", file=sys.stderr)
            return 2
        reports = grade_batch(directory, rubric, program, jobs=args.jobs)
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for report in reports:
                (out / f"{report.student}.json").write_text(
                    json.dumps(report.as_dict(), indent=2), encoding="utf-8"
                )
                (out / f"{report.student}.txt").write_text(report.text(transcripts=True) + "\n")
            (out / "summary.json").write_text(summary_json(reports) + "\n", encoding="utf-8")
            (out / "summary.txt").write_text(summary_text(reports) + "\n", encoding="utf-8")
            (out / "junit.xml").write_text(junit_xml(reports), encoding="utf-8")
        if args.junit:
            Path(args.junit).write_text(junit_xml(reports), encoding="utf-8")
        print(summary_json(reports) if args.json else summary_text(reports))
        return max((report.exit_status for report in reports), default=0)

    if not program:
        print("smtpshell grade: give the program to grade after --", file=sys.stderr)
        return 2
    files = [Path(word) for word in program if Path(word).is_file()]
    student = args.student or (files[-1].stem if files else Path(program[0]).name)
    report = grade_program(program, rubric, student=student)
    if args.junit:
        Path(args.junit).write_text(junit_xml([report]), encoding="utf-8")
    print(
        json.dumps(report.as_dict(), indent=2)
        if args.json
        else report.text(transcripts=args.transcript)
    )
    return report.exit_status
