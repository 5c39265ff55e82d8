"""Processes that act like busy terminals, for the concurrency tests."""

from __future__ import annotations

import sys

import pendulum

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services import accounts, contacts, walkins
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import ContactInput, WalkInInput
from carcrm_tui.store import db


def _session(name: str) -> Session:
    return Session(actor=accounts.find(name), policy=Policy(), clock=lambda: pendulum.now("UTC"))


def log_many(path: str, name: str, lead_id: int, count: int) -> None:
    db.connect(path)
    s = _session(name)
    for n in range(count):
        contacts.log_contact(s, lead_id, ContactInput(summary=f"{name}-{n}"))
    print("done", count)


def walk_ins_forever(path: str, name: str, start: int) -> None:
    db.connect(path)
    s = _session(name)
    n = start
    print("ready", flush=True)
    while True:
        walkins.register_walkin(s, WalkInInput(phone=f"1390000{n:04d}", name=f"客户{n}", summary="到店"))
        n += 1


if __name__ == "__main__":
    globals()[sys.argv[1]](*[int(a) if a.isdigit() else a for a in sys.argv[2:]])
