"""Running the real app against a real database with a fixed clock, and waiting on it.

Tests wait for conditions, not for time: after a key, `wait_for` gives the app
turns until what the key should do has happened (with a timeout), so a busy
machine makes a test slower, never wrong. A bare `await pilot.pause()` before an
assert is a race (keys are held by type-ahead, scrolling happens after a
refresh, workers report back later, a live-refresh tick can land in between);
tests/tui/test_waiting.py keeps it out of the suite.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import Callable, TypeVar

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services.session import Session, fixed_clock, open_session
from carcrm_tui.ui.app import CarCrmApp
from tests.conftest import NOW

T = TypeVar("T")

TIMEOUT = 10.0  # seconds; generous: only a broken app ever waits this long
POLL = 0.02  # between looks; each look first lets every widget on screen drain its queue


def make_app(user: str | None = None, language: str = "en", at=NOW, policy: Policy | None = None) -> CarCrmApp:
    """The app already signed in as `user` (default: the consultant with the most work)."""
    policy = policy or Policy()
    session = open_session(user, policy, clock=fixed_clock(at))
    return CarCrmApp(policy, session=session, clock=fixed_clock(at), language=language)


def signed_out_app(language: str = "en", at=NOW, policy: Policy | None = None, user: str | None = None) -> CarCrmApp:
    return CarCrmApp(policy or Policy(), clock=fixed_clock(at), language=language, user=user)


def screen_text(app) -> str:
    """What the terminal shows, as plain text (all screens, modals included)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


def visible_keys(table) -> list[str]:
    """Keys of a line list's lines on screen (line 0 is the column titles)."""
    top = round(table.scroll_y)
    return [line.key for line in table.lines[top:top + table.scrollable_content_region.height - 1]]


async def wait_for(pilot, predicate: Callable[[], T], *, timeout: float = TIMEOUT, what: str = "") -> T:
    """Give the app turns until `predicate()` is truthy; return its value.

    An exception inside the predicate (an assert, a query for a widget not
    mounted yet, None.attribute) counts as "not yet". On timeout the test fails
    with `what`, the last such exception and the screen as it is. Waiting stops
    at once if the app has crashed (the crash is what the test then reports).
    """
    __tracebackhide__ = True  # a timeout points at the test's line, not at this loop
    app = pilot.app
    deadline = time.monotonic() + timeout
    error: BaseException | None = None
    while True:
        try:
            result = predicate()
        except Exception as e:  # noqa: BLE001 - "not yet"; reported on timeout
            result, error = None, e
        else:
            if result:
                return result
        crashed = getattr(app, "_exception", None)
        if crashed is not None:
            raise AssertionError(f"the app crashed while waiting for {what or 'a condition'}") from crashed
        if time.monotonic() >= deadline:
            break
        await pilot.pause(POLL)
    lines = [f"waited {timeout:g}s for {what or getattr(predicate, '__name__', 'a condition')}; it never held"]
    if error is not None:
        lines.append(f"last check raised {type(error).__name__}: {error}")
    try:
        lines += [f"screen on top: {type(app.screen).__name__}", "screen text:", screen_text(app)]
    except Exception as e:  # noqa: BLE001 - no screen to show
        lines.append(f"(no screen text: {e})")
    raise AssertionError("\n".join(lines))


async def wait_for_text(pilot, *texts: str, timeout: float = TIMEOUT) -> str:
    """Wait until the screen shows every one of `texts`; return the screen text then."""
    __tracebackhide__ = True
    shown = ""

    def showing() -> bool:
        nonlocal shown
        shown = screen_text(pilot.app)
        return all(text in shown for text in texts)

    await wait_for(pilot, showing, timeout=timeout, what=" and ".join(repr(t) for t in texts) + " on screen")
    return shown


def polls_counter(monkeypatch) -> Callable[[], int]:
    """How many live-refresh polls the main screen has finished (install before the app runs).

    To prove a live-refresh tick came and went, e.g. that it left an open form
    alone: read the count after the change, then wait until it has grown.
    """
    from carcrm_tui.ui.screens.main import MainScreen

    done = [0]
    poll = MainScreen.poll_changes

    def counted(self) -> None:
        try:
            poll(self)
        finally:
            done[0] += 1

    monkeypatch.setattr(MainScreen, "poll_changes", counted)
    return lambda: done[0]


def first_screen_ready(app) -> bool:
    """The first screen (sign-in or main) is mounted, has focused its field or list, and shows."""
    if len(app.screen_stack) < 2:  # only Textual's default screen so far
        return False
    screen = app.screen
    return screen.is_mounted and screen.focused is not None and bool(screen_text(app).strip())


@asynccontextmanager
async def running(app: CarCrmApp, size=(80, 24)):
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: first_screen_ready(app), what="the first screen")
        yield pilot


# ---- predicates for wait_for: states that prove the app has caught up ----------

def workers_idle(app, group: str | None = None) -> bool:
    """No worker (of `group`) is pending or running."""
    return not any(not w.is_finished for w in app.workers if group is None or w.group == group)


def search_done(app, query: str) -> bool:
    """The search form holds `query` whole and has shown the hits for it."""
    from textual.widgets import Input

    from carcrm_tui.i18n import t
    from carcrm_tui.ui.screens.search import SearchScreen

    screen = app.screen
    return (isinstance(screen, SearchScreen) and screen.query_one("#query", Input).value == query
            and workers_idle(app, "search") and t("search.count", n="").strip() in screen_text(app))


def palette_offers(app, words: str) -> bool:
    """The command palette is open and its highlighted command (the one Enter runs) says `words`."""
    from textual.command import CommandList, CommandPalette

    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return False
    commands = screen.query_one(CommandList)
    if commands.highlighted is None:  # Enter would only highlight
        return False
    return words in (commands.get_option_at_index(commands.highlighted).hit.text or "")


__all__ = ["make_app", "screen_text", "running", "visible_keys", "wait_for", "wait_for_text", "polls_counter",
           "workers_idle", "search_done", "palette_offers", "first_screen_ready", "Session"]
