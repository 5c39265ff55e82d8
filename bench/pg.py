"""`make bench` on PostgreSQL: the same measures as on the SQLite file, side by side in one run.

The server's showroom is the SQLite demo moved in with `carcrm copy-to` (so the
move itself is timed at scale), into a fresh database on the server that
CARCRM_BENCH_PG_URL names (an admin URL; default: the test suite's local
server). Then, in this process and in writer processes: today, board open,
search per keystroke, logged contacts per second with 8 writers — and 32
writer processes at once, every failure counted (the target is none). Without
a server the PostgreSQL column is left out and the run says why.

Kept apart from run.py (a small hook there calls `side_by_side`) so that the
SQLite measures can change without touching this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("CARCRM_BENCH_PG_URL", os.environ.get(
    "CARCRM_TEST_PG_URL", "postgresql://carcrm_test:carcrm_test@localhost:5432/postgres"))
DEMO_MANAGER, DEMO_MANAGER_PIN = "王建国", "860517"  # the demo's (README)

# a terminal logging contacts as fast as it can; a failure is counted, not fatal (argv: db, name, leads, n)
COUNTING_WRITER = textwrap.dedent('''
    import json, sys, time
    import pendulum
    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import accounts, contacts
    from carcrm_tui.services.session import Session
    from carcrm_tui.services.views import ContactInput
    from carcrm_tui.store import db
    db.connect(sys.argv[1])
    s = Session(actor=accounts.find(sys.argv[2]), policy=Policy(), clock=lambda: pendulum.now("UTC"))
    leads, n = [int(x) for x in sys.argv[3].split(",")], int(sys.argv[4])
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts together
    ok, failed, kinds = 0, 0, {}
    for i in range(n):
        try:
            contacts.log_contact(s, leads[i % len(leads)], ContactInput(summary=f"bench {i}"))
            ok += 1
        except Exception as e:
            failed += 1
            kind = getattr(e, "kind", type(e).__name__)
            kinds[kind] = kinds.get(kind, 0) + 1
    print(json.dumps({"ok": ok, "failed": failed, "kinds": kinds}))
''')


def _admin():
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def server_answers() -> str | None:
    """None when a server answers at ADMIN_URL; otherwise why not."""
    try:
        _admin().close()
        return None
    except Exception as e:  # noqa: BLE001 - no driver, no server, no role
        return f"no PostgreSQL server at {ADMIN_URL.rsplit('@', 1)[-1]} ({type(e).__name__})"


def fresh_database(name: str) -> str:
    with _admin() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with _admin() as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_in(path: Path, url: str) -> float:
    """`carcrm copy-to` of the demo file, as a manager would run it; seconds."""
    env = {**os.environ, "CARCRM_PIN": DEMO_MANAGER_PIN, "CARCRM_CONFIG": os.devnull + ".none", "CARCRM_LANG": "en"}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "carcrm_tui", "--db", str(path), "copy-to", url,
                           "--user", DEMO_MANAGER], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"copy-to failed: {done.stderr.strip()}")
    return seconds


def writers(url: str, processes: int, each: int) -> tuple[float, int, dict]:
    """Logged contacts per second with `processes` terminals writing at once (each on its own open leads),
    and how many of their saves failed, by kind."""
    from carcrm_tui.store import db

    source = db.open_read_only(url)
    try:
        rows = source.execute_sql(
            "SELECT a.name, l.id FROM account a JOIN lead l ON l.owner_id = a.id AND l.status = 'open' "
            "WHERE a.role = 'consultant' ORDER BY a.id, l.id").fetchall()
    finally:
        source.close()
    by_owner: dict[str, list[int]] = {}
    for name, lead in rows:
        by_owner.setdefault(name, []).append(lead)
    names = sorted(by_owner)
    jobs = []
    for i in range(processes):  # terminals of the same consultant work on different leads
        name = names[i % len(names)]
        turn = i // len(names)
        leads = by_owner[name][turn * 5:(turn + 1) * 5] or by_owner[name][:5]
        jobs.append((name, ",".join(map(str, leads))))
    procs = [subprocess.Popen([sys.executable, "-c", COUNTING_WRITER, url, name, leads, str(each)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for name, leads in jobs]
    for p in procs:
        p.stdout.readline()  # connected and ready
    t = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else
                       {"ok": 0, "failed": each, "kinds": {"crashed": each}})
    seconds = time.perf_counter() - t
    kinds: dict[str, int] = {}
    for r in results:
        for k, n in r["kinds"].items():
            kinds[k] = kinds.get(k, 0) + n
    return sum(r["ok"] for r in results) / seconds, sum(r["failed"] for r in results), kinds


def measure_server(path: Path, runs: int) -> dict[str, float]:
    """The run.py measures on a server copy of `path` (same names, so the tables line up)."""
    import run  # bench/run.py's measuring helpers (a fresh import; it does not import this module back)

    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import board, search, today
    from carcrm_tui.services.session import open_session
    from carcrm_tui.store import db
    from carcrm_tui.store.models import Account

    name = f"carcrm_bench_{path.stem.replace('-', '_')}"
    url = fresh_database(name)
    r: dict[str, float] = {}
    try:
        r["copy-to this showroom (s)"] = copy_in(path, url)
        db.connect(url)
        consultant = open_session(None, Policy())
        manager = open_session(Account.get(Account.role == "manager").name, Policy())
        r["service: today (consultant)"] = run.median_ms(lambda: today.today(consultant), runs)
        for who, s in (("consultant", consultant), ("manager", manager)):
            def open_board(s=s):
                board.summary(s)
                for stage in s.policy.stages[:6]:
                    board.page(s, stage)
            r[f"service: board open ({who})"] = run.median_ms(open_board, runs)
        for who, sess in (("consultant", consultant), ("manager", manager)):
            r[f"search per keystroke, median ({who})"] = run.typing_ms(sess, search.search, runs)
            r[f"search per keystroke, worst ({who})"] = run.typing_ms(sess, search.search, runs, worst=True)
        db.close()
        rate, failed, _kinds = writers(url, 8, 300)
        r["8 writers: logged contacts per second"] = rate
        r["8 writers: failed saves"] = failed
        rate, failed, kinds = writers(url, 32, 100)
        r["32 writers: logged contacts per second"] = rate
        r["32 writers: failed saves"] = failed
        if kinds:
            print(f"32 writers on PostgreSQL, failures by kind: {kinds}", file=sys.stderr)
    finally:
        db.close()
        drop_database(name)
    return r


ROWS = ("copy-to this showroom (s)", "service: today (consultant)", "service: board open (consultant)",
        "service: board open (manager)", "search per keystroke, median (consultant)",
        "search per keystroke, worst (consultant)", "search per keystroke, median (manager)",
        "search per keystroke, worst (manager)", "8 writers: logged contacts per second", "8 writers: failed saves",
        "32 writers: logged contacts per second", "32 writers: failed saves")


def _cell(row: str, value: float | None) -> str:
    if value is None:
        return "—"
    if row.endswith("(s)"):
        return f"{value:.1f} s"
    if row.endswith(("per second", "failed saves")):
        return f"{value:,.0f}"
    return f"{value:.1f} ms"


def side_by_side(folder: Path, results: dict[int, dict[str, float]], sizes: list[int], runs: int) -> None:
    """The largest showroom of the run on the server too, printed beside its SQLite figures."""
    why = server_answers()
    if why:
        print(f"\nPostgreSQL not measured: {why}. Set CARCRM_BENCH_PG_URL to an admin URL.")
        return
    n = max(sizes)
    path = folder / f"demo-{n}.sqlite"
    print(f"\nmeasuring {n:,} customers on PostgreSQL (copy-to, then the same measures) …", file=sys.stderr)
    server = measure_server(path, runs)
    print(f"\n| measure ({n:,} customers) | SQLite file | PostgreSQL |")
    print("|---|---|---|")
    for row in ROWS:
        mine = results[n].get(row)
        if row == "8 writers: failed saves" and mine is None and "8 writers: logged contacts per second" in results[n]:
            mine = 0.0  # run.py's writers stop the run at the first failure: it got here, so none failed
        print(f"| {row} | {_cell(row, mine)} | {_cell(row, server.get(row))} |")
