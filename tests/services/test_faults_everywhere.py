"""Each storage fault, injected under each write service, on SQLite and on PostgreSQL.

The fault is raised by the storage layer the way the driver raises it (store/faults.py). Every
service must let it out as StorageFault(kind) — the screens and the CLI turn that into a
sentence — leave no row of the attempt behind (not one table's row changed), and succeed when
tried again.

The matrix is checked against the services themselves: a public function of carcrm_tui.services
that writes (its own statements, or a service function it calls that does) must be in WRITES or
in EXEMPT with the reason, so a new write service cannot be forgotten here.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import types
from types import SimpleNamespace

import pytest

import carcrm_tui.services as services_pkg
from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import (
    accounts, auth, board, catalogue, complaints, contacts, customers, exporting, import_batches, importing,
    maintenance, merge, notices, process, reassign, showrooms, site, undo, walkins,
)
from carcrm_tui.services.views import ContactInput, WalkInInput
from carcrm_tui.store import faults
from carcrm_tui.store.bulk import Inserter
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.store.models import MODELS, ImportBatch, Lead, database as proxy
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    db = request.getfixturevalue("file_database" if request.param == "sqlite" else "pg_database")
    if request.param == "sqlite":
        monkeypatch.setattr(type(db), "begin_patience", 0.1)  # a busy file is said quickly in tests
    return request.param


@pytest.fixture
def shop(backend, tmp_path, monkeypatch):
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
    resolved = complaints.open_complaint(session_for("王经理"), mine.id, "phone", "sales", "报价慢", "sales")
    complaints.resolve(session_for("王经理"), resolved, "已回电")
    notices.tell(lina.id, NOW, "be_back", mine.id, customer="客户甲", by="张伟")
    # a lead put to sleep (to wake up) and one whose grade was just changed (to take back)
    sleeping = factory.lead(factory.customer(lina, "客户丙", phone="13800003333"), grade="C", stage="needs")
    process.set_dormant(session_for("李娜"), sleeping.id, v(sleeping.id))
    regraded = factory.lead(factory.customer(lina, "客户丁", phone="13800004444"), grade="B", stage="needs")
    process.set_grade(session_for("李娜"), regraded.id, v(regraded.id), "C", "三个月后再说")
    # the catalogue, a price list, two sheets: one imported (to undo), one stopped half-way (to resume)
    vehicle = factory.vehicle("汉", 209_800)
    prices = tmp_path / "prices.csv"
    prices.write_text("品牌,车系,车型,指导价\n吉利,星越L,2.0TD,13.72万\n", encoding="utf-8")
    imported = tmp_path / "imported.csv"
    imported.write_text("姓名,手机\n导入客户,13811112299\n", encoding="utf-8")
    batch = importing.import_file(session_for("王经理"), imported).batch_id
    stopped = tmp_path / "stopped.csv"
    stopped.write_text("姓名,手机\n中断客户,13811113388\n", encoding="utf-8")
    stopped_batch = importing.import_file(session_for("王经理"), stopped).batch_id
    ImportBatch.update(status="incomplete").where(ImportBatch.id == stopped_batch).execute()
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("姓名,手机\n新导入,13811114477\n", encoding="utf-8")
    monkeypatch.setattr(auth, "os_login", lambda: "lina")  # the SSH login the site policy trusts
    return SimpleNamespace(customer=mine.id, lead=ld.id, other_customer=theirs.id, other_lead=other.id,
                           complaint=complaint, resolved=resolved, sleeping=sleeping.id, vehicle=vehicle.id,
                           vehicle_price=vehicle.guide_price, prices=prices, batch=batch, stopped=stopped,
                           stopped_batch=stopped_batch, fresh=fresh, tmp=tmp_path)


def v(lead_id):
    return Lead.get_by_id(lead_id).version


def admin():
    return accounts.find("管理员")


# the write services, by their module.function name
WRITES = {
    "contacts.log_contact": lambda r: contacts.log_contact(session_for("李娜"), r.lead, ContactInput(summary="回访")),
    "customers.update": lambda r: customers.update(session_for("李娜"), r.customer, {"notes": "新备注"},
                                                   base={"notes": ""}),
    "board.move": lambda r: board.move(session_for("李娜"), r.lead, v(r.lead), -1),
    "process.advance": lambda r: process.advance(session_for("李娜"), r.lead, v(r.lead), -1),
    "board.mark_lost": lambda r: board.mark_lost(session_for("李娜"), r.lead, v(r.lead), "budget"),
    "process.set_grade": lambda r: process.set_grade(session_for("李娜"), r.lead, v(r.lead), "C", "三个月后再说"),
    "process.set_dormant": lambda r: process.set_dormant(session_for("李娜"), r.lead, v(r.lead)),
    "process.reactivate": lambda r: process.reactivate(session_for("李娜"), r.sleeping, v(r.sleeping)),
    "undo.undo_last": lambda r: undo.undo_last(session_for("李娜")),
    "complaints.open_complaint": lambda r: complaints.open_complaint(session_for("李娜"), r.customer, "phone",
                                                                     "sales", "价格", "sales"),
    "complaints.resolve": lambda r: complaints.resolve(session_for("王经理"), r.complaint, "已回电"),
    "complaints.call_back": lambda r: complaints.call_back(session_for("王经理"), r.resolved, 5),
    "walkins.register_walkin": lambda r: walkins.register_walkin(session_for("李娜"),
                                                                 WalkInInput(phone="13900009999", name="新客")),
    "walkins.colleague_be_back": lambda r: walkins.colleague_be_back(session_for("李娜"), "13800002222"),
    # lookups and reveals write their audit row: no row, no answer
    "walkins.find_by_phone": lambda r: walkins.find_by_phone(session_for("李娜"), "13800002222"),
    "walkins.same_name": lambda r: walkins.same_name(session_for("李娜"), "客户乙"),
    "customers.reveal": lambda r: customers.reveal(session_for("李娜"), r.customer),
    "customers.detail": lambda r: customers.detail(session_for("李娜"), r.customer, reveal=True),
    "contacts.call_sheet": lambda r: contacts.call_sheet(session_for("李娜"), r.lead),
    "merge.candidates": lambda r: merge.candidates(session_for("王经理"), r.customer, "客户"),
    "merge.merge": lambda r: merge.merge(session_for("王经理"), r.customer, r.other_customer),
    "reassign.reassign": lambda r: reassign.reassign(session_for("王经理"), ["张伟"], lead_ids=[r.lead]),
    "notices.mark_read": lambda r: notices.mark_read(session_for("李娜"), 1),
    "exporting.export": lambda r: exporting.export(session_for("王经理"), r.tmp / "out.csv"),
    "maintenance.audit_file": lambda r: maintenance.audit_file(session_for("王经理"), "backup", r.tmp / "b.sqlite"),
    "catalogue.add": lambda r: catalogue.add(session_for("王经理"), "吉利", "银河E5", "", "12万"),
    "catalogue.set_price": lambda r: catalogue.set_price(session_for("王经理"), r.vehicle, "19.98万", r.vehicle_price),
    "catalogue.set_retired": lambda r: catalogue.set_retired(session_for("王经理"), r.vehicle, True),
    "catalogue.import_catalogue": lambda r: catalogue.import_catalogue(session_for("王经理"), r.prices),
    "importing.import_file": lambda r: importing.import_file(session_for("王经理"), r.fresh),
    "importing.resumable": lambda r: importing.resumable(session_for("王经理"), r.stopped_batch, r.stopped),
    "import_batches.undo": lambda r: import_batches.undo(session_for("王经理"), r.batch),
    "auth.sign_in": lambda r: auth.sign_in("李娜", "0000", NOW, Policy()),
    "auth.trusted_os_account": lambda r: auth.trusted_os_account(
        dataclasses.replace(Policy(), os_users={"lina": "李娜"}), NOW),
    "auth.add_account": lambda r: auth.add_account(admin(), "刘洋", "consultant", "6172", NOW),
    "auth.set_pin": lambda r: auth.set_pin(admin(), "李娜", "7053", NOW),
    "auth.set_active": lambda r: auth.set_active(admin(), "李娜", False, NOW),
    "auth.disable": lambda r: auth.disable(admin(), "张伟", NOW),
    "auth.set_role": lambda r: auth.set_role(admin(), "李娜", "manager", NOW),
    "site.set_policy": lambda r: site.set_policy(admin(), '[dealership]\nname = "星辰"\n', NOW),
    "showrooms.add": lambda r: showrooms.add(admin(), "西城店", NOW),
    "showrooms.rename": lambda r: showrooms.rename(admin(), showrooms.all_showrooms()[0].name, "东城店", NOW),
}

# Public functions that write but are not called on their own: each runs inside its caller's
# transaction, and its callers are in WRITES (or `carcrm init`, below).
EXEMPT = {
    "audit.record": "the audit rows of every write above, in that write's transaction",
    "audit.write": "several audit rows in one statement, in the caller's transaction (log_contact)",
    "notices.tell": "inside colleague_be_back's / reassign's transaction",
    "undo.remember": "inside the undoable action's transaction (board.move, set_grade, set_dormant …)",
    "process.close_open_followups": "inside mark_lost / set_dormant / advance (won)",
    "process.record_visit": "inside register_walkin / colleague_be_back / advance",
    "process.refresh_score": "inside log_contact / advance / set_grade",
    "showrooms.name_the_first": "inside `carcrm init`'s one transaction with add_account and set_policy",
    # copy-to fills an empty database from another in one transaction on the target
    # (store/copying.py; tests/cli/test_server_commands.py), then records the move
    "moving.copy_in": "writes into a second database, not the one bound here; see tests/cli/test_server_commands",
}


# ---- which service functions write, read from their source ----------------------------------
MODEL_WRITES = {"insert", "insert_many", "insert_from", "replace", "replace_many", "update", "delete", "create",
                "delete_instance", "delete_by_id", "bulk_create", "bulk_update", "get_or_create", "save"}
# SQL text that writes ("update" alone is also an audit action's name)
RAW_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\s", re.I)


def _service_modules() -> dict[str, types.ModuleType]:
    return {info.name: importlib.import_module(f"carcrm_tui.services.{info.name}")
            for info in pkgutil.iter_modules(services_pkg.__path__)}


def _what_it_does(module: types.ModuleType, node: ast.AST, cls: str | None) -> tuple[bool, set[str]]:
    """(writes by itself, the service functions and methods it calls)."""
    mod = module.__name__.rsplit(".", 1)[1]
    writes, calls = False, set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and RAW_WRITE.match(sub.value):
            writes = True
        if not isinstance(sub, ast.Call):
            continue
        f = sub.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            base = f.value.id
            target = getattr(module, base, None)
            if f.attr == "atomic" or (f.attr in MODEL_WRITES and base[:1].isupper()):  # Model.update(...)
                writes = True
            elif isinstance(target, types.ModuleType) and target.__name__.startswith(services_pkg.__name__ + "."):
                calls.add(f"{target.__name__.rsplit('.', 1)[1]}.{f.attr}")
            elif base == "self" and cls:
                calls.add(f"{mod}.{cls}.{f.attr}")
        elif isinstance(f, ast.Name):
            target = getattr(module, f.id, None)
            if isinstance(target, Inserter):
                writes = True
            elif inspect.isfunction(target) and target.__module__.startswith(services_pkg.__name__ + "."):
                calls.add(f"{target.__module__.rsplit('.', 1)[1]}.{target.__name__}")
            elif inspect.isclass(target) and target.__module__ == module.__name__:
                calls.add(f"{mod}.{f.id}.*")  # making one of its own objects: whatever its methods do
    return writes, calls


def public_write_functions() -> set[str]:
    found: dict[str, tuple[bool, set[str]]] = {}
    for mod, module in _service_modules().items():
        for node in ast.parse(inspect.getsource(module)).body:
            if isinstance(node, ast.FunctionDef):
                found[f"{mod}.{node.name}"] = _what_it_does(module, node, None)
            elif isinstance(node, ast.ClassDef):
                for method in node.body:
                    if isinstance(method, ast.FunctionDef):
                        found[f"{mod}.{node.name}.{method.name}"] = _what_it_does(module, method, node.name)
    writing = {name for name, (w, _) in found.items() if w}
    while True:  # a function that calls a writing one writes
        more = {name for name, (_, calls) in found.items() if name not in writing and any(
            c in writing or (c.endswith(".*") and any(w.startswith(c[:-1]) for w in writing)) for c in calls)}
        if not more:
            break
        writing |= more
    return {name for name in writing if name.count(".") == 1 and not name.split(".")[1].startswith("_")}


def test_every_public_write_service_is_in_the_fault_matrix_or_exempt_with_a_reason():
    writes = public_write_functions()
    assert {"audit.record", "auth.set_role", "catalogue.add", "undo.undo_last"} <= writes  # the reading works
    missing = sorted(writes - set(WRITES) - set(EXEMPT))
    assert missing == [], f"add {missing} to WRITES (or, with the reason, to EXEMPT) in {__file__}"
    stale = sorted((set(WRITES) | set(EXEMPT)) - writes)
    assert stale == [], f"{stale} no longer write (or were renamed): update {__file__}"
    assert not set(WRITES) & set(EXEMPT)


def state() -> dict[str, list[tuple]]:
    """Every row of every table, as stored: an attempt that changed any of them left something behind."""
    return {m.__name__: sorted(m.select().tuples(), key=repr) for m in MODELS}


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
    assert state() != before, "the retry wrote nothing"
