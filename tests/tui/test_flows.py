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
from tests.tui.helpers import make_app, palette_offers, running, screen_text, search_done, wait_for, wait_for_text




async def board_shown(pilot) -> BoardView:
    """Wait for the board pane (it mounts behind Today's first paint) and return its view."""
    screen = pilot.app.screen
    return await wait_for(pilot, lambda: screen.pane == "board" and screen.board_view.columns and screen.board_view,
                          what="the board pane")


def form_closed(app, form) -> bool:
    """`form` is no longer on top (the screen under it shows again)."""
    return not isinstance(app.screen, form)


async def test_routine_call_is_logged_in_three_keys_besides_the_summary(demo):
    app = make_app()
    async with running(app) as pilot:
        table = app.screen.query_one(TodayTable)
        row = table.selected
        assert row is not None and row.group.value == "urgent"
        await pilot.press("c")  # 1
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the log-contact form")
        await pilot.press("1")  # 2: reached — one digit, and the cursor is in the summary
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "summary", what="the summary")
        await pilot.press(*"Called, visit on Sat")
        await pilot.press("ctrl+s")  # 3
        # the form closes, the status says so, and the row has left the overdue group
        await wait_for(pilot, lambda: form_closed(app, LogContactScreen) and "logged" in screen_text(app)
                       and f"f{row.followup_id}" not in table.rows_by_key, what="the call logged")
        closed = FollowUp.get_by_id(row.followup_id)
        assert closed.done_at == NOW and closed.summary == "Called, visit on Sat"
        assert closed.channel == "phone" and closed.outcome == "reached"
        lead = Lead.get_by_id(row.lead_id)
        nxt = FollowUp.get((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null())
        cadence = {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}[lead.grade]
        assert nxt.due_at == NOW.add(days=cadence)


async def test_quick_choice_and_grade_change_from_the_form(demo):
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the log-contact form")
        await pilot.press("1", *"ok", "tab", "right", "right")  # next: +3 days
        await wait_for(pilot, lambda: app.screen.query_one("#next", ChoiceBar).value == "3", what="next: +3 days")
        app.screen.query_one("#grade", ChoiceBar).value = "H"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form_closed(app, LogContactScreen) and "logged" in screen_text(app),
                       what="the call logged")
        nxt = FollowUp.get((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null())
        assert nxt.due_at == NOW.add(days=3)
        assert Lead.get_by_id(row.lead_id).grade == "H"


async def test_empty_summary_keeps_the_form_open_with_a_message(demo):
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the log-contact form")
        await pilot.press("1", "ctrl+s")
        await wait_for_text(pilot, "Summary is required")
        assert isinstance(app.screen, LogContactScreen)
        assert FollowUp.get_by_id(row.followup_id).done_at is None


async def test_the_outcome_is_never_chosen_for_the_user(demo):
    """No default: words typed at once go into the summary and saving asks how the call went;
    "no answer" needs no summary and offers tomorrow for the next try."""
    app = make_app()
    async with running(app) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("c")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, LogContactScreen) else None,
                              what="the log-contact form")
        assert form.query_one("#outcome", ChoiceBar).value == ""
        await pilot.press(*"left a message", "ctrl+s")
        await wait_for_text(pilot, "Choose the outcome")
        assert form.query_one("#summary").value == "left a message"  # typed ahead, nothing lost
        assert FollowUp.get_by_id(row.followup_id).done_at is None
        # the cursor went back to the outcome, which asks for a choice
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "outcome", what="the outcome")
        await pilot.press("2")  # no answer
        await wait_for(pilot, lambda: form.query_one("#next", ChoiceBar).value == "1", what="next: tomorrow")
        await pilot.press("ctrl+a", "ctrl+k", "ctrl+s")  # the summary emptied: no answer says it all
        await wait_for(pilot, lambda: form_closed(app, LogContactScreen), what="the call logged")
        closed = FollowUp.get_by_id(row.followup_id)
        assert closed.outcome == "no_answer" and closed.summary == ""
        nxt = FollowUp.get((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null())
        assert nxt.due_at == NOW.add(days=1)


async def test_enter_on_today_opens_the_customer(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        row = app.screen.query_one(TodayTable).selected
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer", what="the customer pane")
        await wait_for_text(pilot, row.customer_name, "Follow-ups (")


async def test_new_walk_in_and_be_back(demo):
    app = make_app()
    actor = app.session.actor
    before = Customer.select().count()
    async with running(app) as pilot:
        await pilot.press("n", *"13912345678", "enter")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "name", what="the name field")
        await pilot.press(*"Zhao Min")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and "Zhao Min" in screen_text(app),
                       what="the new customer's record")
        assert Customer.select().count() == before + 1
        created = Customer.get(Customer.phone_digits == "13912345678")
        assert created.name == "Zhao Min" and created.owner_id == actor.id

        # the same phone again, written differently: a be-back, not a duplicate
        await pilot.press("n", *"+86 139-1234-5678", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the visit form")
        assert app.screen.query_one("#channel", ChoiceBar).value == "visit"
        assert app.screen.query_one("#outcome", ChoiceBar).value == "reached"  # they are standing here
        await pilot.press(*"came back with wife", "ctrl+s")
        await wait_for(pilot, lambda: form_closed(app, LogContactScreen), what="the visit logged")
        assert Customer.select().count() == before + 1
        lead = Lead.get(Lead.customer == created.id)
        visits = FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.channel == "visit"))
        assert visits.count() == 2


async def test_walk_in_with_a_bad_phone_says_so(demo):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("n", *"12345", "enter")
        await wait_for_text(pilot, "not a valid phone number")


async def test_move_a_card_to_the_next_stage_and_back(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = await board_shown(pilot)
        card = board.selected
        assert card is not None and card.stage == "new"
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: Lead.get_by_id(card.lead_id).stage == "reception" and board.stage == "reception",
                       what="the card moved to reception, the cursor with it")
        assert board.selected.lead_id == card.lead_id
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: Lead.get_by_id(card.lead_id).stage == "new", what="the card back in new")


async def test_mark_lost_asks_for_the_reason_and_competitor(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = await board_shown(pilot)  # l before the board has mounted would go to Today
        await pilot.press("l", "l")
        await wait_for(pilot, lambda: board.stage == board.stages[2], what="the third column")
        card = board.selected
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, LostScreen), what="the lost form")
        await pilot.press("ctrl+s")  # nothing is assumed: the reason is asked for
        await wait_for_text(pilot, "Choose a valid")
        assert Lead.get_by_id(card.lead_id).status == "open"
        await pilot.press("1", "ctrl+s")  # competitor chosen, model missing
        # the error takes you to the field
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "competitor",
                       what="the competitor field focused")
        assert isinstance(app.screen, LostScreen)
        assert Lead.get_by_id(card.lead_id).status == "open"
        await pilot.press(*"BYD Han", "ctrl+s")
        await wait_for(pilot, lambda: form_closed(app, LostScreen), what="saved: the form closes")
        lead = Lead.get_by_id(card.lead_id)
        assert (lead.status, lead.lost_reason, lead.lost_competitor) == ("lost", "competitor", "BYD Han")


async def test_board_keys_move_between_cards_and_columns(demo):
    app = make_app()
    async with running(app) as pilot:
        await pilot.press("2")
        board = await board_shown(pilot)
        fullest = max(board.stages[:-1], key=lambda s: board.summary.stage(s).count)
        board.select_stage(fullest)
        first = board.selected
        await pilot.press("j")
        await wait_for(pilot, lambda: board.selected.lead_id != first.lead_id, what="j: the next card")
        await pilot.press("k")
        await wait_for(pilot, lambda: board.selected.lead_id == first.lead_id, what="k: back to the first card")
        column = board.stages.index(fullest)
        for key, to in (("l", column + 1), ("l", column + 2), ("h", column + 1)):
            await pilot.press(key)
            await wait_for(pilot, lambda: board.stage == board.stages[to], what=f"{key}: column {to}")
        await wait_for_text(pilot, "▶")


async def test_search_by_phone_tail_opens_the_customer(demo):
    app = make_app()
    mine = Customer.select().where(Customer.owner == app.session.actor.id).order_by(Customer.id).first()
    async with running(app) as pilot:
        await pilot.press("slash", *mine.phone_digits[-8:])
        await wait_for(pilot, lambda: search_done(app, mine.phone_digits[-8:]), what="the search for the tail")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == mine.id,
                       what="their record")


async def test_search_does_not_find_another_consultants_customer(demo):
    app = make_app()
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).first()
    async with running(app) as pilot:
        await pilot.press("slash", *theirs.phone_digits)
        await wait_for(pilot, lambda: search_done(app, theirs.phone_digits), what="the search for their phone")
        assert "0 found" in screen_text(app)


async def test_edit_with_a_bad_phone_shows_the_error_and_saves_nothing(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.detail is not None,
                       what="the customer pane")
        customer_id = app.screen.customer_id
        before = Customer.get_by_id(customer_id)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the edit form")
        app.screen.query_one("#f-phone").value = "12"
        app.screen.query_one("#f-budget").value = "18-22万"
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "not a valid phone number")
        assert isinstance(app.screen, EditCustomerScreen)
        assert Customer.get_by_id(customer_id).phone == before.phone
        app.screen.query_one("#f-phone").value = "139 8888 7777"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form_closed(app, EditCustomerScreen), what="saved: the form closes")
        assert Customer.get_by_id(customer_id).phone == "+8613988887777"
        assert Lead.get(Lead.customer == customer_id).budget_max == 220_000


async def test_palette_offers_panes_and_the_current_records_actions(demo):
    app = make_app()
    async with running(app, size=(100, 30)) as pilot:
        name = app.screen.query_one(TodayTable).selected.customer_name
        titles = [title for title, _help, _cb in app.screen.palette_commands()]
        assert "Board" in titles and f"Log contact: {name}" in titles and f"Open customer: {name}" in titles
        await pilot.press("ctrl+p", *"board")
        await wait_for(pilot, lambda: palette_offers(app, "Board"), what="the palette offering the board")
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "pane", None) == "board", what="the board pane")


async def test_help_lists_keys_in_chinese(demo):
    app = make_app(language="zh")
    async with running(app) as pilot:
        await pilot.press("question_mark")
        await wait_for_text(pilot, "快捷键", "记录跟进")


async def test_every_shipped_theme_opens(demo):
    from carcrm_tui.ui.theme import load_themes

    themes = load_themes()
    assert {"carcrm-dark", "carcrm-light", "carcrm-contrast"} <= set(themes)
    for name in themes:
        app = make_app()
        app.theme = name
        async with running(app) as pilot:
            await pilot.press("2")
            board = await board_shown(pilot)
            assert app.theme == name and board.selected is not None


async def test_palette_finds_customers_and_actions_together(demo):
    app = make_app()
    mine = Customer.select().where(Customer.owner == app.session.actor.id).order_by(Customer.id).first()
    theirs = Customer.select().where(Customer.owner != app.session.actor.id).order_by(Customer.id).first()
    async with running(app, size=(100, 30)) as pilot:
        titles = [t for t, _h, _c in app.screen.palette_customers(mine.name)]
        assert any(mine.name in t for t in titles)
        assert not any(theirs.phone_digits[-4:] in t for t in app.screen.palette_customers(theirs.phone_digits))
        await pilot.press("ctrl+p", *mine.phone_digits)
        await wait_for(pilot, lambda: palette_offers(app, mine.name), what="the palette offering their record")
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(app.screen, "pane", None) == "customer" and app.screen.customer_id == mine.id,
                       what="their record")


async def test_more_rows_of_a_group_load_on_enter(demo):
    from carcrm_tui.services import today as today_service

    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        view = today_service.today(app.session, limit=2)
        group = next(g for g, rows in view.groups.items() if view.totals[g] > 2)
        app.screen.pane_widget("today").limits = {g: 2 for g in view.groups}
        app.screen.refresh_pane()
        await wait_for(pilot, lambda: f"more:{group.value}" in table.keys, what="the group cut to two rows")
        shown = sum(1 for r in table.rows_by_key.values() if r.group is group)
        assert shown == 2
        table.move_to(f"more:{group.value}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: sum(1 for r in table.rows_by_key.values() if r.group is group) > 2,
                       what="more rows of the group")
