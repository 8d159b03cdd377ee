"""Command history that never stores a secret, and the 0600 file it lives in.

Secrets are dropped before anything is written (or kept in memory for recall):

* a line typed while the server waits for an answer to a 334 challenge, or raw bytes that
  finish an AUTH line an earlier ``/raw --no-read`` began: not stored at all;
* ``AUTH <MECH> <initial-response>`` (typed, or sent with ``/raw``): the response becomes
  ``<redacted>``;
* a shell argument the registry marks ``secret`` (``/login USER PASSWORD``): dropped,
  unless it is a ``$VARIABLE`` reference, which names the secret without containing it;
* message lines typed in DATA or compose mode: not commands, not stored.

A stored ``<redacted>`` is never sent when the line is recalled: the engine asks for the
secret again (or refuses, in scripts).  :func:`shown_line` is the same filter for display:
secrets become ``<redacted>`` instead of being dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

from smtpshell.shell.registry import PREFIX, Registry, tokenize

__all__ = ["HistoryFile", "data_dir", "default_history_path", "history_entry", "shown_line"]

DATA_DIR_ENV = "SMTPSHELL_DATA_DIR"
REDACTED = "<redacted>"
#: How many entries the file keeps (older ones are dropped when it is loaded).
MAX_ENTRIES = 2000


def data_dir() -> Path:
    """``$SMTPSHELL_DATA_DIR``, else the platform's user data directory for smtpshell."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("smtpshell"))


def default_history_path() -> Path:
    return data_dir() / "history"


def _redact_auth(text: str) -> str | None:
    """``AUTH MECH payload`` -> ``AUTH MECH <redacted>``; None when the line is not AUTH."""
    parts = text.split(None, 2)
    if len(parts) == 3 and parts[0].upper() == "AUTH":
        return f"{parts[0]} {parts[1]} {REDACTED}"
    return None


def _without_secret_args(line: str, registry: Registry, placeholder: str | None = None) -> str:
    """``line`` with its secret arguments dropped, or replaced by ``placeholder``."""
    head, _, tail = line.partition(" ")
    spec = registry.get(head)
    if spec is None:
        return line
    if spec.name == "raw":
        start = len(tail) - len(tail.lstrip())
        tokens = tokenize(tail)
        while tokens and tokens[0][0].startswith("--"):
            start = tokens.pop(0)[2]
            start += len(tail[start:]) - len(tail[start:].lstrip())
        redacted = _redact_auth(tail[start:])
        return line if redacted is None else f"{head} {tail[:start]}{redacted}"
    secret_positions = {i for i, a in enumerate(spec.args) if a.secret}
    if not secret_positions:
        return line
    kept: list[str] = [head]
    position = 0
    tokens = tokenize(tail)
    i = 0
    while i < len(tokens):
        token, start, end = tokens[i]
        opt = spec.option(token) if token.startswith("--") else None
        if opt is not None:
            kept.append(tail[start:end])
            if opt.value is not None and i + 1 < len(tokens):
                kept.append(tail[tokens[i + 1][1] : tokens[i + 1][2]])
                i += 1
        else:
            if position not in secret_positions or token.startswith("$"):
                kept.append(tail[start:end])
            elif placeholder is not None:
                kept.append(placeholder)
            position += 1
        i += 1
    return " ".join(kept)


def history_entry(
    line: str,
    registry: Registry,
    *,
    secret_input: bool = False,
    collecting: bool = False,
) -> str | None:
    """What may be remembered of a typed line, or None when nothing may.

    ``secret_input``: the line answers a 334 challenge.  ``collecting``: the line is part of
    a message (DATA or compose mode).
    """
    text = line.strip()
    if not text or secret_input or collecting:
        return None
    if text.startswith(PREFIX):
        return _without_secret_args(text, registry)
    redacted = _redact_auth(text)
    return redacted if redacted is not None else text


def shown_line(line: str, registry: Registry, *, secret_input: bool = False) -> str:
    """What a face or an error message may show of a line that was run: secrets become
    ``<redacted>`` (``/login alice <redacted>``), message text stays as typed."""
    text = line.strip()
    if secret_input:
        return REDACTED if text and text != "*" else text
    if text.startswith(PREFIX):
        return _without_secret_args(text, registry, placeholder=REDACTED)
    redacted = _redact_auth(text)
    return line if redacted is None else redacted


class HistoryFile:
    """One entry per line, oldest first, file mode 0600 (directory 0700).

    Entries are filtered by the caller (:func:`history_entry`); this class only keeps the
    file private and bounded.  I/O errors are swallowed: losing history must never break
    a session.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_history_path()

    def load(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        entries = [line for line in text.splitlines() if line.strip()]
        return entries[-MAX_ENTRIES:]

    def append(self, entry: str) -> None:
        if not entry or "\n" in entry or "\r" in entry:
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, (entry + "\n").encode("utf-8", "replace"))
            finally:
                os.close(fd)
        except OSError:
            pass
