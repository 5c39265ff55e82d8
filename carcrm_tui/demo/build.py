"""Build the demo showroom database, deterministically from a seed.

Bulk rows go in through the raw connection's executemany in one transaction
(peewee's insert_many is ~13x slower at a million rows — design.md), so
100,000 customers with ~1M follow-ups build in well under a minute. Dates are
relative to `now`, so there is always work overdue and due today.
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


def _build(conn, data, rng, now_aware, n_customers, policy, counts, progress) -> None:
    # pendulum arithmetic costs microseconds per call; a million rows want stdlib datetimes
    now = dt.datetime.fromisoformat(utc_text(now_aware))
    day = dt.timedelta(days=1)
    local_now = now_aware.in_timezone(policy.timezone)
    day_close = local_now.start_of("day").add(hours=20)
    if local_now >= day_close.subtract(minutes=30):
        day_close = local_now.start_of("day").add(days=1).subtract(minutes=1)
    today_minutes = max(1, int((day_close - local_now).total_minutes()))
    # today's walk-ins and enquiries arrived since the showroom opened (or since midnight, early on)
    opened = local_now.start_of("day").add(hours=8, minutes=30)
    since_open = max(10, int((local_now - (opened if local_now > opened else local_now.start_of("day")))
                             .total_minutes()))
    created = _text(now - 200 * day)
    accounts = data["accounts"]
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

    cust_rows, lead_rows, fu_rows, tag_rows = [], [], [], []
    drive_rows, quote_rows, visit_rows, complaint_rows, audit_rows = [], [], [], [], []
    # a day's worth of arrivals and closings whatever the demo's size: ~40 new leads, ~8 deals closed
    today_rate = min(0.012, 40 / n_customers)
    closed_today_rate = min(0.05, 8 / (n_customers * 0.25))
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
        owner = consultant_ids[(c - 1) % len(consultant_ids)]
        name = rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
        digits = rng.choice(data["mobile_prefixes"]) + f"{numbers[c - 1]:08d}"
        # months of history for the manager's reports, a few owners from years back, and today's arrivals
        kind = rng.random()
        age = 0 if kind < today_rate else rng.randrange(400, 1000) if kind < 0.04 else rng.randrange(1, 200)
        if age:
            created_at = now - dt.timedelta(days=age, hours=rng.randrange(0, 10), minutes=rng.randrange(60))
        else:
            created_at = now - dt.timedelta(minutes=rng.randrange(1, since_open))
        status = "won" if age >= 400 else _pick(rng, STATUS_WEIGHTS) if age > 10 else "open"
        stage = "delivery" if status == "won" else _pick(rng, STAGE_WEIGHTS)
        if status == "open":
            grade = "O" if stage in ("order", "delivery") else _pick(rng, GRADE_WEIGHTS)
        else:
            grade = "O" if status == "won" else _pick(rng, GRADE_WEIGHTS)
        ctype = {"won": "owner", "lost": "lost"}.get(status, "intent" if stage != "new" else "prospect")
        birthday = f"{rng.randrange(1965, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}" if rng.random() < 0.4 else None
        dnc = 1 if rng.random() < 0.02 else 0
        source = _pick(rng, SOURCE_WEIGHTS)
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
        # the contact history: one done follow-up per cadence step up to the last contact
        stage_idx = stages.index(stage)
        n_done = min(2 + stage_idx + rng.randrange(0, 9) + (6 if status == "won" else 0), max(1, age // max(1, cadence // 3)))
        if stage == "new" and status == "open":
            n_done = rng.choice((0, 0, 1))
        # owners from years back bought within two months of walking in, and have not been heard from since
        span_days = max(1, min(age - 1, 60) if age >= 400 else age - 1)
        times = sorted(created_at + dt.timedelta(minutes=rng.randrange(0, span_days * 24 * 60)) for _ in range(n_done))
        if times and status in ("won", "lost") and age < 400 and rng.random() < closed_today_rate:
            times[-1] = now - dt.timedelta(minutes=rng.randrange(1, since_open))  # closed today: the evening review
        last_contact = times[-1] if times else None
        lead_id += 1
        closed_at = None
        if status != "open" and times:
            closed_at = times[-1]
        for when in times:
            channel = _pick(rng, CHANNEL_WEIGHTS)
            attitude = _pick(rng, ATTITUDE_WEIGHTS)
            summary = rng.choice(notes[channel])
            outcome = "no_answer" if "未接通" in summary else rng.choice(("reached", "reached", "appointment", "quote_sent"))
            fu_rows.append((
                lead_id, owner, channel, _text(when), _text(when), summary,
                rng.choice(feedback[attitude]) if outcome != "no_answer" else "", attitude if outcome != "no_answer" else "",
                outcome, _text(when - cadence * day), "",
            ))
        if status == "open":
            base = last_contact or created_at
            due = base + dt.timedelta(days=cadence, hours=rng.randrange(-4, 5))
            # a realistic spread: most on time, a share overdue, some later today, the rest coming up
            roll = rng.random()
            if roll < 0.22:
                due = now - dt.timedelta(hours=rng.randrange(1, 24 * 5))
            elif roll < 0.42:
                due = now + dt.timedelta(minutes=rng.randrange(1, today_minutes + 1))
            elif due < now:
                due = now + dt.timedelta(hours=rng.randrange(24, 24 * cadence + 24))
            fu_rows.append((
                lead_id, owner, "phone" if rng.random() < 0.7 else "wechat", _text(due), None,
                "", "", "", "", _text(base), "",
            ))
        process_cols = _stage_records(
            rng, proc, policy, now, day, c, lead_id, owner, stage_idx, stages, status, vid, price, times,
            created_at, closed_at, birthday, dnc, source, drive_rows, quote_rows, visit_rows, complaint_rows,
            fu_rows, consultant_ids)
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
            old[29:37] = [old[29], old_price - 5_000, 10_000, _text(bought - 10 * day), bought.date().isoformat(),
                          bought.date().isoformat(), old[35], add_years(bought.date(), 1).isoformat()]
            lead_rows.append(tuple(old))
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



def _stage_records(rng, proc, policy, now, day, customer, lead, owner, stage_idx, stages, status, vehicle,
                   price, times, created_at, closed_at, birthday, dnc, source, drives, quotes, visits,
                   complaints, followups, consultants):
    """What each stage reached has recorded: needs, test drive, quote, order, delivery and
    its after-sales schedule; showroom traffic; the odd complaint. Returns the lead's
    process columns (spin, deal price, deposit, ordered, expected delivery, delivered,
    advisor, insurance)."""
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
        expected = (max(ordered_at, now) + dt.timedelta(days=rng.randrange(5, 30))).date().isoformat()
    if status == "won":
        delivered_day = (closed_at or now).date()
        delivered = delivered_day.isoformat()
        advisor = rng.choice(proc["advisors"])
        insurance_until = add_years(delivered_day, 1).isoformat()
        bday = dt.date.fromisoformat(birthday) if birthday else None
        for plan in after_sales_plan(delivered_day, bday, None, bool(dnc), policy):
            due = dt.datetime.fromisoformat(utc_text(plan.due_at))
            done = due < now - 2 * day or (due < now and rng.random() < 0.5)
            followups.append((lead, owner, plan.channel, _text(due), _text(due) if done else None,
                              rng.choice(proc["after_sales_done"]) if done else "", "", "",
                              "reached" if done else "", _text(due - 30 * day), plan.purpose))
        if rng.random() < 0.08:
            category, text = rng.choice(proc["complaints"])
            opened = now - dt.timedelta(hours=rng.randrange(2, 2000))
            resolved = rng.random() < 0.7
            resolved_at = opened + dt.timedelta(hours=rng.randrange(2, 30)) if resolved else None
            complaints.append((customer, lead, rng.choice(("phone", "visit", "wechat")), category, text,
                               "after_sales" if category in ("service", "product") else "sales",
                               owner if category in ("sales", "delivery", "price") else rng.choice(consultants),
                               owner, _text(opened), _text(opened + dt.timedelta(hours=policy.complaint_hours)),
                               _text(resolved_at) if resolved else None, rng.choice(proc["resolutions"]) if resolved else "",
                               _text(resolved_at + dt.timedelta(days=1)) if resolved else None,
                               rng.choice((3, 4, 5, 5)) if resolved else None, "closed" if resolved else "open"))
    return (spin, deal, deposit, ordered, expected, delivered, advisor, insurance_until)

