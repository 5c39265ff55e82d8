"""Merging two records of the same person (a manager's job): pick the surviving value
of each field; every lead, follow-up, tag, visit, complaint and history entry moves
to the surviving customer; one transaction, audited."""

from __future__ import annotations

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotAllowed, ValidationFailed
from carcrm_tui.services.scope import get_customer
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import AuditLog, Complaint, Customer, CustomerTag, Lead, ShowroomVisit, database

FIELDS = ("name", "gender", "age_range", "phone", "phone2", "wechat", "email", "source", "customer_type",
          "birthday", "notes", "do_not_contact", "owner")
DERIVED = {"name": ("name_pinyin",), "phone": ("phone_digits",), "phone2": ("phone2_digits",)}


def merge(session: Session, keep_id: int, drop_id: int, take_from_other: set[str] | tuple = ()) -> int:
    """Merge `drop_id` into `keep_id`; fields named in `take_from_other` take the other record's value."""
    if session.actor.role != "manager":
        raise NotAllowed()
    if keep_id == drop_id:
        raise ValidationFailed({"customer": Invalid("same_customer")})
    unknown = set(take_from_other) - set(FIELDS)
    if unknown:
        raise ValidationFailed({f: Invalid("unknown_field", field=f) for f in unknown})
    now = session.now()
    actor = session.actor.id
    with database.atomic():
        keep = get_customer(session, keep_id)
        drop = get_customer(session, drop_id)
        changes: dict = {}
        for name in take_from_other:
            column = "owner_id" if name == "owner" else name
            changes[column] = getattr(drop, column)
            for derived in DERIVED.get(name, ()):
                changes[derived] = getattr(drop, derived)
        if changes:
            audit.record(actor, now, "merge", "customer", keep.id, keep.id,
                         audit.diff(keep, {k.removesuffix("_id"): v for k, v in changes.items()}))
            Customer.update({**changes, "updated_at": now, "updated_by": actor, "version": Customer.version + 1}
                            ).where(Customer.id == keep.id).execute()
        Lead.update(customer=keep.id).where(Lead.customer == drop.id).execute()
        for tag in CustomerTag.select().where(CustomerTag.customer == drop.id):
            CustomerTag.insert(customer=keep.id, tag=tag.tag).on_conflict_ignore().execute()
        ShowroomVisit.update(customer=keep.id).where(ShowroomVisit.customer == drop.id).execute()
        Complaint.update(customer=keep.id).where(Complaint.customer == drop.id).execute()
        AuditLog.update(customer_id=keep.id).where(AuditLog.customer_id == drop.id).execute()
        audit.record(actor, now, "merge", "customer", keep.id, keep.id,
                     {"merged": (f"{drop.name} #{drop.id}", f"{keep.name} #{keep.id}")})
        Customer.delete().where(Customer.id == drop.id).execute()
    return keep.id
