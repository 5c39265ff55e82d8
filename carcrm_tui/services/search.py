"""Find a customer by a name fragment or any run of phone digits."""

from __future__ import annotations

from peewee import fn

from carcrm_tui.domain.validation import mask_phone, phone_digits
from carcrm_tui.services.scope import customer_filter
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import CustomerHit
from carcrm_tui.store.models import Account, Customer, Lead


def search(session: Session, query: str, limit: int = 20) -> list[CustomerHit]:
    text = (query or "").strip()
    if not text:
        return []
    digits = phone_digits(text)
    if len(digits) >= 3 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 1:
        cond = (fn.instr(Customer.phone_digits, digits) > 0) | (fn.instr(Customer.phone2_digits, digits) > 0)
        matched = "phone"
    else:
        # instr, not LIKE: the user's % and _ are characters, not wildcards
        cond = fn.instr(Customer.name, text) > 0
        matched = "name"
    exact = (Customer.phone_digits == digits) if matched == "phone" else (Customer.name == text)
    q = (
        Customer.select(Customer.id, Customer.name, Customer.phone, Account.name.alias("owner_name"))
        .join(Account, on=(Customer.owner == Account.id))
        .where(cond & customer_filter(session))
        .order_by(exact.desc(), fn.LENGTH(Customer.name), Customer.id)
        .limit(limit)
        .objects()
    )
    hits = list(q)
    leads = _latest_leads([h.id for h in hits])
    return [
        CustomerHit(h.id, h.name, mask_phone(h.phone), h.owner_name, *leads.get(h.id, ("", "")), matched)
        for h in hits
    ]


def _latest_leads(customer_ids: list[int]) -> dict[int, tuple[str, str]]:
    if not customer_ids:
        return {}
    out: dict[int, tuple[str, str]] = {}
    q = Lead.select(Lead.customer, Lead.grade, Lead.stage, Lead.status).where(
        Lead.customer.in_(customer_ids)
    ).order_by(Lead.id)
    for lead in q:
        if lead.status == "open" or lead.customer_id not in out:
            out[lead.customer_id] = (lead.grade, lead.stage if lead.status == "open" else lead.status)
    return out

