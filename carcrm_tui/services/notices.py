"""Telling people what happened to their customers while they were elsewhere.

A manager merges two records, a lead changes hands, a colleague's customer walks
back in at reception: the owner must hear of it, not stumble on it. Services
call `tell` inside their own transaction (the notice commits with the change);
the owner reads it at the top of Today and opens the customer from there.
"""

from __future__ import annotations

import json

from carcrm_tui.services.session import Session
from carcrm_tui.services.views import NoticeView
from carcrm_tui.store.models import Notice, database

LIMIT = 50


def tell(account_id: int | None, at, kind: str, customer_id: int | None = None, **params: object) -> None:
    if account_id is None:
        return
    Notice.insert(account=account_id, at=at, kind=kind, customer_id=customer_id,
                  params=json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False)).execute()


def unread(session: Session, limit: int = LIMIT) -> list[NoticeView]:
    q = (Notice.select().where((Notice.account == session.actor.id) & Notice.read_at.is_null())
         .order_by(Notice.id.desc()).limit(limit))
    return [NoticeView(n.id, n.at, n.kind, n.customer_id, _params(n.params)) for n in q]


def mark_read(session: Session, notice_id: int) -> None:
    """Only the addressee's own notices; someone else's id changes nothing."""
    with database.atomic():
        Notice.update(read_at=session.now()).where(
            (Notice.id == notice_id) & (Notice.account == session.actor.id) & Notice.read_at.is_null()).execute()


def _params(text: str) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
