"""Many terminals on one SQLite file: nothing fails, nothing half-written survives a kill."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pendulum

from carcrm_tui.store import db as store_db
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead, ShowroomVisit
from tests import factory

ROOT = Path(__file__).parents[2]


def worker(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store.workers", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_eight_processes_log_500_contacts_each_and_none_fails(tmp_path):
    path = tmp_path / "shop.sqlite"
    store_db.connect(path)
    leads = []
    for i in range(8):
        owner = factory.account(f"顾问{i}")
        lead = factory.lead(factory.customer(owner, f"客户{i}"))
        factory.due(lead, pendulum.now("UTC"))
        leads.append((owner.name, lead.id))
    store_db.close()

    procs = [worker("log_many", path, name, lead_id, 500) for name, lead_id in leads]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err[-500:] for _, err in results]
    assert all("locked" not in err for _, err in results)

    store_db.connect(path)
    logged = FollowUp.select().where(FollowUp.done_at.is_null(False) & (FollowUp.summary != "")).count()
    assert logged == 4000
    for name, lead_id in leads:  # each lead still has exactly one follow-up open
        assert FollowUp.select().where((FollowUp.lead == lead_id) & FollowUp.done_at.is_null()).count() == 1
    store_db.close()


def test_a_writer_killed_mid_work_leaves_no_half_written_record(tmp_path):
    path = tmp_path / "shop.sqlite"
    store_db.connect(path)
    factory.account("李娜")
    store_db.close()

    proc = worker("walk_ins_forever", path, "李娜", 0)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    db = store_db.connect(path)
    assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    customers = Customer.select().count()
    assert customers > 5
    # every walk-in is whole: one lead, its follow-ups and visit, and its audit rows
    assert Lead.select().count() == customers
    assert FollowUp.select().count() == 3 * customers  # the visit, the first call, the thank-you
    assert ShowroomVisit.select().count() == customers
    assert AuditLog.select().where(AuditLog.entity == "customer").distinct().count() > 0
    assert AuditLog.select(AuditLog.entity_id).where(
        (AuditLog.entity == "customer") & (AuditLog.action == "create")).distinct().count() == customers
    store_db.close()
