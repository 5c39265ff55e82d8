"""The demo showroom shows a day a consultant would recognise: nothing happens before it was
created or after now, urgent work is a handful of fresh items, complaints left open are this
week's, and a large demo keeps every consultant's book workable.

Each build is at a fixed clock; the invariants are checked at four times of day (mid-morning,
before the showroom opens, after it closes, just after midnight), where the demo's "today" has
the most edges.
"""

from __future__ import annotations

import sqlite3

import pendulum
import pytest

from carcrm_tui.demo.build import CUSTOMERS_PER_CONSULTANT, build, load_data
from carcrm_tui.domain.policy import Policy
from carcrm_tui.domain.schedule import DueGroup, Urgency
from carcrm_tui.services import auth
from carcrm_tui.services import today as today_service
from carcrm_tui.store import db as store_db
from tests.conftest import NOW, session_for

CLOCKS = {
    "10:30": NOW,  # Tuesday 10 March 2026, 10:30 in Shanghai
    "07:05": pendulum.datetime(2026, 3, 9, 23, 5, tz="UTC"),  # before the showroom opens
    "21:40": pendulum.datetime(2026, 3, 10, 13, 40, tz="UTC"),  # after it closes
    "00:50": pendulum.datetime(2026, 3, 9, 16, 50, tz="UTC"),  # just after midnight
}
OPEN_COMPLAINT_DAYS = 3  # a dealership resolves a complaint within a day; one left open is this week's


@pytest.fixture(scope="module", params=list(CLOCKS))
def built(request, tmp_path_factory):
    """The default-size demo (600 customers, 8 consultants) built at one of the clocks."""
    now = CLOCKS[request.param]
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    build(path, now, customers=600, seed=7)
    con = sqlite3.connect(path)
    yield con, now
    con.close()


def _t(now) -> str:
    return now.format("YYYY-MM-DD HH:mm:ss")


def _rows(con, sql, *args):
    return con.execute(sql, args).fetchall()


def test_no_follow_up_is_created_or_due_before_its_lead(built):
    con, now = built
    bad = _rows(con, "SELECT f.id, f.created_at, f.due_at, l.created_at FROM follow_up f JOIN lead l ON l.id = f.lead_id"
                     " WHERE julianday(f.created_at) < julianday(l.created_at)"
                     " OR julianday(f.due_at) < julianday(l.created_at)"
                     " OR julianday(f.due_at) < julianday(f.created_at)")
    assert bad == []
    future = _rows(con, "SELECT id FROM follow_up WHERE julianday(created_at) > julianday(?)", _t(now))
    assert future == []  # a follow-up is written when it is planned, which is never later than now


def test_contacts_fall_between_the_leads_creation_and_now(built):
    """Logged contacts, a lead's first response, last contact and closing, showroom visits, test
    drives, quotes and audit entries: never before the customer or lead existed, never after now."""
    con, now = built
    t = _t(now)
    assert _rows(con, "SELECT f.id FROM follow_up f JOIN lead l ON l.id = f.lead_id JOIN customer c ON c.id = l.customer_id"
                      " WHERE f.done_at IS NOT NULL AND (julianday(f.done_at) < julianday(l.created_at)"
                      " OR julianday(f.done_at) < julianday(c.created_at) OR julianday(f.done_at) > julianday(?))", t) == []
    for column in ("first_response_at", "last_contact_at", "closed_at", "stage_changed_at", "updated_at"):
        assert _rows(con, f"SELECT l.id FROM lead l JOIN customer c ON c.id = l.customer_id WHERE l.{column} IS NOT NULL"
                          f" AND (julianday(l.{column}) < julianday(l.created_at) OR julianday(l.{column}) > julianday(?)"
                          f" OR julianday(l.created_at) < julianday(c.created_at))", t) == [], column
    # the last contact is the latest logged one, the first response the earliest
    assert _rows(con, "SELECT l.id FROM lead l JOIN follow_up f ON f.lead_id = l.id AND f.done_at IS NOT NULL"
                      " AND f.purpose = '' GROUP BY l.id HAVING julianday(MAX(f.done_at)) != julianday(l.last_contact_at)"
                      " OR julianday(MIN(f.done_at)) != julianday(l.first_response_at)") == []
    for table, column in (("showroom_visit", "at"), ("test_drive", "at"), ("quote", "created_at")):
        assert _rows(con, f"SELECT x.rowid FROM {table} x JOIN lead l ON l.id = x.lead_id"
                          f" WHERE julianday(x.{column}) < julianday(l.created_at)"
                          f" OR julianday(x.{column}) > julianday(?)", t) == [], table
    assert _rows(con, "SELECT a.id FROM audit_log a JOIN lead l ON l.id = a.entity_id AND a.entity = 'lead'"
                      " WHERE julianday(a.at) < julianday(l.created_at) OR julianday(a.at) > julianday(?)", t) == []


def test_leads_awaiting_a_first_response_are_recent_and_due_by_their_deadline(built):
    """A lead nobody has answered yet arrived within its response window (a few a little past it,
    as on a real floor; never days), and its follow-up is due between its arrival and that deadline."""
    con, now = built
    policy = Policy()
    awaiting = _rows(con, "SELECT l.id, l.grade, c.source, l.created_at, f.due_at, f.created_at FROM lead l"
                          " JOIN customer c ON c.id = l.customer_id"
                          " JOIN follow_up f ON f.lead_id = l.id AND f.done_at IS NULL AND f.purpose = ''"
                          " WHERE l.status = 'open' AND l.first_response_at IS NULL AND l.last_contact_at IS NULL")
    assert awaiting, "the demo shows some first-response clocks running"
    breached = 0
    for lead, grade, source, created, due, planned in awaiting:
        created, due = pendulum.parse(created), pendulum.parse(due)
        window = policy.grades[grade].response_minutes
        if source in policy.online_sources:
            window = min(window, policy.online_response_minutes)
        deadline = created.add(minutes=window)
        assert deadline.add(hours=2) > now, (lead, grade, source, created)  # at most a little past it
        breached += deadline < now
        assert created <= due <= deadline and pendulum.parse(planned) == created, (lead, created, due)
    assert breached <= max(2, len(awaiting) // 2)
    # a lead that has been answered is not waiting: every older open lead has a logged contact
    assert _rows(con, "SELECT id FROM lead WHERE status = 'open' AND last_contact_at IS NULL"
                      " AND julianday(?) - julianday(created_at) > 1", _t(now)) == []


def test_open_complaints_are_this_weeks_and_closed_ones_were_resolved_in_order(built):
    con, now = built
    t = _t(now)
    old_open = _rows(con, "SELECT id, created_at, status FROM complaint WHERE status != 'closed'"
                          " AND julianday(?) - julianday(created_at) > ?", t, OPEN_COMPLAINT_DAYS)
    assert old_open == []
    assert _rows(con, "SELECT id FROM complaint WHERE status = 'open' AND resolved_at IS NOT NULL"
                      " OR status != 'open' AND (resolved_at IS NULL OR julianday(resolved_at) < julianday(created_at)"
                      " OR julianday(resolved_at) > julianday(?))", t) == []
    assert _rows(con, "SELECT id FROM complaint WHERE status = 'closed' AND (callback_at IS NULL"
                      " OR julianday(callback_at) < julianday(resolved_at) OR julianday(callback_at) > julianday(?))"
                      " OR status != 'closed' AND callback_at IS NOT NULL", t) == []
    # a complaint is about a car the showroom delivered: opened after the delivery
    assert _rows(con, "SELECT k.id FROM complaint k JOIN lead l ON l.id = k.lead_id"
                      " WHERE l.closed_at IS NULL OR julianday(k.created_at) < julianday(l.closed_at)") == []


def test_after_sales_follow_ups_follow_the_delivery(built):
    """Day-1 message, week-1 call, services and renewals: planned when the car was delivered, due
    after the delivery day, done ones done by now, none on a lead that was not won."""
    con, now = built
    tz = Policy().tz
    rows = _rows(con, "SELECT f.id, f.created_at, f.due_at, f.done_at, l.status, l.closed_at, l.delivered_on"
                      " FROM follow_up f JOIN lead l ON l.id = f.lead_id WHERE f.purpose != ''")
    assert rows
    for fid, planned, due, done, status, closed, delivered in rows:
        assert status == "won" and delivered, fid
        assert pendulum.parse(closed).in_timezone(tz).date().isoformat() == delivered, fid
        assert pendulum.parse(planned) == pendulum.parse(closed), fid
        assert pendulum.parse(due).in_timezone(tz).date().isoformat() > delivered, fid
        if done:
            assert pendulum.parse(done) <= now, fid
        else:
            assert pendulum.parse(due) > now.subtract(days=3), fid  # what is left undone is recent


def _today_by_consultant(path, now):
    store_db.connect(path)
    try:
        names = [n for (n,) in sqlite3.connect(path).execute(
            "SELECT name FROM account WHERE role = 'consultant' ORDER BY id")]
        return {name: today_service.today(session_for(name, at=now), limit=10_000) for name in names}
    finally:
        store_db.close()


def _assert_a_real_day(views, now):
    for name, view in views.items():
        urgent = view.groups[DueGroup.URGENT]
        reasons = {u: sum(r.urgency is u for r in urgent) for u in Urgency}
        assert 1 <= len(urgent) <= 15, (name, reasons)
        oldest = min((r.due_at for r in urgent), default=now)
        assert oldest > now.subtract(days=4), (name, oldest)  # missed by hours or a day or two, not months
        assert 1 <= len(view.groups[DueGroup.TODAY]) <= 40, name
        assert len(view.groups[DueGroup.UPCOMING]) >= 5, name
        assert len(view.complaints) <= 3, name
        assert all(c.created_at > now.subtract(days=OPEN_COMPLAINT_DAYS) for c in view.complaints), name


def test_every_consultant_opens_on_a_believable_day(built, tmp_path):
    """Each of the 8 consultants (~50 open leads each at 600 customers) sees 1-15 urgent rows:
    at least one, so the demo shows why a row rises (a response clock, an overdue call, a silent
    lead), and at most 15 — about two hours of calls, what a consultant really finds on arrival;
    none overdue by more than a few days. Some calls are due later today (1-40) and more in the
    coming week; at most three complaints, all from this week."""
    con, now = built
    path = tmp_path / "copy.sqlite"
    con.execute("VACUUM INTO ?", (str(path),))
    views = _today_by_consultant(path, now)
    assert len(views) == 8
    _assert_a_real_day(views, now)
    every = [r.urgency for v in views.values() for r in v.groups[DueGroup.URGENT]]
    assert {Urgency.RESPONSE, Urgency.OVERDUE, Urgency.SILENT} <= set(every)


def test_a_large_demo_adds_consultants_so_every_book_stays_workable(tmp_path):
    """Past a few thousand customers the floor grows (one consultant per ~300 customers) instead
    of one person holding thousands of open leads; the extra consultants have names of their own,
    share one PIN from the demo data, and each of them, like the named eight, opens on a believable
    day."""
    path = tmp_path / "large.sqlite"
    customers = 12_000
    build(path, NOW, customers=customers, seed=11)
    con = sqlite3.connect(path)
    consultants = con.execute("SELECT name, pin_hash FROM account WHERE role = 'consultant' ORDER BY id").fetchall()
    named = [a["name"] for a in load_data()["accounts"] if a["role"] == "consultant"]
    assert [n for n, _ in consultants[:len(named)]] == named and len(consultants) > len(named)
    assert len({n for n, _ in consultants}) == len(consultants)
    assert auth.verify_pin(load_data()["floor"]["pin"], consultants[-1][1])
    books = [n for (n,) in con.execute("SELECT COUNT(*) FROM customer GROUP BY owner_id")]
    assert len(books) == len(consultants) and sum(books) == customers
    assert max(books) <= CUSTOMERS_PER_CONSULTANT and min(books) >= CUSTOMERS_PER_CONSULTANT * 0.9
    t = _t(NOW)
    assert con.execute("SELECT COUNT(*) FROM complaint WHERE status != 'closed'"
                       " AND julianday(?) - julianday(created_at) > ?", (t, OPEN_COMPLAINT_DAYS)).fetchone()[0] == 0
    con.close()
    views = _today_by_consultant(path, NOW)
    assert len(views) == len(consultants)
    _assert_a_real_day(views, NOW)
