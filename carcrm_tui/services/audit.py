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
    write(rows(actor_id, at, action, entity, entity_id, customer_id, changes))


def rows(actor_id: int | None, at: DateTime, action: str, entity: str, entity_id: int | None,
         customer_id: int | None = None, changes: dict[str, tuple[object, object]] | None = None) -> list[dict]:
    """What `record` writes, for a service that writes several entries' rows at once (`write`)."""
    base = dict(at=at, actor=actor_id, action=action, entity=entity, entity_id=entity_id, customer_id=customer_id)
    out = [dict(base, field=f, old=_text(old), new=_text(new))
           for f, (old, new) in (changes or {}).items() if _text(old) != _text(new)]
    return out or [base]


def write(entries: list[dict]) -> None:
    """Audit rows from `rows`, in one statement (inside the caller's transaction)."""
    if len(entries) == 1:
        _insert(**entries[0])
    else:
        _insert.rows(entries)


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
    """A customer's trail, newest first, with record ids as the names they stand for. Managers only."""
    if not session.is_manager:
        raise NotAllowed()
    get_customer(session, customer_id)
    names = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    q = (AuditLog.select().where(AuditLog.customer_id == customer_id)
         .order_by(AuditLog.id.desc()).limit(limit))
    rows = list(q)
    words = _id_words(rows, names)
    return [AuditEntry(r.at, names.get(r.actor_id, ""), r.action, r.entity, r.field,
                       words.get((r.field, r.old), r.old), words.get((r.field, r.new), r.new)) for r in rows]


def _id_words(rows, names: dict[int, str]) -> dict[tuple[str, str], str]:
    """Owner 2 → 李娜, vehicle 7 → 比亚迪 汉 EV, referred_by 31 → 王芳: older rows stored ids."""
    from carcrm_tui.store.models import Customer, Vehicle

    wanted: dict[str, set[int]] = {"owner": set(), "vehicle": set(), "referred_by": set()}
    for r in rows:
        if r.field in wanted:
            wanted[r.field] |= {int(v) for v in (r.old, r.new) if v.isdigit()}
    out: dict[tuple[str, str], str] = {}
    for i in wanted["owner"]:
        out[("owner", str(i))] = names.get(i, str(i))
    if wanted["vehicle"]:
        for v in Vehicle.select().where(Vehicle.id.in_(wanted["vehicle"])):
            out[("vehicle", str(v.id))] = f"{v.brand} {v.series} {v.model}".strip()
    if wanted["referred_by"]:
        for c in Customer.select(Customer.id, Customer.name).where(Customer.id.in_(wanted["referred_by"])):
            out[("referred_by", str(c.id))] = c.name
    return out


def last_change() -> int:
    """The newest audit id: other terminals compare it to notice commits (live refresh)."""
    return AuditLog.select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1).scalar() or 0


def change_listener():
    """On PostgreSQL, a listener the server tells of every commit (LISTEN/NOTIFY); None on a SQLite
    file, whose terminals poll `last_change` instead."""
    from carcrm_tui.store import notify
    from carcrm_tui.store.models import database

    return notify.listener_for(database.obj)
