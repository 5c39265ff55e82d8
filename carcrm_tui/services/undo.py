"""Taking back a wrong stage move, "lost", "dormant" or grade change — for a few minutes.

Each of those actions calls `begin` before and `remember` after (in its own
transaction), which keep what the lead (and its customer's type) looked like
before, which follow-ups, quotes and test drives the action made and which
follow-ups it closed. `undo_last` puts all of it back for
the person who did it, within UNDO_MINUTES, as long as nobody has changed the
lead since (its version says). It is audited like any change.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

from carcrm_tui.services import audit
from carcrm_tui.services.errors import Rejected
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Customer, FollowUp, Lead, Quote, TestDrive, UndoStep, database

UNDO_MINUTES = 10
# a lead's columns an action may change; never who owns it, when it came in or when it was last contacted
KEPT = ("id", "customer", "owner", "showroom", "created_at", "version", "updated_at", "updated_by",
        "first_response_at", "last_contact_at")
MADE = {"followup": FollowUp, "quote": Quote, "test_drive": TestDrive}


class Undone(NamedTuple):
    action: str
    customer_id: int
    customer_name: str
    lead_id: int = 0
    stage: str = ""  # where the lead stands again
    status: str = "open"


def _snapshot(lead: Lead) -> dict:
    """The lead's changeable columns as stored (FKs as ids, instants as UTC text), ready for JSON."""
    out = {}
    for name, field in Lead._meta.fields.items():
        if name in KEPT:
            continue
        value = field.db_value(lead.__data__.get(name))
        if isinstance(value, dt.datetime):
            value = value.isoformat(" ")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[field.column_name] = value
    return out


def _restore_values(before: dict) -> dict:
    """Column values as stored back into the lead (dates and instants as the field reads them)."""
    out = {}
    for field in Lead._meta.fields.values():
        if field.column_name in before:
            value = before[field.column_name]
            out[field] = field.python_value(value) if value is not None else None
    return out


class Mark(NamedTuple):
    before: dict
    open_followups: set
    last_ids: dict


def begin(lead: Lead) -> Mark:
    """Before an action changes `lead` (inside its transaction, once the lead was read as seen)."""
    before = _snapshot(lead)
    before["__customer_type"] = Customer.get_by_id(lead.customer_id).customer_type
    open_before = {f for (f,) in FollowUp.select(FollowUp.id).where(
        (FollowUp.lead == lead.id) & FollowUp.done_at.is_null()).tuples()}
    last_ids = {name: model.select(model.id).order_by(model.id.desc()).limit(1).scalar() or 0
                for name, model in MADE.items()}
    return Mark(before, open_before, last_ids)


def remember(session: Session, lead_id: int, action: str, mark: Mark) -> None:
    """After it, in the same transaction: what it made and closed, and the lead's new version."""
    made = {name: [i for (i,) in model.select(model.id).where(
        (model.lead == lead_id) & (model.id > mark.last_ids[name])).tuples()] for name, model in MADE.items()}
    closed = [f for (f,) in FollowUp.select(FollowUp.id).where(
        FollowUp.id.in_(list(mark.open_followups)) & FollowUp.done_at.is_null(False)).tuples()] \
        if mark.open_followups else []
    after = Lead.select(Lead.version).where(Lead.id == lead_id).scalar()
    UndoStep.insert(actor=session.actor.id, at=session.now(), lead=lead_id, action=action,
                    before=json.dumps(mark.before, ensure_ascii=False, default=str), created=json.dumps(made),
                    closed=json.dumps(closed), version=after).execute()


def last_step(session: Session) -> UndoStep | None:
    """The actor's latest step that may still be taken back."""
    since = session.now().subtract(minutes=UNDO_MINUTES)
    return (UndoStep.select().where((UndoStep.actor == session.actor.id) & UndoStep.undone_at.is_null()
                                    & (UndoStep.at >= since)).order_by(UndoStep.id.desc()).first())


def undo_last(session: Session) -> Undone:
    """Take back the actor's last stage move, lost, dormant or grade change (within UNDO_MINUTES)."""
    now = session.now()
    with database.atomic():
        step = last_step(session)
        if step is None:
            raise Rejected("nothing_to_undo", minutes=UNDO_MINUTES)
        lead = Lead.get_or_none(Lead.id == step.lead_id)
        if lead is None:
            raise Rejected("nothing_to_undo", minutes=UNDO_MINUTES)
        if lead.version != step.version:
            who = Account.get_or_none(Account.id == lead.updated_by_id)
            raise Rejected("changed_since", who=who.name if who else "?")
        before = json.loads(step.before)
        customer_type = before.pop("__customer_type", None)
        restore = _restore_values(before)
        changes = {f.name: (getattr(lead, f.column_name), v) for f, v in restore.items()
                   if audit._text(getattr(lead, f.column_name)) != audit._text(v)}
        Lead.update({**restore, Lead.version: Lead.version + 1, Lead.updated_at: now,
                     Lead.updated_by: session.actor.id}).where(Lead.id == lead.id).execute()
        for name, ids in json.loads(step.created).items():
            if ids:
                MADE[name].delete().where(MADE[name].id.in_(ids)).execute()
        closed = json.loads(step.closed)
        if closed:
            FollowUp.update(done_at=None, outcome="").where(FollowUp.id.in_(closed)).execute()
        if customer_type is not None:
            Customer.update(customer_type=customer_type).where(Customer.id == lead.customer_id).execute()
        UndoStep.update(undone_at=now).where(UndoStep.id == step.id).execute()
        audit.record(session.actor.id, now, "undo", "lead", lead.id, lead.customer_id,
                     {k: v for k, v in changes.items() if k in ("stage", "status", "grade", "lost_reason")}
                     or {"undo": ("", step.action)})
        name = Customer.select(Customer.name).where(Customer.id == lead.customer_id).scalar()
        lead = Lead.get_by_id(lead.id)
    return Undone(step.action, lead.customer_id, name, lead.id, lead.stage, lead.status)
