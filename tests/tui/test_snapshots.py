"""Snapshots of the main states (pytest-textual-snapshot; ``--snapshot-update`` to accept).

Only deterministic content: no timestamps, and the wire traffic is scripted transcript
events; the one screen with a practice server (the lesson in presenter mode) shows fixed
numbers in place of the ports the OS gives it (``masked_ports``).
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from smtpshell.knowledge.extensions import describe_feature
from smtpshell.shell import Mode
from smtpshell.shell.engine import Status
from smtpshell.transcript import Event, EventKind
from smtpshell.tui.app import SmtpShellApp
from smtpshell.tui.inspection import FeatureChanges, InspectorData, Mechanism
from smtpshell.tui.screens.secret import SecretScreen

pytest.importorskip("pytest_textual_snapshot")

SCRIPT = [
    (EventKind.CONNECT, b"", {"text": "connected to mail.example.net:25"}),
    (
        EventKind.RECEIVED,
        b"220 mail.example.net ESMTP ready\r\n",
        {"code": 220, "latency": 0.012},
    ),
    (EventKind.SENT, b"EHLO client.example.org\r\n", {}),
    (EventKind.RECEIVED, b"250-mail.example.net\r\n", {}),
    (EventKind.RECEIVED, b"250-SIZE 35882577\r\n", {}),
    (EventKind.RECEIVED, b"250-STARTTLS\r\n", {}),
    (EventKind.RECEIVED, b"250-AUTH PLAIN LOGIN GSSAPI\r\n", {}),
    (
        EventKind.RECEIVED,
        b"250 ENHANCEDSTATUSCODES\r\n",
        {"code": 250, "latency": 0.004, "command": "EHLO client.example.org"},
    ),
    (EventKind.SENT, b"MAIL FROM:<teacher@example.org>\r\n", {}),
    (EventKind.RECEIVED, b"250 2.1.0 Ok\r\n", {"code": 250, "latency": 0.003}),
    (EventKind.SENT, b"RCPT TO:<nobody@example.net>\r\n", {}),
    (
        EventKind.RECEIVED,
        b"550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n",
        {"code": 550, "latency": 0.021, "command": "RCPT TO:<nobody@example.net>"},
    ),
]


def _still_cursors(pilot: Pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_start_screen_80x24(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_still_cursors)


def test_reply_explained(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)

    async def run_before(pilot: Pilot) -> None:
        for kind, data, detail in SCRIPT:
            app.engine.transcript.emit(Event(kind, data, wall_time=0.0, **detail))
        await pilot.pause()
        app.flush_events()
        await pilot.pause()
        refused = next(r for r in app.log_pane.rows() if r.wire.code == 550)
        app.log_pane.select_seq(refused.seq)
        _still_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 32), run_before=run_before)


def test_connect_dialog(snap_compare) -> None:
    app = SmtpShellApp(connect=False, show_time=False)

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("f2")
        await pilot.pause()
        _still_cursors(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# --------------------------------------------------------------------------- helpers

SMALL, LARGE, MEDIUM = (80, 24), (160, 50), (120, 32)


def make_app(*, light: bool = False) -> SmtpShellApp:
    app = SmtpShellApp(connect=False, show_time=False)
    if light:
        app.theme = "textual-light"
    return app


async def scripted(pilot: Pilot, app: SmtpShellApp, script=SCRIPT) -> None:
    for kind, data, detail in script:
        app.engine.transcript.emit(Event(kind, data, wall_time=0.0, **detail))
    await pilot.pause()
    app.flush_events()
    await pilot.pause()


def steps(*actions):
    """``run_before`` from awaitable steps, cursors kept still for a stable picture."""

    async def run_before(pilot: Pilot) -> None:
        for action in actions:
            await action(pilot)
            await pilot.pause()
        _still_cursors(pilot)
        await pilot.pause()

    return run_before


def press(*keys: str):
    async def action(pilot: Pilot) -> None:
        await pilot.press(*keys)

    return action


def script(events=SCRIPT):
    async def action(pilot: Pilot) -> None:
        await scripted(pilot, pilot.app, events)

    return action


def typed(text: str):
    async def action(pilot: Pilot) -> None:
        pilot.app.command_pane.command_input.focus()
        await pilot.press(*[{" ": "space"}.get(c, c) for c in text])

    return action


STATUS = Status(
    target="smtp://mail.example.net:587",
    connected=True,
    tls=True,
    tls_verified=True,
    user="teacher",
    stage="rcpt",
    mode=Mode.COMMAND,
    reveal=False,
    lmtp=False,
    practice=False,
    busy=False,
    last_code=250,
    last_latency=0.004,
    recipients=2,
)

SESSION = InspectorData(
    status=STATUS,
    greeted=True,
    esmtp=True,
    mail_from="teacher@example.org",
    recipients=("alice@example.net", "bob@example.net"),
    features=tuple(
        describe_feature(keyword, params)
        for keyword, params in (
            ("SIZE", "35882577"),
            ("PIPELINING", ""),
            ("AUTH", "PLAIN LOGIN SCRAM-SHA-256 GSSAPI"),
            ("ENHANCEDSTATUSCODES", ""),
            ("8BITMIME", ""),
            ("DSN", ""),
            ("SMTPUTF8", ""),
            ("CHUNKING", ""),
        )
    ),
    mechanisms=(
        Mechanism("PLAIN", True, "password in base64"),
        Mechanism("LOGIN", True, "password in base64"),
        Mechanism("SCRAM-SHA-256", True, "challenge-response"),
        Mechanism("GSSAPI", False, "Kerberos"),
    ),
    size_limit="34 MiB",
    tls_rows=(
        ("version", "TLSv1.3"),
        ("cipher", "TLS_AES_256_GCM_SHA384 (256 bits)"),
        ("verified", "yes"),
        ("subject", "CN=mail.example.net"),
        ("issuer", "CN=Example CA"),
        ("valid until", "2027-01-01"),
    ),
    tls_changes=FeatureChanges(("AUTH",), ("STARTTLS",), (("SIZE", "10240000", "35882577"),)),
    last_reply="250 2.1.5 Ok",
)


def inspected(section: str | None = None, *, show: bool = False):
    """The inspector showing SESSION (F3 first when ``show``), scrolled to ``section``."""

    async def action(pilot: Pilot) -> None:
        app = pilot.app
        app.session_data = lambda: SESSION
        app.refresh_session()
        if show:
            await pilot.press("f3")
        await pilot.pause()
        if section is not None:
            target = app.inspector.query_one(f"#inspector-{section}")
            app.inspector.scroll_to_widget(target, animate=False, top=True)

    return action


LONG = [
    (EventKind.CONNECT, b"", {"text": "connected to mail.example.net:25"}),
    (
        EventKind.RECEIVED,
        b"250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-256 "
        b"SCRAM-SHA-512 XOAUTH2 OAUTHBEARER GSSAPI NTLM ANONYMOUS EXTERNAL\r\n",
        {},
    ),
    (EventKind.RECEIVED, b"250 HELP\r\n", {"code": 250, "command": "EHLO x"}),
]


def typed_in(selector: str, text: str):
    async def action(pilot: Pilot) -> None:
        pilot.app.screen.query_one(selector).focus()
        await pilot.press(*[{" ": "space"}.get(c, c) for c in text])

    return action


def pushed(screen_class, *args):
    async def action(pilot: Pilot) -> None:
        pilot.app.push_screen(screen_class(*args))

    return action


def settled():
    async def action(pilot: Pilot) -> None:
        app = pilot.app
        for _ in range(200):
            await pilot.pause(0.02)
            if not app.runner.busy and app.runner.current_job is None:
                break
        app.flush_events()

    return action


def in_mode(mode: Mode):
    async def action(pilot: Pilot) -> None:
        pilot.app.command_pane.set_mode(mode)

    return action


# --------------------------------------------------------------------------- screens

SNAPSHOTS = {
    "start-80x24-light": (SMALL, True, steps()),
    "start-160x50-dark": (LARGE, False, steps()),
    "start-160x50-light": (LARGE, True, steps()),
    "session-160x50-dark": (LARGE, False, steps(script())),
    "reply-explained-light": (MEDIUM, True, "reply"),
    "connect-dialog-160x50-light": (LARGE, True, steps(press("f2"))),
    "compose-dialog-80x24": (SMALL, False, steps(press("f4"))),
    "compose-dialog-160x50": (LARGE, False, steps(press("f4"))),
    "compose-address-error": (
        MEDIUM,
        False,
        steps(
            press("f4"), typed_in("#compose-to", "bob@example.com Compose test"), press("ctrl+s")
        ),
    ),
    "compose-subject-asked": (
        MEDIUM,
        True,
        steps(
            press("f4"),
            typed_in("#compose-from", "me@example.com"),
            typed_in("#compose-to", "you@example.com"),
            press("ctrl+s"),
        ),
    ),
    "help-80x24": (SMALL, False, steps(press("f1"))),
    "help-160x50-light": (LARGE, True, steps(press("f1"))),
    "secret-dialog": (SMALL, False, steps(pushed(SecretScreen, "password for demo: "))),
    "inspector-160x50-dark": (LARGE, False, steps(script(), inspected())),
    "inspector-160x50-light": (LARGE, True, steps(script(), inspected())),
    "inspector-session-80x24": (SMALL, False, steps(inspected("session", show=True))),
    "inspector-extensions-80x24": (SMALL, False, steps(inspected("extensions", show=True))),
    "inspector-auth-80x24": (SMALL, False, steps(inspected("auth", show=True))),
    "inspector-tls-80x24": (SMALL, False, steps(inspected("tls", show=True))),
    "error-80x24": (SMALL, False, steps(typed("/explain nonsense"), press("enter"), settled())),
    "long-line-80x24": (SMALL, False, steps(script(LONG))),
    "long-line-scrolled-80x24": (
        SMALL,
        False,
        steps(script(LONG), press("ctrl+l", *["right"] * 12)),
    ),
    "completion-80x24": (SMALL, False, steps(typed("/s"), press("tab"))),
    "completion-160x50": (LARGE, True, steps(typed("/s"), press("tab"))),
    "data-mode-hint-80x24": (SMALL, False, steps(in_mode(Mode.DATA))),
    "filter-120x32": (MEDIUM, False, steps(script(), press("f7", "2", "5", "0"))),
}


@pytest.fixture
def fixed_message_ids(monkeypatch) -> None:
    """The compose dialog's size line counts Date and Message-ID: make them constant."""
    import email.utils

    monkeypatch.setattr(email.utils, "formatdate", lambda *a, **k: "Mon, 30 Nov 2026 12:00:00")
    monkeypatch.setattr(email.utils, "make_msgid", lambda *a, **k: "<1@smtpshell.invalid>")


@pytest.mark.parametrize("name", sorted(SNAPSHOTS))
def test_screen(snap_compare, fixed_message_ids, name: str) -> None:
    size, light, run_before = SNAPSHOTS[name]
    app = make_app(light=light)
    if run_before == "reply":
        run_before = _reply_explained_steps(app)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def _reply_explained_steps(app: SmtpShellApp):
    async def run_before(pilot: Pilot) -> None:
        await scripted(pilot, app)
        refused = next(r for r in app.log_pane.rows() if r.wire.code == 550)
        app.log_pane.select_seq(refused.seq)
        _still_cursors(pilot)
        await pilot.pause()

    return run_before


def test_at_least_25_snapshots() -> None:
    assert len(SNAPSHOTS) + 3 >= 25


# --------------------------------------------------------------------------- presenter mode


def masked_ports(app_class):
    """``app_class`` whose screenshots show fixed port numbers instead of the real ones.

    The practice server listens on ports the OS picks (port 0), so each run shows others:
    in the status bar, the log's "connected to" line and the server's start note.  Each
    port in ``ports`` (filled once the server runs) is replaced by a fixed number of the
    same width in the segments the screenshot is made of, before the SVG (and its
    content-derived ids) is built: the layout and everything else on screen stay real.
    """
    import re
    from unittest import mock

    from rich.console import Console
    from rich.segment import Segment

    class Masked(app_class):
        ports: dict[int, str]

        def export_screenshot(self, *, title=None, simplify=False) -> str:
            masks = {
                re.compile(rf"(?<!\d){port}(?!\d)"): shown for port, shown in self.ports.items()
            }
            assert masks, "no port to mask: the server did not start"
            for port, shown in self.ports.items():
                assert len(str(port)) == len(shown), f"port {port} is not {len(shown)} wide"
            export_svg = Console.export_svg
            found: set[str] = set()

            def masked_svg(console: Console, **kwargs) -> str:
                buffer = console._record_buffer  # what export_svg draws (rich >= 12)
                for index, segment in enumerate(buffer):
                    text = segment.text
                    for pattern, shown in masks.items():
                        text, count = pattern.subn(shown, text)
                        if count:
                            found.add(shown)
                    buffer[index] = Segment(text, segment.style, segment.control)
                return export_svg(console, **kwargs)

            with mock.patch.object(Console, "export_svg", masked_svg):
                svg = super().export_screenshot(title=title, simplify=simplify)
            assert found == set(self.ports.values()), f"ports not on screen: {found}"
            return svg

    return Masked


def test_lesson_presenter_mode(snap_compare, tmp_path) -> None:
    """The lesson app in presenter mode, connected to its practice server (ports masked)."""
    from smtpshell.learn.catalog import find_lesson
    from smtpshell.learn.progress import ProgressStore
    from smtpshell.learn.runner import LessonRunner
    from smtpshell.tui.lesson import LessonApp
    from smtpshell.wiring import new_engine

    from .conftest import settle, wait_for

    ref = find_lesson("2")
    runner = LessonRunner(
        ref.load(),
        new_engine(timeout=10),
        key=ref.key,
        progress=ProgressStore(tmp_path / "progress.json"),
        presenter=True,
    )
    app = masked_ports(LessonApp)(runner, show_time=False)

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: app.engine.practice is not None, what="the server")
        await settle(pilot, app)
        server = app.engine.practice
        # Linux's ephemeral ports (32768-60999) are five digits wide, as these are.
        app.ports = {server.port: "10025", server.tls_port: "10465"}
        _still_cursors(pilot)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=LARGE, run_before=run_before)
    finally:
        runner.close()
