"""End-to-end flows through the real app (Pilot) on a real demo database."""


from carcrm_tui.services import accounts
from carcrm_tui.store.models import Customer, FollowUp, Lead
from carcrm_tui.ui.screens.edit_customer import EditCustomerScreen
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.lost import LostScreen
from carcrm_tui.ui.widgets.board import BoardView
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text


async def test_routine_call_is_logged_in_two_keys_besides_the_summary(demo):
    app = make_app()
    async with running(app) as pilot:
        table = app.screen.query_one(TodayTable)
        row = table.selected
        assert row is not None and row.group.value == "overdue"
        await pilot.press("c")  # 1
        assert isinstance(app.screen, LogContactScreen)
        await pilot.press(*"Called, visit on Sat")
        await pilot.press("ctrl+s")  # 2
        await pilot.pause()
        assert not isinstance(app.screen, LogContactScreen)
        closed = FollowUp.get_by_id(row.followup_id)
        assert closed.done_at == NOW and closed.summary == "Called, visit on Sat"
        assert closed.channel == "phone" and closed.outcome == "reached"
        lead = Lead.get_by_id(row.lead_id)
        nxt = FollowUp.get((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null())
        cadence = {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}[lead.grade]
        assert nxt.due_at == NOW.add(days=cadence)
        assert "logged" in screen_text(app)
        # the row has left the overdue group
        assert f"f{row.followup_id}" not in table.rows_by_key


async def test_quick_choice_and_grade_change_from_the_form(demo):
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c", *"ok", "tab", "right", "right")  # next: +3 days
        assert app.screen.query_one("#next", ChoiceBar).value == "3"
        app.screen.query_one("#grade", ChoiceBar).value = "H"
        await pilot.press("ctrl+s")
        await pilot.pause()
        nxt = FollowUp.get((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null())
        assert nxt.due_at == NOW.add(days=3)
        assert Lead.get_by_id(row.lead_id).grade == "H"


async def test_empty_summary_keeps_the_form_open_with_a_message(demo):
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, LogContactScreen)
        assert "Summary is required" in screen_text(app)
        assert FollowUp.get_by_id(row.followup_id).done_at is None


async def test_enter_on_today_opens_the_customer(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.pane == "customer"
        text = screen_text(app)
        assert row.customer_name in text and "Follow-ups (" in text


async def test_new_walk_in_and_be_back(demo):
    app = make_app()
    actor = app.session.actor
    before = Customer.select().count()
    async with running(app) as pilot:
        await pilot.press("n", *"13912345678", "enter")
        await pilot.pause()
        await pilot.press(*"Zhao Min")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Customer.select().count() == before + 1
        created = Customer.get(Customer.phone_digits == "13912345678")
        assert created.name == "Zhao Min" and created.owner_id == actor.id
        assert app.screen.pane == "customer" and "Zhao Min" in screen_text(app)

        # the same phone again, written differently: a be-back, not a duplicate
        await pilot.press("n", *"+86 139-1234-5678", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LogContactScreen)
        assert app.screen.query_one("#channel", ChoiceBar).value == "visit"
        await pilot.press(*"came back with wife", "ctrl+s")
        await pilot.pause()
        assert Customer.select().count() == before + 1
        lead = Lead.get(Lead.customer == created.id)
        visits = FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.channel == "visit"))
        assert visits.count() == 2


async def test_walk_in_with_a_bad_phone_says_so(demo):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("n", *"12345", "enter")
        await pilot.pause()
        assert "not a valid phone number" in screen_text(app)


async def test_move_a_card_to_the_next_stage_and_back(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = app.screen.query_one(BoardView)
        card = board.selected
        assert card is not None and card.stage == "new"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert Lead.get_by_id(card.lead_id).stage == "reception"
        assert board.stage == "reception" and board.selected.lead_id == card.lead_id
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert Lead.get_by_id(card.lead_id).stage == "new"


async def test_mark_lost_asks_for_the_reason_and_competitor(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2", "l", "l")
        card = app.screen.query_one(BoardView).selected
        await pilot.press("x")
        assert isinstance(app.screen, LostScreen)
        await pilot.press("ctrl+s")  # competitor chosen, model missing
        await pilot.pause()
        assert isinstance(app.screen, LostScreen)
        assert Lead.get_by_id(card.lead_id).status == "open"
        assert app.focused.id == "competitor"  # the error takes you to the field
        await pilot.press(*"BYD Han", "ctrl+s")
        await pilot.pause()
        lead = Lead.get_by_id(card.lead_id)
        assert (lead.status, lead.lost_reason, lead.lost_competitor) == ("lost", "competitor", "BYD Han")
        assert not isinstance(app.screen, LostScreen)  # saved: the form closes


async def test_board_keys_move_between_cards_and_columns(demo):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("2")
        board = app.screen.query_one(BoardView)
        fullest = max(board.stages[:-1], key=lambda s: board.summary.stage(s).count)
        board.select_stage(fullest)
        first = board.selected
        await pilot.press("j")
        assert board.selected.lead_id != first.lead_id
        await pilot.press("k")
        assert board.selected.lead_id == first.lead_id
        await pilot.press("l", "l", "h")
        assert board.stage == board.stages[board.stages.index(fullest) + 1]
        assert "▶" in screen_text(app)


async def test_search_by_phone_tail_opens_the_customer(demo):
    app = make_app()
    mine = Customer.select().where(Customer.owner == app.session.actor.id).order_by(Customer.id).first()
    async with running(app) as pilot:
        await pilot.press("slash", *mine.phone_digits[-8:])
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.pane == "customer" and app.screen.customer_id == mine.id


async def test_search_does_not_find_another_consultants_customer(demo):
    app = make_app()
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).first()
    async with running(app) as pilot:
        await pilot.press("slash", *theirs.phone_digits)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "0 found" in screen_text(app)


async def test_edit_with_a_bad_phone_shows_the_error_and_saves_nothing(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        customer_id = app.screen.customer_id
        before = Customer.get_by_id(customer_id)
        await pilot.press("e")
        assert isinstance(app.screen, EditCustomerScreen)
        app.screen.query_one("#f-phone").value = "12"
        app.screen.query_one("#f-budget").value = "18-22万"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, EditCustomerScreen)
        assert "not a valid phone number" in screen_text(app)
        assert Customer.get_by_id(customer_id).phone == before.phone
        app.screen.query_one("#f-phone").value = "139 8888 7777"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, EditCustomerScreen)
        assert Customer.get_by_id(customer_id).phone == "+8613988887777"
        assert Lead.get(Lead.customer == customer_id).budget_max == 220_000


async def test_palette_offers_panes_and_the_current_records_actions(demo):
    app = make_app()
    async with running(app, size=(100, 30)) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        titles = [title for title, _help, _cb in app.screen.palette_commands()]
        assert "Board" in titles and f"Log contact: {name}" in titles and f"Open customer: {name}" in titles
        await pilot.press("ctrl+p", *"board")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.pane == "board"


async def test_help_lists_keys_in_chinese(demo):
    app = make_app(language="zh")
    async with running(app) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "快捷键" in text and "记录跟进" in text




async def test_every_shipped_theme_opens(demo):
    from carcrm_tui.ui.theme import load_themes

    themes = load_themes()
    assert {"carcrm-dark", "carcrm-light", "carcrm-contrast"} <= set(themes)
    for name in themes:
        app = make_app()
        app.theme = name
        async with running(app) as pilot:
            await pilot.press("2")
            assert app.theme == name and app.screen.query_one(BoardView).selected is not None


async def test_palette_finds_customers_and_actions_together(demo):
    app = make_app()
    mine = Customer.select().where(Customer.owner == app.session.actor.id).order_by(Customer.id).first()
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).order_by(Customer.id).first()
    async with running(app, size=(100, 30)) as pilot:
        titles = [t for t, _h, _c in app.screen.palette_customers(mine.name)]
        assert any(mine.name in t for t in titles)
        assert not any(theirs.phone_digits[-4:] in t for t in app.screen.palette_customers(theirs.phone_digits))
        await pilot.press("ctrl+p", *mine.phone_digits)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.pane == "customer" and app.screen.customer_id == mine.id


async def test_more_rows_of_a_group_load_on_enter(demo):
    from carcrm_tui.services import today as today_service

    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        view = today_service.today(app.session, limit=2)
        group = next(g for g, rows in view.groups.items() if view.totals[g] > 2)
        app.screen.today_limits = {g: 2 for g in view.groups}
        app.screen.refresh_pane()
        await pilot.pause()
        shown = sum(1 for r in table.rows_by_key.values() if r.group is group)
        assert shown == 2 and f"more:{group.value}" in table.keys
        table.move_to(f"more:{group.value}")
        await pilot.press("enter")
        await pilot.pause()
        assert sum(1 for r in table.rows_by_key.values() if r.group is group) > 2
