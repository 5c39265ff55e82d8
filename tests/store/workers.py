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


def save_while_importing(path: str, name: str, lead_id: int, stop_file: str) -> None:
    """A consultant saving one contact after another: prints how long each save waited (ms)."""
    import os
    import time

    db.connect(path)
    s = _session(name)
    print("ready", flush=True)
    while not os.path.exists(stop_file):
        t = time.perf_counter()
        contacts.log_contact(s, lead_id, ContactInput(summary="during the import"))
        print(f"{time.time():.3f} {(time.perf_counter() - t) * 1000:.1f}", flush=True)
        time.sleep(0.02)


def import_and_die(path: str, sheet: str, die_at_row: int) -> None:
    """An import whose process dies (no cleanup, like a power cut) when it reaches a row."""
    import os

    from carcrm_tui.services import importing

    db.connect(path)
    real = importing._Importer._create

    def create(self, v):
        if v["row"] == die_at_row:
            os._exit(9)
        return real(self, v)

    importing._Importer._create = create
    importing.import_file(_session("王经理"), sheet)


if __name__ == "__main__":
    globals()[sys.argv[1]](*[int(a) if a.isdigit() else a for a in sys.argv[2:]])
