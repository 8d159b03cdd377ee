"""What "no secret on disk" means in a test: the forms a password takes, and a scan for them."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

USER = "alice"
PASSWORD = "Wonder-Pass-42"


def b64(data: str) -> str:
    return base64.b64encode(data.encode()).decode()


def secret_forms(user: str = USER, password: str = PASSWORD) -> list[str]:
    """The password plain, base64 (an AUTH LOGIN answer) and inside PLAIN's ``\\0user\\0pass``.

    The base64 of a PLAIN response is checked whole and without padding, so a truncated
    copy is caught too."""
    plain = b64(f"\0{user}\0{password}")
    authzid = b64(f"{user}\0{user}\0{password}")
    return [password, b64(password), plain, plain.rstrip("="), authzid.rstrip("=")]


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def leaks(paths: Iterable[Path], forms: Iterable[str] | None = None) -> dict[str, list[str]]:
    """``{path: [forms found]}`` for every file holding a secret (bytes, any encoding)."""
    needles = list(forms if forms is not None else secret_forms())
    found: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        hits = [n for n in needles if n.encode() in data or n.encode("utf-16-le") in data]
        if hits:
            found[str(path)] = hits
    return found


def text_leaks(text: str, forms: Iterable[str] | None = None) -> list[str]:
    return [n for n in (forms if forms is not None else secret_forms()) if n in text]
