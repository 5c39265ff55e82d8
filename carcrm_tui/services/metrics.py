"""The manager's numbers for a period: funnel, showroom traffic, forecast, owners, leaderboard.

Every figure is a GROUP BY over an indexed range (leads by created_at or
closed_at, visits by at, contacts by done_at) — never a table loaded into
Python — and the arithmetic is domain.metrics. Periods are the dealership's
local days [start, end); "the previous period" is the same length just before.

Definitions (what a manager reads on the screen):
- funnel: the leads that came in during the period, by the furthest stage they
  reached (domain.metrics.reached); conversion is stage to stage;
- traffic: first visits and be-backs; test-drive rate = visiting customers who
  also test-drove in the period ÷ visiting customers; close rate = visiting
  customers whose lead was ordered in the period ÷ visiting customers;
- forecast: won revenue (deal price, else expected value) closed this month +
  Σ open expected value × the stage's win rate, by expected purchase month;
- leaderboard: contacts logged (a logged outcome, not a closed-off task),
  median first response of non-walk-in leads that came in, won ÷ closed.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import pendulum
from peewee import fn

from carcrm_tui.domain import metrics as M
from carcrm_tui.domain.policy import OUTCOMES
from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.services.scope import (
    account_filter, customer_filter, in_showroom, lead_filter, owned_in_showroom,
)
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Customer, FollowUp, Lead, ShowroomVisit, TestDrive


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def previous(self) -> Period:
        if self.start.day == 1 and self.end.day == 1:  # whole calendar months → as many months before
            n = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return Period(M.add_months(self.start, -n), self.start)
        return Period(self.start - dt.timedelta(days=self.days), self.start)

    def compared_to(self, today: dt.date) -> Period:
        """The period to compare with: the previous one, cut to as many days as have passed of this one
        (the 22nd of this month against the 1st–22nd of the last, not against the whole month)."""
        previous = self.previous
        if self.start <= today < self.end:
            return Period(previous.start, min(previous.end, previous.start + dt.timedelta(days=(today - self.start).days + 1)))
        return previous

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == M.add_months(self.start, 1):
            return self.start.strftime("%Y-%m")
        if self.days == 1:  # the 1st of a month compares with the 1st of the last: one day, said once
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {(self.end - dt.timedelta(days=1)).isoformat()}"


def month(text: str) -> Period:
    """"2026-03" → that calendar month. ValueError names a bad month."""
    try:
        year, mon = (int(x) for x in text.split("-"))
        first = dt.date(year, mon, 1)
    except (ValueError, TypeError):
        raise ValueError(text) from None
    return Period(first, M.add_months(first, 1))


def this_month(session: Session) -> Period:
    today = session.now().in_timezone(session.policy.tz).date()
    return Period(today.replace(day=1), M.add_months(today.replace(day=1), 1))


def _utc(day: dt.date, session: Session):
    return pendulum.datetime(day.year, day.month, day.day, tz=session.policy.tz).in_timezone("UTC")


def bounds(period: Period, session: Session):
    """The period's local days as a UTC range [start, end), for indexed range queries."""
    return _utc(period.start, session), _utc(period.end, session)


def _manager(session: Session) -> None:
    if not session.is_manager:
        raise NotAllowed()


def _names() -> dict[int, str]:
    return {a.id: a.name for a in Account.select(Account.id, Account.name)}


# ---- funnel ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Funnel:
    period: Period
    against: Period  # the previous period, or its first days when this one is still running
    stages: tuple[str, ...]
    reached: list[int]  # per stage, this period
    won: int
    previous: list[int]  # per stage, the previous period
    previous_won: int
    by_source: list[tuple[str, int, int, int]]  # source, leads, reached test drive, won
    by_consultant: list[tuple[str, int, int, int]]
    lost_reasons: list[tuple[str, int]]  # lost leads closed in the period
    competitors: list[tuple[str, int]]


def _cohort(session: Session, period: Period, *group):
    start, end = bounds(period, session)
    q = (Lead.select(*group, Lead.stage, Lead.status, fn.COUNT(Lead.id))
         .where((Lead.created_at >= start) & (Lead.created_at < end) & lead_filter(session)))
    if any(g is Customer.source for g in group):
        q = q.join(Customer, on=(Lead.customer == Customer.id))
    return q.group_by(*group, Lead.stage, Lead.status).tuples()


def funnel(session: Session, period: Period) -> Funnel:
    _manager(session)
    stages = session.policy.stages
    rows = list(_cohort(session, period))
    against = period.compared_to(session.now().in_timezone(session.policy.tz).date())
    prev = list(_cohort(session, against))
    drive = stages.index("test_drive") if "test_drive" in stages else len(stages) - 1

    def breakdown(group, name) -> list[tuple[str, int, int, int]]:
        parts: dict[object, list] = defaultdict(list)
        for key, stage, status, n in _cohort(session, period, group):
            parts[key].append((stage, status, n))
        out = []
        for key, part in parts.items():
            counts = M.reached(part, stages)
            out.append((name(key), counts[0], counts[drive], sum(n for _s, st, n in part if st == "won")))
        return sorted(out, key=lambda r: (-r[1], r[0]))

    names = _names()
    start, end = bounds(period, session)
    lost = list(Lead.select(Lead.lost_reason, Lead.lost_competitor)
                .where((Lead.status == "lost") & (Lead.closed_at >= start) & (Lead.closed_at < end)
                       & lead_filter(session)).tuples())
    return Funnel(
        period, against, stages, M.reached(rows, stages), sum(n for _s, st, n in rows if st == "won"),
        M.reached(prev, stages), sum(n for _s, st, n in prev if st == "won"),
        breakdown(Customer.source, lambda s: s or ""), breakdown(Lead.owner, lambda o: names.get(o, "")),
        Counter(r for r, _c in lost).most_common(), Counter(c for _r, c in lost if c).most_common(),
    )


# ---- showroom traffic --------------------------------------------------------------------
@dataclass(frozen=True)
class Traffic:
    period: Period
    first_visits: int
    be_backs: int
    visitors: int  # distinct customers
    test_drove: int  # of the visitors
    ordered: int  # of the visitors
    per_day: list[int]  # visits per local day, for the sparkline

    @property
    def test_drive_rate(self) -> float | None:
        return M.rate(self.test_drove, self.visitors)

    @property
    def close_rate(self) -> float | None:
        return M.rate(self.ordered, self.visitors)


def traffic(session: Session, period: Period) -> Traffic:
    _manager(session)
    start, end = bounds(period, session)
    in_period = (ShowroomVisit.at >= start) & (ShowroomVisit.at < end) & in_showroom(session, ShowroomVisit.customer)
    if not session.sees_everyone:
        in_period &= ShowroomVisit.consultant == session.actor.id
    kinds = Counter(k for (k,) in ShowroomVisit.select(ShowroomVisit.kind).where(in_period).tuples())
    visitors = ShowroomVisit.select(ShowroomVisit.customer).where(in_period).distinct()
    n_visitors = visitors.count()
    drove = (TestDrive.select(fn.COUNT(fn.DISTINCT(Lead.customer)))
             .join(Lead, on=(TestDrive.lead == Lead.id))
             .where((TestDrive.at >= start) & (TestDrive.at < end) & Lead.customer.in_(visitors)).scalar())
    ordered = (Lead.select(fn.COUNT(fn.DISTINCT(Lead.customer)))
               .where((Lead.ordered_at >= start) & (Lead.ordered_at < end) & Lead.customer.in_(visitors)).scalar())
    # each visit to its local day by comparing stored values against the days' starts: exact across DST,
    # and no date conversion per row
    starts = [ShowroomVisit.at.db_value(_utc(period.start + dt.timedelta(days=i), session))
              for i in range(1, period.days)]
    per_day = [0] * period.days
    for (at,) in ShowroomVisit.select(ShowroomVisit.at.coerce(False)).where(in_period).tuples():
        per_day[bisect.bisect_right(starts, at)] += 1
    return Traffic(period, kinds.get("first", 0), kinds.get("be_back", 0), n_visitors, drove or 0, ordered or 0,
                   per_day)


# ---- forecast ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastRow:
    consultant: str
    closed: int  # won this month, yuan
    months: list[float]  # weighted open value expected in each shown month
    later: float  # weighted, expected after the shown months
    undated: float  # weighted, no expected purchase date

    @property
    def this_month(self) -> float:
        return self.closed + self.months[0]


@dataclass(frozen=True)
class Forecast:
    months: list[dt.date]
    rows: list[ForecastRow]
    total: ForecastRow


def forecast(session: Session, months: int = 3) -> Forecast:
    _manager(session)
    today = session.now().in_timezone(session.policy.tz).date()
    first = today.replace(day=1)
    shown = [M.add_months(first, i) for i in range(months)]
    names = _names()
    closed: Counter = Counter()
    start, end = bounds(Period(first, M.add_months(first, 1)), session)
    for owner, value in (Lead.select(Lead.owner, fn.SUM(fn.COALESCE(Lead.deal_price, Lead.expected_value)))
                         .where((Lead.status == "won") & (Lead.closed_at >= start) & (Lead.closed_at < end)
                                & lead_filter(session)).group_by(Lead.owner).tuples()):
        closed[owner] = int(value or 0)
    weighted: dict[int, list[float]] = defaultdict(lambda: [0.0] * (months + 2))  # shown…, later, undated
    q = (Lead.select(Lead.owner, Lead.stage, Lead.expected_purchase_date, fn.SUM(Lead.expected_value))
         .where((Lead.status == "open") & lead_filter(session))
         .group_by(Lead.owner, Lead.stage, Lead.expected_purchase_date).tuples())
    for owner, stage, day, value in q:
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        slot = M.month_of(day, today)
        index = months + 1 if slot is None else (shown.index(slot) if slot in shown else months)
        weighted[owner][index] += M.weighted(int(value or 0), stage, session.policy.win_rates)
    rows = []
    for owner in sorted(set(closed) | set(weighted), key=lambda o: names.get(o, "")):
        w = weighted[owner]
        rows.append(ForecastRow(names.get(owner, ""), closed[owner], w[:months], w[months], w[months + 1]))
    rows.sort(key=lambda r: -(r.this_month + sum(r.months[1:])))
    total = ForecastRow("", sum(r.closed for r in rows), [sum(r.months[i] for r in rows) for i in range(months)],
                        sum(r.later for r in rows), sum(r.undated for r in rows))
    return Forecast(shown, rows, total)


# ---- owners' value (RFM) -----------------------------------------------------------------
@dataclass(frozen=True)
class Owners:
    owners: int
    classes: dict[str, int]
    spent: dict[str, int]  # yuan bought, per class
    repeat: int  # owners who bought more than once
    referrers: int  # owners who sent at least one customer
    referred: int  # customers referred by owners


def owners(session: Session) -> Owners:
    _manager(session)
    policy = session.policy
    today = session.now().in_timezone(policy.tz).date()
    referrals = dict(Customer.select(Customer.referred_by, fn.COUNT(Customer.id))
                     .where(Customer.referred_by.is_null(False) & customer_filter(session))
                     .group_by(Customer.referred_by).tuples())
    # "in touch within N days" is a comparison of stored instants with the start of the local day
    # N days ago, so no row's date is converted (an owner count grows with the years)
    cutoff = Lead.closed_at.db_value(_utc(today - dt.timedelta(days=policy.owner_recent_days), session))
    q = (Lead.select(Lead.customer, fn.COUNT(Lead.id), fn.SUM(fn.COALESCE(Lead.deal_price, Lead.expected_value)),
                     fn.MAX(Lead.closed_at).coerce(False), fn.MAX(Lead.last_contact_at).coerce(False))
         .where((Lead.status == "won") & lead_filter(session)).group_by(Lead.customer).tuples())
    classes: Counter = Counter()
    spent: Counter = Counter()
    count = repeat = referrers = referred = 0
    for customer, n, value, closed, contact in q:
        stamps = [x for x in (closed, contact) if x is not None]
        recent = not stamps or max(stamps) >= cutoff
        facts = M.OwnerFacts(customer, recent, n, int(value or 0), referrals.get(customer, 0))
        cls = M.owner_class(facts, policy.owner_high_value)
        classes[cls] += 1
        spent[cls] += facts.spent
        count += 1
        repeat += n >= 2
        referrers += facts.referrals >= 1
        referred += facts.referrals
    return Owners(count, {c: classes.get(c, 0) for c in M.OWNER_CLASSES},
                  {c: spent.get(c, 0) for c in M.OWNER_CLASSES}, repeat, referrers, referred)


def _naive(raw) -> dt.datetime:
    """A stored UTC instant as read raw: text on SQLite, a naive datetime on PostgreSQL."""
    return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else raw


# ---- leaderboard -------------------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    consultant: str
    contacts: int
    new_leads: int
    median_response: float | None  # minutes
    won: int
    lost: int

    @property
    def conversion(self) -> float | None:
        return M.rate(self.won, self.won + self.lost)


def leaderboard(session: Session, period: Period) -> list[Standing]:
    _manager(session)
    start, end = bounds(period, session)
    contacts = dict(FollowUp.select(FollowUp.owner, fn.COUNT(FollowUp.id))
                    .where((FollowUp.done_at >= start) & (FollowUp.done_at < end) & FollowUp.outcome.in_(OUTCOMES)
                           & owned_in_showroom(session, FollowUp.owner))
                    .group_by(FollowUp.owner).tuples())
    new_leads: Counter = Counter()
    waits: dict[int, list[float]] = defaultdict(list)
    q = (Lead.select(Lead.owner, Lead.created_at.coerce(False), Lead.first_response_at.coerce(False), Customer.source)
         .join(Customer, on=(Lead.customer == Customer.id))
         .where((Lead.created_at >= start) & (Lead.created_at < end) & lead_filter(session)).tuples())
    for owner, created, responded, source in q:
        new_leads[owner] += 1
        if responded is not None and source != "walk_in":
            gap = _naive(responded) - _naive(created)
            waits[owner].append(max(0.0, gap.total_seconds() / 60))
    closed: dict[int, Counter] = defaultdict(Counter)
    for owner, status, n in (Lead.select(Lead.owner, Lead.status, fn.COUNT(Lead.id))
                             .where((Lead.closed_at >= start) & (Lead.closed_at < end)
                                    & Lead.status.in_(("won", "lost")) & lead_filter(session))
                             .group_by(Lead.owner, Lead.status).tuples()):
        closed[owner][status] = n
    consultants = Account.select(Account.id, Account.name).where(
        (Account.role == "consultant") & (Account.active | Account.id.in_(list(new_leads) + list(closed)))
        & account_filter(session))
    board = [Standing(a.name, contacts.get(a.id, 0), new_leads[a.id], M.median(waits[a.id]),
                      closed[a.id]["won"], closed[a.id]["lost"]) for a in consultants]
    return sorted(board, key=lambda s: (-s.won, -(s.conversion or 0), -s.contacts, s.consultant))


# ---- showroom against showroom (a dealer group) -------------------------------------------
@dataclass(frozen=True)
class ShowroomFigures:
    showroom: str
    new_leads: int
    visits: int
    won: int
    lost: int
    revenue: int  # won deals' price (or expected value where no price was recorded)
    open_value: int

    @property
    def conversion(self) -> float | None:
        return M.rate(self.won, self.won + self.lost)


def by_showroom(session: Session, period: Period) -> list[ShowroomFigures]:
    """Each showroom's period side by side — for whoever looks at the whole group (several showrooms,
    none chosen); empty otherwise."""
    from carcrm_tui.services import showrooms

    _manager(session)
    if session.scope_showroom is not None or not showrooms.several():
        return []
    start, end = bounds(period, session)
    names = showrooms.names()
    new = dict(Lead.select(Lead.showroom, fn.COUNT(Lead.id)).where((Lead.created_at >= start) & (Lead.created_at < end))
               .group_by(Lead.showroom).tuples())
    visits = dict(ShowroomVisit.select(Customer.showroom, fn.COUNT(ShowroomVisit.id))
                  .join(Customer, on=(ShowroomVisit.customer == Customer.id))
                  .where((ShowroomVisit.at >= start) & (ShowroomVisit.at < end)).group_by(Customer.showroom).tuples())
    closed: dict[int, Counter] = defaultdict(Counter)
    revenue: Counter = Counter()
    for room, status, n, value in (Lead.select(Lead.showroom, Lead.status, fn.COUNT(Lead.id),
                                               fn.SUM(fn.COALESCE(Lead.deal_price, Lead.expected_value)))
                                   .where((Lead.closed_at >= start) & (Lead.closed_at < end)
                                          & Lead.status.in_(("won", "lost")))
                                   .group_by(Lead.showroom, Lead.status).tuples()):
        closed[room][status] = n
        if status == "won":
            revenue[room] = int(value or 0)
    open_value = dict(Lead.select(Lead.showroom, fn.SUM(Lead.expected_value)).where(Lead.status == "open")
                      .group_by(Lead.showroom).tuples())
    return [ShowroomFigures(name, new.get(sid, 0), visits.get(sid, 0), closed[sid]["won"], closed[sid]["lost"],
                            revenue[sid], int(open_value.get(sid) or 0)) for sid, name in names.items()]


@dataclass(frozen=True)
class Snapshot:
    """Everything the metrics pane and `carcrm report metrics` show for one period."""

    period: Period
    funnel: Funnel
    traffic: Traffic
    forecast: Forecast
    owners: Owners
    leaderboard: list[Standing]
    showrooms: list[ShowroomFigures] = ()  # a dealer group, seen whole: showroom against showroom


def snapshot(session: Session, period: Period) -> Snapshot:
    return Snapshot(period, funnel(session, period), traffic(session, period), forecast(session), owners(session),
                    leaderboard(session, period), by_showroom(session, period))
