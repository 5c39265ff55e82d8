"""The lead board: stage columns grouped by grade, paged from the database.

A column never loads all its leads: `page` walks the (status, stage, grade, id)
index grade by grade with a keyset cursor, and the headers come from one
GROUP BY. Opening a board of 100,000 leads costs the same as one of 1,000.
"""

from __future__ import annotations

import functools
import operator
from typing import NamedTuple

from peewee import JOIN, SQL, Case, fn

from carcrm_tui.domain.process import response_clock
from carcrm_tui.domain.schedule import today_window
from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit, process, undo
from carcrm_tui.services.errors import ValidationFailed
from carcrm_tui.services.scope import lead_filter
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import BoardCard, BoardFilter, BoardSummary, Health, Tally
from carcrm_tui.store.models import Account, Customer, FollowUp, Lead, Vehicle, database
from carcrm_tui.store.queries import total_days_since

PAGE = 50


def filtered(filt: BoardFilter | None):
    """The board filter as one condition on Lead; each part an indexed IN or equality."""
    from carcrm_tui.services.today import tagged

    if filt is None or not filt.active:
        return True
    cond = tagged(filt.tag)
    if filt.owner:
        cond &= Lead.owner.in_(Account.select(Account.id).where(Account.name == filt.owner))
    if filt.source:
        cond &= Lead.customer.in_(Customer.select(Customer.id).where(Customer.source == filt.source))
    if filt.grade:
        cond &= Lead.grade == filt.grade
    if filt.series:
        cond &= Lead.vehicle.in_(Vehicle.select(Vehicle.id).where(Vehicle.series == filt.series))
    return cond


def _next_due():
    return FollowUp.select(fn.MIN(FollowUp.due_at)).where((FollowUp.lead == Lead.id) & FollowUp.done_at.is_null())


def summary(session: Session, filt: BoardFilter | None = None, stages: set[str] | None = None) -> BoardSummary:
    """Counts and values per (stage, grade): one GROUP BY on the covering index (~10 ms over
    70,000 open leads; `stages`: those columns only, a range of the index each)."""
    cond = (Lead.status == "open") & lead_filter(session) & filtered(filt)
    if stages is not None:
        cond &= Lead.stage.in_(sorted(stages))
    q = (
        Lead.select(Lead.stage, Lead.grade, fn.COUNT(Lead.id), fn.COALESCE(fn.SUM(Lead.expected_value), 0))
        .where(cond)
        .group_by(Lead.stage, Lead.grade)
        .tuples()
    )
    return BoardSummary({(s, g): Tally(n, int(v)) for s, g, n, v in q})


def health(session: Session, filt: BoardFilter | None = None) -> dict[str, Health]:
    """Each column's health: open leads by their next follow-up, and average days in the stage.

    Reads every open lead's next follow-up (one seek each in the open-follow-up
    index) and buckets it in SQL: overdue, due later today (the dealership's
    day), planned, or nothing planned. Tens of thousands of leads for a manager
    take a few hundred milliseconds, so the board draws first and asks for this
    on a worker.
    """
    cond = (Lead.status == "open") & lead_filter(session) & filtered(filt)
    now = session.now()
    day_end = today_window(now, session.policy).day_end
    inner = Lead.select(Lead.stage, Lead.stage_changed_at, _next_due().alias("due")).where(cond).alias("x")
    due = SQL('"x"."due"')
    now_text, end_text = (Lead.created_at.db_value(x) for x in (now, day_end))
    bucket = lambda c: fn.SUM(Case(None, [(c, 1)], 0))  # noqa: E731
    health_q = (
        Lead.select(inner.c.stage,
                    bucket(due < now_text), bucket((due >= now_text) & (due < end_text)), bucket(due >= end_text),
                    bucket(due.is_null()), total_days_since(inner.c.stage_changed_at, now.naive()),
                    fn.COUNT(SQL("*")))
        .from_(inner).group_by(inner.c.stage).tuples()
    )
    return {stage: Health(int(o or 0), int(t or 0), int(p or 0), int(u or 0), (days / n) if n else None)
            for stage, o, t, p, u, days, n in health_q}


def _cards(session: Session, cond, limit: int | None = None) -> list[BoardCard]:
    """Cards of the open leads matching `cond`, by lead id: only what a card shows (each
    timestamp read costs a pendulum DateTime)."""
    now = session.now()
    q = (
        Lead.select(
            Lead.id, Lead.customer, Customer.name, Account.name, Lead.grade, Lead.stage, Vehicle.series,
            Lead.expected_value, _next_due(), Lead.version, Lead.first_response_at.is_null(), Lead.created_at,
            Customer.source,
        )
        .join(Customer, on=(Lead.customer == Customer.id))
        .switch(Lead)
        .join(Account, on=(Lead.owner == Account.id))
        .switch(Lead)
        .join(Vehicle, JOIN.LEFT_OUTER, on=(Lead.vehicle == Vehicle.id))
        .where((Lead.status == "open") & lead_filter(session) & cond)
        .order_by(Lead.id)
    )
    if limit is not None:
        q = q.limit(limit)
    cards = []
    # the driver's rows as they are (peewee's row conversion was a third of a page's time); the
    # two timestamps are converted below, the first-response one only when the clock runs
    for (lead_id, customer_id, name, owner, grade, stage, series, value, due, version, awaiting, created,
         source) in database.execute(q):
        clock = (response_clock(Lead.created_at.python_value(created), grade, source, now, session.policy)
                 if awaiting else None)
        cards.append(BoardCard(
            lead_id=lead_id, customer_id=customer_id, customer_name=name, owner_name=owner, grade=grade,
            stage=stage, vehicle=series or "", expected_value=value,
            next_due=Lead.last_contact_at.python_value(due) if due else None, version=version, response=clock,
        ))
    return cards


def page(session: Session, stage: str, after: tuple[str, int] | None = None, limit: int = PAGE,
         filt: BoardFilter | None = None) -> list[BoardCard]:
    """Up to `limit` cards of a column after the keyset `after` = (grade, lead id)."""
    grades = session.policy.grade_order
    if filt is not None and filt.grade:
        grades = tuple(g for g in grades if g == filt.grade)
    if after and after[0] not in grades:
        return []
    start = grades.index(after[0]) if after else 0
    cards: list[BoardCard] = []
    condition = filtered(filt)
    for grade in grades[start:]:
        cond = (Lead.stage == stage) & (Lead.grade == grade) & condition
        if after and grade == after[0]:
            cond &= Lead.id > after[1]
        cards += _cards(session, cond, limit - len(cards))
        if len(cards) >= limit:
            break
    return cards


# Audit entries that change nothing a board shows (sign-ins, a revealed phone, complaints,
# exports); every other kind but a follow-up's, a lead's or a customer's edit (below) means a whole read.
NEUTRAL = {("account", "sign_in"), ("account", "sign_in_failed"), ("account", "locked"), ("account", "set_pin"),
           ("customer", "reveal"), ("customer", "lookup"),
           ("customer", "create")}  # a new customer is on no board until its lead is created (its own entry)
NEUTRAL_ENTITIES = {"complaint", "file"}
CHANGED_AT_MOST = 200  # more changes than this since the board was read: read it again


# What is done to a lead (its audit rows' action): its card and its column are read again.
LEAD_ACTIONS = frozenset({"create", "update", "lost", "move", "won", "undo", "reassign"})


class BoardChanges(NamedTuple):
    leads: set[int]  # leads whose cards may look different
    stages: set[str]  # columns whose counts and order may differ: read again


def changes(session: Session, since: int) -> BoardChanges | None:
    """What may look different on the board since audit entry `since`: calls logged and
    scheduled (those cards: a due time, a first-response clock); leads created, moved,
    regraded, lost, won, taken back or given to someone else, and customers edited or back in
    the showroom (their cards, and the columns they are in and left: counted and paged again). None when anything
    else changed — a merge, an import, more than CHANGED_AT_MOST entries: read it whole."""
    from carcrm_tui.store.models import AuditLog

    rows = (AuditLog.select(AuditLog.entity, AuditLog.action, AuditLog.entity_id, AuditLog.field, AuditLog.old)
            .where(AuditLog.id > since).limit(CHANGED_AT_MOST + 1).tuples())
    followups: set[int] = set()
    leads: set[int] = set()
    handed: set[int] = set()  # leads given to someone else: they may have left this board or joined it
    customers: set[int] = set()
    left: set[str] = set()  # columns a lead moved out of
    for n, (entity, action, entity_id, changed, old) in enumerate(rows):
        if n >= CHANGED_AT_MOST:
            return None
        if entity == "followup" and entity_id is not None:
            followups.add(entity_id)
        elif entity == "lead" and entity_id is not None and action in LEAD_ACTIONS:
            (handed if changed == "owner" else leads).add(entity_id)
            if changed == "stage" and old:
                left.add(old)
        elif entity == "customer" and entity_id is not None and action in ("update", "visit"):
            customers.add(entity_id)  # their leads' cards (a name, a be-back's thank-you call due)
        elif entity not in NEUTRAL_ENTITIES and (entity, action) not in NEUTRAL:
            return None
    called = {lead for (lead,) in FollowUp.select(FollowUp.lead).join(Lead, on=(FollowUp.lead == Lead.id))
              .where(FollowUp.id.in_(followups) & lead_filter(session)).distinct().tuples()} if followups else set()
    # each part only when it has members: `customer_id IN ()` in an OR made SQLite scan every lead
    named = leads | handed
    parts = ([Lead.id.in_(named)] if named else []) + ([Lead.customer.in_(customers)] if customers else [])
    touched = functools.reduce(operator.or_, parts) if parts else None
    now_in: dict[int, str] = dict(Lead.select(Lead.id, Lead.stage).where(touched & lead_filter(session))
                                  .tuples()) if touched is not None else {}
    # a lead handed over keeps its stage: that column is counted again whether it left this board or
    # joined it (the stage alone is read, nothing of a lead this board may not show)
    gone = {stage for (stage,) in Lead.select(Lead.stage).where(Lead.id.in_(handed - set(now_in))).tuples()} \
        if handed - set(now_in) else set()
    moved_here = left if set(now_in) & leads else set()
    return BoardChanges(called | set(now_in), set(now_in.values()) | gone | moved_here)


def cards(session: Session, lead_ids: set[int], filt: BoardFilter | None = None) -> dict[int, BoardCard | None]:
    """These leads' cards as they are now; None for a lead no longer on this board."""
    found = {c.lead_id: c for c in _cards(session, Lead.id.in_(lead_ids) & filtered(filt))} if lead_ids else {}
    return {lead: found.get(lead) for lead in lead_ids}


def move(session: Session, lead_id: int, version: int, direction: int, values: dict | None = None) -> process.Moved:
    """Move a lead one stage forward (+1) or back (-1); past the last stage it is won.

    Stages that record something (needs, test drive, quote, order, delivery) need
    their details in `values` — see process.advance, which this is.
    """
    return process.advance(session, lead_id, version, direction, values)


def mark_lost(session: Session, lead_id: int, version: int, reason: str, competitor: str = "") -> None:
    """战败: a reason from the policy's list; "competitor" also needs the model that won."""
    errors: dict[str, Invalid] = {}
    if reason not in session.policy.lost_reasons:
        errors["reason"] = Invalid("choose_one", field="reason")
    try:
        competitor = clean_text(competitor, field="competitor", limit=128, required=reason == "competitor")
    except Invalid as e:
        errors["competitor"] = e
    if errors:
        raise ValidationFailed(errors)
    now = session.now()
    with database.atomic():
        lead = process.lead_as_seen(session, lead_id, version)
        mark = undo.begin(lead)
        Lead.update({
            Lead.status: "lost", Lead.lost_reason: reason, Lead.lost_competitor: competitor,
            Lead.closed_at: now, Lead.updated_at: now, Lead.updated_by: session.actor.id,
            Lead.version: Lead.version + 1,
        }).where(Lead.id == lead.id).execute()
        process.close_open_followups(lead.id, now, "lost")
        audit.record(session.actor.id, now, "lost", "lead", lead.id, lead.customer_id,
                     {"status": ("open", "lost"), "lost_reason": ("", reason), "lost_competitor": ("", competitor)})
        others = Lead.select().where((Lead.customer == lead.customer_id) & (Lead.status == "open")).exists()
        if not others:
            Customer.update(customer_type="lost").where(Customer.id == lead.customer_id).execute()
        undo.remember(session, lead.id, "lost", mark)
