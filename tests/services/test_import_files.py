"""Files as dealers have them: old .xls, UTF-16 and Big5 text, web pages named .xls, and files
that must be refused before they are parsed (too big, too many rows, a zip bomb)."""

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import importing
from carcrm_tui.services.sheet_files import Limits, SheetError, open_sheet
from carcrm_tui.store.models import Customer, FollowUp, Lead
from tests import factory, sheets
from tests.conftest import session_for

FIXTURES = Path(__file__).parents[2] / "fixtures" / "import"
SIMPLIFIED = [["客户姓名", "联系电话", "客户来源", "跟进日期", "沟通内容摘要", "销售顾问"],
              ["张伟强", "13800138301", "展厅自然到店", "2026-03-05 09:15", "询问保养费用", "李娜"]]
TRADITIONAL = [["客戶姓名", "聯絡電話", "客戶來源", "跟進日期", "溝通內容摘要", "銷售顧問"],  # a Taiwan/Hong Kong office
               ["張偉強", "13800138301", "展廳自然到店", "2026-03-05 09:15", "詢問保養費用", "李娜"]]


@pytest.fixture
def shop(database):
    factory.account("李娜")
    factory.account("王经理", role="manager")
    return database


def manager(**policy):
    return session_for("王经理", policy=replace(Policy(), **policy) if policy else None)


def test_an_old_xls_from_a_dealer_system(shop):
    report = importing.import_file(manager(), FIXTURES / "dealer_export.xls")
    assert (report.encoding, report.sheet, report.header_row) == ("xls", "客户信息", 2)
    assert (report.created, report.rejected) == (2, 1) and report.ignored_columns == ["序号"]
    assert report.problems[0].error.code == "phone_digits_lost"
    feng = Customer.get(Customer.phone_digits == "13800138201")  # stored as a number in the sheet
    lead = Lead.get(Lead.customer == feng.id)
    assert (lead.grade, lead.budget_min, lead.budget_max) == ("H", 180_000, 220_000)
    contact = FollowUp.get((FollowUp.lead == lead.id) & FollowUp.done_at.is_null(False))
    assert contact.done_at.in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm") == "2026-02-01 10:30"
    assert not Customer.select().where(Customer.phone_digits == "13911110001").exists()  # the consultant's phone


@pytest.mark.parametrize("rows, encoding, delimiter, label", [
    (TRADITIONAL, "big5", ",", "big5"), (SIMPLIFIED, "gb18030", ",", "gb18030"),
    (TRADITIONAL, "utf-16", "\t", "utf-16"),  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    (SIMPLIFIED, "utf-8", ";", "utf-8")])
def test_text_in_the_encodings_offices_save(shop, tmp_path, rows, encoding, delimiter, label):
    path = sheets.write_csv(tmp_path / "sheet.csv", rows, encoding=encoding, delimiter=delimiter)
    report = importing.import_file(manager(), path)
    assert (report.encoding, report.created, report.rejected) == (label, 1, 0)
    c = Customer.get()
    assert (c.name, c.source, c.owner.name) == (rows[1][0], "walk_in", "李娜")  # as typed, never garbled
    assert FollowUp.get(FollowUp.done_at.is_null(False)).summary == rows[1][4]


def test_text_that_is_no_known_encoding_is_refused_not_garbled(shop, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes("客户姓名,联系电话\n张三,13800138000\n".encode("utf-8") + b"\xff\xfe\xfa\x80\x81\n")
    with pytest.raises(SheetError) as err:
        importing.import_file(manager(), path)
    assert err.value.code in ("encoding", "encoding_unsure") and Customer.select().count() == 0


def test_a_web_page_saved_as_xls_is_refused_with_what_to_do(shop, tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>客户姓名</td></tr></table></body></html>", encoding="utf-8")
    with pytest.raises(SheetError) as err:
        importing.import_file(manager(), path)
    assert err.value.code == "html_sheet"


def test_an_xlsx_named_xls_and_phones_stored_as_numbers(shop, tmp_path):
    path = sheets.write_xlsx(tmp_path / "really.xls", {"Sheet1": [["姓名", "手机", "跟进时间", "跟进记录"],
                                                                   ["赵一", 13800138401, "2026-10-17 21:24:59", "夜里来电"]]})
    report = importing.import_file(manager(), path)
    assert (report.encoding, report.created) == ("xlsx", 1)
    f = FollowUp.get(FollowUp.done_at.is_null(False))
    assert f.done_at.in_timezone("Asia/Shanghai").format("YYYY-MM-DD HH:mm:ss") == "2026-10-17 21:24:59"


def test_a_200000_character_cell_is_a_row_error_not_a_traceback(shop, tmp_path):
    path = sheets.write_csv(tmp_path / "long.csv", [["姓名", "手机", "备注"], ["甲", "13800138501", "长" * 200_000],
                                                    ["乙", "13800138502", "短"]])
    report = importing.import_file(manager(), path)
    assert (report.created, report.rejected) == (1, 1)
    assert report.problems[0].error.code == "cell_too_long" and report.problems[0].column == "备注"


def test_limits_on_size_rows_and_unzipped_size(shop, tmp_path):
    big = sheets.write_csv(tmp_path / "rows.csv", [["姓名", "手机"], *[[f"客户{i}", f"139{i:08d}"] for i in range(30)]])
    with pytest.raises(SheetError) as err:
        importing.import_file(manager(import_max_rows=20), big)
    assert err.value.code == "too_many_rows" and Customer.select().count() == 0
    with pytest.raises(SheetError) as err:
        open_sheet(big, limits=Limits(max_file_bytes=100))
    assert err.value.code == "file_too_big"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(shop, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))  # 30 MB of zeros: ~30 KB on disk
    assert bomb.stat().st_size < 100_000
    with pytest.raises(SheetError) as err:
        importing.import_file(manager(import_max_unzipped_mb=10), bomb)
    assert err.value.code == "unzipped_too_big"


def test_no_header_in_the_first_rows_is_said_plainly(shop, tmp_path):
    path = sheets.write_csv(tmp_path / "notes.csv", [["会议纪要"], ["今天讨论了车展"], ["没有表格"]])
    with pytest.raises(SheetError) as err:
        importing.import_file(manager(), path)
    assert err.value.code == "no_header"
