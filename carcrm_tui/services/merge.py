"""Merging two records of the same person (a manager's job) — losing nothing.

The manager picks the surviving value of each field. Every phone number
survives: the chosen main and backup phones, and every other number of either
record as one more phone of the survivor (walk-ins, imports and search find
the customer by any of them). Leads, follow-ups, tags, visits, complaints,
referrals and history move to the survivor. One person has one open lead: if
both records had one, the one the manager keeps (by default the furthest
along) stays open and the other is closed as a merged duplicate, its history
kept; a surviving open lead owned by someone other than the surviving owner
changes hands visibly. Whoever loses or gains a lead is told (a notice on
their Today). Closed leads keep their owner, and with it the privacy of their
deal terms. One transaction, audited in words.
"""

from __future__ import annotations

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.services import audit, notices
from carcrm_tui.services.errors import NotAllowed, Rejected, ValidationFailed
from carcrm_tui.services.scope import get_customer
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import (
    Account, AuditLog, Complaint, Customer, CustomerPhone, CustomerTag, FollowUp, Lead, ShowroomVisit, database,
)

FIELDS = ("name", "gender", "age_range", "phone", "phone2", "wechat", "email", "source", "customer_type",
          "birthday", "notes", "do_not_contact", "owner")
DERIVED = {"name": ("name_pinyin",)}


def merge(session: Session, keep_id: int, drop_id: int, take_from_other: set[str] | tuple = (),
          keep_lead: int | None = None) -> int:
    """Merge `drop_id` into `keep_id`; fields named in `take_from_other` take the other record's value.

    `keep_lead`: which open lead stays open when both records have one (default: the furthest along).
    """
    if not session.is_manager:
        raise NotAllowed()
    if keep_id == drop_id:
        raise ValidationFailed({"customer": Invalid("same_customer")})
    unknown = set(take_from_other) - set(FIELDS)
    if unknown:
        raise ValidationFailed({f: Invalid("unknown_field", field=f) for f in unknown})
    take = set(take_from_other)
    now = session.now()
    actor = session.actor.id
    with database.atomic():
        keep = get_customer(session, keep_id)
        drop = get_customer(session, drop_id)
        if keep.showroom_id != drop.showroom_id:  # one person may be a customer of two showrooms: two records
            raise Rejected("merge_other_showroom")
        names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
        changes: dict = {}
        for name in take - {"phone", "phone2", "owner"}:
            changes[name] = getattr(drop, name)
            for derived in DERIVED.get(name, ()):
                changes[derived] = getattr(drop, derived)
        changes.update(_phones(keep, drop, take))
        owner_id = drop.owner_id if "owner" in take else keep.owner_id
        if owner_id != keep.owner_id:
            changes["owner"] = owner_id
        recorded = audit.diff(keep, {k: v for k, v in changes.items() if k != "owner"})
        if "owner" in changes:
            recorded["owner"] = (names.get(keep.owner_id, ""), names.get(owner_id, ""))
        _move_children(keep, drop)
        _settle_leads(session, keep, drop, owner_id, keep_lead, names, now)
        Customer.update({**changes, "updated_at": now, "updated_by": actor, "version": Customer.version + 1}
                        ).where(Customer.id == keep.id).execute()
        audit.record(actor, now, "merge", "customer", keep.id, keep.id,
                     {**recorded, "merged": (f"{drop.name} #{drop.id}", f"{keep.name} #{keep.id}")})
        Customer.delete().where(Customer.id == drop.id).execute()
    return keep.id


def candidates(session: Session, keep_id: int, query: str, limit: int = 8) -> list:
    """Records that may be the same person, with their full numbers: comparing two records
    needs them. A manager's search; each customer shown is a reveal in the trail (once an hour)."""
    from carcrm_tui.services import search

    if not session.is_manager:
        raise NotAllowed()
    hits = [h for h in search.search(session, query, limit + 1) if h.customer_id != keep_id][:limit]
    if not hits:
        return []
    full = {c.id: c.phone for c in Customer.select(Customer.id, Customer.phone)
            .where(Customer.id.in_([h.customer_id for h in hits]))}
    now = session.now()
    since = now.subtract(hours=1)
    shown = {cid for (cid,) in AuditLog.select(AuditLog.entity_id).where(
        (AuditLog.actor == session.actor.id) & (AuditLog.action == "reveal") & (AuditLog.at >= since)
        & AuditLog.entity_id.in_(list(full))).tuples()}
    with database.atomic():
        for cid in full:
            if cid not in shown:
                audit.record(session.actor.id, now, "reveal", "customer", cid, cid, {"phone": ("", "merge")})
    return [h._replace(phone=full.get(h.customer_id, h.phone)) for h in hits]


def _phones(keep: Customer, drop: Customer, take: set[str]) -> dict:
    """Main and backup phone as chosen; every other number of either record becomes one more phone."""
    numbers: dict[str, str] = {}  # digits -> E.164, in order of appearance
    for c in (keep, drop):
        for e164, digits in ((c.phone, c.phone_digits), (c.phone2, c.phone2_digits)):
            if digits:
                numbers.setdefault(digits, e164)
        for p in CustomerPhone.select().where(CustomerPhone.customer == c.id).order_by(CustomerPhone.id):
            numbers.setdefault(p.digits, p.phone)
    main = (drop if "phone" in take else keep).phone_digits or keep.phone_digits or drop.phone_digits
    backup = (drop if "phone2" in take else keep).phone2_digits
    if not backup or backup == main:
        backup = next((d for d in numbers if d != main), "")
    rest = [d for d in numbers if d not in (main, backup)]
    CustomerPhone.delete().where(CustomerPhone.customer.in_([keep.id, drop.id])).execute()
    for digits in rest:
        CustomerPhone.insert(customer=keep.id, phone=numbers[digits], digits=digits).execute()
    out = {}
    if main != keep.phone_digits:
        out.update(phone=numbers.get(main, ""), phone_digits=main)
    if backup != keep.phone2_digits:
        out.update(phone2=numbers.get(backup, ""), phone2_digits=backup)
    if "phone_digits" in out and main == drop.phone_digits:
        # the drop record still holds this number until it is deleted: free it first (unique in practice)
        Customer.update(phone="", phone_digits="").where(Customer.id == drop.id).execute()
    return out


def _move_children(keep: Customer, drop: Customer) -> None:
    Lead.update(customer=keep.id).where(Lead.customer == drop.id).execute()
    for tag in CustomerTag.select().where(CustomerTag.customer == drop.id):
        CustomerTag.insert(customer=keep.id, tag=tag.tag).on_conflict_ignore().execute()
    ShowroomVisit.update(customer=keep.id).where(ShowroomVisit.customer == drop.id).execute()
    Complaint.update(customer=keep.id).where(Complaint.customer == drop.id).execute()
    Customer.update(referred_by=keep.id).where((Customer.referred_by == drop.id) & (Customer.id != keep.id)).execute()
    AuditLog.update(customer_id=keep.id).where(AuditLog.customer_id == drop.id).execute()


def _furthest(session: Session, leads: list[Lead]) -> Lead:
    order = session.policy.stages
    return max(leads, key=lambda ld: (order.index(ld.stage) if ld.stage in order else -1,
                                      ld.last_contact_at or ld.created_at, ld.id))


def _settle_leads(session: Session, keep: Customer, drop: Customer, owner_id: int, keep_lead: int | None,
                  names: dict[int, str], now) -> None:
    actor = session.actor.id
    # after-sales calls of closed leads go to whoever now looks after the customer; the lead itself
    # (the deal's credit and its confidential terms) stays with the consultant who made it
    closed = Lead.select(Lead.id).where((Lead.customer == keep.id) & (Lead.status != "open"))
    FollowUp.update(owner=owner_id).where(FollowUp.lead.in_(closed) & FollowUp.done_at.is_null()).execute()
    open_leads = list(Lead.select().where((Lead.customer == keep.id) & (Lead.status == "open")))
    if not open_leads:
        return
    chosen = next((ld for ld in open_leads if ld.id == keep_lead), None) or _furthest(session, open_leads)
    for ld in open_leads:
        if ld.id == chosen.id:
            continue
        Lead.update({Lead.status: "merged", Lead.closed_at: now, Lead.version: Lead.version + 1,
                     Lead.updated_at: now, Lead.updated_by: actor}).where(Lead.id == ld.id).execute()
        FollowUp.update(done_at=now, outcome="merged").where(
            (FollowUp.lead == ld.id) & FollowUp.done_at.is_null()).execute()
        audit.record(actor, now, "update", "lead", ld.id, keep.id, {"status": ("open", "merged")})
        if ld.owner_id != actor:
            notices.tell(ld.owner_id, now, "lead_merged", keep.id, customer=drop.name, into=keep.name,
                         by=names.get(actor, ""))
    if chosen.owner_id != owner_id:
        previous = chosen.owner_id
        Lead.update({Lead.owner: owner_id, Lead.version: Lead.version + 1, Lead.updated_at: now,
                     Lead.updated_by: actor}).where(Lead.id == chosen.id).execute()
        FollowUp.update(owner=owner_id).where((FollowUp.lead == chosen.id) & FollowUp.done_at.is_null()).execute()
        audit.record(actor, now, "reassign", "lead", chosen.id, keep.id,
                     {"owner": (names.get(previous, ""), names.get(owner_id, ""))})
        if previous != actor:
            notices.tell(previous, now, "lead_handed_over", keep.id, customer=keep.name, to=names.get(owner_id, ""),
                         by=names.get(actor, ""))
        if owner_id != actor:
            notices.tell(owner_id, now, "lead_received", keep.id, customer=keep.name, source=names.get(previous, ""),
                         by=names.get(actor, ""))
