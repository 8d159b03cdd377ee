"""The command palette lists every shell command from the registry (the app adds its actions).

Choosing a command that needs arguments puts ``/name `` at the prompt to be completed;
one that needs none runs at once.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from smtpshell.shell.registry import PREFIX, CommandSpec

if TYPE_CHECKING:
    from smtpshell.tui.app import SmtpShellApp

__all__ = ["ShellCommands"]


def _needs_input(spec: CommandSpec) -> bool:
    return any(not arg.optional for arg in spec.args)


class ShellCommands(Provider):
    """Hits for ``/connect``, ``/ehlo`` ... with their one-line summaries."""

    @property
    def shell_app(self) -> SmtpShellApp:
        return self.app  # type: ignore[return-value]

    def _specs(self) -> list[CommandSpec]:
        return list(self.shell_app.engine.registry)

    def _choose(self, spec: CommandSpec) -> None:
        if _needs_input(spec):
            self.shell_app.action_prefill(f"{PREFIX}{spec.name} ")
        else:
            self.shell_app.action_run_line(f"{PREFIX}{spec.name}")

    async def discover(self) -> Hits:
        for spec in self._specs():
            yield DiscoveryHit(
                f"{PREFIX}{spec.name}", partial(self._choose, spec), help=spec.summary
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for spec in self._specs():
            for name in (spec.name, *spec.aliases):
                text = f"{PREFIX}{name}"
                score = max(matcher.match(text), matcher.match(spec.summary) * 0.5)
                if score > 0:
                    yield Hit(
                        score,
                        matcher.highlight(text),
                        partial(self._choose, spec),
                        help=spec.summary,
                    )
                    break
