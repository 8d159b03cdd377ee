"""A class of 30 simulated students against one class server, and the teacher's dashboard.

Each student is a thread: it runs lesson 1's own solution on its own practice server with
its progress reported to the class server (``learn --class``), then sends mail to the next
student through the class server and reads its own mailbox.  Real servers, real sockets,
the real Textual app under Pilot; no sleeps: the test waits on the room's condition.
"""

from __future__ import annotations

import asyncio
import csv
import threading

import pytest

from smtpshell.classroom.room import ClassFault
from smtpshell.classroom.roster import (
    ClassDetails,
    fingerprint,
    parse_roster,
    sheet_csv,
    sheet_text,
)
from smtpshell.classroom.server import ClassServer
from smtpshell.client import SMTP
from smtpshell.errors import SMTPResponseException
from smtpshell.learn.catalog import find_lesson
from smtpshell.learn.classlink import ClassLink, ReportingProgress
from smtpshell.learn.runner import LessonRunner
from smtpshell.wiring import new_engine

STUDENTS = 30


@pytest.fixture(scope="module")
def roster():
    names = "\n".join(f"Student Number {i:02d}" for i in range(STUDENTS))
    return parse_roster(names)


@pytest.fixture(scope="module")
def classroom(roster, tmp_path_factory):
    """The class after a session: every student did lesson 1 and sent one message."""
    server = ClassServer(roster)
    server.start()
    lesson_ref = find_lesson("1")
    lesson = lesson_ref.load()
    errors: list[BaseException] = []
    mailboxes: dict[str, bytes] = {}
    progress_dir = tmp_path_factory.mktemp("progress")

    def student(index: int) -> None:
        me, peer = roster[index], roster[(index + 1) % STUDENTS]
        try:
            link = ClassLink(server.host, server.port, me.account, me.password)
            progress = ReportingProgress(link, progress_dir / f"{me.account}.json")
            runner = LessonRunner(
                lesson, new_engine(scripted=True, timeout=30), key=lesson_ref.key, progress=progress
            )
            runner.start(resume=False)
            try:
                while not runner.finished:
                    assert runner.run_solution() is None
            finally:
                runner.close()
            assert link.problem is None, link.problem
            with SMTP(server.host, server.port, timeout=30) as client:
                client.ehlo()
                client.starttls(context=server.client_ssl_context())
                client.ehlo()
                client.login(me.account, me.password)
                client.sendmail(
                    me.address,
                    [peer.address],
                    f"Subject: hello from {me.account}\r\n\r\nfor {peer.account} only\r\n".encode(),
                )
                client.quit()
        except BaseException as error:  # reported by the test, not lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(STUDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]
    server.room.wait_until(lambda room: all(row.mailbox == 1 for row in room.rows()), 30)
    for me in roster:  # each reads its own mailbox
        with SMTP(server.host, server.port, timeout=30) as client:
            client.ehlo()
            client.login(me.account, me.password)
            code, text = client.docmd("XMAILBOX", "1")
            assert code == 250
            mailboxes[me.account] = text
            with pytest.raises(SMTPResponseException):
                client.docmd("XMAILBOX", "2") if False else _strict(client, "XMAILBOX 2")
            with pytest.raises(SMTPResponseException):
                _strict(client, f"XMAILBOX {roster[0].account}")
    yield server, lesson, mailboxes
    server.stop()


def _strict(client: SMTP, line: str) -> None:
    verb, _, arg = line.partition(" ")
    code, text = client.docmd(verb, arg)
    if code >= 400:
        raise SMTPResponseException(code, text)


def test_every_student_reads_only_their_own_mail(classroom, roster):
    _, _, mailboxes = classroom
    for index, me in enumerate(roster):
        sender = roster[(index - 1) % STUDENTS]
        text = mailboxes[me.account].decode()
        assert f"hello from {sender.account}" in text
        assert f"for {me.account} only" in text
        others = [s.account for s in roster if s.account not in (me.account, sender.account)]
        assert not any(f"from {other}" in text for other in others)


def test_mailbox_needs_a_login_and_class_mail_needs_a_student(classroom):
    server, _, _ = classroom
    with SMTP(server.host, server.port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("xclass")
        assert client.docmd("XMAILBOX")[0] == 530
        assert client.docmd("XLESSON", "x 1 2")[0] == 530
        client.docmd("MAIL", "FROM:<a@b.example>")
        assert client.docmd("RCPT", "TO:<nobody@class.test>")[0] == 550


def test_the_dashboard_shows_every_students_progress_and_no_secret(classroom, roster, tmp_path):
    from smtpshell.tui.classroom import ClassDashboard, TranscriptScreen

    server, lesson, _ = classroom
    steps = len(lesson.steps)
    app = ClassDashboard(server.room, banner="test class", export_dir=tmp_path)
    passwords = [s.password for s in roster]
    import base64

    plain = base64.b64encode(f"\0{roster[2].account}\0{roster[2].password}".encode()).decode()
    with SMTP(server.host, server.port, timeout=30) as client:  # AUTH PLAIN typed by hand
        client.ehlo()
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 235
        client.quit()
    server.room.wait_until(lambda room: not room.row(roster[2].account).connected)

    async def drive() -> None:
        async with app.run_test(size=(200, 50)) as pilot:
            await pilot.pause()
            for student in roster:
                assert app.cell(student.account, "lesson") == f"01-greeting {steps}/{steps}"
                assert app.cell(student.account, "mail") == "1↑ 1↓"
            shown = [app.cell(s.account, c) for s in roster for c in ("last command", "last reply")]
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TranscriptScreen) and screen.account == roster[2].account
            transcript = screen.text
            assert "C: AUTH PLAIN <redacted>" in transcript
            assert plain not in transcript
            await pilot.press("escape", "p")
            await pilot.pause()
            assert isinstance(app.screen, TranscriptScreen) and app.screen.presenter
            await pilot.press("escape", "e")
            await pilot.pause()
            for secret in passwords:
                assert secret not in transcript
                assert not any(secret in cell for cell in shown)

    asyncio.run(drive())
    exports = (tmp_path / "class-progress.csv").read_text() + (
        tmp_path / "class-progress.json"
    ).read_text()
    assert roster[5].account in exports
    for secret in passwords:
        assert secret not in exports
    for student in roster:  # nor the AUTH PLAIN string that carries it
        plain = base64.b64encode(f"\0{student.account}\0{student.password}".encode()).decode()
        assert plain not in exports


def test_faults_for_one_student_and_for_the_class(classroom, roster):
    server, _, _ = classroom
    victim, bystander = roster[0], roster[1]

    def rcpt_code(student) -> int:
        with SMTP(server.host, server.port, timeout=30) as client:
            client.ehlo()
            client.login(student.account, student.password)
            client.docmd("MAIL", f"FROM:<{student.address}>")
            return client.docmd("RCPT", f"TO:<{bystander.address}>")[0]

    server.room.set_fault(victim.account, ClassFault("reject", "RCPT", code=450))
    try:
        assert rcpt_code(victim) == 450
        assert rcpt_code(bystander) == 250
        server.room.set_fault(None, ClassFault("reject", "RCPT", code=550))
        assert rcpt_code(bystander) == 550
        assert server.room.row(bystander.account).fault == "RCPT gets 550"
    finally:
        server.room.set_fault(victim.account, None)
        server.room.set_fault(None, None)
    assert rcpt_code(victim) == 250


def test_the_sheet_has_accounts_and_the_certificate_fingerprint(classroom, roster):
    server, _, _ = classroom
    details = ClassDetails(server.host, server.port, fingerprint(server.cert_path))
    text = sheet_text(roster, details)
    assert roster[3].password in text and details.fingerprint in text
    assert len(details.fingerprint.split(":")) == 32
    rows = sheet_csv(roster, details).splitlines()
    assert rows[0].startswith("name,account,password")
    assert len(rows) == STUDENTS + 1
    assert "password=<redacted>" in repr(roster[0])


def test_the_dashboard_keys_switch_faults_for_a_student_and_the_class(roster):
    from smtpshell.classroom.room import FAULT_PRESETS, Room
    from smtpshell.tui.classroom import ClassDashboard

    room = Room((s.name, s.account) for s in roster[:3])
    app = ClassDashboard(room)

    async def drive() -> None:
        async with app.run_test(size=(200, 20)) as pilot:
            await pilot.press("down", "f")
            await pilot.pause()
            assert room.fault_for(roster[1].account) == FAULT_PRESETS[1]
            assert room.fault_for(roster[0].account) is None
            await pilot.press("F", "F")
            await pilot.pause()
            assert room.class_fault == FAULT_PRESETS[2]
            assert room.fault_for(roster[0].account) == FAULT_PRESETS[2]
            assert room.fault_for(roster[1].account) == FAULT_PRESETS[1]  # its own wins
            await pilot.pause(0.3)
            assert app.cell(roster[0].account, "fault") == FAULT_PRESETS[2].describe()

    asyncio.run(drive())


def test_the_class_command_writes_the_sheet_and_stays_on_loopback(tmp_path):
    import argparse

    from smtpshell.class_command import start_class

    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("name,account\nAda Lovelace,ada\nAlan Turing,\n")
    args = argparse.Namespace(
        roster=str(roster_file), host="127.0.0.1", port=0, allow_remote=False, sheet=None
    )
    server, banner, folder, details = start_class(args)
    try:
        sheet = (folder / "class-sheet.txt").read_text()
        assert "ada@class.test" in sheet and "alan.turing@class.test" in sheet
        assert details.fingerprint in sheet
        assert (folder / "class-sheet.csv").stat().st_mode & 0o077 == 0
        assert "2 students" in banner
    finally:
        server.stop()
    remote = argparse.Namespace(**{**vars(args), "host": "192.0.2.1"})
    with pytest.raises(ValueError, match="allow_remote"):
        start_class(remote)


def test_learn_class_reports_through_the_glue(classroom, roster, monkeypatch):
    import argparse

    from smtpshell.learn_command import _class_progress

    server, _, _ = classroom
    me = roster[7]
    monkeypatch.setenv("SMTPSHELL_CLASS_PASSWORD", me.password)
    args = argparse.Namespace(
        class_address=f"{server.host}:{server.port}", student=me.account, timeout=10
    )
    progress = _class_progress(args)
    assert isinstance(progress, ReportingProgress)
    assert "-- joined" in server.room.transcript(me.account)
    monkeypatch.setenv("SMTPSHELL_CLASS_PASSWORD", "wrong")
    assert _class_progress(args) is None  # the lesson goes on without the class


def test_mailbox_command_in_the_shell(classroom, roster):
    server, _, _ = classroom
    me = roster[4]
    engine = new_engine(scripted=True, timeout=10)
    try:
        assert engine.run_line(f"/connect {server.host}:{server.port}").ok
        engine.run_line("EHLO student.example")
        assert engine.run_line(f"/login {me.account} {me.password}").ok
        assert engine.run_line("/mailbox").ok
        assert engine.last_reply.code == 250
        assert f"<{roster[3].address}>" in " ".join(engine.last_reply.lines)
        engine.run_line("/mailbox 1")
        assert f"for {me.account} only" in " ".join(engine.last_reply.lines)
        assert not engine.run_line("/mailbox two").ok
        assert not any(me.password in entry for entry in engine.history)
    finally:
        engine.shutdown()
    plain = new_engine(scripted=True, timeout=10)
    try:
        plain.run_line("/connect")
        plain.run_line("EHLO x")
        result = plain.run_line("/mailbox")
        assert not result.ok and "XCLASS" in result.items[0].text
    finally:
        plain.shutdown()


def test_learn_class_sends_the_password_only_to_the_pinned_certificate(classroom, roster):
    server, _, _ = classroom
    me = roster[9]
    good = fingerprint(server.cert_path)
    pinned = ClassLink(server.host, server.port, me.account, me.password, fingerprint=good)
    assert pinned.report("pinned", 1, 2), pinned.problem
    assert server.room.row(me.account).lesson == "pinned"
    wrong = ClassLink(server.host, server.port, me.account, me.password, fingerprint="AB" * 32)
    assert not wrong.report("wrong", 1, 2)
    assert "not the one on the sheet" in (wrong.problem or "")
    assert server.room.row(me.account).lesson == "pinned"


def test_smtpshell_class_runs_headless_and_serves_the_roster(tmp_path):
    import os
    import select
    import signal
    import subprocess
    import sys
    from pathlib import Path

    roster_file = tmp_path / "roster.txt"
    roster_file.write_text("Ada Lovelace\nAlan Turing\n")
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "smtpshell", "class", str(roster_file), "--port", "0",
         "--no-dashboard"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "no banner"
        banner = process.stdout.readline()
        assert "2 students on 127.0.0.1:" in banner
        port = int(banner.split("127.0.0.1:", 1)[1].split()[0])
        sheet = list(csv.DictReader((tmp_path / "class-sheet.csv").open()))
        ada = next(row for row in sheet if row["account"] == "ada.lovelace")
        with SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("xclass")
            client.starttls(context=_unverified())
            client.ehlo()
            client.login(ada["account"], ada["password"])
            assert client.docmd("XMAILBOX")[0] == 250
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def _unverified():
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
