"""The screenshots' SVG: every screen line reads as one run of text, words apart."""

from __future__ import annotations

import html
from itertools import pairwise

from smtpshell.tui.app import SmtpShellApp
from smtpshell.tui.screenshots import _TEXT, close_gaps
from tests.tui.conftest import async_test


def lines_of(svg: str) -> dict[str, list]:
    lines: dict[str, list] = {}
    for match in _TEXT.finditer(svg):
        lines.setdefault(match["clip"], []).append(match)
    return lines


@async_test
async def test_close_gaps_joins_the_runs_of_every_line() -> None:
    app = SmtpShellApp(connect=False, show_time=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        raw = app.export_screenshot()
    before = lines_of(raw)
    gaps = sum(
        1
        for runs in before.values()
        for a, b in pairwise(runs)
        if float(b["x"]) - float(a["x"]) - float(a["len"]) > 1
    )
    assert gaps, "the raw export has gaps between runs (the bug this fixes)"
    fixed = close_gaps(raw)
    assert 'xml:space="preserve"' in fixed[:200]
    for runs in lines_of(fixed).values():
        for a, b in pairwise(runs):
            assert abs(float(b["x"]) - float(a["x"]) - float(a["len"])) < 0.5, (a[0], b[0])
    footer = max(lines_of(fixed).values(), key=lambda runs: float(runs[0]["y"]))
    text = html.unescape("".join(run["body"] for run in footer)).replace("\xa0", " ")
    assert "Quit f1" in text or "Quit  f1" in text, text
    assert close_gaps(fixed) == fixed  # idempotent
