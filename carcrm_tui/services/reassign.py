"""Reassigning leads (a manager's job, e.g. when someone leaves): one lead, a marked
selection, or a consultant's whole book, to one consultant or round-robin over several.

One transaction, audited lead by lead; the customers and their open follow-ups
move with their leads, so staff turnover never strands a customer
("避免因人员流动造成的客户资源流失").
"""

from __future__ import annotations

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.services import audit, notices
from carcrm_tui.services.errors import NotAllowed, ValidationFailed
from carcrm_tui.services.scope import account_filter, lead_filter
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Complaint, Customer, FollowUp, Lead, database

CHUNK = 500  # ids per IN (...): well under SQLite's variable limit


def reassign(session: Session, to: list[str], *, lead_ids: list[int] | None = None,
             from_account: str | None = None) -> int:
    """Move leads to the named consultants, round-robin in lead order. Returns how many moved."""
    if not session.is_manager:
        raise NotAllowed()
    targets = [Account.get_or_none((Account.name == name) & Account.active & (Account.role == "consultant"))
               for name in dict.fromkeys(to)]
    if not to or any(t is None for t in targets):
        raise ValidationFailed({"to": Invalid("choose_one", field="owner")})
    now = session.now()
    with database.atomic():
        query = Lead.select(Lead.id, Lead.owner, Lead.customer, Lead.showroom).where(
            (Lead.status == "open") & lead_filter(session))
        if lead_ids is not None:
            query = query.where(Lead.id.in_(lead_ids))
        if from_account is not None:
            source = Account.get_or_none(Account.name == from_account)
            if source is None:
                raise ValidationFailed({"from": Invalid("unknown_account", value=from_account)})
            query = query.where(Lead.owner == source.id)
        leads = list(query.order_by(Lead.id).tuples())
        if any(t.showroom_id != showroom for _l, _o, _c, showroom in leads for t in targets):
            raise ValidationFailed({"to": Invalid("other_showroom")})  # a showroom's customers stay in it
        plan: dict[int, list[tuple[int, int, int]]] = {}
        for n, (lead_id, owner_id, customer_id, _showroom) in enumerate(leads):
            target = targets[n % len(targets)]
            if target.id != owner_id:
                plan.setdefault(target.id, []).append((lead_id, owner_id, customer_id))
        for target_id, moves in plan.items():
            for i in range(0, len(moves), CHUNK):
                chunk = moves[i:i + CHUNK]
                ids = [m[0] for m in chunk]
                Lead.update({Lead.owner: target_id, Lead.updated_at: now, Lead.updated_by: session.actor.id,
                             Lead.version: Lead.version + 1}).where(Lead.id.in_(ids)).execute()
                FollowUp.update(owner=target_id).where(FollowUp.lead.in_(ids) & FollowUp.done_at.is_null()).execute()
                Customer.update({Customer.owner: target_id, Customer.updated_at: now,
                                 Customer.version: Customer.version + 1}).where(
                    Customer.id.in_([m[2] for m in chunk])).execute()
                # a complaint the old owner was handling goes with the customer (its assignee
                # could no longer open the record it is about)
                by_owner: dict[int, list[int]] = {}
                for _lead, owner_id, customer_id in chunk:
                    by_owner.setdefault(owner_id, []).append(customer_id)
                for owner_id, customer_ids in by_owner.items():
                    Complaint.update(assignee=target_id).where(
                        Complaint.customer.in_(customer_ids) & (Complaint.assignee == owner_id)
                        & (Complaint.status != "closed")).execute()
        names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
        for target_id, moves in plan.items():
            for lead_id, owner_id, customer_id in moves:
                audit.record(session.actor.id, now, "reassign", "lead", lead_id, customer_id,
                             {"owner": (names.get(owner_id, ""), names.get(target_id, ""))})
        _tell(session, plan, names, now)
    return sum(len(m) for m in plan.values())


def _tell(session: Session, plan: dict, names: dict[int, str], now) -> None:
    """Both consultants hear of a handover: per customer for one lead, as a count for a book."""
    by = names.get(session.actor.id, "")
    pairs: dict[tuple[int, int], list[int]] = {}
    for target_id, moves in plan.items():
        for _lead_id, owner_id, customer_id in moves:
            pairs.setdefault((owner_id, target_id), []).append(customer_id)
    single = [cid for cids in pairs.values() if len(cids) == 1 for cid in cids]
    customer_names = dict(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(single)).tuples()) \
        if single else {}
    for (owner_id, target_id), cids in pairs.items():
        if len(cids) == 1:
            name = customer_names.get(cids[0], "")
            notices.tell(owner_id, now, "reassigned_from", cids[0], customer=name, to=names.get(target_id, ""), by=by)
            notices.tell(target_id, now, "reassigned_to", cids[0], customer=name, source=names.get(owner_id, ""),
                         by=by)
        else:
            notices.tell(owner_id, now, "reassigned_from_many", None, n=len(cids), to=names.get(target_id, ""), by=by)
            notices.tell(target_id, now, "reassigned_to_many", None, n=len(cids), source=names.get(owner_id, ""),
                         by=by)



def consultants(session: Session | None = None) -> list[str]:
    """The active consultants (of the session's showroom, when it is limited to one)."""
    scope = account_filter(session) if session is not None else True
    return [a.name for a in Account.select().where(Account.active & (Account.role == "consultant") & scope)
            .order_by(Account.name)]
