"""Role × every service function × own / colleague's record, built from the services themselves.

Every public function of carcrm_tui.services whose first parameter is the acting `session`
(or `actor`) must have a rule below: a new service without one fails this test. A rule runs
the function for a consultant, a manager and an admin, on the consultant's own record and on
a colleague's, and checks who is let through. Each call runs in a transaction rolled back
afterwards, so the cases do not see each other's writes.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import SimpleNamespace

import pytest

import carcrm_tui.services as services_pkg
from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import (
    accounts, audit, auth, board, catalogue, complaints, contacts, customers, exporting, import_batches, importing,
    late, merge, metrics, moving, notices, process, reassign, review, scope, search, showrooms, site, today, undo, walkins,
)
from carcrm_tui.services.errors import NotAllowed, NotFound, ServiceError
from carcrm_tui.services.views import ContactInput, WalkInInput
from carcrm_tui.store.models import Lead, database as proxy
from tests import factory
from tests.conftest import NOW, session_for

ROLES = {"consultant": "李娜", "manager": "王经理", "admin": "管理员"}


@pytest.fixture
def shop(database):
    """A consultant's own customer and a colleague's, each with a lead, a due call and a complaint."""
    admin = auth.add_account(None, "管理员", "admin", "240613", NOW)
    auth.add_account(admin, "王经理", "manager", "860517", NOW)
    auth.add_account(admin, "李娜", "consultant", "4831", NOW)
    auth.add_account(admin, "张伟", "consultant", "5294", NOW)
    from carcrm_tui.store.models import Account

    out = {}
    for who, owner in (("own", "李娜"), ("colleague", "张伟")):
        acc = Account.get(Account.name == owner)
        c = factory.customer(acc, f"{owner}的客户", phone=f"1380000{'1111' if who == 'own' else '2222'}")
        ld = factory.lead(c, grade="A", stage="needs")
        fu = factory.due(ld, NOW.add(days=1))
        complaint = complaints.open_complaint(session_for("王经理"), c.id, "phone", "service", "等太久", "service")
        out[who] = SimpleNamespace(customer=c.id, lead=ld.id, followup=fu.id, complaint=complaint,
                                   phone=c.phone_digits, owner=owner)
    return out


def rolled_back(call):
    """Run `call` and undo whatever it wrote; returns ("ok", result) / ("denied", e) / ("refused", e)."""
    try:
        with proxy.atomic() as tx:
            try:
                result = call()
                return "ok", result
            finally:
                tx.rollback()
    except (NotAllowed, NotFound) as e:
        return "denied", e
    except (ServiceError, ValueError) as e:  # let through, then a business rule said no: not a permission matter
        return "refused", e


def _changed_after_a_call(s, r):
    """The leads a board would re-read after the record's owner logged a call."""
    since = audit.last_change()
    contacts.log_contact(session_for(r.owner), r.lead, ContactInput(summary="回访"))
    return board.changes(s, since)


def version(lead_id: int) -> int:
    return Lead.get_by_id(lead_id).version


# ---- the rules --------------------------------------------------------------------------------
# kind: "own"      consultants reach their own record only; managers and admins everyone's
#       "managers" managers only (the manager's desk)
#       "admins"   admins only
#       "anyone"   every signed-in role
#       "scoped"   every role may call it, but a consultant's answer holds none of a colleague's records
#       "accounts" the account rules (checked in test_auth and below)
#       "internal" called by other services inside their checked transaction, never by a screen
OWN = {
    "customers.detail": lambda s, r: customers.detail(s, r.customer),
    "customers.reveal": lambda s, r: customers.reveal(s, r.customer),
    "customers.update": lambda s, r: customers.update(s, r.customer, {"notes": "x"}, base={"notes": ""}),
    "complaints.open_complaint": lambda s, r: complaints.open_complaint(s, r.customer, "phone", "sales", "x", "sales"),
    "complaints.for_customer": lambda s, r: complaints.for_customer(s, r.customer),
    "contacts.log_contact": lambda s, r: contacts.log_contact(s, r.lead, ContactInput(summary="回访")),
    "contacts.call_sheet": lambda s, r: contacts.call_sheet(s, r.lead),
    "contacts.recent": lambda s, r: contacts.recent(s, r.lead),
    "scope.glance_lead": lambda s, r: scope.glance_lead(s, r.lead),
    "board.move": lambda s, r: board.move(s, r.lead, version(r.lead), -1),
    "board.mark_lost": lambda s, r: board.mark_lost(s, r.lead, version(r.lead), "budget"),
    "process.advance": lambda s, r: process.advance(s, r.lead, version(r.lead), -1),
    "process.fields_for": lambda s, r: process.fields_for(s, r.lead, 1),
    "process.suggested_grade": lambda s, r: process.suggested_grade(s, r.lead),
    "process.set_grade": lambda s, r: process.set_grade(s, r.lead, version(r.lead), "B", "客户说三个月后"),
    "process.set_dormant": lambda s, r: process.set_dormant(s, r.lead, version(r.lead)),
    "process.reactivate": lambda s, r: (process.set_dormant(s, r.lead, version(r.lead)),
                                        process.reactivate(s, r.lead, version(r.lead))),
    "scope.get_lead": lambda s, r: process.get_lead(s, r.lead),
    "scope.get_customer": lambda s, r: customers.get_customer(s, r.customer),
    # complaints: the customer's owner, whoever they are routed to or were opened by, and managers
    "complaints.get": lambda s, r: complaints.get(s, r.complaint),
    "complaints.resolve": lambda s, r: complaints.resolve(s, r.complaint, "已处理"),
    "complaints.call_back": lambda s, r: (complaints.resolve(s, r.complaint, "已处理"),
                                          complaints.call_back(s, r.complaint, 5)),
}
MANAGERS = {
    "audit.customer_history": lambda s, r: audit.customer_history(s, r.customer),
    "merge.merge": lambda s, r: merge.merge(s, r.customer, r.other_customer),
    "merge.candidates": lambda s, r: merge.candidates(s, r.customer, "客户"),
    "reassign.reassign": lambda s, r: reassign.reassign(s, ["张伟"], lead_ids=[r.lead]),
    "late.report": lambda s, r: late.report(s),
    "metrics.funnel": lambda s, r: metrics.funnel(s, metrics.month("2026-03")),
    "metrics.traffic": lambda s, r: metrics.traffic(s, metrics.month("2026-03")),
    "metrics.forecast": lambda s, r: metrics.forecast(s),
    "metrics.owners": lambda s, r: metrics.owners(s),
    "metrics.leaderboard": lambda s, r: metrics.leaderboard(s, metrics.month("2026-03")),
    "metrics.snapshot": lambda s, r: metrics.snapshot(s, metrics.month("2026-03")),
    "metrics.by_showroom": lambda s, r: metrics.by_showroom(s, metrics.month("2026-03")),
    "review.daily": lambda s, r: review.daily(s),
    "review.lost_month": lambda s, r: review.lost_month(s, "2026-03"),
}
# the office's data work: managers and admins (a consultant's import would show colleagues' phones)
OFFICE = {
    "catalogue.add": lambda s, r: catalogue.add(s, "吉利", "银河E5", "", "12万"),
    "catalogue.set_price": lambda s, r: catalogue.set_price(s, r.vehicle, "13万", r.vehicle_price),
    "catalogue.set_retired": lambda s, r: catalogue.set_retired(s, r.vehicle, True),
    "catalogue.import_catalogue": lambda s, r: catalogue.import_catalogue(s, r.price_list),
    "import_batches.batches": lambda s, r: import_batches.batches(s),
    "import_batches.summary": lambda s, r: import_batches.summary(s, r.batch),
    "import_batches.undo": lambda s, r: import_batches.undo(s, r.batch),
    # the whole showroom leaves with a copy (into this same database: refused as not empty, after the check)
    "moving.may_copy": lambda s, r: moving.may_copy(s),
    "moving.copy_in": lambda s, r: moving.copy_in(s, proxy.obj, proxy.obj, "showroom.sqlite"),
}
SCOPED = {  # (call, the customers of the answer — a colleague's must not be among a consultant's)
    "today.today": (lambda s, r: today.today(s),
                    lambda v, r: [x.customer_id for g in v.groups.values() for x in g]),
    "board.summary": (lambda s, r: board.summary(s),  # one lead of one's own: a count above it is a leak
                      lambda v, r: [r.customer] if sum(t.count for t in v.cells.values()) > 1 else []),
    "board.page": (lambda s, r: board.page(s, "needs"), lambda v, r: [c.customer_id for c in v]),
    "board.cards": (lambda s, r: board.cards(s, {r.lead}), lambda v, r: [c.customer_id for c in v.values() if c]),
    "board.changes": (lambda s, r: _changed_after_a_call(s, r),
                      lambda v, r: [Lead.get_by_id(lead).customer_id for lead in (v.leads if v else ())]),
    "board.health": (lambda s, r: board.health(s),
                     lambda v, r: [r.customer] if sum(h.total for h in v.values()) > 1 else []),
    "search.search": (lambda s, r: search.search(s, "客户"), lambda v, r: [h.customer_id for h in v]),
    "customers.all_tags": (lambda s, r: customers.all_tags(s), lambda v, r: []),
    "complaints.assigned_to_me": (lambda s, r: complaints.assigned_to_me(s),
                                  lambda v, r: [c.customer_id for c in v]),
    "exporting.export": (lambda s, r: exporting.export(s, r.tmp / "out.csv"),
                         lambda v, r: [r.customer] if f"{r.owner}的客户" in (r.tmp / "out.csv").read_text("utf-8-sig")
                         else []),
    "notices.unread": (lambda s, r: notices.unread(s), lambda v, r: []),
    "contacts.recent_for": (lambda s, r: contacts.recent_for(s, [r.lead]),
                            lambda v, r: [Lead.get_by_id(lead).customer_id for lead in v]),
    "notices.mark_read": (lambda s, r: notices.mark_read(s, 1), lambda v, r: []),
}
ANYONE = {
    # a phone or a name may be a colleague's customer: the answer says only who owns it (test_walkins)
    "walkins.find_by_phone": lambda s, r: walkins.find_by_phone(s, r.phone),
    "walkins.same_name": lambda s, r: walkins.same_name(s, f"{r.owner}的客户"),
    "walkins.colleague_be_back": lambda s, r: walkins.colleague_be_back(s, r.phone),
    "walkins.register_walkin": lambda s, r: walkins.register_walkin(s, WalkInInput(phone="13900009999", name="新客")),
    "reassign.consultants": lambda s, r: reassign.consultants(s),
    "undo.undo_last": lambda s, r: undo.undo_last(s),  # one's own last step only (test_undo)
}
ADMINS = {"site.set_policy": lambda a, r: site.set_policy(a, "[dealership]\nname = \"x\"\n", NOW),
          "showrooms.add": lambda a, r: showrooms.add(a, "西城店", NOW),
          "showrooms.rename": lambda a, r: showrooms.rename(a, showrooms.all_showrooms()[0].name, "东城店", NOW)}
ACCOUNTS = {"auth.add_account", "auth.set_pin", "auth.set_active", "auth.disable", "auth.set_role", "auth.still_valid"}
INTERNAL = {
    "contacts.validate", "customers.parse_changes", "customers.deal_price_visible", "process.target_of",
    "process.parse_stage", "process.lead_as_seen", "process.refresh_score", "process.record_visit",
    "scope.lead_filter", "scope.visible_leads", "scope.customer_filter", "scope.account_filter", "scope.in_showroom",
    "scope.owned_in_showroom", "undo.begin", "undo.remember", "undo.last_step", "metrics.this_month", "exporting.customer_rows",
    "exporting.followup_rows", "exporting.lead_rows", "maintenance.audit_file",
    "importing.require_importer", "importing.limits_for", "importing.resumable",
    # importing: managers and admins only — its own tests cover the sheet shapes; here via the CLI rule
    "importing.import_rows", "importing.import_file",
}


def service_functions() -> set[str]:
    out = set()
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"carcrm_tui.services.{info.name}")
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                params = list(inspect.signature(fn).parameters)
                if params and params[0] in ("session", "actor"):
                    out.add(f"{info.name}.{name}")
    return out


def test_every_service_that_acts_for_someone_has_a_rule():
    ruled = set(OWN) | set(OFFICE) | set(MANAGERS) | set(SCOPED) | set(ANYONE) | set(ADMINS) | ACCOUNTS | INTERNAL
    missing = sorted(service_functions() - ruled)
    assert missing == [], f"add a permission rule for {missing} in {__file__}"


def _session(role: str):
    return session_for(ROLES[role], Policy())


@pytest.mark.parametrize("name", sorted(OWN))
def test_own_records_only_for_consultants(shop, name):
    call = OWN[name]
    for role in ROLES:
        for who in ("own", "colleague"):
            outcome, detail = rolled_back(lambda: call(_session(role), shop[who]))
            denied = role == "consultant" and who == "colleague"
            assert (outcome == "denied") == denied, (name, role, who, outcome, detail)


@pytest.mark.parametrize("name", sorted(MANAGERS))
def test_the_managers_desk_is_for_managers(shop, name):
    call = MANAGERS[name]
    record = SimpleNamespace(**vars(shop["own"]), other_customer=shop["colleague"].customer)
    for role in ROLES:
        outcome, detail = rolled_back(lambda: call(_session(role), record))
        assert (outcome == "denied") == (role != "manager"), (name, role, outcome, detail)


@pytest.mark.parametrize("name", sorted(OFFICE))
def test_the_catalogue_and_imports_are_for_managers_and_admins(shop, name, tmp_path):
    vehicle = factory.vehicle("汉", 209_800)
    prices = tmp_path / "prices.csv"
    prices.write_text("品牌,车系,车型,指导价\n吉利,星越L,2.0TD,13.72万\n", encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("姓名,手机\n新客户,13811112299\n", encoding="utf-8")
    batch = importing.import_file(session_for("王经理", Policy()), sheet).batch_id
    record = SimpleNamespace(vehicle=vehicle.id, vehicle_price=vehicle.guide_price, price_list=prices, batch=batch)
    for role in ROLES:
        outcome, detail = rolled_back(lambda: OFFICE[name](_session(role), record))
        assert (outcome == "denied") == (role == "consultant"), (name, role, outcome, detail)


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_lists_hold_only_what_the_role_may_see(shop, name, tmp_path):
    call, ids = SCOPED[name]
    for role in ROLES:
        colleague = SimpleNamespace(**vars(shop["colleague"]), tmp=tmp_path)
        outcome, value = rolled_back(lambda: call(_session(role), colleague))
        assert outcome in ("ok", "refused"), (name, role, outcome, value)
        if role == "consultant" and outcome == "ok":
            assert colleague.customer not in ids(value, colleague), (name, "a colleague's record leaked")


@pytest.mark.parametrize("name", sorted(ANYONE))
def test_lookups_and_walk_ins_are_for_everyone(shop, name):
    call = ANYONE[name]
    for role in ROLES:
        for who in ("own", "colleague"):
            outcome, detail = rolled_back(lambda: call(_session(role), shop[who]))
            assert outcome != "denied", (name, role, who, detail)


@pytest.mark.parametrize("name", sorted(ADMINS))
def test_the_site_policy_and_the_showrooms_are_the_admins(shop, name):
    for role in ROLES:
        outcome, detail = rolled_back(lambda: ADMINS[name](accounts.find(ROLES[role]), None))
        assert (outcome == "denied") == (role != "admin"), (role, outcome, detail)
