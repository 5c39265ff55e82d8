"""The sales process: what each stage records, lead scores, response clocks,
quotes, and the after-delivery schedule. Pure functions; `now` is passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pendulum
from pendulum import DateTime

from carcrm_tui.domain.policy import Policy

# What moving INTO a stage asks for (the form shows only these); "won" is past delivery.
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "needs": ("urgency", "budget", "use", "focus_points", "expected_purchase_date", "decision_maker",
              "objections", "competitor_models", "spin_summary"),
    "test_drive": ("vehicle", "drive_at", "route", "drive_feedback"),
    "quote": ("vehicle", "configuration", "guide_price", "discount", "trade_in", "finance_plan",
              "insurance", "plates"),
    "order": ("deposit", "deal_price", "expected_delivery_date"),
    "won": ("delivered_on", "vin", "service_advisor"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "needs": ("urgency", "budget"),
    "test_drive": ("vehicle", "drive_at"),
    "quote": ("vehicle", "guide_price"),
    "order": ("deposit", "deal_price", "expected_delivery_date"),
    "won": ("delivered_on", "vin", "service_advisor"),
}


def stage_fields(target: str) -> tuple[str, ...]:
    return STAGE_FIELDS.get(target, ())


# ---- quotes ------------------------------------------------------------------
@dataclass(frozen=True)
class QuoteTotals:
    car_price: int
    purchase_tax: int
    total: int


def quote_totals(guide_price: int, discount: int, trade_in: int, insurance: int, plates: int,
                 policy: Policy) -> QuoteTotals:
    """Car price after discount; purchase tax on the price without VAT (10% of price/1.13 by
    default); the total the customer pays, less the trade-in allowance."""
    car = max(0, guide_price - discount)
    tax = round(car / (1 + policy.vat_rate) * policy.purchase_tax_rate)
    return QuoteTotals(car, tax, car + tax + insurance + plates - trade_in)


# ---- score and grade -----------------------------------------------------------
@dataclass(frozen=True)
class LeadFacts:
    visits: int
    test_drives: int
    budget_min: int | None
    budget_max: int | None
    vehicle_price: int | None
    expected_purchase: dt.date | None
    contacts_30d: int
    positive_30d: int


def lead_score(facts: LeadFacts, today: dt.date, policy: Policy) -> int:
    """0–100 from the policy's weights: visits, test drive, budget fit, timeframe, engagement."""
    w = policy.score_weights
    points = 0.0
    points += w["visits"] * min(facts.visits, 2) / 2
    points += w["test_drive"] * (1 if facts.test_drives else 0)
    if facts.vehicle_price and (facts.budget_min or facts.budget_max):
        lo = facts.budget_min or 0
        hi = facts.budget_max or facts.budget_min or 0
        fits = lo * 0.9 <= facts.vehicle_price <= hi * 1.1
        points += w["budget_fit"] * (1 if fits else 0.3)
    if facts.expected_purchase:
        days = (facts.expected_purchase - today).days
        points += w["timeframe"] * (1 if days <= 30 else 0.6 if days <= 90 else 0.2)
    engagement = min(facts.contacts_30d, 4) / 4 * 0.6 + min(facts.positive_30d, 2) / 2 * 0.4
    points += w["engagement"] * engagement
    total = sum(w.values()) or 1
    return max(0, min(100, round(points * 100 / total)))


def suggest_grade(score: int, urgency: str, policy: Policy) -> str:
    """Urgency gives the grade (domain.md); a high score makes a near-term lead H."""
    from carcrm_tui.domain.grading import grade_for_urgency

    grade = grade_for_urgency(urgency, policy)
    if score >= policy.hot_score and urgency == "near" and "H" in policy.grades:
        return "H"
    return grade


# ---- response clock -------------------------------------------------------------
@dataclass(frozen=True)
class ResponseClock:
    deadline: DateTime
    breached: bool
    minutes_left: int  # negative when late


def response_clock(created_at: DateTime, grade: str, source: str, now: DateTime,
                   policy: Policy) -> ResponseClock:
    """First-response SLA: online enquiries get the policy's minutes, others the grade's."""
    rule = policy.grades.get(grade)
    minutes = rule.response_minutes if rule else 24 * 60
    if source in policy.online_sources:
        minutes = min(minutes, policy.online_response_minutes)
    deadline = created_at.add(minutes=minutes)
    # datetime's subtraction: pendulum's builds a precise Interval (the board draws many clocks)
    left = int(dt.datetime.__sub__(deadline, now).total_seconds() // 60)
    return ResponseClock(deadline, left < 0, left)


# ---- after delivery -----------------------------------------------------------------
@dataclass(frozen=True)
class Planned:
    purpose: str
    due_at: DateTime
    channel: str


def after_sales_plan(delivered_on: dt.date, birthday: dt.date | None, insurance_until: dt.date | None,
                     do_not_contact: bool, policy: Policy, *, years: int = 1) -> list[Planned]:
    """Day-1 message, week-1 call, first service, 6-month maintenance, insurance renewal,
    birthdays and the policy's holidays for the first `years` after delivery. Nothing for a
    customer who asked not to be contacted."""
    if do_not_contact:
        return []
    a = policy.after_sales
    tz = policy.tz

    def at(day: dt.date, hour: int = 10) -> DateTime:
        return pendulum.datetime(day.year, day.month, day.day, hour, tz=tz).in_timezone("UTC")

    plan = [
        Planned("day1", at(delivered_on + dt.timedelta(days=a["day1_days"])), "wechat"),
        Planned("week1", at(delivered_on + dt.timedelta(days=a["week1_days"])), "phone"),
        Planned("first_service", at(delivered_on + dt.timedelta(days=a["first_service_days"])), "phone"),
        Planned("maintenance", at(delivered_on + dt.timedelta(days=a["maintenance_days"])), "phone"),
    ]
    lapse = insurance_until or add_years(delivered_on, 1)
    plan.append(Planned("insurance", at(lapse - dt.timedelta(days=a["insurance_notice_days"])), "phone"))
    end = add_years(delivered_on, years)
    if birthday:
        for year in range(delivered_on.year, end.year + 1):
            day = _birthday_in(birthday, year)
            if delivered_on < day <= end:
                plan.append(Planned("birthday", at(day, 9), "wechat"))
    for name, dates in policy.holidays.items():
        for day in dates:
            if delivered_on < day <= end:
                plan.append(Planned(f"holiday:{name}", at(day, 9), "wechat"))
    return sorted(plan, key=lambda p: p.due_at)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _birthday_in(birthday: dt.date, year: int) -> dt.date:
    try:
        return birthday.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def thank_you_due(visit_at: DateTime, policy: Policy) -> DateTime:
    return visit_at.add(hours=policy.thank_you_hours)


def complaint_due(opened_at: DateTime, policy: Policy) -> DateTime:
    return opened_at.add(hours=policy.complaint_hours)
