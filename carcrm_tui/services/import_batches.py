"""The imports a site has run, and taking one back.

Undo works from the batch's journal, newest change first, a few hundred
entries per transaction (like the import itself, so the floor keeps working)
and deleting each journal entry with what it undid, so an undo that stops
half-way simply carries on when run again. It never destroys a colleague's
work: a customer someone has worked on since the import (changed, called, a
visit or a complaint recorded) is kept, and so is a record saved since —
the result counts them.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from pendulum import DateTime

from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotFound, Rejected
from carcrm_tui.services.importing import STALE_SECONDS, require_importer
from carcrm_tui.services.session import Session
from carcrm_tui.store.fields import utc_text
from carcrm_tui.store.models import (
    Account, Complaint, Customer, CustomerTag, FollowUp, ImportBatch, ImportChange, Lead, Quote, ShowroomVisit,
    TestDrive, Vehicle, database,
)

UNDO_CHUNK = 300


class BatchView(NamedTuple):
    id: int
    started_at: DateTime
    actor: str
    status: str  # running | complete | incomplete | undone
    file_name: str
    sheet: str
    rows: int
    created: int
    updated: int
    rejected: int
    contacts: int
    warnings: int
    rows_done: int


class UndoResult(NamedTuple):
    removed: int  # customers
    restored: int  # records put back as they were
    kept: int  # records changed since the import, left as they are


def status_of(batch: ImportBatch, now: DateTime) -> str:
    """A running batch whose last chunk is long past has died: it is incomplete."""
    if batch.status == "running" and (now - batch.updated_at).total_seconds() > STALE_SECONDS:
        return "incomplete"
    return batch.status


def batches(session: Session, limit: int = 50) -> list[BatchView]:
    require_importer(session)
    names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    now = session.now()
    return [BatchView(b.id, b.started_at, names.get(b.actor_id, ""), status_of(b, now), b.file_name, b.sheet, b.rows,
                      b.created, b.updated, b.rejected, b.contacts, b.warnings, b.rows_done)
            for b in ImportBatch.select().order_by(ImportBatch.id.desc()).limit(limit)]


def summary(session: Session, batch_id: int) -> dict:
    require_importer(session)
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(batch_id)
    return json.loads(batch.summary) if batch.summary else {}


def undo(session: Session, batch_id: int) -> UndoResult:
    """Remove what the batch created and restore what it changed (see the module docstring)."""
    require_importer(session)
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(batch_id)
    status = status_of(batch, session.now())
    if status == "undone":
        raise Rejected("batch_undone", batch=batch_id)
    if status == "running":
        raise Rejected("batch_running", batch=batch_id)
    stamp = utc_text(batch.started_at)
    removed = restored = kept = 0
    ours: dict[tuple[str, int], int] = {}  # record -> the version undo itself left it at
    for vehicles in (False, True):  # catalogue additions last: the leads naming them go first
        while True:
            with database.atomic():
                entries = list(ImportChange.select().where((ImportChange.batch == batch_id) & (
                    (ImportChange.entity == "vehicle") if vehicles else (ImportChange.entity != "vehicle")))
                    .order_by(ImportChange.id.desc()).limit(UNDO_CHUNK))
                if not entries:
                    break
                for e in entries:
                    outcome = _undo_one(session, e, stamp, ours)
                    removed += outcome == "removed"
                    restored += outcome == "restored"
                    kept += outcome == "kept"
                ImportChange.delete().where(ImportChange.id.in_([e.id for e in entries])).execute()
    with database.atomic():
        now = session.now()
        ImportBatch.update(status="undone", undone_at=now, undone_by=session.actor.id, updated_at=now).where(
            ImportBatch.id == batch_id).execute()
        audit.record(session.actor.id, now, "undo_import", "import_batch", batch_id, None,
                     {"removed": ("", removed), "restored": ("", restored), "kept": ("", kept)})
    return UndoResult(removed, restored, kept)


def _stamp(value) -> str:
    return utc_text(value) if value is not None else ""


def _undo_one(session: Session, e: ImportChange, stamp: str, ours: dict) -> str:
    actor, now = session.actor.id, session.now()
    if e.action == "create":
        if e.entity == "customer":
            c = Customer.get_or_none(Customer.id == e.entity_id)
            if c is None:
                return "gone"
            if not _untouched_customer(c, stamp):
                return "kept"
            audit.record(actor, now, "undo_import", "customer", c.id, c.id, {"name": (c.name, "")})
            Customer.delete().where(Customer.id == c.id).execute()  # its leads, follow-ups and tags go with it
            return "removed"
        if e.entity == "lead":
            lead = Lead.get_or_none(Lead.id == e.entity_id)
            if lead is None:
                return "gone"
            if _stamp(lead.updated_at) != stamp or _worked_on(lead.id, stamp):
                return "kept"
            Lead.delete().where(Lead.id == lead.id).execute()
            return "restored"
        if e.entity == "followup":
            f = FollowUp.get_or_none(FollowUp.id == e.entity_id)
            if f is None:
                return "gone"
            if f.done_at is not None and _stamp(f.done_at) != _stamp(f.due_at):
                return "kept"  # a consultant logged a call against it since
            FollowUp.delete().where(FollowUp.id == f.id).execute()
            return "restored"
        if e.entity == "tag":
            CustomerTag.delete().where(CustomerTag.id == e.entity_id).execute()
            return "restored"
        if e.entity == "test_drive":
            TestDrive.delete().where(TestDrive.id == e.entity_id).execute()
            return "restored"
        if e.entity == "vehicle":
            used = (Lead.select().where(Lead.vehicle == e.entity_id).exists()
                    or TestDrive.select().where(TestDrive.vehicle == e.entity_id).exists()
                    or Quote.select().where(Quote.vehicle == e.entity_id).exists())
            if used:  # a customer kept (worked on since) still names it
                return "in_use"
            Vehicle.delete().where(Vehicle.id == e.entity_id).execute()
            return "removed_vehicle"
        return "gone"
    # an update: put the old values back if nobody has saved the record since
    before = json.loads(e.before or "{}")
    model = {"customer": Customer, "lead": Lead, "followup": FollowUp}.get(e.entity)
    if model is None or not before:
        return "gone"
    row = model.get_or_none(model.id == e.entity_id)
    if row is None:
        return "gone"
    fields = model._meta.fields
    values = {name: fields[name].python_value(raw) for name, raw in before.items() if name in fields}
    if model is FollowUp:
        if _stamp(row.done_at) != stamp:
            return "kept"
        FollowUp.update(values).where(FollowUp.id == row.id).execute()
        return "restored"
    # unchanged since the import: at the version the import left, or the one this undo just wrote
    if e.version is not None and row.version not in (e.version, ours.get((e.entity, row.id))):
        return "kept"
    customer_id = row.id if model is Customer else row.customer_id
    audit.record(actor, now, "undo_import", e.entity, row.id, customer_id, audit.diff(row, values))
    model.update({**values, "updated_at": now, "updated_by": actor, "version": model.version + 1}).where(
        model.id == row.id).execute()
    ours[(e.entity, row.id)] = row.version + 1
    return "restored"


def _untouched_customer(c: Customer, stamp: str) -> bool:
    if _stamp(c.updated_at) != stamp:
        return False
    for lead in Lead.select(Lead.id, Lead.updated_at).where(Lead.customer == c.id):
        if _stamp(lead.updated_at) != stamp or _worked_on(lead.id, stamp):
            return False
    return not (ShowroomVisit.select().where(ShowroomVisit.customer == c.id).exists()
                or Complaint.select().where(Complaint.customer == c.id).exists())


def _worked_on(lead_id: int, stamp: str) -> bool:
    """Follow-ups on the lead that the import did not make, or that a consultant has logged since."""
    for created, due, done in (FollowUp.select(FollowUp.created_at, FollowUp.due_at, FollowUp.done_at)
                               .where(FollowUp.lead == lead_id).tuples()):
        if _stamp(created) != stamp:
            return True
        if done is not None and _stamp(done) != _stamp(due) and _stamp(done) != stamp:
            return True
    return False
