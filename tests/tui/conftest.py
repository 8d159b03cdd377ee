"""Fixtures for the TUI: an app wired to its own practice server, and a way to wait.

Waiting is bounded polling with ``pilot.pause()`` (never ``sleep``): the engine runs on a
thread worker, so a test waits until the runner is idle and the transcript queue drained.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from smtpshell.server import Faults, PracticeServer
from smtpshell.shell import Engine
from smtpshell.tui.app import SmtpShellApp
from smtpshell.wiring import new_engine

AppFactory = Callable[..., SmtpShellApp]


def async_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an ``async def`` test in a fresh event loop (no async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


async def settle(pilot: Pilot, app: SmtpShellApp, *, timeout: float = 10.0) -> None:
    """Wait (bounded) until no job runs or waits and every event reached the log."""
    step = 0.02
    for _ in range(int(timeout / step)):
        await pilot.pause(step)
        if not app.runner.busy and not app.runner._events and not app.runner.current_job:
            await pilot.pause()
            app.flush_events()
            return
    raise AssertionError(f"the app was still busy after {timeout} s")


async def wait_for(
    pilot: Pilot, condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    step = 0.02
    for _ in range(int(timeout / step)):
        if condition():
            return
        await pilot.pause(step)
    raise AssertionError(f"timed out waiting for {what or condition}")


async def run(pilot: Pilot, app: SmtpShellApp, line: str) -> None:
    """Run a line as typed and wait for it."""
    app.submit_typed(line)
    await settle(pilot, app)


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    """``make_app(faults=..., **app_kwargs)``: an app whose ``/connect`` (no target) reaches
    its own practice server (so TLS verifies against that server's certificate)."""
    engines: list[Engine] = []

    def factory(*, faults: Faults | None = None, **kwargs: object) -> SmtpShellApp:
        server = PracticeServer(tls_port=0, faults=faults)
        server.start()
        engine = new_engine()
        engine.practice = server
        engines.append(engine)
        kwargs.setdefault("connect", False)
        return SmtpShellApp(engine=engine, **kwargs)  # type: ignore[arg-type]

    yield factory
    for engine in engines:
        engine.shutdown()


Settle = Callable[[Pilot, SmtpShellApp], Awaitable[None]]
