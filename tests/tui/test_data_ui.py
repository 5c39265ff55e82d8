"""Import from the app with a preview; a manager merges two records; same names warn at entry."""

import re
from pathlib import Path

from carcrm_tui.services.reassign import consultants
from carcrm_tui.store.models import Account, Customer, Lead
from carcrm_tui.ui.widgets.board import BoardView
from carcrm_tui.ui.screens.data_forms import ImportScreen, MergeScreen
from tests.tui.helpers import make_app, running, screen_text, visible_keys

SHEETS = Path(__file__).parents[2] / "fixtures" / "import"


async def until(pilot, predicate, timeout: float = 10.0) -> None:
    """Wait for a condition, not for time (the suite runs on busy machines)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def test_import_from_the_palette_previews_before_writing(demo, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes((SHEETS / "customers_zh_utf8.csv").read_bytes())
    app = make_app("王建国")
    before = Customer.select().count()
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"import a sheet")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ImportScreen))
        app.screen.query_one("#path").value = str(sheet)
        app.screen.query_one("#path").focus()
        await pilot.press("enter")
        await until(pilot, lambda: "客户QQ" in screen_text(app))
        text = screen_text(app)
        assert "客户姓名→Name" in text and "not a valid phone number" in text and "不存在的人" in text
        assert Customer.select().count() == before  # the preview wrote nothing
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ImportScreen))
        assert Customer.select().count() == before + 7
        assert (tmp_path / "sheet.errors.csv").exists() and "rejected" in screen_text(app)
        assert "Batch" in screen_text(app)


async def test_consultants_are_told_importing_is_for_managers(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("ctrl+p", *"import a sheet")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "managers and admins" in screen_text(app))
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
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CatalogueScreen))
        await pilot.press("a")
        await until(pilot, lambda: app.screen.query("#v-brand"))
        for name, value in (("brand", "吉利"), ("series", "银河E8"), ("model", "旗舰版"), ("price", "17.27万")):
            app.screen.query_one(f"#v-{name}").value = value
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CatalogueScreen) and "银河E8" in screen_text(app))
        added = Vehicle.get(Vehicle.series == "银河E8")
        assert added.guide_price == 172_700
        box = app.screen.query_one("#entries")
        box.highlighted = [e.id for e in app.screen.entries].index(added.id)
        await pilot.press("p")
        await until(pilot, lambda: app.screen.query("#v-price"))
        app.screen.query_one("#v-price").value = "16.99万"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: Vehicle.get_by_id(added.id).guide_price == 169_900)
        await until(pilot, lambda: isinstance(app.screen, CatalogueScreen))
        await pilot.press("r")
        await until(pilot, lambda: Vehicle.get_by_id(added.id).retired)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CatalogueScreen))
        assert added.id not in {v.id for v in app.screen.vehicles()}  # no longer offered to new leads

        sheet = tmp_path / "s.csv"
        sheet.write_text("姓名,手机\n新客户,13811112299\n", encoding="utf-8")
        report = importing.import_file(session_for("王建国"), sheet)
        await pilot.press("ctrl+p", *"imports: list")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ImportBatchesScreen))
        assert f"#{report.batch_id}" in screen_text(app)
        await pilot.press("u")
        await until(pilot, lambda: "press u again" in screen_text(app).lower())
        await pilot.press("u")
        await until(pilot, lambda: ImportBatch.get_by_id(report.batch_id).status == "undone")
        await app.workers.wait_for_complete()
        assert not Customer.select().where(Customer.phone_digits == "13811112299").exists()


async def test_manager_merges_a_duplicate_record(demo):
    app = make_app("王建国")
    keep, drop = list(Customer.select().order_by(Customer.id).limit(2))
    async with running(app, size=(120, 40)) as pilot:
        app.screen.open_customer(keep.id)
        await pilot.pause()
        await pilot.press("m")
        assert isinstance(app.screen, MergeScreen)
        await pilot.press(*drop.phone_digits)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        if app.screen.query("#m-wechat"):  # take the other record's WeChat where the two differ
            app.screen.query_one("#m-wechat").value = "other"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert Customer.get_or_none(Customer.id == drop.id) is None
        assert Lead.select().where(Lead.customer == keep.id).count() == 2


async def test_consultants_cannot_merge(demo):
    app = make_app("李娜")
    mine = Customer.select().where(Customer.owner == app.session.actor.id).first()
    async with running(app) as pilot:
        app.screen.open_customer(mine.id)
        await pilot.pause()
        await pilot.press("m")
        assert not isinstance(app.screen, MergeScreen)


async def test_walk_in_warns_about_the_same_name(demo):
    app = make_app("李娜")
    someone = Customer.select().order_by(Customer.id).first()
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("n", *"13912340000", "enter")
        await pilot.pause()
        app.screen.query_one("#name").value = someone.name
        await pilot.pause()
        assert "Same name already on file" in screen_text(app)


async def test_manager_reassigns_marked_cards_from_the_board(demo):
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = app.screen.query_one(BoardView)
        first = board.selected
        await pilot.press("space", "j", "space")
        second = board.selected
        assert board.marked == {first.lead_id, second.lead_id} and "●" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("space", "ctrl+s")  # the first consultant in the list
        await pilot.pause()
        target = consultants()[0]
        assert {Lead.get_by_id(first.lead_id).owner.name, Lead.get_by_id(second.lead_id).owner.name} == {target}
        assert board.marked == set() and "reassigned" in screen_text(app)


async def test_a_leaving_consultants_book_from_the_palette(demo):
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("ctrl+p", *"Reassign a consultant")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        source = Account.get(Account.name == app.screen.query_one("#from").value)
        book = Lead.select().where((Lead.owner == source.id) & (Lead.status == "open"))
        assert book.count() > 0
        targets = app.screen.query_one("#to")
        for name in consultants():
            if name != source.name:
                targets.select(name)  # round-robin over every colleague
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert book.count() == 0


async def test_who_is_late_for_managers_opens_the_customer(demo):
    from carcrm_tui.ui.widgets.late import LateTable

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.pane == "late"
        table = app.screen.query_one(LateTable)
        text = screen_text(app)
        assert "first-response deadline" in text and "Overdue follow-ups by consultant" in text
        key, customer_id = next(iter(table.customers.items()))
        table.move_to(key)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.pane == "customer" and app.screen.customer_id == customer_id


async def test_consultants_have_no_late_pane(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.pane == "today" and " 4 " not in screen_text(app).splitlines()[0]


async def test_one_key_opens_the_evening_review(demo):
    app = make_app("王建国")
    async with running(app, size=(120, 40)) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert "Evening review 2026-03-10" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Evening review" not in screen_text(app)


async def test_metrics_pane_counts_the_month_and_steps_back(demo):
    from carcrm_tui.ui.widgets.metrics import MetricsView

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.pane == "metrics"
        text = screen_text(app)
        assert "Metrics 2026-03 (against 2026-02-01 – 2026-02-10)" in text and "Funnel: leads that came in 2026-03" in text
        assert "Forecast" in text and "Showroom traffic" in text and "█" in text
        assert app.screen.query_one("#metrics-grid").has_class("-wide")  # side by side at 160 columns
        await pilot.press("comma")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Metrics 2026-02 (against 2026-01)" in screen_text(app)
        view = app.screen.query_one(MetricsView)
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.scroll_y > 0 or view.max_scroll_y == 0


async def test_metrics_pane_in_chinese_at_80_columns(demo):
    app = make_app("王建国", language="zh")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "经营指标 2026-03（对比 2026-02-01 – 2026-02-10）" in text and "漏斗" in text
        assert not app.screen.query_one("#metrics-grid").has_class("-wide")


async def test_consultants_have_no_metrics(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await pilot.press("5")
        await pilot.pause()
        assert app.screen.pane == "today"


async def test_team_board_filters_by_consultant_and_grade_with_health(demo):
    from carcrm_tui.services import board as board_service
    from carcrm_tui.services.views import BoardFilter
    from carcrm_tui.ui.widgets.board import BoardView
    from tests.conftest import session_for

    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2", "f")
        await pilot.pause()
        assert "Filter the board" in screen_text(app)
        owner = app.screen.query_one("#owner")
        owner.value = "李娜"
        await pilot.press("down")  # to the source line
        await pilot.press("down")  # to the grade line
        await pilot.pause()
        app.screen.query_one("#grade").value = "A"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen.query_one(BoardView)
        wanted = BoardFilter(owner="李娜", grade="A")
        assert view.health == board_service.health(session_for("王建国"), wanted)
        assert app.screen.board_filter == wanted
        expected = board_service.summary(session_for("王建国"), wanted)
        assert view.summary == expected
        column = next(s for s in view.stages if expected.stage(s).count)
        view.select_stage(column)
        await pilot.pause()
        card = view.selected
        assert card.owner_name == "李娜" and card.grade == "A"
        text = screen_text(app)
        assert "李娜 · A" in text.splitlines()[0]  # the top bar says what is filtered
        assert any(ch in text for ch in "█▓▒░") and re.search(r"avg \d+d", text)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#owner").value = ""
        app.screen.query_one("#grade").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.screen.board_filter.active and "Filter cleared" in screen_text(app)


async def test_who_is_late_reads_at_80_columns(demo):
    from carcrm_tui.ui.widgets.late import LateTable

    app = make_app("王建国")
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        header = lines[1]
        # section titles span the line, so the first column is only as wide as "195d late"
        assert header.index("Customer") < 20 and "Stage" in header
        table = app.screen.query_one(LateTable)
        first = table.lines[table.cursor_row]
        assert first.key in table.customers
        await pilot.press("G")
        assert table.cursor_key in table.customers  # the last lead row, past the titles
        await pilot.pause()
        # and the sections after it (titles, "nothing here") show below it
        assert visible_keys(table)[-1] == table.lines[-1].key and table.cursor_key in visible_keys(table)



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
        await until(pilot, lambda: "88112233" in screen_text(app))
        text = screen_text(app)
        for shown in ("QQ 88112233", "吉利、领克", "晶石白", "年底", "Brochure、Quote、U盘", "安全", "邀约周末试驾",
                      "保养提醒: 每5000公里提醒", "底盘扎实"):
            assert shown in text, shown
        await pilot.press("e")  # the edit form opens on words the import kept as typed, and saves them unchanged
        await until(pilot, lambda: app.screen.query("#f-qq"))
        assert app.screen.query_one("#f-qq").value == "88112233"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved" in screen_text(app))
