"""The sales process through the app: stage forms, complaints, tag filters, grades, dormancy."""

from carcrm_tui.store.models import Complaint, CustomerTag, FollowUp, Lead, Quote, TestDrive
from carcrm_tui.services import complaints
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.screens.process_forms import (
    ComplaintActionScreen, ComplaintScreen, GradeScreen, StageScreen, TagFilterScreen,
)
from carcrm_tui.ui.widgets.today import TodayTable
from tests.tui.helpers import make_app, running, screen_text, wait_for, wait_for_text


async def open_lead(pilot, stage: str) -> Lead:
    """One of the consultant's open leads at `stage` (moved there if the small demo has none), on screen."""
    app = pilot.app
    mine = (Lead.owner == app.session.actor.id) & (Lead.status == "open")
    lead = Lead.select().where(mine & (Lead.stage == stage)).order_by(Lead.id).first()
    if lead is None:
        # an early lead: nothing recorded yet for the stages it is moved past
        early = Lead.stage.in_(("new", "reception", "needs", "presentation"))
        lead = Lead.select().where(mine & early).order_by(Lead.id).first()
        Lead.update(stage=stage).where(Lead.id == lead.id).execute()
    app.screen.open_customer(lead.customer_id)
    screen = app.screen
    await wait_for(pilot, lambda: screen.pane == "customer" and screen.detail is not None
                   and screen.detail.id == lead.customer_id, what="the lead's customer record")
    return Lead.get_by_id(lead.id)


async def stage_form(pilot, target: str) -> StageScreen:
    """After ], the stage form for `target`."""
    app = pilot.app
    return await wait_for(pilot, lambda: isinstance(app.screen, StageScreen) and app.screen.target == target
                          and app.screen, what=f"the stage form for {target}")


def closed(app, form) -> bool:
    return not isinstance(app.screen, form)


async def test_moving_into_test_drive_asks_for_the_drive_in_one_form(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "presentation")
        await pilot.press("right_square_bracket")
        await stage_form(pilot, "test_drive")
        app.screen.query_one("#f-route").value = "高速往返"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, StageScreen) and "Test drives" in screen_text(app),
                       what="the drive saved and on the record")
        assert Lead.get_by_id(lead.id).stage == "test_drive"
        drive = TestDrive.get(TestDrive.lead == lead.id)
        assert drive.route == "高速往返" and drive.vehicle_id == lead.vehicle_id


async def test_quote_form_shows_the_total_as_you_type(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "test_drive")
        await pilot.press("right_square_bracket")
        form = await stage_form(pilot, "quote")
        form.query_one("#f-guide_price").value = "200000"
        form.query_one("#f-discount").value = "0"
        form.query_one("#f-insurance").value = "5000"
        form.query_one("#f-plates").value = "500"
        await wait_for_text(pilot, "¥223.2k")  # 200,000 + 17,699 tax + 5,000 + 500
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, StageScreen), what="the quote saved")
        assert Quote.get(Quote.lead == lead.id).total == 223_199


async def test_an_order_without_its_details_says_what_is_missing(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "quote")
        await pilot.press("right_square_bracket")
        await stage_form(pilot, "order")
        app.screen.query_one("#f-deal_price").value = ""
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "Deposit is required", "Deal price is required")
        assert isinstance(app.screen, StageScreen)
        assert Lead.get_by_id(lead.id).stage == "quote"
        app.screen.query_one("#f-deposit").value = "10000"
        app.screen.query_one("#f-deal_price").value = "19.5万"
        app.screen.query_one("#f-expected_delivery_date").value = "2026-03-30"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, StageScreen), what="the order saved")
        row = Lead.get_by_id(lead.id)
        assert (row.stage, row.grade, row.deal_price) == ("order", "O", 195_000)


async def test_delivery_wins_the_lead_and_schedules_after_sales(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "delivery")
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: isinstance(app.screen, StageScreen), what="the stage form")
        assert app.screen.target == "won"
        app.screen.query_one("#f-vin").value = "LSGJA52U7KS123456"
        app.screen.query_one("#f-service_advisor").value = "售后顾问 马文"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, StageScreen), what="the delivery saved")
        assert Lead.get_by_id(lead.id).status == "won"
        assert FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.purpose == "day1")).exists()


async def test_complaint_from_the_customer_screen_to_the_assignees_today(demo):
    app = make_app()
    me = app.session.actor.name
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "needs")
        await pilot.press("k", *"delivery late")
        await wait_for(pilot, lambda: isinstance(app.screen, ComplaintScreen)
                       and app.screen.query_one("#description").value == "delivery late", what="the complaint typed")
        app.screen.query_one("#assignee").value = me
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, ComplaintScreen) and "Complaints (" in screen_text(app),
                       what="the complaint on the record")
        complaint = Complaint.get(Complaint.customer == lead.customer_id, Complaint.status == "open")
        await pilot.press("1")
        table = app.screen.query_one(TodayTable)
        await wait_for(pilot, lambda: app.screen.pane == "today" and f"c{complaint.id}" in table.complaints_by_key,
                       what="the complaint on Today")
        table.move_to(f"c{complaint.id}")
        await wait_for_text(pilot, "delivery late", "s resolves")  # the whole complaint under the list
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ComplaintActionScreen), what="the complaint form")
        await pilot.press(*"apologised", "ctrl+s")
        await wait_for(pilot, lambda: closed(app, ComplaintActionScreen)
                       and Complaint.get_by_id(complaint.id).status == "resolved", what="the complaint resolved")
        table.move_to(f"c{complaint.id}")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ComplaintActionScreen), what="the complaint form again")
        await wait_for_text(pilot, "how satisfied")
        await pilot.press("left", "ctrl+s")  # ★★★★
        await wait_for(pilot, lambda: Complaint.get_by_id(complaint.id).status == "closed", what="the complaint closed")
        assert (Complaint.get_by_id(complaint.id).status, Complaint.get_by_id(complaint.id).satisfaction) == ("closed", 4)


async def test_a_complaint_row_on_today_opens_its_customer_and_logs_a_call_there(demo):
    """Enter opens the customer (not the resolve form); c logs a contact on the customer's lead."""
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        lead = Lead.get((Lead.owner == app.session.actor.id) & (Lead.status == "open"))
        complaint_id = complaints.open_complaint(app.session, lead.customer_id, "phone", "service", "等太久", "service",
                                                 assignee=app.session.actor.name)
        app.screen.refresh_pane()
        table = app.screen.query_one(TodayTable)
        await wait_for(pilot, lambda: f"c{complaint_id}" in table.complaints_by_key, what="the complaint on Today")
        table.move_to(f"c{complaint_id}")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the log form on its customer")
        await pilot.press("1", *"道歉并约了回访", "ctrl+s")
        await wait_for(pilot, lambda: closed(app, LogContactScreen), what="the call logged")
        assert FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.summary == "道歉并约了回访")).exists()
        assert Complaint.get_by_id(complaint_id).status == "open"  # a call is not a resolution
        table.move_to(f"c{complaint_id}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == lead.customer_id,
                       what="the complaint's customer")


async def test_tag_filter_on_today(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        first = table.selected
        CustomerTag.get_or_create(customer=first.customer_id, tag="试驾达人")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, TagFilterScreen), what="the tag filter")
        tags = app.screen.query_one("#tags")
        index = next(i for i in range(tags.option_count) if tags.get_option_at_index(i).id == "t:试驾达人")
        tags.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen)
                       and {r.customer_id for r in table.rows_by_key.values()} == {first.customer_id},
                       what="only the tagged customer on Today")
        await pilot.press("f", "home", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen)
                       and len({r.customer_id for r in table.rows_by_key.values()}) > 1, what="the filter cleared")


async def test_grade_override_needs_a_reason_and_dormancy_round_trip(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = await open_lead(pilot, "needs")
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GradeScreen), what="the grade form")
        bar = app.screen.query_one("#grade")
        bar.value = "H" if app.screen.suggested != "H" else "C"
        chosen = bar.value
        await pilot.press("ctrl+s")
        await wait_for_text(pilot, "say why")
        app.screen.query_one("#reason").value = "客户本周提车"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: closed(app, GradeScreen), what="the grade saved")
        assert (Lead.get_by_id(lead.id).grade, Lead.get_by_id(lead.id).grade_reason) == (chosen, "客户本周提车")
        await pilot.press("d", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and "is dormant." in screen_text(app),
                       what="the lead marked dormant")
        assert Lead.get_by_id(lead.id).status == "dormant"
        await pilot.press("d")
        await wait_for(pilot, lambda: "is active again." in screen_text(app), what="the lead reactivated")
        assert Lead.get_by_id(lead.id).status == "open"
