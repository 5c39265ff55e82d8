"""Your own keys in the running app: a remapped pane key, help with ids, hints that follow the keymap."""

import asyncio
import time

from carcrm_tui.domain.policy import Policy
from carcrm_tui.keymap import parse_keymap
from carcrm_tui.services.session import fixed_clock, open_session
from carcrm_tui.store.models import FollowUp
from carcrm_tui.ui.app import CarCrmApp
from carcrm_tui.ui.screens.help import HelpScreen
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import NOW
from tests.tui.helpers import running, screen_text


async def until(pilot, check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.02)


def app_with(keymap: dict, language: str = "en") -> CarCrmApp:
    policy = Policy()
    clock = fixed_clock(NOW)
    return CarCrmApp(policy, session=open_session(None, policy, clock=clock), clock=clock, language=language,
                     keymap=parse_keymap(keymap))


async def test_a_remapped_pane_key_opens_the_pane_and_the_old_key_does_not(demo):
    app = app_with({"pane.board": "b"})
    async with running(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.panes_ready)
        await pilot.press("2", "p")  # p shows a sentence: by then 2 has been handled (keys go in order)
        await until(pilot, lambda: "Privacy mode" in screen_text(app))
        assert app.screen.pane == "today"
        await pilot.press("p")
        await pilot.press("b")
        await until(pilot, lambda: app.screen.pane == "board")
        assert " b Board " in screen_text(app).split("\n")[0]  # the top bar names the user's key
        await pilot.press("1")
        await until(pilot, lambda: app.screen.pane == "today")


async def test_help_shows_each_binding_id_and_the_keys_in_force(demo):
    app = app_with({"pane.board": "b", "form.save": "ctrl+w"}, language="zh")
    async with running(app, size=(100, 80)) as pilot:  # tall enough for every section at once
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen) and "pane.board" in screen_text(app))
        lines = screen_text(app).split("\n")
        board = next(line for line in lines if "pane.board" in line)
        assert board.split("│")[1].split()[:2] == ["b", "线索看板"]
        assert any("ctrl+w" in line and "form.save" in line for line in lines)
        for binding_id in ("pane.today", "contact.log", "switch_user", "lead.next_stage", "customer.merge"):
            assert any(binding_id in line for line in lines), binding_id
        assert any("[keymap]" in line for line in lines)


async def test_a_remapped_save_key_saves_and_the_form_says_so(demo):
    app = app_with({"form.save": "ctrl+w"})
    async with running(app, size=(80, 24)) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, LogContactScreen) and "ctrl+w save" in screen_text(app))
        assert "ctrl+s" not in screen_text(app)
        await pilot.press("1", *"Called back", "ctrl+s", "!")  # the old key no longer saves: "!" lands in the form
        await until(pilot, lambda: app.screen.query_one("#summary").value == "Called back!")
        assert isinstance(app.screen, LogContactScreen)
        await pilot.press("ctrl+w")
        await until(pilot, lambda: not isinstance(app.screen, LogContactScreen))
        assert FollowUp.get_by_id(row.followup_id).summary == "Called back!"


async def test_hints_on_panes_name_the_users_keys(demo):
    app = app_with({"customer.reveal": "w", "search": "ctrl+f"})
    async with running(app, size=(120, 30)) as pilot:
        await until(pilot, lambda: app.screen.panes_ready)
        await pilot.press("3")
        await until(pilot, lambda: app.screen.pane == "customer")
        assert "ctrl+f to search" in screen_text(app)  # no customer open yet
        await pilot.press("1", "enter")
        await until(pilot, lambda: app.screen.pane == "customer" and "show number" in screen_text(app))
        assert "(w: show number)" in screen_text(app)
        await pilot.press("w")  # the remapped key reveals the phone
        await until(pilot, lambda: "show number" not in screen_text(app))
