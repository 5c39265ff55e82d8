"""Small, explicit records for service tests (the demo is for UI and scale)."""

from __future__ import annotations

import itertools

import pendulum

from carcrm_tui.store.models import Account, Customer, FollowUp, Lead, Vehicle

_phones = itertools.count(13800000001)


def account(name: str, role: str = "consultant", at=None) -> Account:
    return Account.create(name=name, role=role, seniority=3, created_at=at or pendulum.datetime(2025, 1, 1, tz="UTC"))


def vehicle(series: str = "汉", price: int = 209_800) -> Vehicle:
    return Vehicle.create(brand="比亚迪", series=series, model=f"{series} EV", guide_price=price)


def customer(owner: Account, name: str = "张伟", phone: str | None = None, at=None) -> Customer:
    at = at or pendulum.datetime(2026, 3, 1, 2, 0, tz="UTC")
    digits = phone or str(next(_phones))
    return Customer.create(name=name, phone=f"+86{digits}", phone_digits=digits, owner=owner,
                           created_at=at, updated_at=at)


def lead(cust: Customer, grade: str = "A", stage: str = "needs", owner: Account | None = None,
         vehicle_id: int | None = None, last_contact=None, value: int = 200_000, at=None, **fields) -> Lead:
    at = at or pendulum.datetime(2026, 3, 1, 2, 0, tz="UTC")
    values = dict(customer=cust, owner=owner or cust.owner, grade=grade, stage=stage, status="open",
                  vehicle=vehicle_id, expected_value=value, created_at=at, stage_changed_at=at,
                  last_contact_at=last_contact, updated_at=at)
    return Lead.create(**(values | fields))


def due(ld: Lead, when, channel: str = "phone") -> FollowUp:
    return FollowUp.create(lead=ld, owner=ld.owner, channel=channel, due_at=when,
                           created_at=pendulum.datetime(2026, 3, 1, tz="UTC"))
