"""``smtpshell grade`` against a correct client and broken ones, each graded as expected.

The clients (tests/classroom/clients/student.py) are real programs on raw sockets, run as
subprocesses against the grader's recording server: nothing is mocked.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smtpshell.classroom.grading import grade_batch, grade_program, junit_xml
from smtpshell.classroom.recorder import RecordingServer
from smtpshell.classroom.rubric import RubricError, load_rubric, parse_rubric

STUDENT = Path(__file__).parent / "clients" / "student.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rubric():
    # A short timeout: the hanging client is killed at it (no assertion on time).
    return dataclasses.replace(load_rubric("basic-client"), timeout=3.0)


def grade(mode: str, rubric):
    argv = [sys.executable, str(STUDENT), mode, "{host}", "{port}"]
    return grade_program(argv, rubric, student=mode)


def failed(report) -> set[str]:
    return {f"{run.name}/{c.name}" for run in report.runs for c in run.checks if not c.ok}


def test_the_reference_client_passes_every_check(rubric):
    report = grade("good", rubric)
    assert failed(report) == set(), report.text()
    assert report.exit_status == 0
    assert report.total == 16


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("early", {"send/waits-for-greeting"}),
        ("barelf", {"send/crlf", "send/end-of-data"}),
        ("nostuff", {"send/dot-stuffing"}),
    ],
)
def test_each_broken_client_fails_exactly_its_checks(rubric, mode, expected):
    report = grade(mode, rubric)
    assert failed(report) == expected, report.text()
    assert report.exit_status == 1


def test_unasked_pipelining_is_seen(rubric):
    report = grade("pipeline", rubric)
    assert "send/waits-for-replies" in failed(report)
    detail = next(c.detail for c in report.runs[0].checks if c.name == "waits-for-replies")
    assert "did not advertise PIPELINING" in detail
    # The well-formed parts of its session still pass.
    assert {"send/crlf", "send/dot-stuffing", "send/end-of-data"}.isdisjoint(failed(report))


def test_a_hanging_client_is_killed_and_graded(rubric):
    report = grade("hang", rubric)
    assert all(run.killed for run in report.runs)
    assert {"send/exits-cleanly", "send/quit", "temporary-failure/finishes"} <= failed(report)
    assert "send/greets-first" not in failed(report)
    assert report.exit_status == 1


def test_a_flooding_client_is_cut_off_and_graded(rubric):
    report = grade("flood", rubric)
    assert "send/no-flood" in failed(report)
    assert report.exit_status == 1


def test_a_crash_is_graded_not_raised(rubric):
    report = grade("crash", rubric)
    assert "temporary-failure/finishes" in failed(report)
    assert "traceback" in next(c.detail for c in report.runs[1].checks if c.name == "finishes")


def test_a_program_that_cannot_run_is_exit_status_2(rubric, tmp_path):
    report = grade_program([str(tmp_path / "missing")], rubric)
    assert report.exit_status == 2
    assert "missing" in (report.error or "")
    suite = ET.fromstring(junit_xml([report])).find("testsuite")
    assert suite is not None and suite.get("errors") == "1"


def test_junit_and_json_reports(rubric):
    report = grade("nostuff", rubric)
    root = ET.fromstring(junit_xml([report]))
    cases = root.findall(".//testcase")
    assert len(cases) == report.total
    failures = [case for case in cases if case.find("failure") is not None]
    assert [case.get("name") for case in failures] == ["dot-stuffing"]
    data = json.loads(json.dumps(report.as_dict()))
    assert data["exit_status"] == 1 and data["passed"] == report.total - 1


def test_batch_grades_a_directory_with_a_summary(rubric, tmp_path):
    for mode in ("good", "early", "nostuff"):
        folder = tmp_path / mode
        folder.mkdir()
        source = STUDENT.read_text().replace(
            "mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            f"mode, host, port = {mode!r}, sys.argv[1], int(sys.argv[2])",
        )
        (folder / "client.py").write_text(source)
    reports = grade_batch(tmp_path, rubric, jobs=3)
    assert [(r.student, r.exit_status) for r in reports] == [
        ("early", 1),
        ("good", 0),
        ("nostuff", 1),
    ]


def test_the_cli_exit_statuses_and_junit_file(tmp_path):
    env_path = {"PYTHONPATH": str(ROOT)}
    junit = tmp_path / "report.xml"
    base = [sys.executable, "-m", "smtpshell", "grade", "--timeout", "3"]
    good = subprocess.run(
        [
            *base,
            "--junit",
            str(junit),
            "--",
            sys.executable,
            str(STUDENT),
            "good",
            "{host}",
            "{port}",
        ],
        capture_output=True,
        text=True,
        env={**_env(), **env_path},
        timeout=60,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "16/16 checks passed" in good.stdout
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "0"
    bad = subprocess.run(
        [*base, "--json", "--", sys.executable, str(STUDENT), "early", "{host}", "{port}"],
        capture_output=True,
        text=True,
        env={**_env(), **env_path},
        timeout=60,
    )
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["passed"] == 15
    missing = subprocess.run(
        [*base, "--", str(tmp_path / "nothing-here")],
        capture_output=True,
        text=True,
        env={**_env(), **env_path},
        timeout=60,
    )
    assert missing.returncode == 2


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_rubric_files_are_checked_with_clear_errors(tmp_path):
    with pytest.raises(RubricError, match="unknown check 'waits'"):
        parse_rubric('[[run]]\nchecks = ["waits"]\n')
    with pytest.raises(RubricError, match="at least one"):
        parse_rubric('name = "x"\n')
    with pytest.raises(RubricError, match=r"inject\.RCPT"):
        parse_rubric('[[run]]\nchecks = ["quit"]\ninject = { RCPT = "oops" }\n')
    custom = parse_rubric(
        '[[run]]\nname = "helo"\nchecks = ["sends:HELO", "never:VRFY", "quit"]\n', "mine"
    )
    assert [c.name for c in custom.runs[0].checks] == ["sends:HELO", "never:VRFY", "quit"]
    with pytest.raises(RubricError, match="no rubric"):
        load_rubric("no-such-rubric")


def test_the_recorder_sees_bare_lf_and_early_bytes():
    import socket

    with RecordingServer(greeting_delay=0.5) as server:
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(b"HELO early\n")
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"220")
            assert reader.readline().startswith(b"250")
            sock.sendall(b"QUIT\r\n")
            assert reader.readline().startswith(b"221")
    session = server.sessions[0]
    assert session.spoke_early
    assert [line.crlf for line in session.client_lines] == [False, True]
    assert not session.closed_without_quit
    assert shutil.which(sys.executable)


def test_junit_survives_any_output(rubric, tmp_path):
    script = tmp_path / "noisy.py"
    script.write_text("import sys\nsys.stdout.write('bell\\x07 nul\\x00 <&>')\n")
    report = grade_program([sys.executable, str(script)], rubric)
    assert report.exit_status == 1
    ET.fromstring(junit_xml([report]))  # well-formed despite NUL and BEL


def test_the_cli_batch_writes_reports_and_a_summary(tmp_path):
    import os

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name, mode in (("alice", "good"), ("bob", "nostuff")):
        (submissions / f"{name}.py").write_text(
            STUDENT.read_text().replace(
                "mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])",
                f"mode, host, port = {mode!r}, sys.argv[1], int(sys.argv[2])",
            )
        )
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "smtpshell", "grade", "--timeout", "3", "--batch",
         str(submissions), "--out", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 of 2 submissions pass every check" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert [(s["student"], s["exit_status"]) for s in summary["students"]] == [
        ("alice", 0),
        ("bob", 1),
    ]
    assert json.loads((out / "bob.json").read_text())["passed"] == 15
    suites = ET.parse(out / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice", "bob"]


def test_the_program_sees_the_address_but_no_secret_of_the_grader(rubric, tmp_path, monkeypatch):
    monkeypatch.setenv("TEACHER_API_TOKEN", "do-not-leak")
    script = tmp_path / "env.py"
    script.write_text(
        "import os, sys\n"
        "print(os.environ.get('TEACHER_API_TOKEN'), os.environ['SMTPSHELL_HOST'],"
        " os.environ['SMTPSHELL_PORT'] == sys.argv[1])\n"
    )
    report = grade_program([sys.executable, str(script), "{port}"], rubric)
    assert report.runs[0].stdout.split() == ["None", "127.0.0.1", "True"]
