"""Build the demo showroom database, deterministically from a seed and `now`.

Bulk rows go in through the raw connection's executemany in one transaction
(peewee's insert_many is ~13x slower at a million rows — design.md), so
100,000 customers with ~1M follow-ups build in well under a minute.

Dates are relative to `now` and shaped like a real floor's day, whatever the
size: each consultant finds a handful of urgent rows (a call missed by hours or a
day or two, a lead gone silent past its grade's cadence, a first-response clock
on one of today's enquiries), some calls due later today and more in the coming
week, and at most a complaint or two from this week. Those are counts per
consultant, not shares of the book; and a book stays one a person can work (about
300 customers): larger demos add consultants, who sign in with the demo data's
`[floor] pin`. Nothing is dated before its customer or lead was created or after
`now`; contacts fall in showroom hours.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pendulum import DateTime

from carcrm_tui.domain.policy import DEFAULT_GRADES, Policy
from carcrm_tui.domain.process import add_years, after_sales_plan, quote_totals
from carcrm_tui.resources import data_path
from carcrm_tui.services.auth import DEMO_COST, hash_pin
from carcrm_tui.store import db as store_db
from carcrm_tui.store import search_index
from carcrm_tui.store.fields import utc_text
from carcrm_tui.domain.names import pinyin_keys

# open stages weighted like a real floor: many early leads, few at order/delivery
STAGE_WEIGHTS = {
    "new": 14, "reception": 12, "needs": 16, "presentation": 12,
    "test_drive": 14, "quote": 14, "order": 8, "delivery": 5,
}
STATUS_WEIGHTS = {"open": 70, "won": 13, "lost": 11, "dormant": 6}
GRADE_WEIGHTS = {"H": 12, "A": 26, "B": 34, "C": 28}
URGENCY_FOR_GRADE = {"H": "near", "A": "near", "B": "mid", "C": "far", "O": "near"}
CHANNEL_WEIGHTS = {"phone": 45, "wechat": 30, "visit": 10, "test_drive": 6, "event": 4, "sms": 5}
ATTITUDE_WEIGHTS = {"positive": 30, "neutral": 40, "hesitant": 22, "negative": 8}
# sources whose lead arrives with the first contact made: met at the showroom or a show, or on the phone
ANSWERED_ON_ARRIVAL = {"walk_in": "visit", "phone_in": "phone", "auto_show": "event"}
OWNERS_OF_OLD = 0.025  # share of customers who bought years ago and have not been heard from since
CUSTOMERS_PER_CONSULTANT = 300  # a book one consultant can work; larger demos add consultants
# what one consultant finds on arriving, whatever the size of the book
ARRIVALS_PER_CONSULTANT = 5  # new leads a day
OVERDUE_PER_CONSULTANT = 3.5  # calls missed by hours or a day or two
SILENT_PER_CONSULTANT = 1.2  # leads left silent past their grade's cadence
RECENT_COMPLAINTS_PER_CONSULTANT = 0.5  # opened in the last three days (most of them still open)
DUE_LATER_TODAY = 0.12  # share of open leads whose next call falls later today
AWAITING_SHARE = 0.35  # of today's enquiries, still waiting for their first answer within its window
BREACHED_SHARE = 0.07  # ... and waiting a little past it
SHOWROOM_HOURS = (9 * 60, 20 * 60)  # local minutes of the day when contacts happen
SOURCE_WEIGHTS = {
    "walk_in": 22, "phone_in": 10, "autohome": 16, "yiche": 8, "official_site": 6, "wechat": 8,
    "douyin": 10, "xiaohongshu": 4, "auto_show": 5, "referral": 7, "partner": 2, "service": 2,
}


@dataclass(frozen=True)
class Built:
    path: Path
    customers: int
    leads: int
    followups: int


def load_data() -> dict:
    with (data_path("demo") / "showroom.toml").open("rb") as fh:
        return tomllib.load(fh)


def build(
    path: str | Path,
    now: DateTime,
    customers: int = 600,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """Write a fresh demo database at `path` (replacing any file there)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    data = load_data()
    rng = random.Random(seed)
    policy = Policy()
    db = store_db.connect(tmp)
    conn = db.connection()
    counts = [0, 0]
    try:
        conn.execute("PRAGMA synchronous = OFF")
        with db.atomic():
            search_index.drop_triggers(db)  # index once at the end, not row by row
            _build(conn, data, rng, now, customers, policy, counts, progress)
            search_index.install(db)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("ANALYZE")
    finally:
        store_db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return Built(path, customers, counts[0], counts[1])


_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q in a VIN


def _vin(rng: random.Random) -> str:
    return "L" + "".join(rng.choice(_VIN_CHARS) for _ in range(16))


def _plate(rng: random.Random) -> str:
    return "京" + rng.choice("ABCEFGHJKLMNPQ") + "".join(rng.choice("0123456789") for _ in range(5))


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    keys, cum = _CUMULATIVE.get(id(weights)) or _CUMULATIVE.setdefault(
        id(weights), (list(weights), list(itertools.accumulate(weights.values())))
    )
    return rng.choices(keys, cum_weights=cum)[0]


def _text(moment: dt.datetime) -> str:
    """Naive UTC → the stored text form (what UTCDateTimeField writes); fast in bulk."""
    return moment.isoformat(" ")


class _Day:
    """`now` and the dealership's local day around it, as naive UTC datetimes (stdlib arithmetic:
    pendulum's costs microseconds a call, and a million rows want it cheap). The local day is
    taken as a fixed offset from UTC, true of the demo's zone (Asia/Shanghai has no DST)."""

    def __init__(self, now: DateTime, policy: Policy) -> None:
        local = now.in_timezone(policy.timezone)
        self.now = dt.datetime.fromisoformat(utc_text(now))
        self.midnight = dt.datetime.fromisoformat(utc_text(local.start_of("day")))  # local midnight today
        self.minute = local.hour * 60 + local.minute  # local minutes since midnight
        self.today = dt.date(local.year, local.month, local.day)

    def at(self, days: int, minute: int) -> dt.datetime:
        """`minute` of the local day `days` from today."""
        return self.midnight + dt.timedelta(days=days, minutes=minute)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return self.today + dt.timedelta(days=(moment - self.midnight) // _DAY)

    def in_hours(self, moment: dt.datetime) -> dt.datetime:
        """The same local day's showroom hours: before opening moves to the opening, after closing
        to just before it."""
        minute = (moment - self.midnight) // _MINUTE % (24 * 60)
        opens, closes = SHOWROOM_HOURS
        if minute < opens:
            return moment + (opens - minute) * _MINUTE
        if minute >= closes:
            return moment - (minute - closes + 1) * _MINUTE
        return moment


_DAY = dt.timedelta(days=1)
_HOUR = dt.timedelta(hours=1)
_MINUTE = dt.timedelta(minutes=1)


def _contacts(rng: random.Random, first: dt.datetime, last: dt.datetime, n: int, day: _Day) -> list[dt.datetime]:
    """`n` contact times from the first response to the last contact, both included, the ones
    between in showroom hours."""
    if last <= first:
        return [first]
    minutes = (last - first) // _MINUTE + 1
    middle = sorted(min(last, max(first, day.in_hours(first + rng.randrange(minutes) * _MINUTE)))
                    for _ in range(max(0, n - 2)))
    return [first, *middle, last]


def _extra_consultants(data: dict, n: int, rng: random.Random) -> list[dict]:
    """Consultants beyond the named ones, for demos larger than they can work: made-up names,
    one shared PIN (the demo data's [floor] pin)."""
    taken = {a["name"] for a in data["accounts"]}
    staff = []
    while len(staff) < n:
        name = rng.choice(data["surnames"]) + rng.choice(data["given"]) + rng.choice(data["given"])
        if name not in taken:
            taken.add(name)
            staff.append({"name": name, "pin": data["floor"]["pin"], "role": "consultant",
                          "seniority": rng.randrange(0, 10)})
    return staff


def _build(conn, data, rng, now_aware, n_customers, policy, counts, progress) -> None:
    clock = _Day(now_aware, policy)
    now, day, minute = clock.now, _DAY, _MINUTE
    opens, closes = SHOWROOM_HOURS
    # calls due later today fall in what is left of the working day (late in the evening: before midnight)
    later_today = (max(clock.minute + 1, opens), closes) if clock.minute < closes - 30 else \
        (clock.minute + 1, max(clock.minute + 2, 24 * 60 - 1))
    # today's walk-ins and enquiries arrived since the showroom opened (or since midnight, early on)
    since_open = max(10, clock.minute - opens if clock.minute > opens + 10 else clock.minute)
    created = _text(now - 200 * day)
    staff_rng = random.Random(rng.getrandbits(32))
    named = data["accounts"]
    n_named = sum(a["role"] == "consultant" for a in named)
    accounts = named + _extra_consultants(data, max(0, -(-n_customers // CUSTOMERS_PER_CONSULTANT) - n_named),
                                           staff_rng)
    hashes: dict[str, str] = {}  # the demo's PINs are in the README: hashed cheaply, once each
    # the demo's site policy: its dealership's name (the rest is the shipped defaults)
    conn.execute("INSERT INTO site_policy (toml, updated_at) VALUES (?, ?)",
                 (f"[dealership]\nname = {json.dumps(data['dealership']['name'], ensure_ascii=False)}\n", created))
    conn.execute("UPDATE showroom SET name = ? WHERE id = 1", (data["dealership"]["name"],))
    conn.executemany(
        "INSERT INTO account (name, role, seniority, active, created_at, pin_hash, failed_pins) VALUES (?, ?, ?, 1, ?, ?, 0)",
        [(a["name"], a["role"], a["seniority"], created, hashes.get(a["pin"]) or hashes.setdefault(a["pin"], hash_pin(a["pin"], DEMO_COST)))
         for a in accounts],
    )
    consultant_ids = [i + 1 for i, a in enumerate(accounts) if a["role"] == "consultant"]
    conn.executemany(
        "INSERT INTO vehicle (brand, series, model, guide_price) VALUES (?, ?, ?, ?)",
        [tuple(v) for v in data["vehicles"]],
    )
    vehicles = [(i + 1, v[1], v[3]) for i, v in enumerate(data["vehicles"])]
    surnames, given = data["surnames"], data["given"]
    notes, feedback, lead_data = data["notes"], data["feedback"], data["lead"]
    stages = list(STAGE_WEIGHTS)
    numbers = rng.sample(range(10**8), n_customers)
    online_sources = policy.online_sources
    windows = {(g, online): min(rule.response_minutes, policy.online_response_minutes) if online
               else rule.response_minutes for g, rule in policy.grades.items() for online in (False, True)}

    cust_rows, lead_rows, fu_rows, tag_rows = [], [], [], []
    drive_rows, quote_rows, visit_rows, complaint_rows, audit_rows = [], [], [], [], []
    # a consultant's day is the same whatever the demo's size: rates per consultant, not per customer
    n_consultants = len(consultant_ids)
    open_book = max(1.0, 0.7 * n_customers / n_consultants)  # ~70% of a book are open leads
    today_rate = min(0.1, ARRIVALS_PER_CONSULTANT * n_consultants / n_customers)
    closed_today_rate = min(0.05, n_consultants / (n_customers * 0.25))  # about a deal a consultant
    p_overdue = min(0.12, OVERDUE_PER_CONSULTANT / open_book)
    p_silent = min(0.05, SILENT_PER_CONSULTANT / open_book)
    shares = {owner: [staff_rng.random() for _ in range(3)] for owner in consultant_ids}  # missed, silent, today
    # ~16% of customers bought (13% of the leads, and owners from years back); 8% of those complained
    p_recent_complaint = min(0.5, RECENT_COMPLAINTS_PER_CONSULTANT * n_consultants / (0.08 * 0.16 * n_customers))
    owners_so_far: list[int] = []  # customers who bought: referrers for later referral customers
    proc = data["process"]
    lead_id = 0
    batch = 5000

    def flush(final: bool = False) -> None:
        if cust_rows:
            conn.executemany(
                "INSERT INTO customer (id, name, name_pinyin, gender, age_range, phone, phone_digits, phone2,"
                " phone2_digits, wechat, email, source, customer_type, birthday, do_not_contact, notes,"
                " owner_id, created_at, updated_at, updated_by_id, version, referred_by_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, '', ?, ?, ?, ?, '', ?, ?, ?, ?, 1, ?)",
                cust_rows,
            )
        if lead_rows:
            conn.executemany(
                "INSERT INTO lead (id, customer_id, owner_id, grade, score, stage, status, vehicle_id,"
                " budget_min, budget_max, focus_points, use, urgency, expected_purchase_date,"
                " competitor_models, decision_maker, objections, expected_value, vin, plate, lost_reason,"
                " lost_competitor, created_at, stage_changed_at, first_response_at, last_contact_at,"
                " closed_at, updated_at, updated_by_id, version, spin_summary, grade_reason, deal_price, deposit,"
                " ordered_at, expected_delivery_date, delivered_on, service_advisor, insurance_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1,"
                " ?, '', ?, ?, ?, ?, ?, ?, ?)",
                lead_rows,
            )
        if tag_rows:
            conn.executemany("INSERT INTO customer_tag (customer_id, tag) VALUES (?, ?)", tag_rows)
        if drive_rows:
            conn.executemany("INSERT INTO test_drive (lead_id, vehicle_id, at, route, feedback, consultant_id,"
                             " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", drive_rows)
        if quote_rows:
            conn.executemany("INSERT INTO quote (lead_id, vehicle_id, configuration, guide_price, discount, trade_in,"
                             " finance_plan, car_price, purchase_tax, insurance, plates, total, created_at,"
                             " created_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", quote_rows)
        if visit_rows:
            conn.executemany("INSERT INTO showroom_visit (customer_id, lead_id, at, kind, consultant_id)"
                             " VALUES (?, ?, ?, ?, ?)", visit_rows)
        if complaint_rows:
            conn.executemany("INSERT INTO complaint (customer_id, lead_id, channel, category, description,"
                             " department, assignee_id, opened_by_id, created_at, due_at, resolved_at, resolution,"
                             " callback_at, satisfaction, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             complaint_rows)
        if audit_rows:
            conn.executemany("INSERT INTO audit_log (at, actor_id, action, entity, entity_id, customer_id, field,"
                             " old, new) VALUES (?, ?, ?, 'lead', ?, ?, ?, ?, ?)", audit_rows)
        if fu_rows:
            conn.executemany(
                "INSERT INTO follow_up (lead_id, owner_id, channel, due_at, done_at, summary, feedback,"
                " attitude, outcome, created_at, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                fu_rows,
            )
        counts[0] += len(lead_rows)
        counts[1] += len(fu_rows)
        cust_rows.clear()
        tag_rows.clear()
        for extra in (drive_rows, quote_rows, visit_rows, complaint_rows, audit_rows):
            extra.clear()
        lead_rows.clear()
        fu_rows.clear()

    focus_all = ["price", "performance", "brand", "economy", "space", "service", "tech"]
    for c in range(1, n_customers + 1):
        # spread owners evenly; the first consultant always has a full book
        owner = consultant_ids[(c - 1) % n_consultants]
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
        digits = rng.choice(data["mobile_prefixes"]) + f"{numbers[c - 1]:08d}"
        # months of history for the manager's reports, a few owners from years back, and today's arrivals
        kind = rng.random()
        age = 0 if kind < today_rate else rng.randrange(400, 1000) if kind > 1 - OWNERS_OF_OLD else rng.randrange(1, 200)
        source = _pick(rng, SOURCE_WEIGHTS)
        if age == 0 and source in ANSWERED_ON_ARRIVAL and clock.minute <= opens + 10:
            source = rng.choice(online_sources)  # before the doors open, today's arrivals are online enquiries
        status = "won" if age >= 400 else _pick(rng, STATUS_WEIGHTS) if age > 10 else "open"
        if age == 0:  # today's arrivals: met at reception, or an enquiry not yet in the showroom
            stage = "reception" if source in ANSWERED_ON_ARRIVAL else "new"
        else:
            stage = "delivery" if status == "won" else _pick(rng, STAGE_WEIGHTS)
        if status == "open":
            grade = "O" if stage in ("order", "delivery") else _pick(rng, GRADE_WEIGHTS)
        else:
            grade = "O" if status == "won" else _pick(rng, GRADE_WEIGHTS)
        window = windows[grade, source in online_sources]  # the first-response window
        waiting = False  # one of today's enquiries still waits for its first answer
        if age:
            created_at = clock.at(-age, rng.randrange(opens, closes))
        elif source in ANSWERED_ON_ARRIVAL:  # came in (or called) since the showroom opened
            created_at = clock.at(0, rng.randrange(opens, min(clock.minute, closes)))
        else:
            # an enquiry: some still wait, their clock running; now and then one a little past its
            # window; the rest were answered within it
            roll = rng.random()
            if roll < AWAITING_SHARE:
                waiting = True
                created_at = now - rng.randrange(1, max(2, min(window, clock.minute))) * minute
            elif roll < AWAITING_SHARE + BREACHED_SHARE and window + 90 < clock.minute:
                waiting = True
                created_at = now - (window + rng.randrange(5, 90)) * minute
            else:
                created_at = now - rng.randrange(3, since_open) * minute
        ctype = {"won": "owner", "lost": "lost"}.get(status, "intent" if stage != "new" else "prospect")
        birthday = f"{rng.randrange(1965, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" if rng.random() < 0.4 else None
        dnc = 1 if rng.random() < 0.02 else 0
        tag_rows.extend((c, tag) for tag in rng.sample(data["tags"], rng.choice((0, 0, 1, 2))))
        referrer = rng.choice(owners_so_far) if source == "referral" and owners_so_far and rng.random() < 0.8 else None
        if status == "won":
            owners_so_far.append(c)
        cust_rows.append((
            c, name, pinyin_keys(name), rng.choice(("m", "f")), rng.choice(data["age_ranges"]), f"+86{digits}", digits,
            f"wx_{digits[-6:]}" if rng.random() < 0.5 else "", source, ctype,
            birthday, dnc, owner, _text(created_at), _text(created_at), owner, referrer,
        ))

        vid, _series, price = rng.choice(vehicles)
        lo = max(50_000, (price // 50_000) * 50_000 - rng.choice((0, 50_000)))
        cadence = DEFAULT_GRADES[grade].cadence_days
        stage_idx = stages.index(stage)
        # the first response: on arrival for walk-ins and calls, within the response window mostly for
        # the rest; a few of today's enquiries still wait for theirs (most of them not yet past it)
        first = created_at
        if waiting:
            first = None
        elif source not in ANSWERED_ON_ARRIVAL:
            waited = (now - created_at) // minute
            first = created_at + rng.randrange(2, max(3, min(window, 90, waited))) * minute
        due = None
        if first is None:
            times = []
        elif status == "open":
            if age == 0:  # answered today: the first call tomorrow (domain.md: within 24 hours)
                last = first
                due = first + policy.first_followup_hours * _HOUR
            else:
                # when the next call is due, and the last contact a grade's cadence before it; each
                # consultant's share of missed calls, silent leads and calls due later today is dealt
                # out evenly along the book (a consultant's day does not hang on a lucky draw)
                share = shares[owner]
                share[0] += p_overdue
                share[1] += p_silent
                share[2] += DUE_LATER_TODAY
                if share[0] >= 1:  # missed by hours, or a day or two
                    share[0] -= 1
                    back = rng.choice((0, 0, 1, 1, 2))
                    if back == 0 and clock.minute - 20 <= opens:
                        back = 1
                    due = clock.at(-back, rng.randrange(opens, min(clock.minute - 20, closes) if back == 0 else closes))
                    last = due - cadence * day
                elif share[1] >= 1:  # not heard from for longer than the grade allows
                    share[1] -= 1
                    last = clock.at(-(cadence + rng.randrange(1, cadence // 2 + 3)), rng.randrange(opens, closes))
                    due = clock.at(rng.randrange(1, 6), rng.randrange(opens, closes))
                elif share[2] >= 1:
                    share[2] -= 1
                    due = clock.at(0, rng.randrange(*later_today))
                    last = due - cadence * day
                else:  # called within the cadence; the next call after today
                    back = rng.randrange(cadence)
                    if back == 0 and clock.minute - 15 <= opens:
                        back = 1
                    last = clock.at(-back, rng.randrange(opens, min(clock.minute - 15, closes) if back == 0 else closes))
                    due = last + cadence * day
                if last < first:  # younger than its cadence: the first response is the last contact so far
                    last = first
                if due < last + _HOUR:
                    due = max(last + cadence * day, clock.at(0, rng.randrange(*later_today)))
            # the contact history: about one contact per third of a cadence, more as the lead went further
            n_done = min(2 + stage_idx + rng.randrange(0, 9), (last - first).days // max(1, cadence // 3) + 2)
            if stage == "new":
                n_done = min(n_done, rng.choice((1, 1, 2)))
            times = _contacts(rng, first, last, n_done, clock)
        else:
            # closed: owners from years back bought within two months of walking in; the rest were
            # won, lost or went quiet some day since they came in, a few of them today
            if age >= 400:
                end = clock.at(-age + rng.randrange(1, 61), rng.randrange(opens, closes))
            elif status != "dormant" and clock.minute > opens + 1 and rng.random() < closed_today_rate:
                end = clock.at(0, rng.randrange(opens, clock.minute))  # closed today: the evening review
            else:
                end = clock.at(-rng.randrange(1, age), rng.randrange(opens, closes))
            n_done = min(2 + stage_idx + rng.randrange(0, 9) + (6 if status == "won" else 0),
                         (end - first).days // max(1, cadence // 3) + 2)
            times = _contacts(rng, first, end, n_done, clock)
        last_contact = times[-1] if times else None
        lead_id += 1
        closed_at = last_contact if status != "open" else None
        planned = created_at
        for when in times:
            channel = ANSWERED_ON_ARRIVAL[source] if when == created_at else _pick(rng, CHANNEL_WEIGHTS)
            attitude = _pick(rng, ATTITUDE_WEIGHTS)
            summary = rng.choice(notes[channel])
            outcome = "no_answer" if "未接通" in summary else rng.choice(("reached", "reached", "appointment", "quote_sent"))
            fu_rows.append((
                lead_id, owner, channel, _text(when), _text(when), summary,
                rng.choice(feedback[attitude]) if outcome != "no_answer" else "", attitude if outcome != "no_answer" else "",
                outcome, _text(planned), "",  # planned at the contact before (or when the lead came in)
            ))
            planned = when
        if status == "open":
            if first is None:  # the first-response clock runs: due by its deadline
                due = created_at + window * minute
            fu_rows.append((
                lead_id, owner, "phone" if rng.random() < 0.7 else "wechat", _text(due), None,
                "", "", "", "", _text(last_contact or created_at), "",
            ))
        process_cols = _stage_records(
            rng, proc, policy, clock, c, lead_id, owner, stage_idx, stages, status, vid, price, times,
            created_at, closed_at, birthday, dnc, source, drive_rows, quote_rows, visit_rows, complaint_rows,
            fu_rows, consultant_ids, p_recent_complaint)
        focus = ",".join(rng.sample(focus_all, rng.choice((1, 2, 3))))
        span = max(3, DEFAULT_GRADES[grade].horizon_days or 120)
        horizon = rng.randrange(max(2, span // 2), span + span // 2)  # spread over the months ahead
        expected_date = (now + horizon * day).date().isoformat() if status == "open" else None
        lost_reason = rng.choice(("competitor", "competitor", "budget", "postponed", "price")) if status == "lost" else ""
        lead_rows.append((
            lead_id, c, owner, grade, rng.randrange(20, 100), stage, status, vid, lo, lo + 50_000,
            focus, rng.choice(("commute", "family", "family", "business", "offroad")), URGENCY_FOR_GRADE[grade],
            expected_date, rng.choice(lead_data["competitors"]) if rng.random() < 0.5 else "",
            rng.choice(("self", "self", "spouse", "family", "company")), rng.choice(lead_data["objections"]) if rng.random() < 0.6 else "",
            price, _vin(rng) if status == "won" else "", _plate(rng) if status == "won" else "",
            lost_reason, rng.choice(lead_data["competitors"]) if lost_reason == "competitor" else "",
            _text(created_at), _text(times[len(times) // 2] if times else created_at),
            _text(times[0]) if times else None, _text(last_contact) if last_contact else None,
            _text(closed_at) if closed_at else None, _text(last_contact or created_at), owner,
            *process_cols,
        ))
        if status == "won" and rng.random() < 0.12:
            # a repeat buyer: an earlier car from this showroom, delivered a year or two before
            lead_id += 1
            bought = created_at - dt.timedelta(days=rng.randrange(300, 800))
            old_vid, _s, old_price = rng.choice(vehicles)
            old = list(lead_rows[-1])
            old[0], old[7], old[17], old[18], old[19] = lead_id, old_vid, old_price, _vin(rng), _plate(rng)
            old[22] = old[23] = old[24] = _text(bought - 20 * day)
            old[25] = old[26] = old[27] = _text(bought)
            old[29:37] = [old[29], old_price - 5_000, 10_000, _text(bought - 10 * day), clock.local_date(bought).isoformat(),
                          clock.local_date(bought).isoformat(), old[35], add_years(clock.local_date(bought), 1).isoformat()]
            lead_rows.append(tuple(old))
            row = cust_rows[-1]  # a customer since that first visit
            cust_rows[-1] = (*row[:13], old[22], *row[14:])
        if status == "open" and last_contact and now - last_contact < day and rng.random() < 0.5:
            # today's moves for the evening review: a stage step or a grade change
            if stage_idx and rng.random() < 0.5:
                audit_rows.append((_text(last_contact), owner, "move", lead_id, c, "stage", stages[stage_idx - 1], stage))
            elif grade in GRADE_WEIGHTS:
                before = rng.choice([g for g in GRADE_WEIGHTS if g != grade])
                audit_rows.append((_text(last_contact), owner, "update", lead_id, c, "grade", before, grade))
        if len(fu_rows) >= batch * 10 or len(cust_rows) >= batch:
            flush()
            if progress:
                progress(c, n_customers)
    flush()
    if progress:
        progress(n_customers, n_customers)


def _stage_records(rng, proc, policy, clock, customer, lead, owner, stage_idx, stages, status, vehicle,
                   price, times, created_at, closed_at, birthday, dnc, source, drives, quotes, visits,
                   complaints, followups, consultants, p_recent_complaint):
    """What each stage reached has recorded: needs, test drive, quote, order, delivery and
    its after-sales schedule (planned on the delivery day); showroom traffic; the odd complaint,
    opened after the delivery and closed unless it is from the last few days. Returns the lead's
    process columns (spin, deal price, deposit, ordered, expected delivery, delivered, advisor,
    insurance)."""
    now, day = clock.now, _DAY
    reached = len(stages) if status == "won" else stage_idx
    moment = lambda i: times[min(i, len(times) - 1)] if times else created_at  # noqa: E731
    spin = rng.choice(proc["spin"]) if reached >= stages.index("needs") else ""
    if source == "walk_in" or reached >= stages.index("presentation"):
        visits.append((customer, lead, _text(created_at), "first", owner))
        if reached >= stages.index("quote") and rng.random() < 0.6:
            visits.append((customer, lead, _text(moment(len(times) // 2)), "be_back", owner))
    if reached >= stages.index("test_drive"):
        at = moment(stage_idx)
        drives.append((lead, vehicle, _text(at), rng.choice(proc["routes"]), rng.choice(proc["drive_feedback"]),
                       owner, _text(at)))
    if reached >= stages.index("quote"):
        discount = rng.choice((0, 5_000, 8_000, 10_000, 15_000))
        trade_in = rng.choice((0, 0, 30_000, 50_000))
        insurance, plates = 6_000 + price // 100, 500
        totals = quote_totals(price, discount, trade_in, insurance, plates, policy)
        at = moment(stage_idx + 1)
        quotes.append((lead, vehicle, rng.choice(proc["configurations"]), price, discount, trade_in,
                       rng.choice(proc["finance"]), totals.car_price, totals.purchase_tax, insurance, plates,
                       totals.total, _text(at), owner))
    deal = deposit = ordered = expected = delivered = insurance_until = None
    advisor = ""
    if reached >= stages.index("order"):
        deal = price - rng.choice((3_000, 5_000, 8_000, 12_000))
        deposit = rng.choice((5_000, 10_000, 20_000))
        ordered_at = moment(len(times) - 2)
        ordered = _text(ordered_at)
        if status == "won":  # promised a few days before it came, or on the day
            expected = max(clock.local_date(ordered_at), clock.local_date(closed_at) - dt.timedelta(days=rng.randrange(0, 4)))
        else:
            expected = clock.local_date(max(ordered_at, now) + dt.timedelta(days=rng.randrange(5, 30)))
        expected = expected.isoformat()
    if status == "won":
        delivered_day = clock.local_date(closed_at)
        delivered = delivered_day.isoformat()
        advisor = rng.choice(proc["advisors"])
        insurance_until = add_years(delivered_day, 1).isoformat()
        bday = dt.date.fromisoformat(birthday) if birthday else None
        for plan in after_sales_plan(delivered_day, bday, None, bool(dnc), policy):
            due = dt.datetime.fromisoformat(utc_text(plan.due_at))
            done = due < now - 2 * day or (due < now and rng.random() < 0.5)
            followups.append((lead, owner, plan.channel, _text(due), _text(due) if done else None,
                              rng.choice(proc["after_sales_done"]) if done else "", "", "",
                              "reached" if done else "", _text(closed_at), plan.purpose))
        if rng.random() < 0.08:
            _complaint(rng, proc, policy, clock, customer, lead, owner, closed_at, complaints, consultants,
                       p_recent_complaint)
    return (spin, deal, deposit, ordered, expected, delivered, advisor, insurance_until)


def _complaint(rng, proc, policy, clock, customer, lead, owner, delivered_at, complaints, consultants,
               p_recent) -> None:
    """A complaint about a delivered car. One from the last three days may still be open (or
    resolved, the call-back to come); older ones were resolved within about a day and called back."""
    now = clock.now
    earliest = delivered_at + _DAY
    if rng.random() < p_recent and earliest < now - _HOUR:
        opened = max(earliest, now - rng.randrange(60, 72 * 60) * _MINUTE)
    elif earliest < now - 4 * _DAY:
        opened = earliest + rng.randrange((now - 4 * _DAY - earliest) // _MINUTE) * _MINUTE
    else:
        return
    hours = (now - opened) / _HOUR
    roll = rng.random()
    status = "closed" if hours >= 72 else ("open" if roll < 0.7 else "resolved") if hours < 24 else \
        ("open" if roll < 0.25 else "resolved" if roll < 0.6 else "closed")
    resolved_at = callback_at = None
    if status != "open":
        resolved_at = opened + min(int(hours * 54), rng.randrange(60, 30 * 60)) * _MINUTE
    if status == "closed":
        callback_at = min(now, resolved_at + rng.randrange(2 * 60, 48 * 60) * _MINUTE)
    category, text = rng.choice(proc["complaints"])
    complaints.append((customer, lead, rng.choice(("phone", "visit", "wechat")), category, text,
                       "after_sales" if category in ("service", "product") else "sales",
                       owner if category in ("sales", "delivery", "price") else rng.choice(consultants),
                       owner, _text(opened), _text(opened + dt.timedelta(hours=policy.complaint_hours)),
                       _text(resolved_at) if resolved_at else None,
                       rng.choice(proc["resolutions"]) if resolved_at else "",
                       _text(callback_at) if callback_at else None,
                       rng.choice((3, 4, 5, 5)) if callback_at else None, status))
