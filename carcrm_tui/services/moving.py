"""Moving a showroom into the dealer group's server (`carcrm copy-to`): who may, and the record of it.

The whole showroom — customers, deal prices, the audit trail — leaves with a
copy, so only a manager or an admin of the source may make one. The source is
only read; the move is recorded in the target's audit trail, after the copied
rows (who, when, from where — the address with its password blanked).
"""

from __future__ import annotations

from typing import Callable

from peewee import Database

from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotAllowed, ServiceError
from carcrm_tui.store import copying
from carcrm_tui.store.faults import scrub
from carcrm_tui.store.models import database


class TargetNotEmpty(ServiceError):
    """The target already holds rows (a site of its own, another showroom): nothing is copied over them."""

    code = "target_not_empty"

    def __init__(self, table: str, rows: int) -> None:
        super().__init__(table, rows)
        self.table, self.rows = table, rows


def may_copy(session) -> None:
    if session.actor.role not in ("manager", "admin") or not session.actor.active:
        raise NotAllowed()


def copy_in(session, source: Database, target: Database, source_name: str,
            progress: Callable[[int, int], None] | None = None) -> list[copying.TableCount]:
    """Copy `source` (read-only) into the empty `target` (bound to the models); the counts of both."""
    may_copy(session)
    occupied = copying.first_rows(target)
    if occupied:
        raise TargetNotEmpty(*occupied)
    counts = copying.copy(source, target, progress)
    with database.atomic():
        audit.record(session.actor.id, session.now(), "copy_in", "database", None,
                     changes={"from": ("", scrub(source_name))})
    return counts
