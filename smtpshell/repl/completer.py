"""prompt_toolkit wrapper around the engine's pure completion."""

from __future__ import annotations

from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from smtpshell.shell.engine import Engine

__all__ = ["ShellCompleter"]


class ShellCompleter(Completer):
    """Offers what ``Engine.complete`` offers for the text before the cursor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        if self.engine.busy:
            return
        for candidate in self.engine.complete(document.text_before_cursor):
            yield Completion(
                candidate.text,
                start_position=candidate.start,
                display=candidate.label,
                display_meta=candidate.meta,
            )
