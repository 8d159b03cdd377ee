"""``smtpshell class ROSTER``: the shared practice server for a class and the teacher's dashboard.

One process: the class server (:mod:`smtpshell.classroom.server`) in a background thread,
the sheet of accounts written beside the roster, and the Textual dashboard
(:mod:`smtpshell.tui.classroom`) in the foreground.  ``configure`` only touches argparse.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "roster", metavar="ROSTER", help="names one a line, or CSV with a name column"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=2525, help="port (2525)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on a non-loopback address (the classroom network); without it only "
        "this machine can connect",
    )
    parser.add_argument(
        "--sheet",
        metavar="DIR",
        help="where to write class-sheet.txt and class-sheet.csv (default: beside the roster)",
    )
    parser.add_argument(
        "--no-dashboard",
        action="store_true",
        help="run the server without the dashboard (Ctrl-C stops it)",
    )


def start_class(args: argparse.Namespace):
    """Read the roster, start the class server, write the sheet: (server, banner, folder).

    Raises RosterError, ValueError or OSError with a message for the teacher."""
    from pathlib import Path

    from smtpshell.classroom.roster import (
        ClassDetails,
        fingerprint,
        read_roster,
        sheet_csv,
        sheet_text,
    )
    from smtpshell.classroom.server import ClassServer, class_options

    students = read_roster(args.roster)
    server = ClassServer(
        students, class_options(args.host, args.port, allow_remote=args.allow_remote)
    )
    server.start()
    try:
        details = ClassDetails(server.host, server.port, fingerprint(server.cert_path))
        folder = Path(args.sheet) if args.sheet else Path(args.roster).resolve().parent
        folder.mkdir(parents=True, exist_ok=True)
        text_path, csv_path = folder / "class-sheet.txt", folder / "class-sheet.csv"
        for path, text in (
            (text_path, sheet_text(students, details)),
            (csv_path, sheet_csv(students, details)),
        ):
            path.touch(mode=0o600)  # passwords: the teacher's eyes only
            path.chmod(0o600)
            path.write_text(text, encoding="utf-8")
    except BaseException:
        server.stop()
        raise
    banner = f"{len(students)} students on {server.host}:{server.port}   sheet: {text_path}"
    return server, banner, folder, details


def run(args: argparse.Namespace) -> int:
    import threading

    from smtpshell.classroom.roster import RosterError

    try:
        server, banner, folder, details = start_class(args)
    except (RosterError, ValueError, OSError) as error:
        print(f"smtpshell class: {error}", file=sys.stderr)
        return 2
    try:
        print(banner)
        print(f"certificate SHA-256 {details.fingerprint}")
        if args.no_dashboard:
            threading.Event().wait()
            return 0
        from smtpshell.tui.classroom import ClassDashboard

        ClassDashboard(server.room, banner=banner, export_dir=folder).run()
        return 0
    finally:
        server.stop()
