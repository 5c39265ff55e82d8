"""Who is acting, under which policy, at what time.

The clock is injected: the app uses the real one, tests a fixed instant, so
every rule that depends on "now" is testable to the minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pendulum
from pendulum import DateTime

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services.errors import NotFound
from carcrm_tui.services.views import AccountView


def system_clock() -> DateTime:
    return pendulum.now("UTC")


def fixed_clock(instant: DateTime) -> Callable[[], DateTime]:
    return lambda: instant


MANAGERS = ("manager", "group_manager")  # the manager's desk: board of all, late, metrics, merge, reassign


@dataclass
class Session:
    actor: AccountView
    policy: Policy
    clock: Callable[[], DateTime] = field(default=system_clock)
    showroom: int | None = None  # a group manager's (or admin's) chosen showroom; None = all of them

    def now(self) -> DateTime:
        return self.clock().in_timezone("UTC")

    @property
    def sees_everyone(self) -> bool:
        """Not limited to one's own customers (managers, group managers, admins) — see scope_showroom."""
        return self.actor.role in (*MANAGERS, "admin")

    @property
    def is_manager(self) -> bool:
        return self.actor.role in MANAGERS

    @property
    def scope_showroom(self) -> int | None:
        """The showroom this session's lists are limited to; None = every showroom of the group."""
        if self.actor.role in ("group_manager", "admin"):
            return self.showroom
        return self.actor.showroom_id

    @property
    def home_showroom(self) -> int:
        """Where what this person creates belongs: their showroom, else the one they chose to look at."""
        from carcrm_tui.store.models import DEFAULT_SHOWROOM

        return self.actor.showroom_id or self.showroom or DEFAULT_SHOWROOM


def open_session(account_name: str | None, policy: Policy, clock=system_clock) -> Session:
    """A session for the named account, or the first active consultant with work."""
    from carcrm_tui.services import accounts

    if account_name:
        actor = accounts.find(account_name)
        if actor is None or not actor.active:
            raise NotFound(account_name)
    else:
        actor = accounts.default_actor()
        if actor is None:
            raise NotFound("")
    return Session(actor=actor, policy=policy, clock=clock)


def in_worker(fn, *args, **kwargs):
    """Run a service call on a worker thread and release that thread's connection.

    Peewee keeps one connection per thread; a worker thread is short-lived, so
    its connection is closed here instead of leaking until exit.
    """
    from carcrm_tui.store.models import database

    try:
        return fn(*args, **kwargs)
    finally:
        if not database.is_closed():
            database.close()
