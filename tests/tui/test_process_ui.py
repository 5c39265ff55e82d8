"""The sales process through the app: stage forms, complaints, tag filters, grades, dormancy."""

from carcrm_tui.store.models import Complaint, CustomerTag, FollowUp, Lead, Quote, TestDrive
from carcrm_tui.ui.screens.process_forms import ComplaintActionScreen, StageScreen, TagFilterScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests.tui.helpers import make_app, running, screen_text


def open_lead(app, stage: str) -> Lead:
    """One of the consultant's open leads at `stage` (moved there if the small demo has none)."""
    mine = (Lead.owner == app.session.actor.id) & (Lead.status == "open")
    lead = Lead.select().where(mine & (Lead.stage == stage)).order_by(Lead.id).first()
    if lead is None:
        # an early lead: nothing recorded yet for the stages it is moved past
        early = Lead.stage.in_(("new", "reception", "needs", "presentation"))
        lead = Lead.select().where(mine & early).order_by(Lead.id).first()
        Lead.update(stage=stage).where(Lead.id == lead.id).execute()
    app.screen.open_customer(lead.customer_id)
    return Lead.get_by_id(lead.id)


async def test_moving_into_test_drive_asks_for_the_drive_in_one_form(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "presentation")
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert isinstance(app.screen, StageScreen) and app.screen.target == "test_drive"
        app.screen.query_one("#f-route").value = "高速往返"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, StageScreen)
        assert Lead.get_by_id(lead.id).stage == "test_drive"
        drive = TestDrive.get(TestDrive.lead == lead.id)
        assert drive.route == "高速往返" and drive.vehicle_id == lead.vehicle_id
        assert "Test drives" in screen_text(app)


async def test_quote_form_shows_the_total_as_you_type(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "test_drive")
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        form = app.screen
        form.query_one("#f-guide_price").value = "200000"
        form.query_one("#f-discount").value = "0"
        form.query_one("#f-insurance").value = "5000"
        form.query_one("#f-plates").value = "500"
        await pilot.pause()
        assert "¥223k" in screen_text(app)  # 200,000 + 17,699 tax + 5,000 + 500
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Quote.get(Quote.lead == lead.id).total == 223_199


async def test_an_order_without_its_details_says_what_is_missing(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "quote")
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        app.screen.query_one("#f-deal_price").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, StageScreen)
        text = screen_text(app)
        assert "Deposit is required" in text and "Deal price is required" in text
        assert Lead.get_by_id(lead.id).stage == "quote"
        app.screen.query_one("#f-deposit").value = "10000"
        app.screen.query_one("#f-deal_price").value = "19.5万"
        app.screen.query_one("#f-expected_delivery_date").value = "2026-03-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        row = Lead.get_by_id(lead.id)
        assert (row.stage, row.grade, row.deal_price) == ("order", "O", 195_000)


async def test_delivery_wins_the_lead_and_schedules_after_sales(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "delivery")
        await pilot.pause()
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.screen.target == "won"
        app.screen.query_one("#f-vin").value = "LSGJA52U7KS123456"
        app.screen.query_one("#f-service_advisor").value = "售后顾问 马文"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Lead.get_by_id(lead.id).status == "won"
        assert FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.purpose == "day1")).exists()


async def test_complaint_from_the_customer_screen_to_the_assignees_today(demo):
    app = make_app()
    me = app.session.actor.name
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "needs")
        await pilot.pause()
        await pilot.press("k", *"delivery late")
        app.screen.query_one("#assignee").value = me
        await pilot.press("ctrl+s")
        await pilot.pause()
        complaint = Complaint.get(Complaint.customer == lead.customer_id, Complaint.status == "open")
        assert "Complaints (" in screen_text(app)
        await pilot.press("1")
        await pilot.pause()
        table = app.screen.query_one(TodayTable)
        assert f"c{complaint.id}" in table.complaints_by_key
        table.move_to(f"c{complaint.id}")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ComplaintActionScreen)
        await pilot.press(*"apologised", "ctrl+s")
        await pilot.pause()
        assert Complaint.get_by_id(complaint.id).status == "resolved"
        table.move_to(f"c{complaint.id}")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ComplaintActionScreen), type(app.screen)
        assert "how satisfied" in screen_text(app)
        await pilot.press("left", "ctrl+s")  # ★★★★
        await pilot.pause()
        assert (Complaint.get_by_id(complaint.id).status, Complaint.get_by_id(complaint.id).satisfaction) == ("closed", 4)


async def test_tag_filter_on_today(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        first = app.screen.query_one(TodayTable).selected
        CustomerTag.get_or_create(customer=first.customer_id, tag="试驾达人")
        await pilot.press("f")
        assert isinstance(app.screen, TagFilterScreen)
        tags = app.screen.query_one("#tags")
        index = next(i for i in range(tags.option_count) if tags.get_option_at_index(i).id == "t:试驾达人")
        tags.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        table = app.screen.query_one(TodayTable)
        assert {r.customer_id for r in table.rows_by_key.values()} == {first.customer_id}
        await pilot.press("f", "home", "enter")
        await pilot.pause()
        assert len({r.customer_id for r in table.rows_by_key.values()}) > 1


async def test_grade_override_needs_a_reason_and_dormancy_round_trip(demo):
    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        lead = open_lead(app, "needs")
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        bar = app.screen.query_one("#grade")
        bar.value = "H" if app.screen.suggested != "H" else "C"
        chosen = bar.value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "say why" in screen_text(app)
        app.screen.query_one("#reason").value = "客户本周提车"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (Lead.get_by_id(lead.id).grade, Lead.get_by_id(lead.id).grade_reason) == (chosen, "客户本周提车")
        await pilot.press("d", "ctrl+s")
        await pilot.pause()
        assert Lead.get_by_id(lead.id).status == "dormant"
        await pilot.press("d")
        await pilot.pause()
        assert Lead.get_by_id(lead.id).status == "open"
