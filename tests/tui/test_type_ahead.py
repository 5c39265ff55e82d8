"""Keys typed faster than a form opens land in the form (a fast typist, or a burst over SSH)."""

import pytest
from textual import events

from carcrm_tui.store.models import FollowUp
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.widgets.today import TodayTable
from carcrm_tui.ui.screens.search import SearchScreen
from tests.tui.helpers import make_app, running, screen_text, wait_for


def burst(app, keys) -> None:
    """Keys as a terminal delivers a burst: all queued before the app handles the first."""
    for key in keys:
        char = key if len(key) == 1 else None
        event = events.Key({"/": "slash", " ": "space"}.get(key, key), char)
        event.set_sender(app)  # as the driver sends them
        app.post_message(event)


@pytest.mark.parametrize("keys, form, field, typed", [
    ("cCalled back", LogContactScreen, "#summary", "Called back"),  # the summary right after c
    ("/138", SearchScreen, "#query", "138"),  # the number right after /
])
async def test_keys_typed_right_after_the_form_key_land_in_its_field(demo, keys, form, field, typed):
    app = make_app()
    async with running(app) as pilot:
        burst(app, keys)
        await wait_for(pilot, lambda: isinstance(app.screen, form) and app.screen.query_one(field).value == typed,
                       what=f"{typed!r} in {form.__name__}'s {field}")


async def test_a_whole_call_typed_in_one_burst_saves_exactly_what_was_typed(demo):
    app = make_app()
    async with running(app) as pilot:
        table = app.screen.query_one(TodayTable)
        row = table.selected
        # ctrl+s is a priority key; the summary's keys are still on their way to the field.
        # p (privacy) last: once its notice shows, every key before it has been handled.
        burst(app, ["c", "1", *"No answer", "ctrl+s", "ctrl+s", "p"])  # 1: reached
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and "Privacy mode:" in screen_text(app),
                       what="the burst handled, down to its last key")
        assert FollowUp.get_by_id(row.followup_id).summary == "No answer"
        assert FollowUp.select().where(FollowUp.summary == "No answer").count() == 1  # saved once
        assert f"f{row.followup_id}" not in table.rows_by_key


async def test_keys_after_enter_do_not_end_up_in_the_saved_summary(demo):
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        burst(app, ["c", "1", *"hello", "enter", "j", "j"])  # Enter saves the call
        await wait_for(pilot, lambda: FollowUp.get_by_id(row.followup_id).done_at is not None, what="the call saved")
        assert FollowUp.get_by_id(row.followup_id).summary == "hello"


async def test_a_paste_right_after_c_lands_in_the_summary(demo):
    app = make_app()
    async with running(app) as pilot:
        burst(app, ["c"])
        app.post_message(events.Paste("客户说周六来店"))
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "客户说周六来店", what="the paste in the summary")


async def test_a_burst_while_the_terminal_was_unfocused_still_lands_in_the_form(demo):
    app = make_app()
    async with running(app) as pilot:
        app.post_message(events.AppBlur())  # the window lost focus; the first key brings it back
        await wait_for(pilot, lambda: not app.app_focus, what="the app unfocused")
        burst(app, ["c", *"ab"])
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "ab", what="'ab' in the summary")
