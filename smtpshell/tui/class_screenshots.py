"""Render the class dashboard to SVG: ``python -m smtpshell.tui.class_screenshots [DIR]``.

A class server with a small roster is started in-process; a few simulated students connect,
log in, report lesson steps (XLESSON) and send each other mail through real SMTP sessions;
then the dashboard is rendered headlessly (``class-dashboard.svg``) along with one student's
drilled-in transcript (``class-transcript.svg``).  The roster's passwords never reach a
picture: the server records AUTH as ``<redacted>`` where it is born.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from smtpshell.classroom.room import ClassFault
from smtpshell.classroom.roster import parse_roster
from smtpshell.classroom.server import ClassServer
from smtpshell.client import SMTP
from smtpshell.tui.classroom import ClassDashboard

ROSTER = """Ada Lovelace
Alan Turing
Grace Hopper
Radia Perlman
Vint Cerf
Jon Postel
"""


def _simulate(server: ClassServer) -> None:
    students = server.students
    plan = [(0, "07-starttls", 5, 5), (1, "03-envelope-vs-headers", 4, 7), (2, "08-auth", 2, 6)]
    for index, lesson, step, steps in plan:
        me = students[index]
        with SMTP(server.host, server.port, timeout=10) as client:
            client.ehlo()
            client.starttls(context=server.client_ssl_context())
            client.ehlo()
            client.login(me.account, me.password)
            client.docmd("XLESSON", f"{lesson} {step} {steps}")
            peer = students[(index + 1) % len(students)]
            client.sendmail(me.address, [peer.address], b"Subject: hello\r\n\r\nhi\r\n")
            client.quit()
    # One student stays connected, mid-transaction, under a fault the teacher switched on.
    server.room.set_fault(students[3].account, ClassFault("reject", "RCPT", code=450))
    client = SMTP(server.host, server.port, timeout=10)
    client.ehlo()
    client.login(students[3].account, students[3].password)
    client.docmd("XLESSON", "06-errors-and-retries 3 6")
    client.docmd("MAIL", f"FROM:<{students[3].address}>")
    client.docmd("RCPT", "TO:<someone@busy.example>")
    server._screenshot_client = client  # type: ignore[attr-defined]  # closed by main


async def _render(server: ClassServer, out: Path) -> None:
    app = ClassDashboard(server.room, banner=f"6 students on {server.host}:2525")
    async with app.run_test(size=(160, 20)) as pilot:
        await pilot.pause(0.5)
        app.save_screenshot("class-dashboard.svg", str(out))
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause(0.5)
        app.save_screenshot("class-transcript.svg", str(out))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    server = ClassServer(parse_roster(ROSTER))
    server.start()
    try:
        _simulate(server)
        asyncio.run(_render(server, out))
        server._screenshot_client.close()  # type: ignore[attr-defined]
    finally:
        server.stop()
    print(f"written: {out}/class-dashboard.svg, {out}/class-transcript.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
