"""Building shell lines from dialog fields, quoted the way the engine's tokenizer reads them."""

from __future__ import annotations

__all__ = ["quote"]


def quote(value: str) -> str:
    """One token for ``smtpshell.shell`` lines: bare, '...' or "..." (no escapes exist)."""
    if value and not any(ch.isspace() or ch in "'\"" for ch in value):
        return value
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise ValueError("a value cannot contain both kinds of quote")
