"""The command palette (ctrl+p), built from whatever the current screen offers.

Screens list their commands (panes, and actions on the record under the
cursor) through `palette_commands()`; titles are translated, so the palette
speaks the UI language.
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content


class ScreenCommands(Provider):
    """The current screen's commands, plus the customers the query finds (as the screen
    allows: the search behind it is the permission-filtered customer search)."""

    def _commands(self):
        get = getattr(self.screen, "palette_commands", None)
        return list(get()) if get else []

    def _customers(self, query: str):
        find = getattr(self.screen, "palette_customers", None)
        return find(query) if find and len(query.strip()) >= 2 else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)  # data, not markup

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(callback), text=title, help=help_text)
        for rank, (title, help_text, callback) in enumerate(await self._found(query)):
            # customers rank after commands that match, in the search's own order
            yield Hit(0.5 - rank / 1000, Content(title), partial(callback), text=title, help=help_text)

    async def _found(self, query: str):
        return await asyncio.to_thread(self._customers, query)  # database work off the event loop
