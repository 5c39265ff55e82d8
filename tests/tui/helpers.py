"""Running the real app against a real database with a fixed clock."""

from __future__ import annotations

from contextlib import asynccontextmanager

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services.session import Session, fixed_clock, open_session
from carcrm_tui.ui.app import CarCrmApp
from tests.conftest import NOW


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


async def wait_for(pilot, predicate, *, timeout: float = 10.0, what: str = ""):
    """Let the app run until `predicate()` holds; fail with what the screen shows if it never does."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # a widget not mounted yet, a screen still opening
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what or predicate}; the screen shows:\n"
                                 f"{screen_text(pilot.app)}")
        await pilot.pause()
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(app: CarCrmApp, size=(80, 24)):
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield pilot


__all__ = ["make_app", "screen_text", "running", "visible_keys", "Session"]
