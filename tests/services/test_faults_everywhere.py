"""Each storage fault, injected under each write service, on SQLite and on PostgreSQL.

The fault is raised by the storage layer the way the driver raises it (store/faults.py). Every
service must let it out as StorageFault(kind) — the screens and the CLI turn that into a
sentence — leave no row of the attempt behind, and succeed when tried again.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import (
    accounts, auth, board, complaints, contacts, customers, exporting, merge, notices, process, reassign, site,
    walkins,
)
from carcrm_tui.services.views import ContactInput, WalkInInput
from carcrm_tui.store import faults
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.store.models import MODELS, AuditLog, Lead, database as proxy
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    db = request.getfixturevalue("file_database" if request.param == "sqlite" else "pg_database")
    if request.param == "sqlite":
        monkeypatch.setattr(type(db), "begin_patience", 0.1)  # a busy file is said quickly in tests
    return request.param


@pytest.fixture
def shop(backend, tmp_path):
    admin = auth.add_account(None, "管理员", "admin", "240613", NOW)
    auth.add_account(admin, "王经理", "manager", "860517", NOW)
    lina = factory.account("李娜")
    zw = factory.account("张伟")
    mine = factory.customer(lina, "客户甲", phone="13800001111")
    theirs = factory.customer(zw, "客户乙", phone="13800002222")
    ld = factory.lead(mine, grade="A", stage="needs")
    factory.due(ld, NOW.add(days=1))
    other = factory.lead(theirs, grade="B", stage="needs")
    complaint = complaints.open_complaint(session_for("王经理"), mine.id, "phone", "service", "等太久", "service")
    notices.tell(lina.id, NOW, "be_back", mine.id, customer="客户甲", by="张伟")
    return SimpleNamespace(customer=mine.id, lead=ld.id, other_customer=theirs.id, other_lead=other.id,
                           complaint=complaint, tmp=tmp_path)


def v(lead_id):
    return Lead.get_by_id(lead_id).version


WRITES = {
    "log a contact": lambda r: contacts.log_contact(session_for("李娜"), r.lead, ContactInput(summary="回访")),
    "edit a customer": lambda r: customers.update(session_for("李娜"), r.customer, {"notes": "新备注"},
                                                  base={"notes": ""}),
    "move a stage": lambda r: board.move(session_for("李娜"), r.lead, v(r.lead), -1),
    "mark lost": lambda r: board.mark_lost(session_for("李娜"), r.lead, v(r.lead), "budget"),
    "set the grade": lambda r: process.set_grade(session_for("李娜"), r.lead, v(r.lead), "C", "三个月后再说"),
    "mark dormant": lambda r: process.set_dormant(session_for("李娜"), r.lead, v(r.lead)),
    "record a complaint": lambda r: complaints.open_complaint(session_for("李娜"), r.customer, "phone", "sales",
                                                               "价格", "sales"),
    "resolve a complaint": lambda r: complaints.resolve(session_for("王经理"), r.complaint, "已回电"),
    "register a walk-in": lambda r: walkins.register_walkin(session_for("李娜"),
                                                            WalkInInput(phone="13900009999", name="新客")),
    "a colleague's be-back": lambda r: walkins.colleague_be_back(session_for("李娜"), "13800002222"),
    "merge two records": lambda r: merge.merge(session_for("王经理"), r.customer, r.other_customer),
    "reassign a lead": lambda r: reassign.reassign(session_for("王经理"), ["张伟"], lead_ids=[r.lead]),
    "reveal a number": lambda r: customers.reveal(session_for("李娜"), r.customer),
    "read a notice": lambda r: notices.mark_read(session_for("李娜"), 1),
    "export (audited)": lambda r: exporting.export(session_for("王经理"), r.tmp / "out.csv"),
    "sign in": lambda r: auth.sign_in("李娜", "0000", NOW, Policy()),
    "add an account": lambda r: auth.add_account(accounts.find("管理员"), "刘洋", "consultant", "6172", NOW),
    "change a PIN": lambda r: auth.set_pin(accounts.find("管理员"), "李娜", "7053", NOW),
    "set the site policy": lambda r: site.set_policy(accounts.find("管理员"), '[dealership]\nname = "星辰"\n', NOW),
}


def state() -> dict[str, int]:
    return {m.__name__: m.select().count() for m in MODELS} | {
        "audit_max": AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).scalar() or 0,
        "versions": sum(v for (v,) in Lead.select(Lead.version).tuples())}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("kind", ["busy", "disk_full", "read_only", "connection_lost"])
def test_a_fault_under_a_write_is_said_leaves_nothing_and_the_retry_works(shop, backend, write, kind):
    if kind == "connection_lost" and backend == "sqlite":
        kind = "unavailable"  # a file has no connection to lose; it can stop being reachable
    call = WRITES[write]
    before = state()
    with faults.inject(proxy, kind, times=10**6) as armed:
        with pytest.raises(StorageFault) as caught:
            call(shop)
    assert armed.fired >= 1 and caught.value.kind == kind
    assert state() == before, "the attempt left rows behind"
    try:
        call(shop)  # the storage is back: the same request goes through
    except auth.SignInFailed:
        pass  # (the wrong PIN of "sign in" is counted now that it can be)
    assert state() != before or write in ("read a notice",)
