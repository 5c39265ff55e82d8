"""Importing the dealer's sheets and exporting them again, on real SQLite files."""

import csv
import shutil
from pathlib import Path

import pytest

from carcrm_tui.services import exporting, importing
from carcrm_tui.services.importing import SheetError
from carcrm_tui.store.models import AuditLog, Customer, CustomerTag, FollowUp, Lead
from tests import factory
from tests.conftest import NOW, session_for

SHEETS = Path(__file__).parents[2] / "fixtures" / "import"


@pytest.fixture
def shop(database):
    factory.account("李娜")
    factory.account("张伟")
    factory.account("王经理", role="manager")
    for series, brand, price in (("汉", "比亚迪", 209_800), ("宋PLUS", "比亚迪", 169_800), ("Model Y", "特斯拉", 249_900),
                                 ("Model 3", "特斯拉", 231_900)):
        factory.Vehicle.create(brand=brand, series=series, model="标准版", guide_price=price)
    return database


def test_chinese_sheet_valid_rows_in_bad_rows_explained(shop):
    report = importing.import_file(session_for("王经理"), SHEETS / "customers_zh_utf8.csv")
    assert (report.rows, report.created, len(report.rejected_rows)) == (9, 7, 2)
    assert report.unknown_columns == ["客户QQ"]
    problems = {(p.row, p.column, p.error.code) for p in report.problems}
    # only what cannot be a customer: a phone that is no phone, a date that cannot exist
    assert problems == {(6, "联系电话", "phone_invalid"), (7, "预计购车时间", "date_invalid")}
    # a row without a name but with a phone is a customer; an unknown consultant leaves it with the importer
    assert Customer.get(Customer.phone_digits == "13500138007").name == "Customer 8007"
    assert report.unassigned == {"不存在的人": [10]}
    assert Customer.get(Customer.phone_digits == "13300138009").owner.name == "王经理"
    wang = Customer.get(Customer.phone_digits == "13800138001")
    assert (wang.name, wang.gender, wang.source, wang.wechat) == ("王建军", "m", "walk_in", "wjj_2024")
    lead = Lead.get(Lead.customer == wang.id)
    assert (lead.grade, lead.urgency, lead.use, lead.budget_min, lead.budget_max) == ("A", "near", "family", 200_000, 250_000)
    assert lead.focus_points == "space,economy" and lead.expected_purchase_date.isoformat() == "2026-12-20"
    assert {t.tag for t in CustomerTag.select().where(CustomerTag.customer == wang.id)} == {"家庭用户"}
    notes = FollowUp.select().where((FollowUp.lead == lead.id) & FollowUp.done_at.is_null(False))
    assert [f.summary for f in notes] == ["到店看车，关注后排空间"]
    nxt = FollowUp.get((FollowUp.lead == lead.id) & FollowUp.done_at.is_null())
    assert nxt.due_at.in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm") == "2026-12-01 10:00"
    liu = Customer.get(Customer.phone_digits == "13900138002")
    assert liu.phone2 == "+861062345678"  # a landline, normalised
    chen = Lead.get(Lead.customer == Customer.get(Customer.name == "陈伟").id)
    assert chen.expected_purchase_date.isoformat() == "2026-12-15"  # 12月15日: this year
    assert AuditLog.select().where(AuditLog.action == "import").count() >= 5


def test_reimport_updates_instead_of_duplicating_and_skip_means_skip(shop):
    s = session_for("王经理")
    importing.import_file(s, SHEETS / "customers_zh_utf8.csv")
    again = importing.import_file(s, SHEETS / "customers_zh_utf8.csv")
    assert (again.created, again.updated, again.unchanged, again.contacts) == (0, 0, 7, 0)
    assert Customer.select().count() == 7
    assert FollowUp.select().where(FollowUp.summary == "到店看车，关注后排空间").count() == 1
    skipped = importing.import_file(s, SHEETS / "customers_zh_utf8.csv", on_duplicate="skip")
    assert (skipped.created, skipped.updated, skipped.skipped) == (0, 0, 7)


def test_dry_run_writes_nothing(shop):
    report = importing.import_file(session_for("王经理"), SHEETS / "customers_zh_utf8.csv", dry_run=True)
    assert report.created == 7 and Customer.select().count() == 0 and Lead.select().count() == 0
    assert report.batch_id is None and importing.ImportBatch.select().count() == 0


@pytest.mark.parametrize("sheet, encoding, created", [("customers_zh_gbk.csv", "gb18030", 4),
                                                      ("customers_zh_bom.csv", "utf-8-bom", 4),
                                                      ("customers_en.xlsx", "xlsx", 2)])
def test_encodings_and_xlsx_are_detected(shop, sheet, encoding, created):
    report = importing.import_file(session_for("王经理"), SHEETS / sheet)
    assert (report.encoding, report.created) == (encoding, created)


def test_xlsx_numbers_and_serial_dates(shop):
    importing.import_file(session_for("王经理"), SHEETS / "customers_en.xlsx")
    zhou = Customer.get(Customer.phone_digits == "13800138101")  # stored by Excel as a number
    lead = Lead.get(Lead.customer == zhou.id)
    assert (zhou.gender, zhou.source, lead.urgency) == ("f", "autohome", "near")
    assert lead.expected_purchase_date.isoformat() == "2027-01-01"  # Excel serial 46388
    assert Lead.get(Lead.customer == Customer.get(Customer.name == "Li Lei").id).urgency == "mid"


def test_map_option_and_missing_columns(shop, tmp_path):
    sheet = tmp_path / "odd.csv"
    sheet.write_text("名字,手机号码2,来源\n李雷,13811112222,展厅\n", encoding="utf-8")
    with pytest.raises(SheetError) as err:
        importing.import_file(session_for("王经理"), sheet)
    assert err.value.code == "no_header"
    report = importing.import_file(session_for("王经理"), sheet, extra_map={"名字": "name", "手机号码2": "phone"})
    assert report.created == 1


def test_importing_is_for_managers_and_admins(shop, tmp_path):
    sheet = tmp_path / "other.csv"
    sheet.write_text("姓名,手机,销售顾问\n李雷,13811112222,张伟\n", encoding="utf-8")
    for dry_run in (True, False):  # a preview would show whose customers the phones are too
        with pytest.raises(importing.ImportNotAllowed):
            importing.import_file(session_for("李娜"), sheet, dry_run=dry_run)
    assert Customer.select().count() == 0
    assert importing.import_file(session_for("王经理"), sheet).created == 1


def test_round_trip_import_export_import_loses_nothing(shop, tmp_path):
    s = session_for("王经理")
    importing.import_file(s, SHEETS / "customers_zh_utf8.csv")
    importing.import_file(s, SHEETS / "customers_en.xlsx")
    before = _snapshot()
    for lang, suffix in (("zh", ".csv"), ("en", ".xlsx")):
        out = tmp_path / f"export-{lang}{suffix}"
        assert exporting.export(s, out, "customers", lang) == len(before)
        Customer.delete().execute()  # same accounts and catalogue, no customers (on a file or a server)
        report = importing.import_file(s, out)
        assert (report.created, report.rejected_rows) == (len(before), [])
        expected = before if suffix == ".csv" else _visible_controls(before)  # XLSX holds no control chars
        assert _snapshot() == expected, lang
        Customer.delete().execute()
        importing.import_file(s, SHEETS / "customers_zh_utf8.csv")  # back to where the next language starts
        importing.import_file(s, SHEETS / "customers_en.xlsx")


def _visible_controls(rows):
    return {k: tuple(v.replace("\x1b", "␛") if isinstance(v, str) else v for v in row) for k, row in rows.items()}


def _snapshot():
    rows = {}
    for c in Customer.select():
        lead = Lead.get(Lead.customer == c.id)
        tags = sorted(t.tag for t in CustomerTag.select().where(CustomerTag.customer == c.id))
        rows[c.phone] = (c.name, c.phone2, c.gender, c.wechat, c.source, c.notes, tuple(tags), lead.grade,
                         lead.vehicle_id, lead.budget_min, lead.budget_max, lead.urgency, lead.use, lead.focus_points,
                         lead.competitor_models, lead.expected_purchase_date)
    return rows


def test_hostile_values_survive_the_round_trip(shop, tmp_path):
    s = session_for("王经理")
    importing.import_file(s, SHEETS / "customers_zh_utf8.csv")
    hostile = Customer.get(Customer.phone_digits == "13400138008")
    assert hostile.name == "[b]周[/b] \x1b[31m杰" and hostile.notes.startswith("=cmd")
    out = tmp_path / "out.csv"
    exporting.export(s, out, "customers", "zh")
    with out.open(encoding="utf-8-sig") as fh:
        cells = [row for row in csv.reader(fh) if row and row[0].startswith("[b]")][0]
    assert "'=cmd|' /C calc'!A0" in cells  # Excel shows it as text, never runs it


def test_a_10000_character_note_and_markup_survive_import_export_import(shop, tmp_path):
    note = ("[b]长[/b] \\ \x1b[2J " * 800)[:9_999] + "尾"  # text fields are trimmed: end on a character
    sheet = tmp_path / "long.csv"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["姓名", "手机", "备注"], ["[Acme] 客户", "13811112222", note]])
    s = session_for("王经理")
    assert importing.import_file(s, sheet).created == 1
    out = tmp_path / "out.csv"
    exporting.export(s, out, "customers", "en")
    Customer.delete().execute()
    assert importing.import_file(s, out).created == 1
    c = Customer.get(Customer.phone_digits == "13811112222")
    assert (c.name, c.notes) == ("[Acme] 客户", note) and len(c.notes) == 10_000


def test_exports_respect_visibility(shop, tmp_path):
    importing.import_file(session_for("王经理"), SHEETS / "customers_zh_utf8.csv")
    other = factory.customer(factory.Account.get(factory.Account.name == "张伟"), "别人的客户", phone="13999990000")
    factory.lead(other)
    out = tmp_path / "mine.csv"
    exporting.export(session_for("李娜"), out, "customers", "zh")
    assert "别人的客户" not in out.read_text(encoding="utf-8-sig")
    exporting.export(session_for("王经理"), out, "customers", "zh")
    assert "别人的客户" in out.read_text(encoding="utf-8-sig")


def test_a_known_backup_phone_finds_its_customer_in_this_showroom_only(shop, tmp_path):
    """A row whose phone is an existing customer's backup number updates that customer — also on a
    file whose statistics say backup numbers are nearly all empty (the planner then scans unless
    the phone index is named); a customer with that phone in another showroom is not this one's."""
    from carcrm_tui.store.models import Account, Showroom, database

    lina = Account.get(Account.name == "李娜")
    known = factory.customer(lina, "老客户")
    Customer.update(phone2="+8613911112222", phone2_digits="13911112222").where(Customer.id == known.id).execute()
    for i in range(30):  # customers without a backup phone, as most are
        factory.customer(lina, f"客户{i}", phone=f"137000000{i:02d}")
    west = Showroom.create(name="西城店", created_at=NOW).id
    elsewhere = factory.customer(lina, "西城客户", phone="13922223333")
    Customer.update(showroom=west).where(Customer.id == elsewhere.id).execute()
    database.execute_sql("ANALYZE")
    sheet = tmp_path / "s.csv"
    sheet.write_text("客户姓名,联系电话,客户级别\n老客户,13911112222,A\n新客户,13922223333,B\n", encoding="utf-8")
    report = importing.import_file(session_for("王经理"), sheet)
    assert (report.created, report.updated) == (1, 1), report
    assert Customer.select().where(Customer.phone_digits == "13911112222").count() == 0  # no duplicate made
    assert Customer.select().where(Customer.phone_digits == "13922223333").count() == 2  # one per showroom
