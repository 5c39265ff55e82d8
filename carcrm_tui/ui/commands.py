"""The command palette (ctrl+p), built from whatever the current screen offers.

Screens list their commands (panes, and actions on the record under the
cursor) through `palette_commands()`; titles are translated, so the palette
speaks the UI language.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content


class ScreenCommands(Provider):
    def _commands(self):
        get = getattr(self.screen, "palette_commands", None)
        return list(get()) if get else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)  # data, not markup

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(callback), text=title, help=help_text)
