"""The footer of key bindings, rebuilt only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable

from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """Textual's ``Footer``, minus the rebuilds that would show the same keys again.

    Textual rebuilds the footer (removes and mounts every key, then lays out the whole
    screen) once per "bindings changed" signal, and the app's start-up sends three in a
    row: the focus is set, the screen resumes, a deferred refresh.  The three rebuilds
    ran in the first 300 ms of a session, and each stalled a keystroke typed meanwhile
    (issue 15: the worst keys of a flood were the third and fourth).  A rebuild that
    would show exactly the keys already shown is skipped; any change (focus moves to
    the log, a key is disabled, the keymap changes) still rebuilds it.
    """

    _shown: Hashable = None

    def _keys(self) -> Hashable:
        """Everything ``Footer.compose`` reads, as a value (None: nothing to show yet).
        Every active binding counts, shown or not: more than the footer shows, so a
        change it would show is never missed."""
        if not self._bindings_ready:
            return None
        app = self.app
        return (
            self.compact,
            self.show_command_palette,
            self.combine_groups,
            app.ENABLE_COMMAND_PALETTE,
            tuple(
                (
                    key,
                    binding.key,
                    binding.show,
                    app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    binding.group,
                    enabled,
                    tooltip,
                )
                for key, (_node, binding, enabled, tooltip) in (self.screen.active_bindings.items())
            ),
        )

    async def recompose(self) -> None:
        keys = self._keys()
        if keys is not None and keys == self._shown and self.children:
            return
        self._shown = keys
        await super().recompose()
