"""The showrooms of a dealer group on one server.

Every customer and lead belongs to one showroom; consultants and a showroom's
manager work in theirs, group managers and admins across all of them (or in
the one they choose to look at). A site with one showroom has exactly one, and
nothing on its screens mentions showrooms.
"""

from __future__ import annotations

from typing import NamedTuple

from peewee import fn
from pendulum import DateTime

from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotAllowed, ValidationFailed
from carcrm_tui.services.views import AccountView
from carcrm_tui.store.models import Account, Customer, Showroom, database


class ShowroomView(NamedTuple):
    id: int
    name: str
    people: int
    customers: int


def all_showrooms() -> list[ShowroomView]:
    people = dict(Account.select(Account.showroom, fn.COUNT(Account.id)).where(Account.active)
                  .group_by(Account.showroom).tuples())
    customers = dict(Customer.select(Customer.showroom, fn.COUNT(Customer.id)).group_by(Customer.showroom).tuples())
    return [ShowroomView(s.id, s.name, people.get(s.id, 0), customers.get(s.id, 0))
            for s in Showroom.select().order_by(Showroom.id)]


def names() -> dict[int, str]:
    return dict(Showroom.select(Showroom.id, Showroom.name).tuples())


def several() -> bool:
    """More than one showroom: the screens show which one a record belongs to."""
    return Showroom.select().limit(2).count() > 1


def find(name: str) -> int:
    row = Showroom.get_or_none(Showroom.name == (name or "").strip())
    if row is None:
        raise ValidationFailed({"showroom": Invalid("unknown_showroom", value=name)})
    return row.id


def name_the_first(name: str) -> None:
    """A new site's showroom takes the dealership's name (`carcrm init`)."""
    from carcrm_tui.store.models import DEFAULT_SHOWROOM

    Showroom.update(name=name[:64]).where(Showroom.id == DEFAULT_SHOWROOM).execute()


def add(actor: AccountView, name: str, now: DateTime) -> ShowroomView:
    """Admins open a showroom of the group (audited)."""
    if actor.role != "admin" or not actor.active:
        raise NotAllowed()
    try:
        name = clean_text(name, field="name", limit=64, required=True)
    except Invalid as e:
        raise ValidationFailed({"name": e}) from None
    with database.atomic():
        if Showroom.select().where(Showroom.name == name).exists():
            raise ValidationFailed({"name": Invalid("showroom_taken", name=name)})
        new_id = Showroom.insert(name=name, created_at=now).execute()
        audit.record(actor.id, now, "create", "showroom", new_id, changes={"name": ("", name)})
    return ShowroomView(new_id, name, 0, 0)


def rename(actor: AccountView, old: str, new: str, now: DateTime) -> None:
    if actor.role != "admin" or not actor.active:
        raise NotAllowed()
    showroom_id = find(old)
    try:
        new = clean_text(new, field="name", limit=64, required=True)
    except Invalid as e:
        raise ValidationFailed({"name": e}) from None
    with database.atomic():
        if Showroom.select().where((Showroom.name == new) & (Showroom.id != showroom_id)).exists():
            raise ValidationFailed({"name": Invalid("showroom_taken", name=new)})
        Showroom.update(name=new).where(Showroom.id == showroom_id).execute()
        audit.record(actor.id, now, "update", "showroom", showroom_id, changes={"name": (old, new)})


def also_customer_of(customer: Customer) -> tuple[str, ...]:
    """The other showrooms where this customer's number is a customer too (for group managers)."""
    if not customer.phone_digits:
        return ()
    rows = (Showroom.select(Showroom.name).join(Customer, on=(Customer.showroom == Showroom.id))
            .where((Customer.phone_digits == customer.phone_digits) & (Customer.id != customer.id)
                   & (Customer.showroom != customer.showroom_id)).distinct().order_by(Showroom.name).tuples())
    return tuple(name for (name,) in rows)
