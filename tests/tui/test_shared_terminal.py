"""Shared showroom terminals: sign-in, switching user, idle lock, privacy, reveal, live refresh."""

import time

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
from tests.tui.helpers import make_app, running, screen_text, signed_out_app

PINS = {a["name"]: a["pin"] for a in load_data()["accounts"]}


async def test_sign_in_by_typing_a_name_and_pin(demo):
    app = signed_out_app()
    async with running(app) as pilot:
        assert isinstance(app.screen, SignInScreen)
        assert "Overdue" not in screen_text(app)  # nothing of anyone's work before sign-in
        await pilot.press(*"李", "enter")
        await pilot.press(*"0000", "enter")
        await pilot.pause()
        assert "4 tries left" in screen_text(app)
        await pilot.press(*PINS["李娜"], "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.session.actor.name == "李娜"
        assert AuditLog.select().where(AuditLog.action == "sign_in").count() == 1


async def test_five_wrong_pins_lock_the_account(demo):
    app = signed_out_app(user="张伟")
    async with running(app) as pilot:
        for _ in range(5):
            await pilot.press(*"0000", "enter")
        await pilot.pause()
        assert "locked until" in screen_text(app)
        await pilot.press(*PINS["张伟"], "enter")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)  # even the right PIN waits out the lock


async def test_switching_user_leaves_nothing_of_the_last_persons_screen(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        await pilot.press("enter", "c", *"half a note")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen) and app.session is None
        assert not any(isinstance(s, (MainScreen, LogContactScreen)) for s in app.screen_stack)
        assert name not in screen_text(app)
        await pilot.press(*"张伟", "enter", *PINS["张伟"], "enter")
        await pilot.pause()
        assert app.session.actor.name == "张伟" and app.screen.pane == "today"


async def test_idle_lock_hides_everything_and_resumes_the_half_filled_form(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        await pilot.press("c", *"customer asked about fin")
        app.last_activity = time.monotonic() - 6 * 60  # policy: lock after 5 idle minutes
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        text = screen_text(app)
        assert name not in text and "customer asked" not in text and "李娜" in text
        await pilot.press(*"9999", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen) and "tries left" in screen_text(app)
        await pilot.press(*PINS["李娜"], "enter")
        await pilot.pause()
        assert isinstance(app.screen, LogContactScreen)
        assert app.screen.query_one("#summary").value == "customer asked about fin"


async def test_another_person_at_the_lock_screen_switches_user(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)


async def test_privacy_mode_shows_initials_on_lists(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        full = row.customer_name
        await pilot.press("p")
        await pilot.pause()
        text = screen_text(app)
        assert f"{full[0]}*" in text and full not in text.split("\n", 3)[3]
        await pilot.press("p")
        await pilot.pause()
        assert full in screen_text(app)


async def test_phone_is_masked_until_revealed_and_the_reveal_is_audited(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        customer = Customer.get_by_id(app.screen.customer_id)
        digits = customer.phone_digits
        masked = f"{digits[:3]}****{digits[-4:]}"
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        text = screen_text(app)
        assert masked in text and full not in text and digits not in text
        await pilot.press("v")
        await pilot.pause()
        assert full in screen_text(app)
        assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.customer_id == customer.id)).count() == 1


async def test_a_revealed_phone_stays_shown_through_the_live_refresh(demo):
    """The reveal writes an audit row; the live refresh must not take it for another terminal's change
    and redraw the record masked a second later."""
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        digits = Customer.get_by_id(app.screen.customer_id).phone_digits
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        await pilot.press("v")
        await pilot.pause()
        assert full in screen_text(app)
        app.screen.poll_changes()  # what the 1-second timer does
        await pilot.pause()
        assert full in screen_text(app)


async def test_managers_see_the_customers_history_consultants_do_not(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 60)) as pilot:
        customer_id = app.screen.query_one(TodayTable).selected.customer_id
        await pilot.press("c", *"called", "ctrl+s")
        await pilot.pause()
        app.screen.open_customer(customer_id)
        await pilot.pause()
        app.screen.query_one("#customer-view").scroll_end(animate=False)
        await pilot.pause()
        assert "History (" not in screen_text(app)
    manager = make_app("王建国")
    async with running(manager, size=(120, 60)) as pilot:
        manager.screen.open_customer(customer_id)
        await pilot.pause()
        manager.screen.query_one("#customer-view").scroll_end(animate=False)  # below the timeline
        await pilot.pause()
        text = screen_text(manager)
        assert "History (" in text and "李娜 logged a contact" in text


async def test_a_commit_elsewhere_refreshes_the_pane_and_keeps_the_cursor(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        first = table.selected
        await pilot.press("down")
        second = table.selected
        # another terminal logs a contact on the first row
        contacts.log_contact(session_for("李娜"), first.lead_id, ContactInput(summary="from terminal 2"))
        await pilot.pause(1.5)
        assert f"f{first.followup_id}" not in table.rows_by_key
        assert table.selected.followup_id == second.followup_id


async def test_open_forms_are_left_alone_by_live_refresh(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        first = table.selected
        await pilot.press("c", *"typing")
        contacts.log_contact(session_for("李娜"), first.lead_id, ContactInput(summary="elsewhere"))
        await pilot.pause(1.5)
        assert isinstance(app.screen, LogContactScreen) and app.screen.query_one("#summary").value == "typing"
        assert f"f{first.followup_id}" in table.rows_by_key  # the pane under the form was not redrawn


async def test_another_consultants_customer_cannot_be_opened_by_id_search_or_palette(demo):
    app = make_app("李娜")
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).first()
    async with running(app, size=(120, 40)) as pilot:
        app.screen.open_customer(theirs.id)
        await pilot.pause()
        text = screen_text(app)
        assert theirs.name not in text and "not yours" in text
        await pilot.press("slash", *theirs.name)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "0 found" in screen_text(app) or theirs.name not in screen_text(app)
        await pilot.press("escape")
        titles = " ".join(title for title, _h, _c in app.screen.palette_commands())
        assert theirs.name not in titles
