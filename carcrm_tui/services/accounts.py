"""Accounts: who can act. (Sign-in and PINs arrive with the shared-terminal work.)"""

from __future__ import annotations

from peewee import fn

from carcrm_tui.services.views import AccountView
from carcrm_tui.store.models import Account, FollowUp


def view(a: Account) -> AccountView:
    return AccountView(a.id, a.name, a.role, a.seniority, a.active, a.showroom_id)


def find(name: str) -> AccountView | None:
    a = Account.get_or_none(Account.name == name)
    return view(a) if a else None


def list_accounts() -> list[AccountView]:
    return [view(a) for a in Account.select().order_by(Account.role.desc(), Account.name)]


def default_actor() -> AccountView | None:
    """The active consultant with the most open follow-ups, else any active account."""
    row = (
        Account.select(Account, fn.COUNT(FollowUp.id).alias("n"))
        .join(FollowUp, on=(FollowUp.owner == Account.id) & (FollowUp.done_at.is_null()))
        .where(Account.active & (Account.role == "consultant"))
        .group_by(Account.id)
        .order_by(fn.COUNT(FollowUp.id).desc(), Account.id)
        .first()
    )
    if row is None:
        row = Account.select().where(Account.active).order_by(Account.id).first()
    return view(row) if row else None
