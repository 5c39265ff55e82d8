"""The vehicle catalogue: a price list in, models added, priced and retired by managers, audited."""

import pytest

from carcrm_tui.services import catalogue, importing
from carcrm_tui.services.errors import NotAllowed, Rejected, ValidationFailed
from carcrm_tui.store.models import AuditLog, Lead, Vehicle
from tests import factory, sheets
from tests.conftest import session_for


@pytest.fixture
def shop(database):
    factory.account("李娜")
    factory.account("王经理", role="manager")
    return database


def test_a_price_list_fills_the_catalogue_and_claims_the_imports_placeholders(shop, tmp_path):
    customers = sheets.write_csv(tmp_path / "c.csv", [["姓名", "手机", "意向品牌", "意向车型"],
                                                      ["甲", "13800138601", "吉利", "星越L"]])
    importing.import_file(session_for("王经理"), customers)
    placeholder = Vehicle.get(Vehicle.series == "星越L")
    assert (placeholder.brand, placeholder.origin, placeholder.guide_price) == ("吉利", "import", 0)
    prices = sheets.write_xlsx(tmp_path / "价格表.xlsx", {"价格表": [
        ["2026款厂商指导价"], ["品牌", "车系", "车型", "厂商指导价(万元)"],
        ["吉利", "星越L", "2.0TD 旗舰型", 17.27], ["吉利", "博越L", "1.5T 豪华型", "13.57万"],
        ["吉利", "银河E5", "", "不详"]]})
    report = catalogue.import_catalogue(session_for("王经理"), prices)
    assert (report.added, report.updated, report.unchanged, len(report.problems)) == (1, 1, 0, 1)
    claimed = Vehicle.get_by_id(placeholder.id)  # the lead that named it keeps its vehicle, now priced
    assert (claimed.model, claimed.guide_price, claimed.origin) == ("2.0TD 旗舰型", 172_700, "")
    assert Lead.get().vehicle_id == placeholder.id
    again = catalogue.import_catalogue(session_for("王经理"), prices)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert AuditLog.select().where(AuditLog.entity == "vehicle").count() >= 3


def test_add_price_and_retire_are_for_managers_and_audited(shop):
    s = session_for("王经理")
    entry = catalogue.add(s, "比亚迪", "汉", "EV 冠军版", "20.98万")
    assert entry.guide_price == 209_800
    with pytest.raises(Rejected):
        catalogue.add(s, "比亚迪", "汉", "EV 冠军版", "21万")
    with pytest.raises(ValidationFailed):
        catalogue.add(s, "比亚迪", "", "x", "abc")
    with pytest.raises(NotAllowed):
        catalogue.add(session_for("李娜"), "比亚迪", "宋", "", "15万")
    catalogue.set_price(s, entry.id, "199800", seen=209_800)
    with pytest.raises(Rejected) as changed:  # someone changed it since the screen showed 209,800
        catalogue.set_price(s, entry.id, "189800", seen=209_800)
    assert changed.value.params["price"] == 199_800
    catalogue.set_retired(s, entry.id, True)
    assert entry.id not in {v.id for v in catalogue.list_vehicles()}  # no longer offered to new leads
    assert [e.retired for e in catalogue.entries()] == [True]
    assert {(r.field, r.new) for r in AuditLog.select().where(AuditLog.entity == "vehicle")} >= {
        ("guide_price", "199800"), ("retired", "True")}
