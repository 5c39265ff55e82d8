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
import weakref
from collections import deque

from textual import events

POLL = 0.01  # while keys wait: how often to look again
MAX_SETTLE = 5.0  # a safety net: a marker that has not moved for this long no longer holds keys up
MAX_OPENING = 1.0  # a screen that never focuses a field gets the keys as they are
WALK_AFTER = 0.02  # after a key, the marker waits this long (or for the next key) before setting off


class TypeAhead:
    """Mixed into the App, ahead of textual.App."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: deque[events.Key | events.Paste] = deque()
        self._settling = 0  # the marker of the key still on its way (0: none)
        self._settling_since = 0.0
        self._markers = 0
        self._waiting_for: tuple[weakref.ref, float] | None = None  # the screen opening, since when
        self._gave_up_on: weakref.ref | None = None  # a screen that never focused a field
        self._polling = False
        self._unwalked: tuple[int, list] | None = None  # the last key's marker, set off when a key waits

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._held.append(event)
            await self._send()
            return
        await super().on_event(event)

    async def _send(self) -> None:
        """Send held keys while the last one has settled and the screen on top is ready."""
        now = time.monotonic()
        if self._held:
            self._set_off()  # a key waits: the last one's marker goes now
        if self._settling and now - self._settling_since > MAX_SETTLE:
            self._settling = 0
        while self._held and not self._settling:
            if isinstance(self._held[0], events.Key) and not self.app_focus:
                self.app_focus = True  # as Textual does on a key; it puts focus back where it was
            if self._not_ready():
                if not self.screen_stack:  # keys typed before the first screen: wait for it
                    break
                screen = self.screen
                if self._waiting_for is None or self._waiting_for[0]() is not screen:
                    self._waiting_for = (weakref.ref(screen), now)
                if now - self._waiting_for[1] < MAX_OPENING:
                    break
                self._gave_up_on = weakref.ref(screen)
            self._waiting_for = None
            event = self._held.popleft()
            target = self.focused or self.screen
            await super().on_event(event)
            self._markers += 1
            self._settling, self._settling_since = self._markers, time.monotonic()
            # the marker sets off a moment later (or when the next key comes, if sooner): its walk
            # costs the event loop a few milliseconds that the key's own repaint should not wait for
            self._unwalked = (self._markers, [*target.ancestors_with_self])
            self.set_timer(WALK_AFTER, self._set_off)
        if self._held and not self._polling:
            self._polling = True
            self.set_timer(POLL, self._poll)

    def _set_off(self) -> None:
        """Start the last key's marker on its walk, if it has not started yet."""
        if self._unwalked is not None:
            marker, chain = self._unwalked
            self._unwalked = None
            if marker == self._settling:
                self._settling_since = time.monotonic()
                self._walk(marker, chain, 0, 0, 2)

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
        self._settling_since = time.monotonic()  # it moves: the key is still being worked on
        while index < len(chain):
            if passes < 2 and chain[index].call_later(self._walk, marker, chain, index, passes + 1, rounds):
                return
            index, passes = index + 1, 0
        if rounds > 1:
            self._walk(marker, chain, 0, 0, rounds - 1)
            return
        self._settling = 0
        self.call_later(self._send)

    def _not_ready(self) -> bool:
        """The screen on top is still opening: not mounted yet, or its first field not focused yet."""
        if not self.screen_stack:
            return True
        screen = self.screen
        if screen.focused is not None or (self._gave_up_on is not None and self._gave_up_on() is screen):
            return False
        return not screen.is_mounted or bool(screen.focus_chain)
