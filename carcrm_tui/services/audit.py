"""The audit trail: every create, change, move, sign-in, failed PIN and reveal.

Services call `record` inside their own transaction, so an audited change and
its audit rows commit or vanish together.
"""

from __future__ import annotations

from dataclasses import dataclass

from pendulum import DateTime

from carcrm_tui.services.errors import NotAllowed
from carcrm_tui.services.scope import get_customer
from carcrm_tui.store.bulk import Inserter
from carcrm_tui.store.models import Account, AuditLog

MAX_VALUE = 2000  # keep the trail readable; the record itself holds the full text


def _text(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:MAX_VALUE]


def record(actor_id: int | None, at: DateTime, action: str, entity: str, entity_id: int | None,
           customer_id: int | None = None, changes: dict[str, tuple[object, object]] | None = None) -> None:
    """One row per changed field (or one row for the action when nothing changed field-wise)."""
    base = dict(at=at, actor=actor_id, action=action, entity=entity, entity_id=entity_id, customer_id=customer_id)
    rows = [dict(base, field=f, old=_text(old), new=_text(new))
            for f, (old, new) in (changes or {}).items() if _text(old) != _text(new)]
    for row in rows or [dict(base)]:
        _insert(**row)


_insert = Inserter(AuditLog, ("at", "actor", "action", "entity", "entity_id", "customer_id", "field", "old", "new"))


def diff(row, values: dict[str, object]) -> dict[str, tuple[object, object]]:
    """Old → new for the columns `values` would change on `row`."""
    out = {}
    for name, new in values.items():
        if name.endswith(("_digits", "_pinyin")):  # derived from phone / name, which are recorded
            continue
        old = getattr(row, f"{name}_id" if name in ("vehicle", "owner", "referred_by") else name, None)
        if _text(old) != _text(new):
            out[name] = (old, new)
    return out


@dataclass(frozen=True)
class AuditEntry:
    at: DateTime
    actor: str
    action: str
    entity: str
    field: str
    old: str
    new: str


def customer_history(session, customer_id: int, limit: int = 100) -> list[AuditEntry]:
    """A customer's trail, newest first. Managers only."""
    if session.actor.role != "manager":
        raise NotAllowed()
    get_customer(session, customer_id)
    names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    q = (AuditLog.select().where(AuditLog.customer_id == customer_id)
         .order_by(AuditLog.id.desc()).limit(limit))
    return [AuditEntry(r.at, names.get(r.actor_id, ""), r.action, r.entity, r.field, r.old, r.new) for r in q]


def last_change() -> int:
    """The newest audit id: other terminals compare it to notice commits (live refresh)."""
    return AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1).scalar() or 0
