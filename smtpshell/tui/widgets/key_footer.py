"""The footer of key bindings, built with the screen and rebuilt only when its keys change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """Textual's ``Footer``, minus the rebuilds that would show the same keys again.

    Textual's footer starts empty and rebuilds itself (removes and mounts every key,
    then lays out the whole screen) once per "bindings changed" signal; the app's
    start-up sends three in a row (the focus is set, the screen resumes, a deferred
    refresh).  Those rebuilds ran in the first 300 ms of a session and stalled any
    keystroke typed meanwhile (issue 15: with a flood of events from the start, they
    were the worst keystrokes).  This footer shows its keys from the first frame and
    skips a rebuild that would show exactly the keys already shown; any change (the
    focus moves to the log, a key is disabled, the keymap changes) still rebuilds it.
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._shown: Hashable = None
        # The keys are shown from the start, not after the first signal (Footer waits
        # for one before it shows anything).  A private reactive of Textual's: a Textual
        # without it gets the plain footer's behaviour, not an error.
        ready = getattr(Footer, "_bindings_ready", None)
        if ready is not None:
            self.set_reactive(ready, True)

    def _keys(self) -> Hashable:
        """Everything ``Footer.compose`` reads to build the keys, as one value."""
        app = self.app
        active = self.screen.active_bindings

        def key(binding: Binding, enabled: bool, tooltip: str) -> Hashable:
            return (
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                binding.group,
                binding.tooltip,
                enabled,
                tooltip,
            )

        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            palette = found and key(*found[1:])
        return (
            self.compact,
            tuple(key(b, enabled, tip) for _node, b, enabled, tip in active.values() if b.show),
            palette,
        )

    def _keys_or_none(self) -> Hashable:
        """``_keys()``, or None (never equal: rebuild) if Textual no longer has what it reads."""
        try:
            return self._keys()
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

    def compose(self) -> ComposeResult:
        self._shown = self._keys_or_none()
        yield from super().compose()

    async def recompose(self) -> None:
        if self.is_attached and self.children:
            keys = self._keys_or_none()
            if keys is not None and keys == self._shown:
                return
        await super().recompose()
