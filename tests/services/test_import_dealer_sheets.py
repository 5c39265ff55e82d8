"""The dealer's own sheet (../shared/seeds/004) comes in whole: every field, won and lost rows,
follow-up logs, batches that undo, chunks that survive a crash — on real SQLite files."""

import datetime as dt
import sqlite3

import pendulum
import pytest
from peewee import PostgresqlDatabase

from carcrm_tui.services import customers, import_batches, importing
from carcrm_tui.services.errors import Rejected
from carcrm_tui.store.models import (
    AuditLog, Customer, FollowUp, ImportBatch, ImportChange, Lead, TestDrive, Vehicle,
)
from tests import factory, sheets
from tests.conftest import session_for

SHANGHAI = "Asia/Shanghai"


@pytest.fixture
def shop(database):
    factory.account("李娜")
    factory.account("张伟")
    factory.account("王经理", role="manager")
    Vehicle.create(brand="吉利", series="博越L", model="2.0T 旗舰型", guide_price=159_800)
    return database


def manager():
    return session_for("王经理")


def local(instant) -> str:
    return instant.in_timezone(SHANGHAI).format("YYYY-MM-DD HH:mm")


def import_rows(tmp_path, rows, name="客户信息.xlsx", **kwargs):
    path = sheets.write_xlsx(tmp_path / name, {"客户": sheets.titled(sheets.FULL_HEADER, rows)}, title_rows={"客户": 2})
    return importing.import_file(manager(), path, **kwargs)


def test_every_field_of_the_dealers_sheet_has_a_home(shop, tmp_path):
    report = import_rows(tmp_path, [sheets.full_row(1)])
    assert (report.created, report.rejected, report.header_row, report.unknown_columns) == (1, 0, 4, [])
    assert report.ignored_columns == ["序号"] and report.mapping["负责人联系电话"] == "owner_phone"
    c = Customer.get(Customer.phone_digits == "13800138001")
    assert (c.name, c.gender, c.age_range, c.phone2, c.wechat, c.qq, c.email, c.source, c.customer_type) == (
        "周晓明", "m", "36-45岁", "+861062345678", "zxm_wx", "88112233", "zxm@example.com", "autohome", "intent")
    assert c.owner.name == "李娜"
    lead = Lead.get(Lead.customer == c.id)
    assert (lead.brands, lead.configuration, lead.colour) == ("吉利、领克", "全景天窗，真皮座椅", "晶石白")
    assert (lead.budget_min, lead.budget_max) == (180_000, 220_000)  # 20万左右
    assert (lead.focus_points, lead.use, lead.urgency, lead.grade) == ("space,economy,安全", "family", "near", "A")
    assert (lead.expected_purchase_date, lead.purchase_window) == (None, "年底")
    assert (lead.competitor_models, lead.decision_maker, lead.objections) == ("丰田 RAV4", "family", "落地价偏高")
    assert (lead.models_seen, lead.materials) == ("星越L", "brochure,quote,U盘")
    assert local(lead.created_at) == "2026-02-20 10:00" and local(lead.last_contact_at) == "2026-03-05 14:30"
    assert Vehicle.get_by_id(lead.vehicle_id).series == "星越L"  # named in the sheet, added to the catalogue
    contact = FollowUp.get((FollowUp.lead == lead.id) & FollowUp.done_at.is_null(False))
    assert (local(contact.done_at), contact.channel, contact.summary, contact.feedback, contact.attitude) == (
        "2026-03-05 14:30", "phone", "介绍了金融方案", "犹豫", "hesitant")
    assert (contact.next_step, contact.owner.name) == ("邀约周末试驾", "李娜")
    planned = FollowUp.get((FollowUp.lead == lead.id) & FollowUp.done_at.is_null())
    assert (local(planned.due_at), planned.summary) == ("2026-03-14 10:00", "邀约周末试驾")
    drive = TestDrive.get(TestDrive.lead == lead.id)
    assert drive.feedback == "底盘扎实，后排略窄" and drive.vehicle_id == lead.vehicle_id
    # the consultant's own phone is recognised as theirs: stored nowhere as a customer's
    assert not Customer.select().where((Customer.phone_digits == "13911112222")
                                       | (Customer.phone2_digits == "13911112222")).exists()


def test_unknown_words_are_kept_as_typed_and_counted(shop, tmp_path):
    row = sheets.full_row(1, 决策人="岳父出钱", 购车用途="接送孩子", 客户来源="懂车帝", 购车预算范围="看情况")
    report = import_rows(tmp_path, [row])
    assert report.created == 1 and report.rejected == 0
    assert report.unknown_words[("决策人", "岳父出钱")] == 1 and report.unknown_words[("主要关注点", "安全")] == 1
    assert {w.error.code for w in report.warnings} >= {"unknown_word", "budget_invalid"}
    c = Customer.get(Customer.phone_digits == "13800138001")
    lead = Lead.get(Lead.customer == c.id)
    assert (c.source, lead.use, lead.decision_maker) == ("懂车帝", "接送孩子", "岳父出钱")
    assert (lead.budget_min, lead.budget_max) == (None, None) and "购车预算范围: 看情况" in lead.sheet_notes
    # the app shows them as typed, and an edit that leaves them alone saves
    detail = customers.detail(manager(), c.id, reveal=True)
    customers.update(manager(), c.id, {"decision_maker": "岳父出钱", "focus_points": "space,安全",
                                       "source": "懂车帝", "notes": "改了备注"},
                     base={"decision_maker": "岳父出钱", "focus_points": lead.focus_points, "source": "懂车帝",
                           "notes": c.notes}, lead_id=lead.id)
    assert Customer.get_by_id(c.id).notes == "改了备注" and Lead.get_by_id(lead.id).focus_points == "space,安全"


@pytest.mark.parametrize("budget, expected", [("20万左右", (180_000, 220_000)), ("30W+", (300_000, None)),
                                              ("10万以内", (None, 100_000)), ("15万上下", (135_000, 165_000)),
                                              ("15-20万", (150_000, 200_000))])
def test_budgets_as_people_write_them(shop, tmp_path, budget, expected):
    import_rows(tmp_path, [sheets.full_row(1, 购车预算范围=budget)])
    lead = Lead.get()
    assert (lead.budget_min, lead.budget_max) == expected


@pytest.mark.parametrize("word, grade", [("H级", "H"), ("b", "B"), ("高", "H"), ("中", "B"), ("低", "C")])
def test_grades_map_through_the_policy(shop, tmp_path, word, grade):
    import_rows(tmp_path, [sheets.full_row(1, 客户级别=word)])
    assert Lead.get().grade == grade


def test_a_won_row_is_a_delivery_with_its_after_sales_schedule(shop, tmp_path):
    won = sheets.full_row(2, **{"*主要联系电话": 13800138002, "成交状态": "已成交", "成交车型": "吉利 博越L",
                                "成交配置": "2.0T 旗舰型", "成交颜色": "极地白", "成交价格": "15.2万",
                                "订车日期": "2026-02-25", "交车日期": "2026-03-01"})
    report = import_rows(tmp_path, [won])
    assert report.created == 1 and report.new_vehicles == ["星越L"]  # the model of interest; the bought one is known
    lead = Lead.get()
    assert (lead.status, lead.stage, lead.deal_price, lead.deal_configuration, lead.deal_colour) == (
        "won", "delivery", 152_000, "2.0T 旗舰型", "极地白")
    assert Vehicle.get_by_id(lead.vehicle_id).series == "博越L"
    assert (lead.delivered_on, lead.insurance_until) == (dt.date(2026, 3, 1), dt.date(2027, 3, 1))
    assert local(lead.ordered_at) == "2026-02-25 10:00" and lead.customer.customer_type == "owner"
    plan = {f.purpose: local(f.due_at) for f in FollowUp.select().where((FollowUp.lead == lead.id)
                                                                        & FollowUp.done_at.is_null())}
    # as a delivery in the app; the day-1 and week-1 calls fell before today (10 March) and are not made up
    assert plan["first_service"] == "2026-05-30 10:00" and plan["maintenance"] == "2026-08-28 10:00"
    assert plan["insurance"] == "2026-12-31 10:00" and "holiday:national_day" in plan
    assert "day1" not in plan and "week1" not in plan and "" not in plan  # no sales call on a won lead
    # the deal price is confidential: not in the audit trail
    assert not AuditLog.select().where(AuditLog.new.contains("152000")).exists()
    assert customers.detail(session_for("李娜"), lead.customer_id).lead.deal_price == 152_000


def test_a_lost_row_is_a_lost_lead_with_reason_and_competitor(shop, tmp_path):
    lost = sheets.full_row(3, **{"*主要联系电话": "13800138003", "成交状态": "已战败", "战败原因": "选择竞品",
                                 "战败车型": "丰田 RAV4 荣放"})
    import_rows(tmp_path, [lost])
    lead = Lead.get()
    assert (lead.status, lead.lost_reason, lead.lost_competitor, lead.customer.customer_type) == (
        "lost", "competitor", "丰田 RAV4 荣放", "lost")
    assert lead.closed_at is not None
    assert not FollowUp.select().where((FollowUp.lead == lead.id) & FollowUp.done_at.is_null()).exists()


def test_unknown_consultant_leaves_the_customer_with_the_importing_manager(shop, tmp_path):
    report = import_rows(tmp_path, [sheets.full_row(1, 销售顾问="已离职的王五", 跟进负责人="已离职的王五")])
    assert report.unassigned == {"已离职的王五": [5]} and report.owner_name == "王经理"
    c = Customer.get()
    assert c.owner.name == "王经理" and Lead.get().owner.name == "王经理"


def test_rejected_only_what_cannot_be_a_customer(shop, tmp_path):
    rows = [sheets.full_row(1, **{"客户姓名(必填)": "", "*主要联系电话": ""}),
            sheets.full_row(2, **{"*主要联系电话": "1.38E+10"}),
            sheets.full_row(3, **{"*主要联系电话": "12345"}),
            sheets.full_row(4, **{"*主要联系电话": "13800138004", "首次接触日期": "2026-02-30"}),
            sheets.full_row(5, **{"*主要联系电话": "13800138005", "沟通内容摘要": "长" * 10_001})]
    report = import_rows(tmp_path, rows)
    codes = {p.row: p.error.code for p in report.problems}
    assert codes == {5: "no_name_or_phone", 6: "phone_digits_lost", 7: "phone_invalid", 8: "date_invalid",
                     9: "cell_too_long"}
    assert report.created == 0 and Customer.select().count() == 0
    from carcrm_tui.ui_text import invalid_sentence

    assert "lost its digits" in invalid_sentence(report.problems[1].error)


def test_a_follow_up_log_one_row_per_contact(shop, tmp_path):
    path = sheets.write_csv(tmp_path / "跟进记录.csv", [sheets.LOG_HEADER, *sheets.LOG_ROWS], encoding="gb18030")
    report = importing.import_file(manager(), path)
    assert (report.created, report.updated, report.contacts, report.rejected) == (2, 3, 5, 0)
    qian = Lead.get(Lead.customer == Customer.get(Customer.phone_digits == "13700001111").id)
    done = [(local(f.done_at), f.channel, f.summary, f.attitude) for f in
            FollowUp.select().where((FollowUp.lead == qian.id) & FollowUp.done_at.is_null(False)).order_by(FollowUp.done_at)]
    assert done == [("2026-02-01 10:15", "visit", "首次到店看星越L", "positive"),
                    ("2026-02-03 16:40", "phone", "约了周六试驾", "positive"),
                    ("2026-02-07 15:00", "test_drive", "试驾后想再比较", "hesitant")]
    # the latest contact's next date is the open follow-up, though its row is not the last
    assert [local(f.due_at) for f in FollowUp.select().where((FollowUp.lead == qian.id)
                                                             & FollowUp.done_at.is_null())] == ["2026-03-20 10:00"]
    assert local(qian.last_contact_at) == "2026-02-07 15:00" and local(qian.created_at) == "2026-02-01 10:15"
    assert Customer.get(Customer.phone_digits == "13700002222").owner.name == "张伟"
    again = importing.import_file(manager(), path)
    assert (again.created, again.updated, again.contacts, again.unchanged) == (0, 0, 0, 5)
    assert FollowUp.select().count() == 7


def test_a_log_with_merged_name_cells_keeps_the_contacts_with_their_customer(shop, tmp_path):
    rows = [["客户姓名", "手机", "跟进日期", "沟通内容摘要"],
            ["钱多多", "13700001111", "2026-02-01", "第一次"],
            [None, None, "2026-02-03", "第二次"],  # the name and phone cells merged over both rows
            ["孙小美", "13700002222", "2026-02-04", "另一位"]]
    path = sheets.write_xlsx(tmp_path / "log.xlsx", {"跟进": rows})
    report = importing.import_file(manager(), path)
    assert (report.created, report.contacts, report.rejected) == (2, 3, 0)
    qian = Customer.get(Customer.phone_digits == "13700001111")
    assert FollowUp.select().join(Lead).where((Lead.customer == qian.id) & FollowUp.done_at.is_null(False)).count() == 2


def test_undo_removes_what_the_batch_created_and_restores_what_it_changed(shop, tmp_path):
    first = import_rows(tmp_path, [sheets.full_row(1)], name="a.xlsx")
    c = Customer.get()
    lead = Lead.get()
    changed = sheets.full_row(1, 微信="new_wx", 购车预算范围="25-30万", 沟通内容摘要="第二次电话",
                              **{"跟进日期与时间": "2026-03-09 09:00"})
    second = import_rows(tmp_path, [changed, sheets.full_row(2, **{"*主要联系电话": "13800138002"})], name="b.xlsx")
    assert (second.created, second.updated, second.contacts) == (1, 1, 2)
    assert Customer.get_by_id(c.id).wechat == "new_wx" and Lead.get_by_id(lead.id).budget_max == 300_000
    result = import_batches.undo(manager(), second.batch_id)
    assert (result.removed, result.kept) == (1, 0) and result.restored >= 2
    assert Customer.get_by_id(c.id).wechat == "zxm_wx" and Lead.get_by_id(lead.id).budget_max == 220_000
    assert not FollowUp.select().where(FollowUp.summary == "第二次电话").exists()
    assert Customer.select().count() == 1 and ImportChange.select().where(ImportChange.batch == second.batch_id).count() == 0
    assert ImportBatch.get_by_id(second.batch_id).status == "undone"
    assert AuditLog.select().where(AuditLog.action == "undo_import").exists()
    with pytest.raises(Rejected):
        import_batches.undo(manager(), second.batch_id)
    # a colleague's work since the import is never undone: a logged call keeps the customer
    from carcrm_tui.services import contacts
    from carcrm_tui.services.views import ContactInput

    contacts.log_contact(session_for("李娜", at=pendulum.datetime(2026, 3, 10, 3, 0, tz="UTC")), lead.id,
                         ContactInput(summary="顾问打过电话"))
    result = import_batches.undo(manager(), first.batch_id)
    assert (result.removed, result.kept) == (0, 1) and Customer.select().count() == 1
    assert Vehicle.select().where(Vehicle.origin == "import").count() == 1  # still named by the kept lead


def test_a_crash_mid_import_leaves_whole_chunks_and_an_incomplete_batch(shop, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 10)
    monkeypatch.setattr(importing, "LOCK_TARGET", 60.0)  # chunks of exactly 10 rows, however busy the machine
    rows = [sheets.full_row(i, **{"*主要联系电话": f"139{i:08d}", "客户姓名(必填)": f"客户{i}"}) for i in range(1, 36)]
    real = importing._Importer._create

    def power_cut(self, v):
        if v["row"] == 4 + 25:  # the 25th data row: in the third chunk
            raise OSError("disk I/O error")
        return real(self, v)

    monkeypatch.setattr(importing._Importer, "_create", power_cut)
    with pytest.raises(importing.ImportStopped) as stop:
        import_rows(tmp_path, rows)
    batch = ImportBatch.get_by_id(stop.value.batch_id)
    assert (batch.status, batch.created, stop.value.rows_done) == ("incomplete", 20, 24)
    assert Customer.select().count() == 20 == Lead.select().count()  # whole rows only, each with its lead
    assert not Customer.select().where(Customer.id.not_in(Lead.select(Lead.customer))).exists()
    monkeypatch.setattr(importing._Importer, "_create", real)
    path = tmp_path / "客户信息.xlsx"
    report = importing.import_file(manager(), path, resume=batch.id)
    assert (report.batch_id, report.created, report.rows) == (batch.id, 35, 35) and Customer.select().count() == 35
    assert ImportBatch.get_by_id(batch.id).status == "complete"
    assert import_batches.undo(manager(), batch.id).removed == 35 and Customer.select().count() == 0


def another_terminal_saving(db):
    """A second connection in the middle of a save: SQLite's write lock, or PostgreSQL's
    EXCLUSIVE lock on the tables an import writes (reads still pass, writes wait)."""
    if isinstance(db, PostgresqlDatabase):
        import psycopg

        holder = psycopg.connect(dbname=db.database, **db.connect_params)
        holder.execute("LOCK TABLE customer, lead IN EXCLUSIVE MODE NOWAIT")
        return holder
    holder = sqlite3.connect(db.database, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_dry_run_takes_no_write_lock(shop, tmp_path):
    path = sheets.write_csv(tmp_path / "s.csv", [sheets.FULL_HEADER, sheets.full_row(1)])
    holder = another_terminal_saving(shop)
    try:
        report = importing.import_file(manager(), path, dry_run=True)
    finally:
        holder.rollback()
        holder.close()
    assert report.created == 1 and report.new_vehicles == ["星越L"] and Customer.select().count() == 0


def test_headers_with_decorations_title_rows_and_a_chosen_sheet(shop, tmp_path):
    header = ["序号", "\t客户姓名（必填）", "【联系电话】*", "客户来源(选填)", "销售顾问", "顾问电话"]
    path = sheets.write_xlsx(tmp_path / "多表.xlsx", {
        "说明": [["填表说明：带*为必填项"], ["请勿修改表头"]],
        "客户": sheets.titled(header, [[1, "甲", 13800000001, "展厅", "李娜", 13922223333]]),
        "二月": [header, [1, "乙", 13800000002, "车展", "张伟", 13944445555]],
    }, title_rows={"客户": 2})
    report = importing.import_file(manager(), path)
    assert (report.sheet, report.header_row, report.created) == ("客户", 4, 1)
    assert Customer.get().phone_digits == "13800000001"
    report = importing.import_file(manager(), path, sheet_name="二月")
    assert (report.sheet, report.created) == ("二月", 1)
    assert Customer.select().where(Customer.phone_digits.in_(["13922223333", "13944445555"])).count() == 0
    with pytest.raises(importing.SheetError) as missing:
        importing.import_file(manager(), path, sheet_name="三月")
    assert missing.value.code == "sheet_missing" and "二月" in missing.value.params["sheets"]


def test_export_leads_keeps_lost_reasons_competitors_and_the_deal_for_those_who_may_see_it(shop, tmp_path):
    from carcrm_tui.services import exporting

    rows = [sheets.full_row(1, **{"*主要联系电话": "13800138003", "成交状态": "已战败", "战败原因": "预算调整",
                                  "战败车型": "比亚迪 宋PLUS"}),
            sheets.full_row(2, **{"*主要联系电话": "13800138002", "成交状态": "已成交", "成交价格": 152000,
                                  "交车日期": "2026-03-01", "成交配置": "旗舰型"})]
    import_rows(tmp_path, rows)
    out = tmp_path / "leads.csv"
    assert exporting.export(manager(), out, "leads", "zh") == 2
    text = out.read_text(encoding="utf-8-sig")
    assert "战败原因" in text and "预算调整" in text and "比亚迪 宋PLUS" in text and "152000" in text
    zhang = tmp_path / "zhang.csv"
    exporting.export(session_for("张伟"), zhang, "leads", "zh")  # sees no customer of 李娜's
    assert "152000" not in zhang.read_text(encoding="utf-8-sig")
    Customer.delete().execute()
    report = importing.import_file(manager(), out)
    assert (report.created, report.rejected) == (2, 0)
    lost = Lead.get(Lead.status == "lost")
    assert (lost.lost_reason, lost.lost_competitor) == ("budget", "比亚迪 宋PLUS")
    won = Lead.get(Lead.status == "won")
    assert (won.deal_price, won.delivered_on, won.deal_configuration) == (152_000, dt.date(2026, 3, 1), "旗舰型")


def test_error_file_is_formula_safe_and_never_half_written(shop, tmp_path, monkeypatch):
    rows = [sheets.full_row(1, **{"*主要联系电话": "12345", "沟通内容摘要": "=HYPERLINK(\"http://x\")"})]
    path = sheets.write_csv(tmp_path / "s.csv", [sheets.FULL_HEADER, *rows])
    report = importing.import_file(manager(), path)
    target = tmp_path / "errors.csv"
    importing.write_errors(report, target, lambda p: p.error.code)
    text = target.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "phone_invalid" in text
    # a full disk half-way: the old file stays whole, no partial file takes its name
    import csv as csv_module

    class Full:
        def __init__(self, fh):
            self.n = 0

        def writerow(self, row):
            self.n += 1
            if self.n > 1:
                raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv_module, "writer", lambda fh: Full(fh))
    with pytest.raises(OSError):
        importing.write_errors(report, target, lambda p: p.error.code)
    assert target.read_text(encoding="utf-8-sig") == text
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_importing_won_and_lost_rows_again_changes_nothing(shop, tmp_path):
    rows = [sheets.full_row(1, **{"*主要联系电话": "13800138002", "成交状态": "已成交", "交车日期": "2026-03-01",
                                  "成交价格": "15万"}),
            sheets.full_row(2, **{"*主要联系电话": "13800138003", "成交状态": "已战败", "战败原因": "价格原因"})]
    import_rows(tmp_path, rows)
    followups = FollowUp.select().count()
    for dry_run in (True, False):
        again = import_rows(tmp_path, rows, dry_run=dry_run)
        assert (again.created, again.updated, again.unchanged, again.contacts) == (0, 0, 2, 0)
    # the sheet's 客户类型 (意向客户) does not undo what the outcome made of them
    assert {c.customer_type for c in Customer.select()} == {"owner", "lost"}
    assert FollowUp.select().count() == followups
