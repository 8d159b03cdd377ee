"""Section 6: the TUI log pane ingesting many transcript events while a person types.

Until ``smtpshell/tui/`` exists this reports "TUI not available yet".  When it does, the
measurement runs in a fresh process (``python -m bench.tui_ingest N``) against the
following contract: the Textual ``App`` in ``smtpshell.tui.app`` can be built with
``connect=False`` (or no arguments), exposes the transcript its log pane follows as
``app.engine.transcript`` (or ``app.transcript``), and its log pane as ``app.log_pane`` with
``row_count`` and ``dropped``.  Events are emitted from a thread, as the engine's worker
thread does, while the pilot presses a key every 20 ms; each press's round trip (until the
app has handled it) is the input latency.  Done means every event has reached the pane.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import resource
import sys
import threading
import time

from bench.services import ROOT

STALL = 0.1  # seconds: a keystroke that takes longer to land is a visible stall


def available() -> bool:
    return (ROOT / "smtpshell" / "tui" / "__init__.py").exists()


def _find_transcript(app: object) -> object | None:
    for path in ("engine.transcript", "transcript", "session.transcript"):
        target: object | None = app
        for part in path.split("."):
            target = getattr(target, part, None)
        if target is not None and hasattr(target, "emit"):
            return target
    return None


async def _measure(count: int) -> dict:
    import importlib

    from textual import events
    from textual.app import App

    from smtpshell.transcript import Event, EventKind

    module = importlib.import_module("smtpshell.tui.app")
    apps = [
        c
        for c in vars(module).values()
        if inspect.isclass(c) and issubclass(c, App) and c is not App
    ]
    if not apps:
        return {"error": "no Textual App class in smtpshell.tui.app"}
    cls = apps[0]
    takes_connect = "connect" in inspect.signature(cls).parameters
    app = cls(connect=False) if takes_connect else cls()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    async with app.run_test(size=(120, 40)) as pilot:
        transcript = _find_transcript(app)
        if transcript is None:
            return {"error": "the app exposes no transcript (app.transcript) to feed"}
        done = threading.Event()

        def produce() -> None:
            for index in range(count):
                kind = EventKind.SENT if index % 2 else EventKind.RECEIVED
                data = b"RCPT TO:<user%d@example.com>\r\n" % index if index % 2 else b"250 ok\r\n"
                transcript.emit(Event(kind, data))  # type: ignore[attr-defined]
            done.set()

        latencies = []
        start = time.perf_counter()
        thread = threading.Thread(target=produce, daemon=True)
        thread.start()
        typed = app.focused  # the prompt: a keystroke has landed when its value grows
        pane = getattr(app, "log_pane", None)

        def ingesting() -> bool:
            if not done.is_set():
                return True
            return pane is not None and pane.row_count + pane.dropped < count

        give_up = time.perf_counter() + 60
        while ingesting() and time.perf_counter() < give_up:
            before = len(getattr(typed, "value", ""))
            pressed = time.perf_counter()
            # Not ``await pilot.press``: that also waits for the whole app to go idle,
            # which measures the flood, not the keystroke.
            app.post_message(events.Key("a", "a"))
            while len(getattr(typed, "value", "")) == before:
                if time.perf_counter() - pressed > 10:
                    break
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - pressed)
            await asyncio.sleep(0.02)
        deadline = time.perf_counter() + 60
        while pane is not None and time.perf_counter() < deadline:
            if pane.row_count + pane.dropped >= count:
                break
            await pilot.pause(0.01)
        else:
            await pilot.pause()
        seconds = time.perf_counter() - start
        ingested = pane.row_count + pane.dropped if pane is not None else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "events": count,
        "seconds": seconds,
        "peak_rss": peak,
        "delta_rss": peak - baseline,
        "max_input_latency": max(latencies, default=0.0),
        "keystrokes": len(latencies),
        "ingested": ingested,
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    try:
        result = asyncio.run(_measure(count))
    except Exception as exc:  # report, never crash the whole benchmark run
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
