"""Grading a student's SMTP client: run it against a recording server, judge by a rubric.

For each run of the rubric a fresh :class:`~smtpshell.classroom.recorder.RecordingServer`
listens on loopback; the student's program is started with the server's address in its argv
(``{host}``, ``{port}``, also ``{from}``, ``{to}``, ``{message}``) and its environment
(``SMTPSHELL_HOST``, ``SMTPSHELL_PORT``, ``SMTPSHELL_FROM``, ``SMTPSHELL_TO``,
``SMTPSHELL_MESSAGE``: a file holding the message to send).  A program still running at the
rubric's timeout is killed with its whole process group, and graded like any other.

Reports come out as text, JSON and JUnit XML.  Exit status: 0 every check passed, 1 a check
failed, 2 the program could not be run at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from smtpshell.classroom.recorder import RecordedSession, RecordingServer
from smtpshell.classroom.rubric import Rubric, RunFacts, RunSpec

__all__ = [
    "CheckResult",
    "GradeReport",
    "RunResult",
    "batch_entries",
    "grade_batch",
    "grade_program",
    "junit_xml",
    "summary_text",
]

#: Characters XML 1.0 cannot carry (a program's output may hold any of them).
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: The grader's environment variables a student's program sees (nothing else).
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT", "JAVA_HOME")
#: Bytes of the program's stdout/stderr kept for the report.
OUTPUT_TAIL = 4000


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    ok: bool
    detail: str = ""


@dataclass
class RunResult:
    name: str
    description: str
    checks: list[CheckResult]
    exit_code: int | None
    killed: bool
    stdout: str = ""
    stderr: str = ""
    transcript: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass
class GradeReport:
    student: str
    rubric: str
    command: list[str]
    runs: list[RunResult] = field(default_factory=list)
    #: Set when the program could not be started at all (exit status 2).
    error: str | None = None

    @property
    def passed(self) -> int:
        return sum(check.ok for run in self.runs for check in run.checks)

    @property
    def total(self) -> int:
        return sum(len(run.checks) for run in self.runs)

    @property
    def exit_status(self) -> int:
        if self.error is not None:
            return 2
        return 0 if self.passed == self.total else 1

    def as_dict(self) -> dict:
        return {
            "student": self.student,
            "rubric": self.rubric,
            "command": self.command,
            "error": self.error,
            "passed": self.passed,
            "total": self.total,
            "exit_status": self.exit_status,
            "runs": [
                {
                    "name": run.name,
                    "description": run.description,
                    "exit_code": run.exit_code,
                    "killed": run.killed,
                    "checks": [
                        {
                            "name": c.name,
                            "ok": c.ok,
                            "detail": c.detail,
                            "description": c.description,
                        }
                        for c in run.checks
                    ],
                    "transcript": run.transcript,
                    "stdout": run.stdout,
                    "stderr": run.stderr,
                }
                for run in self.runs
            ],
        }

    def text(self, *, transcripts: bool = False) -> str:
        lines = [f"{self.student}: {self.passed}/{self.total} checks passed ({self.rubric})"]
        if self.error:
            lines.append(f"  could not run the program: {self.error}")
        for run in self.runs:
            state = "killed at the timeout" if run.killed else f"exit status {run.exit_code}"
            lines.append(f"  run {run.name}: {state}")
            for check in run.checks:
                mark = "ok  " if check.ok else "FAIL"
                detail = f": {check.detail}" if check.detail and not check.ok else ""
                lines.append(f"    {mark} {check.name} — {check.description}{detail}")
            if transcripts or not run.ok:
                lines += [f"      {line}" for line in run.transcript[:40]]
        return "\n".join(lines)


def _fill(argv: Sequence[str], values: dict[str, str]) -> list[str]:
    out = []
    for word in argv:
        for key, value in values.items():
            word = word.replace("{" + key + "}", value)
        out.append(word)
    return out


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(OUTPUT_TAIL + 1)
    except OSError:
        return ""
    text = data[:OUTPUT_TAIL].decode("utf-8", "replace")
    return text + ("\n[... more output cut]" if len(data) > OUTPUT_TAIL else "")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()


def _run_once(
    argv: Sequence[str], rubric: Rubric, spec: RunSpec, workdir: Path, cwd: str | None
) -> RunResult:
    message_file = workdir / "message.eml"
    message_file.write_bytes(rubric.message_bytes)
    server = RecordingServer(
        pipelining=spec.pipelining, inject=spec.inject, idle_timeout=rubric.timeout
    )
    with server:
        values = {
            "host": server.host,
            "port": str(server.port),
            "from": rubric.sender,
            "to": rubric.recipient,
            "message": str(message_file),
        }
        # The student's program gets no secret of the grader's environment: only what a
        # program needs to run, and the server's address.
        env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
        env["HOME"] = str(workdir)
        env.update(
            SMTPSHELL_HOST=server.host,
            SMTPSHELL_PORT=str(server.port),
            SMTPSHELL_FROM=rubric.sender,
            SMTPSHELL_TO=rubric.recipient,
            SMTPSHELL_MESSAGE=str(message_file),
            PYTHONUNBUFFERED="1",
        )
        out_path, err_path = workdir / f"{spec.name}.out", workdir / f"{spec.name}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(  # OSError here: the program cannot be run
                _fill(argv, values),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
            killed = False
            try:
                exit_code: int | None = process.wait(timeout=rubric.timeout)
            except subprocess.TimeoutExpired:
                killed = True
                _kill_group(process)
                process.wait()
                exit_code = None
            _kill_group(process)  # whatever it left behind in its group
    sessions: list[RecordedSession] = list(server.sessions)
    stderr = _tail(err_path)
    facts = RunFacts(
        sessions=sessions,
        exit_code=exit_code,
        killed=killed,
        message=rubric.message_bytes,
        stderr=stderr,
    )
    checks = []
    for check in spec.checks:
        outcome = check.judge(facts)
        checks.append(CheckResult(check.name, check.description, outcome.ok, outcome.detail))
    transcript = sessions[0].transcript() if sessions else ["(no connection)"]
    return RunResult(
        name=spec.name,
        description=spec.description,
        checks=checks,
        exit_code=exit_code,
        killed=killed,
        stdout=_tail(out_path),
        stderr=stderr,
        transcript=transcript,
    )


def grade_program(
    argv: Sequence[str],
    rubric: Rubric,
    *,
    student: str = "student",
    cwd: str | None = None,
) -> GradeReport:
    """Run ``argv`` once per run of ``rubric`` and judge each; never raises for the
    program's sake (a program that cannot start is reported with exit status 2)."""
    report = GradeReport(student=student, rubric=rubric.name, command=list(argv))
    if not argv:
        report.error = "no program given"
        return report
    with tempfile.TemporaryDirectory(prefix="smtpshell-grade-") as tmp:
        for spec in rubric.runs:
            try:
                report.runs.append(_run_once(argv, rubric, spec, Path(tmp), cwd))
            except OSError as error:
                report.runs.clear()
                report.error = f"{argv[0]}: {error.strerror or error}"
                break
    return report


# --------------------------------------------------------------------------- batches


def batch_entries(directory: Path) -> list[Path]:
    """The submissions in ``directory``: its files and folders, hidden ones skipped."""
    return sorted(p for p in directory.iterdir() if not p.name.startswith((".", "_")))


def default_command(entry: Path) -> list[str] | None:
    """How to run a submission when the teacher gave no command: a ``.py`` file with this
    Python; a folder's ``client.py`` or ``main.py``; an executable file as it is."""
    if entry.is_dir():
        for name in ("client.py", "main.py", "smtp_client.py"):
            if (entry / name).is_file():
                return [sys.executable, str(entry / name), "{host}", "{port}"]
        return None
    if entry.suffix == ".py":
        return [sys.executable, str(entry), "{host}", "{port}"]
    if os.access(entry, os.X_OK):
        return [str(entry), "{host}", "{port}"]
    return None


def grade_batch(
    directory: Path, rubric: Rubric, command: Sequence[str] = (), *, jobs: int = 4
) -> list[GradeReport]:
    """Grade every submission in ``directory`` in parallel; one report each, in name order.

    ``command`` may use ``{submission}`` (the entry's path); without one, each entry is run
    as :func:`default_command` says.
    """

    def one(entry: Path) -> GradeReport:
        student = entry.stem
        if command:
            argv = _fill(command, {"submission": str(entry)})
        else:
            found = default_command(entry)
            if found is None:
                report = GradeReport(student=student, rubric=rubric.name, command=[])
                report.error = f"{entry.name}: no client.py/main.py, not .py, not executable"
                return report
            argv = found
        cwd = str(entry) if entry.is_dir() else str(entry.parent)
        return grade_program(argv, rubric, student=student, cwd=cwd)

    entries = batch_entries(directory)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, entries))


def summary_text(reports: Sequence[GradeReport]) -> str:
    if not reports:
        return "no submissions"
    names = [check.name for run in reports[0].runs for check in run.checks] if reports else []
    width = max(len(r.student) for r in reports)
    lines = [f"{'student':<{width}}  score   status"]
    for report in reports:
        status = {0: "pass", 1: "fail", 2: "could not run"}[report.exit_status]
        failed = [
            f"{run.name}/{check.name}"
            for run in report.runs
            for check in run.checks
            if not check.ok
        ]
        lines.append(
            f"{report.student:<{width}}  {report.passed:>2}/{report.total:<3}  {status}"
            + (f"  ({', '.join(failed)})" if failed else "")
        )
    passing = sum(r.exit_status == 0 for r in reports)
    lines.append(f"{passing} of {len(reports)} submissions pass every check")
    if names:
        for run in reports[0].runs:
            for index, check in enumerate(run.checks):
                ok = sum(
                    1
                    for r in reports
                    for rr in r.runs
                    if rr.name == run.name and index < len(rr.checks) and rr.checks[index].ok
                )
                lines.append(f"  {run.name}/{check.name}: {ok}/{len(reports)} pass")
    return "\n".join(lines)


def summary_json(reports: Sequence[GradeReport]) -> str:
    return json.dumps(
        {
            "submissions": len(reports),
            "passing": sum(r.exit_status == 0 for r in reports),
            "students": [
                {
                    "student": r.student,
                    "passed": r.passed,
                    "total": r.total,
                    "exit_status": r.exit_status,
                    "error": r.error,
                }
                for r in reports
            ],
        },
        indent=2,
    )


def junit_xml(reports: Sequence[GradeReport]) -> str:
    """JUnit XML: one ``<testsuite>`` per student, one ``<testcase>`` per check of a run."""
    suites = ET.Element("testsuites", name="smtpshell grade")
    for report in reports:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report.student,
            tests=str(max(report.total, 1 if report.error else 0)),
            failures=str(report.total - report.passed),
            errors="1" if report.error else "0",
        )
        if report.error:
            case = ET.SubElement(suite, "testcase", classname=report.rubric, name="run")
            ET.SubElement(case, "error", message=report.error)
        for run in report.runs:
            for check in run.checks:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{report.rubric}.{run.name}",
                    name=check.name,
                )
                if not check.ok:
                    failure = ET.SubElement(case, "failure", message=check.detail or "failed")
                    failure.text = "\n".join(run.transcript[:60])
        if report.runs:
            out = ET.SubElement(suite, "system-out")
            text = "\n".join(f"[{run.name}] {run.stdout}" for run in report.runs if run.stdout)
            out.text = _XML_UNSAFE.sub("\ufffd", text)  # a student's program prints anything
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
