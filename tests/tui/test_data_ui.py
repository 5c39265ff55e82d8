"""Import from the app with a preview; a manager merges two records; same names warn at entry."""

import re
from pathlib import Path

from carcrm_tui.services.reassign import consultants
from carcrm_tui.store.models import Account, Customer, Lead
from carcrm_tui.ui.widgets.board import BoardView
from carcrm_tui.ui.screens.data_forms import ImportScreen, MergeScreen, ReassignScreen
from carcrm_tui.ui.screens.main import MainScreen
from tests.tui.helpers import (
    make_app, palette_offers, running, screen_text, visible_keys, wait_for, wait_for_text, workers_idle,
)

SHEETS = Path(__file__).parents[2] / "fixtures" / "import"


async def board_shown(pilot) -> BoardView:
    """Wait for the board pane (it mounts behind Today's first paint) and return its view."""
    screen = pilot.app.screen
    return await wait_for(pilot, lambda: screen.pane == "board" and screen.board_view.columns and screen.board_view,
                          what="the board pane")


async def customer_shown(pilot, customer_id: int) -> None:
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.pane == "customer" and screen.detail is not None
                   and screen.detail.id == customer_id, what="the customer record")


async def merge_form_for(pilot, app, customer_id: int) -> MergeScreen:
    """The customer's record open, then the merge form (m)."""
    app.screen.open_customer(customer_id)
    await customer_shown(pilot, customer_id)
    await pilot.press("m")
    await wait_for(pilot, lambda: isinstance(app.screen, MergeScreen), what="the merge form")
    return app.screen


async def test_import_from_the_palette_previews_before_writing(demo, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes((SHEETS / "customers_zh_utf8.csv").read_bytes())
    app = make_app("王建国")
    before = Customer.select().count()
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"import")
        await wait_for(pilot, lambda: palette_offers(app, "Import a sheet"), what="the palette offering the import")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportScreen), what="the import form")
        app.screen.query_one("#path").value = str(sheet)
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await wait_for_text(pilot, "客户姓名→Name", "客户QQ", "not a valid phone number", "不存在的人")
        assert Customer.select().count() == before  # the preview wrote nothing
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImportScreen) and "rejected" in screen_text(app),
                       what="the import done")
        assert Customer.select().count() == before + 7
        assert (tmp_path / "sheet.errors.csv").exists()


async def test_consultants_are_told_importing_is_for_managers(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"import a sheet")
        await wait_for(pilot, lambda: palette_offers(app, "Import a sheet"), what="the palette offering the import")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "managers and admins" in screen_text(app))
        assert not isinstance(app.screen, ImportScreen)


async def test_manager_keeps_the_catalogue_and_undoes_an_import(demo, tmp_path):
    from carcrm_tui.services import importing
    from carcrm_tui.store.models import ImportBatch, Vehicle
    from carcrm_tui.ui.screens.catalogue import CatalogueScreen
    from carcrm_tui.ui.screens.imports import ImportBatchesScreen
    from tests.conftest import session_for

    app = make_app("王建国")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"vehicle catalogue")
        await wait_for(pilot, lambda: palette_offers(app, "Vehicle catalogue"), what="the palette offering the catalogue")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CatalogueScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen.query("#v-brand"))
        for name, value in (("brand", "吉利"), ("series", "银河E8"), ("model", "旗舰版"), ("price", "17.27万")):
            app.screen.query_one(f"#v-{name}").value = value
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CatalogueScreen) and "银河E8" in screen_text(app))
        added = Vehicle.get(Vehicle.series == "银河E8")
        assert added.guide_price == 172_700
        box = app.screen.query_one("#entries")
        box.highlighted = [e.id for e in app.screen.entries].index(added.id)
        await pilot.press("p")
        await wait_for(pilot, lambda: app.screen.query("#v-price"))
        app.screen.query_one("#v-price").value = "16.99万"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Vehicle.get_by_id(added.id).guide_price == 169_900)
        await wait_for(pilot, lambda: isinstance(app.screen, CatalogueScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: Vehicle.get_by_id(added.id).retired)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CatalogueScreen))
        assert added.id not in {v.id for v in app.screen.vehicles()}  # no longer offered to new leads

        sheet = tmp_path / "s.csv"
        sheet.write_text("姓名,手机\n新客户,13811112299\n", encoding="utf-8")
        report = importing.import_file(session_for("王建国"), sheet)
        await pilot.press("ctrl+p", *"imports: list")
        await wait_for(pilot, lambda: palette_offers(app, "Imports: list"), what="the palette offering the imports")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportBatchesScreen)
                       and f"#{report.batch_id}" in screen_text(app), what="the batch listed")
        await pilot.press("u")
        await wait_for(pilot, lambda: "press u again" in screen_text(app).lower())
        await pilot.press("u")
        await wait_for(pilot, lambda: ImportBatch.get_by_id(report.batch_id).status == "undone"
                       and not Customer.select().where(Customer.phone_digits == "13811112299").exists(),
                       what="the batch undone")


async def test_manager_merges_a_duplicate_record(demo):
    app = make_app("王建国")
    keep, drop = list(Customer.select().order_by(Customer.id).limit(2))
    async with running(app, size=(120, 40)) as pilot:
        form = await merge_form_for(pilot, app, keep.id)
        await pilot.press(*drop.phone_digits)

        def found_it() -> bool:
            found = form.query_one("#found")
            return (form.query_one("#find").value == drop.phone_digits and workers_idle(app, "merge-find")
                    and found.option_count > 0 and found.get_option_at_index(0).id == str(drop.id))

        await wait_for(pilot, found_it, what="the other record found")
        await pilot.press("enter")
        await wait_for(pilot, lambda: form.other is not None and form.query_one("#merge-fields").children,
                       what="the fields to choose from")
        if form.query("#m-wechat"):  # take the other record's WeChat where the two differ
            form.query_one("#m-wechat").value = "other"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, MergeScreen), what="merged: the form closes")
        assert Customer.get_or_none(Customer.id == drop.id) is None
        assert Lead.select().where(Lead.customer == keep.id).count() == 2


async def test_a_merge_saved_at_once_loses_nothing_and_keeps_the_colleagues_customer(database):
    """The manager registers a walk-in, sees it is 张伟's customer and merges it in with ctrl+s
    straight away: values the new record lacks come from the old one, the customer stays 张伟's
    with his lead open, and "do not contact" is kept."""
    from carcrm_tui.services import walkins
    from carcrm_tui.services.views import WalkInInput
    from tests import factory
    from tests.conftest import session_for

    zw = factory.account("张伟")
    factory.account("王建国", role="manager")
    old = factory.customer(zw, "钱辉勇")
    Customer.update(gender="f", age_range="46-55岁", wechat="wx_992312", do_not_contact=True).where(
        Customer.id == old.id).execute()
    his = factory.lead(old, grade="C", stage="new", use="family")
    walkin = walkins.register_walkin(session_for("王建国"), WalkInInput(phone="13911112222", name="钱辉勇"))
    app = make_app("王建国")
    async with running(app, size=(80, 24)) as pilot:
        form = await merge_form_for(pilot, app, walkin.customer_id)
        form.choose(old.id)
        await wait_for(pilot, lambda: form.other is not None and form.query("#m-owner"), what="the fields to choose from")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, MergeScreen), what="merged: the form closes")
    kept = Customer.get_by_id(walkin.customer_id)
    assert (kept.gender, kept.age_range, kept.wechat, kept.do_not_contact) == ("f", "46-55岁", "wx_992312", True)
    assert kept.owner_id == zw.id
    assert Lead.get_by_id(his.id).status == "open" and Lead.get_by_id(his.id).use == "family"
    assert {kept.phone_digits, kept.phone2_digits} == {"13911112222", old.phone_digits}


async def test_consultants_cannot_merge(demo):
    app = make_app("李娜")
    mine = Customer.select().where(Customer.owner == app.session.actor.id).first()
    async with running(app) as pilot:
        app.screen.open_customer(mine.id)
        await customer_shown(pilot, mine.id)
        await pilot.press("m", "p")  # p: privacy on, proof that the key after m was handled
        await wait_for(pilot, lambda: isinstance(app.screen, MergeScreen) or "Privacy mode:" in screen_text(app),
                       what="m and then p handled")
        assert not isinstance(app.screen, MergeScreen)


async def test_walk_in_warns_about_the_same_name(demo):
    app = make_app("李娜")
    someone = Customer.select().order_by(Customer.id).first()
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("n", *"13912340000", "enter")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "name", what="the name field")
        app.screen.query_one("#name").value = someone.name
        await wait_for_text(pilot, "Same name already on file")


async def test_manager_reassigns_marked_cards_from_the_board(demo):
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = await board_shown(pilot)
        first = board.selected
        await pilot.press("space", "j", "space")
        # both marks drawn, the one under the cursor too
        await wait_for(pilot, lambda: len(board.marked) == 2 and screen_text(app).count("●") == 2, what="two cards marked")
        second = board.selected
        assert board.marked == {first.lead_id, second.lead_id}
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ReassignScreen), what="the reassign form")
        await pilot.press("space", "ctrl+s")  # the first consultant in the list
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and "reassigned" in screen_text(app),
                       what="the cards reassigned")
        target = consultants()[0]
        assert {Lead.get_by_id(first.lead_id).owner.name, Lead.get_by_id(second.lead_id).owner.name} == {target}
        assert board.marked == set()


async def test_a_leaving_consultants_book_from_the_palette(demo):
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("ctrl+p", *"Reassign a consultant")
        await wait_for(pilot, lambda: palette_offers(app, "Reassign a consultant"), what="the palette offering it")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReassignScreen), what="the reassign form")
        source = Account.get(Account.name == app.screen.query_one("#from").value)
        book = Lead.select().where((Lead.owner == source.id) & (Lead.status == "open"))
        assert book.count() > 0
        targets = app.screen.query_one("#to")
        for name in consultants():
            if name != source.name:
                targets.select(name)  # round-robin over every colleague
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: book.count() == 0, what="the whole book moved")


async def test_who_is_late_for_managers_opens_the_customer(demo):
    from carcrm_tui.ui.widgets.late import LateTable

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.pane == "late", what="the late pane")
        await wait_for_text(pilot, "first-response deadline", "Overdue follow-ups by consultant")
        table = app.screen.query_one(LateTable)
        key, customer_id = next(iter(table.customers.items()))
        table.move_to(key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == customer_id,
                       what="their record")


async def test_consultants_have_no_late_pane(demo):
    from carcrm_tui.ui.widgets.today import TodayTable

    app = make_app("李娜")
    async with running(app) as pilot:
        table = app.screen.query_one(TodayTable)
        start = table.cursor_row
        await pilot.press("4", "j")  # j: the cursor moves, proof that the key after 4 was handled
        await wait_for(pilot, lambda: table.cursor_row != start or app.screen.pane != "today", what="4 and then j handled")
        assert app.screen.pane == "today" and " 4 " not in screen_text(app).splitlines()[0]


async def test_one_key_opens_the_evening_review(demo):
    app = make_app("王建国")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("R")
        await wait_for_text(pilot, "Evening review 2026-03-10")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the review closed")
        assert "Evening review" not in screen_text(app)


async def test_metrics_pane_counts_the_month_and_steps_back(demo):
    from carcrm_tui.ui.widgets.metrics import MetricsView

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.pane == "metrics", what="the metrics pane")
        text = await wait_for_text(pilot, "Metrics 2026-03 (against 2026-02-01 – 2026-02-10)",
                                   "Funnel: leads that came in 2026-03")
        assert "Forecast" in text and "Showroom traffic" in text and "█" in text
        assert app.screen.query_one("#metrics-grid").has_class("-wide")  # side by side at 160 columns
        await pilot.press("full_stop")  # nothing to count after this month: said, and the month stays
        await wait_for_text(pilot, "This month is the latest there is to count.")
        assert "Metrics 2026-03" in screen_text(app)
        await pilot.press("comma")
        await wait_for_text(pilot, "Metrics 2026-02 (against 2026-01)")
        view = app.screen.query_one(MetricsView)
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: view.scroll_y > 0 or view.max_scroll_y == 0, what="page down")


async def test_metrics_pane_in_chinese_at_80_columns(demo):
    app = make_app("王建国", language="zh")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.pane == "metrics", what="the metrics pane")
        await wait_for_text(pilot, "经营指标 2026-03（对比 2026-02-01 – 2026-02-10）", "漏斗")
        assert not app.screen.query_one("#metrics-grid").has_class("-wide")


async def test_consultants_have_no_metrics(demo):
    from carcrm_tui.ui.widgets.today import TodayTable

    app = make_app("李娜")
    async with running(app) as pilot:
        table = app.screen.query_one(TodayTable)
        start = table.cursor_row
        await pilot.press("5", "j")  # j: the cursor moves, proof that the key after 5 was handled
        await wait_for(pilot, lambda: table.cursor_row != start or app.screen.pane != "today", what="5 and then j handled")
        assert app.screen.pane == "today"


async def test_team_board_filters_by_consultant_and_grade_with_health(demo):
    from carcrm_tui.services import board as board_service
    from carcrm_tui.services.views import BoardFilter
    from carcrm_tui.ui.screens.process_forms import BoardFilterScreen
    from carcrm_tui.ui.widgets.board import BoardView
    from tests.conftest import session_for

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        main = app.screen
        await pilot.press("2")
        await board_shown(pilot)  # f before the board has mounted would be Today's tag filter
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, BoardFilterScreen), what="the board filter")
        await wait_for_text(pilot, "Filter the board")
        owner = app.screen.query_one("#owner")
        owner.value = "李娜"
        await pilot.press("down")  # to the source line
        await pilot.press("down")  # to the grade line
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "grade", what="the grade line")
        app.screen.query_one("#grade").value = "A"
        await pilot.press("enter")
        wanted = BoardFilter(owner="李娜", grade="A")
        health = board_service.health(session_for("王建国"), wanted)
        view = main.query_one(BoardView)
        await wait_for(pilot, lambda: app.screen is main and main.board_filter == wanted and view.health == health,
                       what="the filtered board with its health counted")
        expected = board_service.summary(session_for("王建国"), wanted)
        assert view.summary == expected
        column = next(s for s in view.stages if expected.stage(s).count)
        view.select_stage(column)
        card = view.selected
        assert card.owner_name == "李娜" and card.grade == "A"
        # the top bar says what is filtered
        text = await wait_for_text(pilot, "李娜 · A")
        assert "李娜 · A" in text.splitlines()[0]
        assert any(ch in text for ch in "█▓▒░") and re.search(r"avg \d+d", text)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, BoardFilterScreen), what="the board filter")
        app.screen.query_one("#owner").value = ""
        app.screen.query_one("#grade").value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is main and "Filter cleared" in screen_text(app), what="the filter cleared")
        assert not main.board_filter.active


async def test_who_is_late_reads_at_80_columns(demo):
    from carcrm_tui.ui.widgets.late import LateTable

    app = make_app("王建国")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.pane == "late", what="the late pane")
        lines = (await wait_for_text(pilot, "Customer", "Stage")).splitlines()
        header = lines[1]
        # section titles span the line, so the first column is only as wide as "195d late"
        assert header.index("Customer") < 20 and "Stage" in header
        table = app.screen.query_one(LateTable)
        start = table.cursor_row
        assert table.lines[start].key in table.customers
        await pilot.press("G")
        await wait_for(pilot, lambda: table.cursor_row != start, what="G: the cursor moved")
        assert table.cursor_key in table.customers  # the last lead row, past the titles
        # and the sections after it (titles, "nothing here") show below it
        await wait_for(pilot, lambda: visible_keys(table)[-1] == table.lines[-1].key, what="the table scrolled to its end")
        assert table.cursor_key in visible_keys(table)




async def test_the_customer_screen_shows_the_sheets_fields(demo, tmp_path):
    from carcrm_tui.services import importing
    from tests import sheets
    from tests.conftest import session_for

    row = sheets.full_row(1, **{"*主要联系电话": "13877776666", "跟进负责人": "李娜", "销售顾问": "李娜",
                                "保养提醒": "每5000公里提醒"})
    path = sheets.write_csv(tmp_path / "s.csv", [sheets.FULL_HEADER, row])
    importing.import_file(session_for("王建国"), path)
    customer = Customer.get(Customer.phone_digits == "13877776666")
    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        app.screen.open_customer(customer.id)
        await wait_for(pilot, lambda: "88112233" in screen_text(app))
        text = screen_text(app)
        for shown in ("QQ 88112233", "吉利、领克", "晶石白", "年底", "Brochure, Quote, U盘", "安全", "邀约周末试驾",
                      "保养提醒: 每5000公里提醒", "底盘扎实"):
            assert shown in text, shown
        await pilot.press("e")  # the edit form opens on words the import kept as typed, and saves them unchanged
        await wait_for(pilot, lambda: app.screen.query("#f-qq"))
        assert app.screen.query_one("#f-qq").value == "88112233"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Saved" in screen_text(app))
