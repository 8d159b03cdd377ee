"""Per-lesson progress in ``progress.json`` under the data directory, so a class can stop
at the bell and go on next week.

The file holds the index of the step to do next and whether the lesson was finished; it is
written atomically (temporary file + rename) and a damaged file is treated as empty rather
than stopping a lesson.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from smtpshell.shell.history import data_dir

__all__ = ["LessonProgress", "ProgressStore", "default_progress_path"]

_VERSION = 1


def default_progress_path() -> Path:
    return data_dir() / "progress.json"


@dataclass(frozen=True, slots=True)
class LessonProgress:
    step: int = 0  # the step to do next (== the number of steps once finished)
    steps: int = 0
    completed: bool = False  # finished at least once (restarting keeps this)
    updated: float = 0.0


class ProgressStore:
    """Read and write progress; every method re-reads the file, so two windows agree."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_progress_path()

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        lessons = data.get("lessons") if isinstance(data, dict) else None
        return lessons if isinstance(lessons, dict) else {}

    def _save(self, lessons: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": _VERSION, "lessons": lessons}, indent=2, sort_keys=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload + "\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> LessonProgress:
        entry = self._load().get(key)
        if not isinstance(entry, dict):
            return LessonProgress()
        try:
            return LessonProgress(
                step=max(0, int(entry.get("step", 0))),
                steps=max(0, int(entry.get("steps", 0))),
                completed=bool(entry.get("completed", False)),
                updated=float(entry.get("updated", 0.0)),
            )
        except (TypeError, ValueError):
            return LessonProgress()

    def all(self) -> dict[str, LessonProgress]:
        return {key: self.get(key) for key in self._load()}

    def record(self, key: str, step: int, steps: int) -> LessonProgress:
        """Remember that ``step`` is next; reaching ``steps`` marks the lesson completed."""
        lessons = self._load()
        previous = self.get(key)
        progress = LessonProgress(step, steps, previous.completed or step >= steps, time.time())
        lessons[key] = {
            "step": progress.step,
            "steps": progress.steps,
            "completed": progress.completed,
            "updated": progress.updated,
        }
        self._save(lessons)
        return progress

    def reset(self, key: str) -> None:
        """Start over at step 1 (the completed mark stays: it was earned)."""
        previous = self.get(key)
        self.record(key, 0, previous.steps)
