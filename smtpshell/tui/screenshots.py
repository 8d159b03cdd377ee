"""Render the TUI in scripted states to SVG: ``python -m smtpshell.tui.screenshots [DIR]``.

Each scene drives a fresh app headlessly against its own practice server, through the same
shell lines a person would type, and saves ``DIR/<scene>.svg`` (default ``screenshots/``).
Passwords are handed to the engine's asker, never typed into a line, so the log shows
``<redacted>`` and no screenshot holds a secret.  Run it again whenever the UI changes.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from smtpshell.server import Faults, PracticeServer
from smtpshell.tui.app import SmtpShellApp
from smtpshell.wiring import new_engine

__all__ = ["SCENES", "close_gaps", "main", "render"]

Script = Callable[[Pilot, SmtpShellApp], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    name: str
    description: str
    script: Script
    size: tuple[int, int] = (120, 36)
    faults: Faults | None = field(default=None)
    #: A shipped lesson to run in the lesson face (its runner starts its own server).
    lesson: str | None = None


async def settle(pilot: Pilot, app: SmtpShellApp, timeout: float = 15.0) -> None:
    """Wait (bounded) until every queued line ran and its events reached the log."""
    for _ in range(int(timeout / 0.02)):
        await pilot.pause(0.02)
        if not app.runner.busy and app.runner.current_job is None:
            app.flush_events()
            await pilot.pause()
            return
    raise TimeoutError("the app stayed busy")


async def lines(pilot: Pilot, app: SmtpShellApp, *typed: str) -> None:
    for line in typed:
        app.submit_typed(line)
        await settle(pilot, app)


async def login(pilot: Pilot, app: SmtpShellApp) -> None:
    """``/login demo`` with the password given to the asker (as the connect dialog does)."""
    app.runner.submit("/login demo", secret="demo")
    await settle(pilot, app)


def select(app: SmtpShellApp, predicate: Callable[[str], bool], *, last: bool = True) -> None:
    rows = [row for row in app.log_pane.rows() if predicate(row.plain)]
    if rows:
        app.log_pane.select_seq(rows[-1 if last else 0].seq)


async def features(pilot: Pilot, app: SmtpShellApp) -> None:
    await lines(pilot, app, "/connect", "/ehlo")
    select(app, lambda text: text.startswith("S: 250-AUTH"))


async def transaction(pilot: Pilot, app: SmtpShellApp) -> None:
    await lines(pilot, app, "/connect --starttls")
    await login(pilot, app)
    await lines(
        pilot,
        app,
        "MAIL FROM:<teacher@example.org>",
        "RCPT TO:<ada@example.org>",
        "RCPT TO:<grace@example.org>",
    )
    select(app, lambda text: text.startswith("S: 250 2.1.5"))


async def tls(pilot: Pilot, app: SmtpShellApp) -> None:
    await lines(pilot, app, "/connect", "/ehlo", "/starttls", "/ehlo")
    await login(pilot, app)
    select(app, lambda text: text.startswith("* TLS established"))
    app.inspector.scroll_to_widget(app.inspector.tls_section, animate=False, top=True)
    await pilot.pause()


async def error(pilot: Pilot, app: SmtpShellApp) -> None:
    await lines(
        pilot,
        app,
        "/connect",
        "EHLO client.example.org",
        "MAIL FROM:<teacher@example.org>",
        "RCPT TO:<nobody@example.org>",
    )
    select(app, lambda text: text.startswith("S: 550"))


async def small(pilot: Pilot, app: SmtpShellApp) -> None:
    await lines(pilot, app, "/connect", "/ehlo", "/starttls", "/ehlo", "NOOP")


async def learn(pilot: Pilot, app: SmtpShellApp) -> None:
    """Lesson 2: a line the step is not about, then the right one, its reply selected."""
    await settle(pilot, app)  # the lesson's server, connection and greeting
    await lines(pilot, app, "NOOP", "HELO client.example")
    select(app, lambda text: text.startswith("S: 250 localhost"))


SCENES: tuple[Scene, ...] = (
    Scene("features", "connected, EHLO answered, the AUTH line explained", features),
    Scene(
        "transaction", "after STARTTLS and login, in a transaction with two recipients", transaction
    ),
    Scene("tls", "the TLS session and what changed after STARTTLS", tls),
    Scene(
        "error",
        "a refused recipient, its 550 and 5.1.1 explained",
        error,
        faults=Faults(reject_rcpt=re.compile("nobody@")),
    ),
    Scene("small-80x24", "a session in an 80x24 terminal", small, size=(80, 24)),
    Scene(
        "learn-tui",
        "smtpshell learn 2 --tui: a wrong line gets 'Not yet', the right one the next step",
        learn,
        lesson="2",
    ),
)


def _lesson_app(spec: str) -> SmtpShellApp:
    """The lesson face over a fresh runner; progress goes to a throwaway file."""
    import tempfile

    from smtpshell.learn.catalog import find_lesson
    from smtpshell.learn.progress import ProgressStore
    from smtpshell.learn.runner import LessonRunner
    from smtpshell.tui.lesson import LessonApp

    ref = find_lesson(spec)
    progress = ProgressStore(Path(tempfile.mkdtemp(prefix="smtpshell-shots-")) / "progress.json")
    runner = LessonRunner(ref.load(), new_engine(timeout=10), key=ref.key, progress=progress)
    return LessonApp(runner, show_time=False)


async def render(scene: Scene, out: Path) -> Path:
    if scene.lesson is not None:
        app = _lesson_app(scene.lesson)
        engine = app.engine
    else:
        server = PracticeServer(tls_port=0, faults=scene.faults)
        server.start()
        engine = new_engine()
        engine.practice = server  # /connect without a target uses it (and its certificate)
        app = SmtpShellApp(engine=engine, connect=False)
    try:
        async with app.run_test(size=scene.size) as pilot:
            await scene.script(pilot, app)
            await pilot.pause()
            for widget in app.screen.query("Input"):
                widget.cursor_blink = False  # type: ignore[attr-defined]
            await pilot.pause()
            path = Path(app.save_screenshot(f"{scene.name}.svg", str(out)))
            path.write_text(close_gaps(path.read_text(encoding="utf-8")), encoding="utf-8")
    finally:
        lesson = getattr(app, "lesson", None)
        if lesson is not None:
            lesson.close()  # QUIT, the lesson's server, its socket
        engine.shutdown()
    return out / f"{scene.name}.svg"


_TEXT = re.compile(
    r'<text class="(?P<cls>[^"]*)" x="(?P<x>[\d.]+)" y="(?P<y>[\d.]+)" '
    r'textLength="(?P<len>[\d.]+)" clip-path="(?P<clip>[^"]*)">(?P<body>[^<]*)</text>'
)
_ENTITY = re.compile(r"&#?\w+;")


def _cells(body: str) -> int:
    return len(_ENTITY.sub("x", body))


def close_gaps(svg: str) -> str:
    """Make each screen line's text elements meet: Rich leaves the spaces between
    differently styled runs out (each run is placed by its x), so a viewer that lays text
    out by itself (no Fira Code, another font, text extraction, a screen reader) ran the
    words together: ``S:250-SIZE``.  The gap becomes no-break spaces in the run before it
    (with its textLength), and the root gets ``xml:space="preserve"``."""
    matches = list(_TEXT.finditer(svg))
    widths = [float(m["len"]) / _cells(m["body"]) for m in matches if _cells(m["body"])]
    if not widths:
        return svg
    cell = min(widths)
    out, last = [], 0
    for this, following in zip(matches, [*matches[1:], None], strict=True):
        body, length = this["body"], float(this["len"])
        if following is not None and following["clip"] == this["clip"]:
            gap = float(following["x"]) - (float(this["x"]) + length)
            spaces = round(gap / cell)
            if spaces > 0:
                body += "&#160;" * spaces
                length += spaces * cell
        out.append(svg[last : this.start()])
        out.append(
            f'<text class="{this["cls"]}" x="{this["x"]}" y="{this["y"]}" '
            f'textLength="{length:g}" clip-path="{this["clip"]}">{body}</text>'
        )
        last = this.end()
    out.append(svg[last:])
    text = "".join(out)
    if "xml:space" not in text[:300]:
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smtpshell.tui.screenshots")
    parser.add_argument("out", nargs="?", default="screenshots", help="directory for the SVGs")
    parser.add_argument("--only", action="append", help="render only this scene (repeatable)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        if args.only and scene.name not in args.only:
            continue
        path = asyncio.run(render(scene, out))
        print(f"{path}  ({scene.description})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
