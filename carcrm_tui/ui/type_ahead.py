"""Type-ahead: keys typed faster than the app reacts still arrive, in order.

A consultant types `c` and the summary in one go, or a slow SSH link
delivers "c", the summary and Enter as one burst. Textual hands each key to
the focused widget's queue as soon as it arrives, so the summary's keys
would reach the list before `c` had opened the form (or a form before it
had focused its first field), and the keys after Enter would reach the
summary before Enter had saved it. This App mixin sends keys out one at a
time: the next goes only when the last has settled (it has passed through
every widget on its way up, twice, so whatever it set off there has run)
and the screen on top has focused a field.
"""

from __future__ import annotations

import time
from collections import deque

from textual import events

POLL = 0.01  # while keys wait: how often to look again
MAX_SETTLE = 0.5  # a key whose marker got lost (its widget went away) holds nothing up for longer
MAX_OPENING = 1.0  # a screen that never focuses a field gets the keys as they are


class TypeAhead:
    """Mixed into the App, ahead of textual.App."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key | events.Paste] = deque()
        self._settling = 0  # the marker of the key still on its way (0: none)
        self._settling_since = 0.0
        self._markers = 0
        self._opening_since: float | None = None
        self._gave_up_on: object | None = None  # a screen that never focused a field
        self._polling = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._held.append(event)
            await self._send()
            return
        await super().on_event(event)

    async def _send(self) -> None:
        """Send held keys while the last one has settled and the screen on top is ready."""
        now = time.monotonic()
        if self._settling and now - self._settling_since > MAX_SETTLE:
            self._settling = 0
        while self._held and not self._settling:
            if self._opening():
                if self._opening_since is None:
                    self._opening_since = now
                if now - self._opening_since < MAX_OPENING:
                    break
                self._gave_up_on = self.screen
            self._opening_since = None
            event = self._held.popleft()
            target = self.focused or self.screen
            await super().on_event(event)
            self._markers += 1
            self._settling, self._settling_since = self._markers, time.monotonic()
            self._walk(self._markers, [*target.ancestors_with_self], 0, 0, 2)
        if self._held and not self._polling:
            self._polling = True
            self.set_timer(POLL, self._poll)

    async def _poll(self) -> None:
        self._polling = False
        await self._send()

    def _walk(self, marker: int, chain: list, index: int, passes: int, rounds: int) -> None:
        """The marker goes up the way a bubbling key does, through each queue twice (a message
        the key posted to its own widget runs before the marker moves on), to the App. It
        does that twice: a binding the key reached at the App (Enter → submit) posts back
        down to the widget, and that must reach the form before the next key does."""
        if marker != self._settling:
            return
        while index < len(chain):
            if passes < 2 and chain[index].call_later(self._walk, marker, chain, index, passes + 1, rounds):
                return
            index, passes = index + 1, 0
        if rounds > 1:
            self._walk(marker, chain, 0, 0, rounds - 1)
            return
        self._settling = 0
        self.call_later(self._send)

    def _opening(self) -> bool:
        """The screen on top is still opening: not mounted yet, or its first field not focused yet."""
        if not self.screen_stack:
            return True
        if not self.app_focus:  # the terminal lost focus: Textual restores it on the next key
            return False
        screen = self.screen
        if screen.focused is not None or screen is self._gave_up_on:
            return False
        return not screen.is_mounted or bool(screen.focus_chain)
