"""Backup while terminals write, restore with the old file kept, and check finding problems."""

import os
import signal
import sqlite3
import time

from carcrm_tui.services import maintenance
from carcrm_tui.store import db as store_db
from tests import factory
from tests.store.test_concurrency import worker


def test_backup_of_a_live_database_under_a_writer_is_sound(tmp_path):
    path = tmp_path / "shop.sqlite"
    store_db.connect(path)
    factory.account("李娜")
    store_db.close()
    proc = worker("walk_ins_forever", path, "李娜", 0)
    assert proc.stdout.readline().strip() == "ready"
    try:
        time.sleep(0.5)
        copies = [maintenance.backup(path, tmp_path / f"copy{i}.sqlite") for i in range(3)]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    for copy in copies:
        result = maintenance.check(copy)
        assert result.integrity == "ok" and result.ok, result
        con = sqlite3.connect(copy)
        customers = con.execute("SELECT COUNT(*) FROM customer").fetchone()[0]
        assert con.execute("SELECT COUNT(*) FROM lead").fetchone()[0] == customers  # whole walk-ins only
    sizes = [sqlite3.connect(c).execute("SELECT COUNT(*) FROM customer").fetchone()[0] for c in copies]
    assert sizes == sorted(sizes) and sizes[-1] > 0


def test_restore_puts_the_backup_back_and_keeps_the_current_file(tmp_path):
    path = tmp_path / "shop.sqlite"
    store_db.connect(path)
    a = factory.account("李娜")
    factory.customer(a, "备份前")
    store_db.close()
    maintenance.backup(path, tmp_path / "b.sqlite")
    store_db.connect(path)
    factory.customer(a, "备份后")
    store_db.close()
    saved = maintenance.restore(tmp_path / "b.sqlite", path)
    names = {n for (n,) in sqlite3.connect(path).execute("SELECT name FROM customer")}
    assert names == {"备份前"}
    assert {n for (n,) in sqlite3.connect(saved).execute("SELECT name FROM customer")} == {"备份前", "备份后"}


def test_check_finds_orphans_and_a_wrong_schema(tmp_path):
    path = tmp_path / "shop.sqlite"
    store_db.connect(path)
    a = factory.account("李娜")
    lead = factory.lead(factory.customer(a))
    store_db.close()
    assert maintenance.check(path).ok
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("DELETE FROM customer WHERE id = ?", (lead.customer_id,))
    con.commit()
    con.close()
    result = maintenance.check(path)
    assert not result.ok and result.orphans["leads without a customer"] == 1
