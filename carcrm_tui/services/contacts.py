"""Logging a contact: close the due follow-up and schedule the next, in one transaction.

Logged contacts are append-only: they never conflict with someone editing the
lead, so logging does not check the lead's version unless the grade changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from pendulum import DateTime

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.process import LeadFacts, lead_score
from carcrm_tui.domain.schedule import next_due, on_local_date, today_window
from carcrm_tui.domain.validation import Invalid, clean_text, mask_phone
from carcrm_tui.services import audit, notices, process
from carcrm_tui.services.errors import NotFound, ValidationFailed
from carcrm_tui.services.scope import get_lead, glance_lead, visible_leads
from carcrm_tui.services.session import Session
from carcrm_tui.store import search_index
from carcrm_tui.store.bulk import Inserter
from carcrm_tui.store.models import Customer, FollowUp, Lead, database

SUMMARY_LIMIT = 2000
NEXT_HOUR = 10  # a picked date means 10:00 local


@dataclass(frozen=True)
class Logged:
    closed_id: int
    next_id: int | None
    next_due: DateTime | None


class PastContact(NamedTuple):
    at: DateTime
    channel: str
    outcome: str
    summary: str
    feedback: str


class CallSheet(NamedTuple):
    """What the log-contact form shows while the call is made."""

    customer_id: int
    phone_masked: str
    phone: str  # the full number for the lead's owner (the reveal is audited); "" for anyone else
    last: tuple[PastContact, ...]  # newest first
    lead_status: str


def _last_contacts(lead_id: int, n: int) -> tuple[PastContact, ...]:
    """The lead's latest logged contacts, newest first (the lead's follow-ups, by its index)."""
    rows = (FollowUp.select(FollowUp.done_at, FollowUp.channel, FollowUp.outcome, FollowUp.summary,
                            FollowUp.feedback)
            .where((FollowUp.lead == lead_id) & FollowUp.done_at.is_null(False))
            .order_by(FollowUp.done_at.desc(), FollowUp.id.desc()).limit(n).tuples())
    return tuple(PastContact(*r) for r in rows)


def call_sheet(session: Session, lead_id: int) -> CallSheet:
    """The number to call and what was said the last two times. The lead's owner gets the
    number in full, recorded in the audit trail like any reveal; anyone else (a manager
    logging for a colleague) sees it masked and reveals it on the record if need be."""
    lead = get_lead(session, lead_id)
    phone = Customer.select(Customer.phone).where(Customer.id == lead.customer_id).scalar() or ""
    full = ""
    if phone and lead.owner_id == session.actor.id:
        with database.atomic():
            audit.record(session.actor.id, session.now(), "reveal", "customer", lead.customer_id, lead.customer_id,
                         {"phone": ("", "call")})
        full = phone
    return CallSheet(lead.customer_id, mask_phone(phone) if phone else "", full, _last_contacts(lead.id, 2), lead.status)


def recent(session: Session, lead_id: int, n: int = 1) -> tuple[PastContact, ...]:
    """What was said last on a lead the actor may see (Today's detail line)."""
    return _last_contacts(get_lead(session, lead_id).id, n)


def recent_for(session: Session, lead_ids) -> dict[int, tuple[PastContact, ...]]:
    """What was said last on each of these leads, in one read (Today reads ahead for its rows, so
    the detail under the cursor is there the moment the cursor arrives): lead id → its latest
    contact as a tuple of one, or () when none was logged. Leads the actor may not see are left out."""
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    latest = FollowUp.alias("latest")
    newest = (latest.select(latest.id).where((latest.lead == Lead.id) & latest.done_at.is_null(False))
              .order_by(latest.done_at.desc(), latest.id.desc()).limit(1))
    visible = Lead.select(Lead.id).where(Lead.id.in_(ids) & visible_leads(session))
    out: dict[int, tuple[PastContact, ...]] = {lead: () for (lead,) in visible.tuples()}
    if out:
        rows = (FollowUp.select(FollowUp.lead, FollowUp.done_at, FollowUp.channel, FollowUp.outcome, FollowUp.summary,
                                FollowUp.feedback)
                .where(FollowUp.id.in_(Lead.select(newest).where(Lead.id.in_(list(out))))).tuples())
        for lead, *contact in rows:
            out[lead] = (PastContact(*contact),)
    return out


def validate(session: Session, data) -> dict[str, Invalid]:
    errors: dict[str, Invalid] = {}
    if data.channel not in P.CHANNELS:
        errors["channel"] = Invalid("choose_one", field="channel")
    if data.outcome and data.outcome not in P.OUTCOMES:
        errors["outcome"] = Invalid("choose_one", field="outcome")
    if data.attitude and data.attitude not in P.ATTITUDES:
        errors["attitude"] = Invalid("choose_one", field="attitude")
    if data.grade is not None and data.grade not in session.policy.grades:
        errors["grade"] = Invalid("choose_one", field="grade")
    for name in ("summary", "feedback"):
        try:
            # "no answer" says it all: nothing was said
            clean_text(getattr(data, name), field=name, limit=SUMMARY_LIMIT,
                       required=name == "summary" and data.outcome != "no_answer")
        except Invalid as e:
            errors[name] = e
    if data.next_on is not None:
        today = session.now().in_timezone(session.policy.tz).date()
        if data.next_on < today:
            errors["next"] = Invalid("date_past")
    if data.next_in_days is not None and data.next_in_days < 0:
        errors["next"] = Invalid("date_past")
    return errors


class _Committed(NamedTuple):
    """What logging needs of the lead, as committed (read under the write lock)."""

    id: int
    customer_id: int
    owner_id: int
    grade: str
    status: str
    awaiting_response: bool
    due_id: int | None  # the follow-up this contact closes
    score: int
    facts: LeadFacts


_FOLLOWUP = Inserter(FollowUp, tuple(f.name for f in FollowUp._meta.sorted_fields if f.name != "id"))


@lru_cache(maxsize=4)
def _statements(param: str) -> tuple[str, str, str]:
    """The statements a contact runs under the write lock, built once per kind of database
    (peewee takes ~0.1 ms to build each; eight terminals logging at once wait for the lock
    in turn): the lead as committed with its due follow-up and its score's facts, in one
    read; closing the due follow-up; the chosen due follow-up (one picked on Today)."""
    p = param
    due = (f'SELECT f.id FROM "{FollowUp._meta.table_name}" f WHERE f.lead_id = l.id AND f.done_at IS NULL'
           " {also} ORDER BY f.due_at LIMIT 1")
    lead = ("l.customer_id, l.owner_id, l.grade, l.status, l.first_response_at IS NULL, "
            f"({due})")
    read = process._facts_sql(lead)
    close = (f'UPDATE "{FollowUp._meta.table_name}" SET channel = {p}, done_at = {p}, summary = {p}, '
             f"feedback = {p}, attitude = {p}, outcome = {p} WHERE id = {p}")
    # after a sale (or a loss) what is planned is the after-sales schedule: a contact made today
    # ticks off only what falls due by today's end (the parameter), never next spring's greeting
    any_due = read.replace("{also}", f"AND (l.status = 'open' OR f.due_at < {p})")
    return any_due, read.replace("{also}", f"AND f.id = {p}"), close


def _as_committed(lead_id: int, followup_id: int | None, since, day_end) -> _Committed:
    """The lead under the write lock (another terminal may have changed its grade, status or
    owner since the permission check, or logged the due call), in one statement."""
    any_due, chosen_due, _close = _statements(database.param)
    params = (since, since, followup_id if followup_id else day_end, lead_id)
    row = database.execute_sql(chosen_due if followup_id else any_due, params).fetchone()
    if row is None:
        raise NotFound(lead_id)
    score, facts = process.facts_of(row)
    customer_id, owner_id, grade, status, awaiting, due_id = row[process.FACTS:]
    return _Committed(lead_id, customer_id, owner_id, grade, status, bool(awaiting), due_id, score, facts)


def log_contact(session: Session, lead_id: int, data) -> Logged:
    """Close the due follow-up (or record the contact on its own), schedule the next, re-score
    the lead and audit it, in one transaction. Everything that does not depend on what is
    committed is worked out before the write lock, which the other terminals wait for; under
    it, a handful of prepared statements."""
    errors = validate(session, data)
    if errors:
        raise ValidationFailed(errors)
    now = session.now()
    policy = session.policy
    seen = glance_lead(session, lead_id)  # who may: checked before the write lock, which other terminals wait for
    actor = session.actor.id
    summary, feedback = data.summary.strip(), data.feedback.strip()
    fields = dict(channel=data.channel, done_at=now, summary=summary, feedback=feedback,
                  attitude=data.attitude, outcome=data.outcome)
    closing = [data.channel, FollowUp.done_at.db_value(now), summary, feedback, data.attitude, data.outcome]

    def scheduled(grade: str):
        if data.next_on is not None:
            return on_local_date(data.next_on, NEXT_HOUR, policy)
        return next_due(grade, now, policy, days=data.next_in_days)

    next_grade = data.grade or seen.grade
    next_at = scheduled(next_grade) if not data.no_next else None  # the grade is checked again under the lock
    since = process.facts_since(now)
    day_end = FollowUp.due_at.db_value(today_window(now, policy).day_end)
    today = now.in_timezone(policy.tz).date()
    logged = {"channel": ("", data.channel), "summary": ("", summary), "outcome": ("", data.outcome)}
    queued = 0
    with database.atomic():
        lead = _as_committed(lead_id, data.followup_id, since, day_end)
        grade = data.grade or lead.grade
        if lead.due_id is None:
            closed_id = _FOLLOWUP(lead=lead.id, owner=actor, due_at=now, created_at=now, **fields)
        else:
            database.execute_sql(_statements(database.param)[2], [*closing, lead.due_id])
            closed_id = lead.due_id

        next_id = None
        if not data.no_next and lead.status == "open":
            if grade != next_grade:
                next_at = scheduled(grade)
            next_id = _FOLLOWUP(lead=lead.id, owner=lead.owner_id, channel="phone", due_at=next_at, created_at=now)
        else:
            next_at = None
        if data.channel == "visit":  # a be-back: showroom traffic, and a thank-you within 2 hours
            process.record_visit(session, lead, "be_back", now)
            if lead.owner_id != actor:  # received by someone else (a manager, a colleague): the owner hears of it
                name = Customer.select(Customer.name).where(Customer.id == lead.customer_id).scalar()
                notices.tell(lead.owner_id, now, "be_back", lead.customer_id, customer=name, by=session.actor.name)
        _update_lead(session, lead, grade, now, data, today)
        entries = audit.rows(actor, now, "log_contact", "followup", closed_id, lead.customer_id, logged)
        if grade != lead.grade:
            entries += audit.rows(actor, now, "update", "lead", lead.id, lead.customer_id, {"grade": (lead.grade, grade)})
        if next_id:
            entries += audit.rows(actor, now, "create", "followup", next_id, lead.customer_id, {"due_at": ("", next_at)})
        audit.write(entries)
        queued = search_index.queued(database.obj)
    if queued >= search_index.CATCH_UP_AT:  # the notes' index, a batch at a time, outside the write
        search_index.catch_up_after_write(database.obj)
    return Logged(closed_id, next_id, next_at)


def _update_lead(session: Session, lead: _Committed, grade: str, now, data, today) -> None:
    """The lead's last contact, first response, grade and score, in one statement. The score is
    the one refresh_score would compute now: this contact adds one to the last 30 days'
    contacts (and to the positive ones, and a visit to the visits) — the facts were read
    before it was written."""
    p = database.param
    sets, params = [f"last_contact_at = {p}", f"updated_at = {p}"], [Lead.updated_at.db_value(now)] * 2
    if lead.awaiting_response:
        sets.append(f"first_response_at = {p}")
        params.append(params[0])
    if grade != lead.grade:
        sets += [f"grade = {p}", "version = version + 1", f"{Lead.updated_by.column_name} = {p}"]
        params += [grade, session.actor.id]
    if lead.status == "open":
        facts = replace(lead.facts, contacts_30d=lead.facts.contacts_30d + 1,
                        positive_30d=lead.facts.positive_30d + (data.attitude == "positive"),
                        visits=lead.facts.visits + (data.channel == "visit"))
        score = lead_score(facts, today, session.policy)
        if score != lead.score:
            sets.append(f"score = {p}")
            params.append(score)
    params.append(lead.id)
    database.execute_sql(f'UPDATE "{Lead._meta.table_name}" SET {", ".join(sets)} WHERE id = {p}', params)
