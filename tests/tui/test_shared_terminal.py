"""Shared showroom terminals: sign-in, switching user, idle lock, privacy, reveal, live refresh."""

import time

import pytest

from carcrm_tui.demo.build import load_data
from carcrm_tui.services import contacts
from carcrm_tui.services.views import ContactInput
from carcrm_tui.store.models import AuditLog, Customer
from carcrm_tui.ui.screens.lock import LockScreen
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.screens.sign_in import SignInScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import session_for
from tests.tui.helpers import (
    make_app, polls_counter, running, screen_text, search_done, signed_out_app, wait_for, wait_for_text,
)

PINS = {a["name"]: a["pin"] for a in load_data()["accounts"]}


async def test_sign_in_by_typing_a_name_and_pin(demo):
    app = signed_out_app()
    async with running(app) as pilot:
        assert isinstance(app.screen, SignInScreen)
        text = await wait_for_text(pilot, "Sign in")
        assert "Urgent" not in text  # nothing of anyone's work before sign-in
        await pilot.press(*"李", "enter")
        await pilot.press(*"0000", "enter")
        await wait_for_text(pilot, "4 tries left")
        await pilot.press(*PINS["李娜"], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.session.actor.name == "李娜",
                       what="李娜 signed in")
        assert AuditLog.select().where(AuditLog.action == "sign_in").count() == 1


async def test_a_name_is_found_by_its_pinyin_and_a_name_nobody_has_is_said(demo):
    app = signed_out_app()
    async with running(app) as pilot:
        await wait_for_text(pilot, "Sign in")
        await pilot.press(*"xyz", "enter")
        await wait_for_text(pilot, "No account matches")
        assert isinstance(app.screen, SignInScreen)
        for _ in range(3):
            await pilot.press("backspace")
        await pilot.press(*"lina", "enter")  # 李娜 by her pinyin
        await wait_for_text(pilot, "李娜: enter your PIN")
        await pilot.press(*PINS["李娜"], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.session.actor.name == "李娜",
                       what="李娜 signed in")


async def test_five_wrong_pins_lock_the_account(demo):
    app = signed_out_app(user="张伟")
    async with running(app) as pilot:
        for _ in range(5):
            await pilot.press(*"0000", "enter")
        await wait_for_text(pilot, "locked until")
        # the right PIN, then a digit: once the digit is in the emptied PIN field, the PIN was tried
        await pilot.press(*PINS["张伟"], "enter", "9")
        await wait_for(pilot, lambda: not isinstance(app.screen, SignInScreen) or app.screen.query_one("#pin").value == "9",
                       what="the right PIN tried, and the next key typed")
        assert isinstance(app.screen, SignInScreen)  # even the right PIN waits out the lock
        assert "locked until" in screen_text(app)


async def test_switching_user_leaves_nothing_of_the_last_persons_screen(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        await pilot.press("enter", "c", *"half a note")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "half a note", what="half a note typed")
        await pilot.press("ctrl+o")  # typing not yet saved: asked first, esc goes back to it
        await wait_for_text(pilot, "not yet saved")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "half a note", what="back to the form, kept")
        await pilot.press("ctrl+o")
        await wait_for_text(pilot, "not yet saved")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen) and "Sign in" in screen_text(app),
                       what="the sign-in screen")
        assert app.session is None
        assert not any(isinstance(s, (MainScreen, LogContactScreen)) for s in app.screen_stack)
        assert name not in screen_text(app)
        await pilot.press(*"张伟", "enter", *PINS["张伟"], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.session.actor.name == "张伟",
                       what="张伟 signed in")
        assert app.screen.pane == "today"


async def test_idle_lock_hides_everything_and_resumes_the_half_filled_form(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        await pilot.press("c", *"customer asked about fin")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "customer asked about fin",
                       what="the summary typed into the form")
        app.last_activity = time.monotonic() - 6 * 60  # policy: lock after 5 idle minutes
        app.lock_if_idle()
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen) and "李娜" in screen_text(app),
                       what="the lock screen")
        text = screen_text(app)
        assert name not in text and "customer asked" not in text and "李娜" in text
        await pilot.press(*"9999", "enter")
        await wait_for_text(pilot, "tries left")
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PINS["李娜"], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the form back after the PIN")
        assert app.screen.query_one("#summary").value == "customer asked about fin"


async def test_another_person_at_the_lock_screen_switches_user(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), what="the lock screen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), what="the sign-in screen")
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)


async def test_privacy_mode_shows_initials_on_lists(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        full = row.customer_name
        await pilot.press("p")
        text = await wait_for_text(pilot, "Privacy mode: names shown as initials.", f"{full[0]}*")
        assert full not in text.split("\n", 3)[3]
        await pilot.press("p")
        await wait_for_text(pilot, "Privacy mode off.", full)


async def test_phone_is_masked_until_revealed_and_the_reveal_is_audited(demo, monkeypatch):
    # live refresh held off: what it does to a revealed record is the next test's (today failing) question
    monkeypatch.setattr(MainScreen, "poll_changes", lambda self: None)
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.detail is not None,
                       what="the customer screen")
        customer = Customer.get_by_id(app.screen.customer_id)
        digits = customer.phone_digits
        masked = f"{digits[:3]}****{digits[-4:]}"
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        text = await wait_for_text(pilot, masked)
        assert full not in text and digits not in text
        await pilot.press("v")
        await wait_for_text(pilot, full)
        assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.customer_id == customer.id)).count() == 1


async def test_a_revealed_phone_stays_revealed_through_live_refresh(demo, monkeypatch):
    polls = polls_counter(monkeypatch)
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.detail is not None,
                       what="the customer screen")
        digits = Customer.get_by_id(app.screen.customer_id).phone_digits
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        await pilot.press("v")
        await wait_for_text(pilot, full)
        seen = polls()
        await wait_for(pilot, lambda: polls() > seen, what="a live-refresh poll after the reveal")
        assert app.screen.detail.phones_revealed and full in screen_text(app)


async def test_managers_see_the_customers_history_consultants_do_not(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 60)) as pilot:
        customer_id = app.screen.query_one(TodayTable).selected.customer_id
        await pilot.press("c", "1", *"called", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and "logged" in screen_text(app),
                       what="the call logged")
        app.screen.open_customer(customer_id)
        view = app.screen.query_one("#customer-view")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == customer_id
                       and "called" in screen_text(app), what="the customer with the call just logged")
        view.scroll_end(animate=False)
        await wait_for(pilot, lambda: view.scroll_y == view.max_scroll_y, what="the record scrolled to its end")
        assert "History (" not in screen_text(app)
    manager = make_app("王建国")
    async with running(manager, size=(120, 60)) as pilot:
        manager.screen.open_customer(customer_id)
        await wait_for(pilot, lambda: manager.screen.pane == "customer" and manager.screen.detail is not None,
                       what="the customer screen")
        manager.screen.query_one("#customer-view").scroll_end(animate=False)  # below the timeline
        await wait_for_text(pilot, "History (", "李娜 logged a contact")


async def test_a_commit_elsewhere_refreshes_the_pane_and_keeps_the_cursor(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        first = table.selected
        await pilot.press("down")
        second = await wait_for(pilot, lambda: table.selected.followup_id != first.followup_id and table.selected,
                                what="the cursor on the second row")
        # another terminal logs a contact on the first row
        contacts.log_contact(session_for("李娜"), first.lead_id, ContactInput(summary="from terminal 2"))
        await wait_for(pilot, lambda: f"f{first.followup_id}" not in table.rows_by_key,
                       what="the live refresh dropping the row logged elsewhere")
        assert table.selected.followup_id == second.followup_id


async def test_open_forms_are_left_alone_by_live_refresh(demo, monkeypatch):
    polls = polls_counter(monkeypatch)
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        first = table.selected
        await pilot.press("c", *"typing")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "typing", what="the form with its summary")
        contacts.log_contact(session_for("李娜"), first.lead_id, ContactInput(summary="elsewhere"))
        seen = polls()
        await wait_for(pilot, lambda: polls() > seen, what="a live-refresh poll after the commit elsewhere")
        assert isinstance(app.screen, LogContactScreen) and app.screen.query_one("#summary").value == "typing"
        assert f"f{first.followup_id}" in table.rows_by_key  # the pane under the form was not redrawn


async def test_another_consultants_customer_cannot_be_opened_by_id_search_or_palette(demo):
    app = make_app("李娜")
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).first()
    async with running(app, size=(120, 40)) as pilot:
        app.screen.open_customer(theirs.id)
        text = await wait_for_text(pilot, "not yours")
        assert theirs.name not in text
        await pilot.press("slash", *theirs.name)
        await wait_for(pilot, lambda: search_done(app, theirs.name), what="the search for their name")
        assert "0 found" in screen_text(app) or theirs.name not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the search closed")
        titles = " ".join(title for title, _h, _c in app.screen.palette_commands())
        assert theirs.name not in titles
