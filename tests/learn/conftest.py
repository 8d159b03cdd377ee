"""Fixtures for the lesson tests: a runner over a small lesson, closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from smtpshell.learn.lesson import parse_lesson
from smtpshell.learn.progress import ProgressStore
from smtpshell.learn.runner import LessonRunner
from smtpshell.wiring import new_engine

SMALL = """\
title: Small
server: --user alice:wonderland --reject-rcpt @busy\\.example$ --reject-code 450

## Greet
? EHLO client.example
EHLO client.example
expect 250
! Greeted.

## Envelope
? MAIL FROM:<a@example.com> then RCPT TO:<alice@localhost>
MAIL FROM:<a@example.com>
expect 250
RCPT TO:<alice@localhost>
expect 250

## Data
DATA
expect 354

## Text
? a line, then '.'
hello
.
expect 250

## Log in
? /auth PLAIN alice   (the password is asked, hidden)
/auth PLAIN alice wonderland
expect 235
expect authenticated alice

## Done
> The end.
"""


@pytest.fixture
def make_runner(tmp_path) -> Iterator[Callable[..., LessonRunner]]:
    """``make_runner(text=SMALL, **runner_args)``: a runner, started unless start=False."""
    runners: list[LessonRunner] = []

    def make(text: str = SMALL, *, start: bool = True, **kwargs) -> LessonRunner:
        kwargs.setdefault("progress", ProgressStore(tmp_path / "progress.json"))
        kwargs.setdefault("key", "small")
        runner = LessonRunner(parse_lesson(text, "small.lesson"), new_engine(timeout=10), **kwargs)
        runners.append(runner)
        if start:
            runner.start()
        return runner

    yield make
    for runner in runners:
        runner.close()
