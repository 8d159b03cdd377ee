"""The classroom at full size: ``python -m bench.classroom [STUDENTS]`` (default 100).

1. A class of STUDENTS against one class server: each student (a thread) connects,
   STARTTLS, logs in, reports a lesson step (XLESSON), sends a message to the next
   student and reads its mailbox (XMAILBOX).  Wall time, connections refused, messages
   kept, the process's memory gain.
2. The room's snapshot (what the dashboard reads a few times a second) at that size.
3. ``smtpshell grade``: the reference client against the basic-client rubric, and a batch
   of ten submissions graded four at a time.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from smtpshell import SMTP
from smtpshell.classroom.grading import grade_batch, grade_program
from smtpshell.classroom.roster import parse_roster
from smtpshell.classroom.rubric import load_rubric
from smtpshell.classroom.server import ClassServer

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "tests" / "classroom" / "clients" / "student.py"


def _rss_mib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) // 1024  # type: ignore[index]


def class_session(size: int) -> None:
    roster = parse_roster("\n".join(f"Student {i:03d}" for i in range(size)))
    server = ClassServer(roster)
    server.start()
    errors: list[BaseException] = []
    before = _rss_mib()

    def student(index: int) -> None:
        me, peer = roster[index], roster[(index + 1) % size]
        try:
            with SMTP(server.host, server.port, timeout=60) as client:
                client.ehlo()
                client.starttls(context=server.client_ssl_context())
                client.ehlo()
                client.login(me.account, me.password)
                client.docmd("XLESSON", "01-greeting 4 4")
                client.sendmail(me.address, [peer.address], b"Subject: hi\r\n\r\nhello\r\n")
                client.docmd("XMAILBOX")
        except BaseException as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=student, args=(i,)) for i in range(size)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        server.room.wait_until(lambda room: all(row.mailbox == 1 for row in room.rows()), 60)
        print(
            f"class of {size}: {elapsed:.2f} s for every student's session "
            f"(STARTTLS, AUTH, XLESSON, one message, XMAILBOX); errors {len(errors)}; "
            f"kept {len(server.messages)} messages; RSS +{_rss_mib() - before} MiB"
        )
        start = time.perf_counter()
        for _ in range(100):
            server.room.rows()
        snapshot = (time.perf_counter() - start) / 100 * 1000
        print(f"room snapshot of {size} rows: {snapshot:.2f} ms (the dashboard reads it 4x/s)")
    finally:
        server.stop()


def grading() -> None:
    rubric = load_rubric("basic-client")
    argv = [sys.executable, str(STUDENT), "good", "{host}", "{port}"]
    start = time.perf_counter()
    report = grade_program(argv, rubric)
    print(
        f"grade reference client: {time.perf_counter() - start:.2f} s for "
        f"{len(report.runs)} runs, {report.passed}/{report.total} checks"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(10):
            folder = Path(tmp) / f"s{index:02d}"
            folder.mkdir()
            shutil.copy(STUDENT, folder / "student.py")
        start = time.perf_counter()
        reports = grade_batch(
            Path(tmp),
            rubric,
            [sys.executable, "{submission}/student.py", "good", "{host}", "{port}"],
        )
        passing = sum(r.exit_status == 0 for r in reports)
        print(
            f"grade --batch 10 submissions, 4 at a time: {time.perf_counter() - start:.2f} s, "
            f"{passing}/10 pass"
        )


if __name__ == "__main__":
    class_session(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    grading()
