"""`make bench`: how carcrm scales from 1,000 to 100,000 customers.

Builds the demo showroom at both sizes and prints one table; every figure is
the median of several runs, measured in this run on this machine. CI never
times anything: targets live here, not in unit tests.

    python bench/run.py [--sizes 1000,100000] [--runs 5] [--keep DIR] [--trials 40] [--kanban 1000]

Two tables: where the time goes (in-process, per size), and what a person waits
for, measured from outside in tmux (bench/outside.py) at the largest size, with
Textual's own DataTable, a hello-world app and kanban-tui in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable

import pendulum

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carcrm_tui.demo.build import build  # noqa: E402

# a fresh interpreter: the app for the consultant (argv: database, name), up to Today's rows
TO_TODAY = textwrap.dedent('''
    import asyncio, json, statistics, sys, time
    t0 = time.perf_counter()
    import gc; gc.disable()  # as `carcrm` starts (cli.main); the app turns it back on after its first screen
    from carcrm_tui import cli; cli._without_postgres_driver()
    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services.session import open_session
    from carcrm_tui.store import db
    from carcrm_tui.ui.app import CarCrmApp
    from carcrm_tui.ui.widgets.today import TodayTable
    db.connect(sys.argv[1])
    policy = Policy()
    app = CarCrmApp(policy, session=open_session(sys.argv[2] or None, policy), language="zh")
    async def until_today(pilot):
        while not app.screen.query(TodayTable) or not app.screen.query_one(TodayTable).row_count:
            await pilot.pause(0.005)
''')
# cold start: drawn and idle, as the hello-world app is
COLD = TO_TODAY + textwrap.dedent('''
    async def main():
        async with app.run_test(size=(160, 50)) as pilot:
            await until_today(pilot)
            await pilot.pause()
            print(json.dumps({"start": time.perf_counter() - t0}))
    asyncio.run(main())
''')
# the board and memory
STARTUP = TO_TODAY + textwrap.dedent('''
    from carcrm_tui.ui.widgets.board import BoardView
    out = {}
    async def main():
        async with app.run_test(size=(160, 50)) as pilot:
            await until_today(pilot)
            while not app.screen.panes_ready:  # the other panes mount behind Today's first paint
                await pilot.pause(0.005)
            # time our own work (query + layout + drawing the visible lines); a Pilot
            # key press adds ~80 ms of harness overhead even to an empty app
            t = time.perf_counter()
            app.screen.show_pane("board")  # summary query + state
            loaded = time.perf_counter() - t
            await pilot.pause()  # let Textual lay the board out (not timed)
            board = app.screen.query_one(BoardView)
            board.load(board.summary, board.now)  # drop the page cache: a cold draw fetches pages
            t = time.perf_counter()
            for y in range(board.size.height):  # the line API: every line of a first draw
                board.render_line(y)
            out["board_open"] = loaded + time.perf_counter() - t
            await pilot.pause()
            keys = []
            moves = [("card", 1)] * 15 + [("column", 1), ("card", 1), ("card", 1), ("column", -1)] * 5
            for action, step in moves:
                before = dict(board._painted)
                t = time.perf_counter()
                getattr(board, f"action_{action}")(step)  # works out which lines changed
                for y in range(board.size.height):
                    if board._line_key(y) != before.get(y):
                        board.render_line(y)  # and draws only those
                keys.append(time.perf_counter() - t)
                await pilot.pause()
            out["key"] = statistics.median(keys)
    asyncio.run(main())
    # VmHWM: this process's own peak (ru_maxrss would carry the bench parent's peak across fork)
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    out["rss_mb"] = int(hwm) / 1024
    print(json.dumps(out))
''')
HELLO = textwrap.dedent('''
    import json, time
    t0 = time.perf_counter()
    from textual.app import App
    from textual.widgets import Label
    class Hello(App):
        def compose(self):
            yield Label("hello")
    app = Hello()
    async def main():
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            print(json.dumps({"start": time.perf_counter() - t0}))
    import asyncio; asyncio.run(main())
''')


def cold_start(path: Path, name: str, runs: int) -> tuple[float, float]:
    """Median seconds to an interactive Today and to a hello-world Textual app.

    The two start alternately, so both see the same machine; a shared VM's
    noise would otherwise decide the ratio.
    """
    app, hello = [], []
    for _ in range(runs):
        hello.append(subprocess_runs(HELLO, runs=1)["start"])
        app.append(subprocess_runs(COLD, str(path), name, runs=1)["start"])
    return statistics.median(app), statistics.median(hello)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def subprocess_runs(code: str, *args: str, runs: int) -> dict[str, float]:
    """Median of each figure over fresh processes (peak memory: the maximum)."""
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: (max if k == "rss_mb" else statistics.median)(s[k] for s in samples) for k in samples[0]}


# what people type into the search box, one keystroke at a time
TYPED = ["1", "13", "138", "1380", "13800", "5", "56", "567", "5678", "z", "zh", "zha", "zhan", "zhang",
         "zw", "张", "张伟", "王芳", "欧阳", "汉", "Model", "试驾", "年底"]


def typing_ms(session, search_fn, runs: int, worst: bool = False) -> float:
    per_key = []
    for _ in range(max(1, runs // 2)):
        for text in TYPED:
            t = time.perf_counter()
            search_fn(session, text)
            per_key.append((time.perf_counter() - t) * 1000)
    return max(per_key) if worst else statistics.median(per_key)


WRITER = textwrap.dedent('''
    import sys, time
    import pendulum
    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import accounts, contacts
    from carcrm_tui.services.session import Session
    from carcrm_tui.services.views import ContactInput
    from carcrm_tui.store import db
    db.connect(sys.argv[1])
    s = Session(actor=accounts.find(sys.argv[2]), policy=Policy(), clock=lambda: pendulum.now("UTC"))
    lead, n = int(sys.argv[3]), int(sys.argv[4])
    print("ready", flush=True)
    sys.stdin.readline()  # every terminal starts logging at once
    for i in range(n):
        contacts.log_contact(s, lead, ContactInput(summary=f"bench {i}"))
    print(time.time(), flush=True)
''')


def writers_per_second(path: Path, processes: int = 8, each: int = 300) -> float:
    """Logged contacts per second with `processes` terminals writing at once (on a copy).

    Each writer starts, connects and signs in first; the clock runs from the moment all
    of them are told to go until the last one has logged its `each` contacts (an app
    terminal is already running when a person logs a call).
    """
    import shutil
    import sqlite3

    copy = path.with_name(path.stem + "-writers.sqlite")
    shutil.copy(path, copy)
    con = sqlite3.connect(copy)
    pairs = con.execute(
        "SELECT a.name, MIN(l.id) FROM account a JOIN lead l ON l.owner_id = a.id AND l.status = 'open' "
        "WHERE a.role = 'consultant' GROUP BY a.id ORDER BY a.id LIMIT ?", (processes,)).fetchall()
    con.close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(copy), name, str(lead), str(each)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for name, lead in (pairs * processes)[:processes]]
    for p in procs:
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a writer failed to start")
    go = time.time()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    ends = [float(p.stdout.readline() or "nan") for p in procs]
    if any(p.wait() != 0 for p in procs) or any(end != end for end in ends):
        raise SystemExit("a writer failed")
    rate = processes * each / (max(ends) - go)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return rate


SAVER = textwrap.dedent('''
    import os, sys, time
    import pendulum
    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import accounts, contacts
    from carcrm_tui.services.session import Session
    from carcrm_tui.services.views import ContactInput
    from carcrm_tui.store import db
    db.connect(sys.argv[1])
    s = Session(actor=accounts.find(sys.argv[2]), policy=Policy(), clock=lambda: pendulum.now("UTC"))
    print("ready", flush=True)
    while not os.path.exists(sys.argv[4]):
        t = time.perf_counter()
        contacts.log_contact(s, int(sys.argv[3]), ContactInput(summary="saved during the import"))
        print(f"{(time.perf_counter() - t) * 1000:.1f}", flush=True)
        time.sleep(0.05)
''')


def import_seconds(path: Path, rows: int = 10_000, saver: bool = False) -> tuple[float, float | None]:
    """Import a dealer sheet of `rows` new customers (each with its contact and next date) into a copy of
    `path`; with `saver`, another terminal logs a contact every 50 ms meanwhile and the longest wait
    of its saves is returned too (ms)."""
    import csv
    import random
    import shutil
    import sqlite3

    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import importing
    from carcrm_tui.services.session import open_session
    from carcrm_tui.store import db
    from carcrm_tui.store.models import Account

    copy = path.with_name(path.stem + "-import.sqlite")
    shutil.copy(path, copy)
    sheet = path.with_name(f"sheet-{rows}.csv")
    rng = random.Random(3)
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["客户姓名", "联系电话", "客户来源", "客户级别", "意向车型", "购车预算", "购车紧急程度", "跟进日期",
                    "跟进方式", "沟通内容摘要", "下次跟进时间"])
        for i in range(rows):
            w.writerow([rng.choice("王李张刘陈杨") + rng.choice("伟芳娜敏静丽强磊") + rng.choice(("", "军", "华")),
                        f"147{i:08d}", rng.choice(("展厅自然到店", "汽车之家", "抖音", "老客户介绍")), rng.choice("HABC"),
                        rng.choice(("汉", "宋PLUS", "Model Y")), rng.choice(("20-25万", "20万左右", "30W+")),
                        rng.choice(("近期", "中期", "远期")), "2026-03-01 14:30", "电话沟通", "电话沟通，客户关注落地价",
                        "2026/12/1"])
    con = sqlite3.connect(copy)
    name, lead = con.execute("SELECT a.name, MIN(l.id) FROM account a JOIN lead l ON l.owner_id = a.id "
                             "AND l.status = 'open' WHERE a.role = 'consultant' GROUP BY a.id LIMIT 1").fetchone()
    con.close()
    stop = path.with_name("saver.stop")
    stop.unlink(missing_ok=True)
    proc = None
    if saver:
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(copy), name, str(lead), str(stop)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()
    db.connect(copy)
    session = open_session(Account.get(Account.role == "manager").name, Policy())
    t = time.perf_counter()
    report = importing.import_file(session, sheet)
    seconds = time.perf_counter() - t
    db.close()
    longest = None
    if proc is not None:
        stop.touch()
        waits = [float(x) for x in proc.communicate()[0].split()]
        longest = max(waits) if waits else None
        stop.unlink(missing_ok=True)
    assert not report.rejected_rows and report.created + report.updated == rows, report.problems[:3]
    for p in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm"), sheet, Path(f"{copy}.schema-v5.bak")):
        p.unlink(missing_ok=True)
    return seconds, longest


def measure(path: Path, runs: int) -> dict[str, float]:
    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import board, search, today
    from carcrm_tui.services.session import open_session
    from carcrm_tui.store import db
    from carcrm_tui.store.models import Account
    
    db.connect(path)
    consultant = open_session(None, Policy())
    manager = open_session(Account.get(Account.role == "manager").name, Policy())
    r: dict[str, float] = {}
    r["service: today (consultant)"] = median_ms(lambda: today.today(consultant), runs)
    for who, s in (("consultant", consultant), ("manager", manager)):
        def open_board(s=s):
            board.summary(s)
            for stage in s.policy.stages[:6]:
                board.page(s, stage)
        r[f"service: board open ({who})"] = median_ms(open_board, runs)
    for who, sess in (("consultant", consultant), ("manager", manager)):
        r[f"search per keystroke, median ({who})"] = typing_ms(sess, search.search, runs)
        r[f"search per keystroke, worst ({who})"] = typing_ms(sess, search.search, runs, worst=True)
    manager_name = manager.actor.name
    db.close()
    r["8 writers: logged contacts per second"] = writers_per_second(path)
    r["import 10,000 sheet rows (s)"] = import_seconds(path)[0]
    seconds, longest = import_seconds(path, 100_000, saver=True)
    r["import 100,000 sheet rows (s)"] = seconds
    r["longest wait of another terminal's save during it"] = longest
    app_runs = max(3, runs // 2)
    for who, name in (("consultant", consultant.actor.name), ("manager", manager_name)):
        ui = subprocess_runs(STARTUP, str(path), name, runs=app_runs)
        r[f"app: board open ({who})"] = ui["board_open"] * 1000
        r[f"app: key→repaint on board ({who})"] = ui["key"] * 1000
        r[f"app: peak RSS, {who} (MB)"] = ui["rss_mb"]
    start, hello = cold_start(path, consultant.actor.name, runs=max(9, runs))
    r["app: cold start to Today (s)"] = start
    r["hello-world Textual start (s)"] = hello
    return r


def outside(path: Path, folder: Path, trials: int, cards: int) -> dict:
    """The external probe (bench/outside.py) at this size: manager on the board, the consultant
    with the most work on Today, another terminal logging a call between some board opens."""
    sys.path.insert(0, str(ROOT / "bench"))
    import outside as probe

    from carcrm_tui.domain.policy import Policy
    from carcrm_tui.services import accounts, contacts, process
    from carcrm_tui.services.session import Session
    from carcrm_tui.services.views import ContactInput
    from carcrm_tui.store import db
    from carcrm_tui.store.models import Account, Lead

    db.connect(path)
    manager = Account.get(Account.role == "manager").name
    consultant = accounts.default_actor()
    lead = Lead.select(Lead.id).where((Lead.owner == consultant.id) & (Lead.status == "open")).first().id
    # a lead that moves on to the next stage and back with no form to fill in
    moving = Lead.select(Lead.id).where((Lead.owner == consultant.id) & (Lead.status == "open")
                                        & (Lead.stage == "needs")).scalar()
    db.close()

    def another_terminal(commit) -> Callable[[], None]:
        def run() -> None:
            db.connect(path)
            try:
                commit(Session(actor=consultant, policy=Policy(), clock=lambda: pendulum.now("UTC")))
            finally:
                db.close()
        return run

    def log_a_call(session) -> None:
        contacts.log_contact(session, lead, ContactInput(summary="make bench: another terminal"))

    def change_a_grade(session) -> None:
        row = Lead.get_by_id(lead)
        process.set_grade(session, lead, row.version, "C" if row.grade != "C" else "B", reason="make bench")

    def move_a_stage(session) -> None:
        row = Lead.get_by_id(moving)
        process.advance(session, moving, row.version, 1 if row.stage == "needs" else -1)

    changes = {"a call logged elsewhere": another_terminal(log_a_call),
               "a grade changed elsewhere": another_terminal(change_a_grade)}
    if moving is not None:
        changes["a stage moved elsewhere"] = another_terminal(move_a_stage)
    return probe.measure(path, manager, consultant.name, folder, trials=trials, kanban_cards=cards, changes=changes)


# (label, figure, reference, target ratio or None)
OUTSIDE_ROWS = (
    ("Textual DataTable, cursor key (the floor)", "floor", "floor", None),
    ("board key ↓↑, manager", "board key", "floor", 2.0),
    ("board key ←→, manager", "board column key", "floor", None),
    ("Today key ↓↑, consultant", "today key", "floor", 1.5),
    ("board open from Today, nothing changed since", "board open", "floor", 8.0),
    ("board open from Today, after a call logged elsewhere (those cards re-read)",
     "board open after a call logged elsewhere", "floor", 8.0),
    ("board open from Today, after a grade changed elsewhere (its column counted again)",
     "board open after a grade changed elsewhere", "floor", 8.0),
    ("board open from Today, after a stage moved elsewhere (both columns counted again)",
     "board open after a stage moved elsewhere", "floor", 8.0),
    ("board's first open after start (counted behind Today)", "board first open", "floor", 8.0),
    ("kanban-tui, 1,000 cards: key j/k", "kanban key", "floor", None),
    ("hello-world Textual: start → drawn", "hello start", "hello start", None),
    ("carcrm: start → Today drawn, manager", "carcrm start", "hello start", 1.6),
    ("kanban-tui, 1,000 cards: start → cards drawn", "kanban start", "hello start", None),
)


def outside_table(m: dict, n: int) -> None:
    print(f"\nFrom outside: tmux at 160×50, key → screen (final frame), {n:,} customers, medians of "
          f"{m['trials'].get('floor', 0)} floor keys taken turn about with the app's")
    print("| measure | median | × reference | target | met |")
    print("|---|---|---|---|---|")
    for label, key, ref, target in OUTSIDE_ROWS:
        if key not in m:
            continue
        seconds = key.endswith("start")
        value = f"{m[key]:.2f} s" if seconds else f"{m[key]:.1f} ms"
        ratio = m[key] / m[ref] if key != ref else 1.0
        ref_name = "hello-world" if ref == "hello start" else "floor"
        cells = [f"{ratio:.1f}× {ref_name}" if key != ref else "—",
                 f"≤ {target}×" if target else "", ("yes" if ratio <= target else "**no**") if target else ""]
        print(f"| {label} (n={m['trials'][key]}) | {value} | " + " | ".join(cells) + " |")
    if m.get("kanban_version"):
        print(f"\nkanban-tui {m['kanban_version']} from its own venv (bench/peer_kanban.py seeds the board).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="reuse/keep demo databases in this folder")
    parser.add_argument("--trials", type=int, default=40, help="external probe: key presses per measure")
    parser.add_argument("--kanban", type=int, default=1000, metavar="CARDS",
                        help="kanban-tui (installed in its own venv) with this many cards; 0 to skip")
    parser.add_argument("--only-outside", action="store_true", help="skip the in-process breakdown")
    parser.add_argument("--no-pg", action="store_true", help="leave PostgreSQL out (bench/pg.py)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="carcrm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        path = folder / f"demo-{n}.sqlite"
        if not path.exists():
            t = time.perf_counter()
            built = build(path, pendulum.now("UTC"), customers=n)
            print(f"built {n:,} customers / {built.followups:,} follow-ups in {time.perf_counter() - t:.1f} s",
                  file=sys.stderr)
        if not args.only_outside:
            results[n] = measure(path, args.runs)

    if results:
        print("In-process breakdown (where the time goes; medians)")
        rows = list(results[sizes[0]])
        header = "| measure | " + " | ".join(f"{n:,} customers" for n in sizes) + " |"
        print(header)
        print("|" + "---|" * (len(sizes) + 1))
        for row in rows:
            unit = "" if row.endswith(("(s)", "(MB)", "per second")) else " ms"
            cells = [f"{results[n][row]:.2f}" if row.endswith("(s)") else
                     f"{results[n][row]:,.0f}" if row.endswith("per second") else f"{results[n][row]:.1f}{unit}"
                     for n in sizes]
            print(f"| {row} | " + " | ".join(cells) + " |")
        start_ratio = [results[n]["app: cold start to Today (s)"] / results[n]["hello-world Textual start (s)"]
                       for n in sizes]
        print("| start ÷ hello-world | " + " | ".join(f"{x:.1f}×" for x in start_ratio) + " |")
        writers = results[sizes[-1]]["8 writers: logged contacts per second"]
        print(f"\n8 writers at {sizes[-1]:,} customers: {writers:,.0f} contacts/s (target ≥ 500, none failing): "
              f"{'met' if writers >= 500 else 'NOT met'}")
        if not args.no_pg:  # the largest showroom on a PostgreSQL server too, side by side
            import pg

            pg.side_by_side(folder, results, sizes, args.runs)
        pin_cost()
    n = sizes[-1]
    outside_table(outside(folder / f"demo-{n}.sqlite", folder, args.trials, args.kanban), n)
    return 0


def pin_cost(runs: int = 5) -> None:
    """What a stolen database costs a guesser: one PIN check at the site's scrypt cost, and every
    6-digit PIN (a manager's or admin's) tried on all of this machine's cores."""
    import os

    from carcrm_tui.services.auth import SITE_COST, hash_pin

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        hash_pin("486213", SITE_COST)
        times.append(time.perf_counter() - t)
    per_guess = sorted(times)[len(times) // 2]
    cores = os.cpu_count() or 1
    days = 10**6 * per_guess / cores / 86400
    print(f"\nPIN hash (scrypt n={SITE_COST['n']}, r={SITE_COST['r']}): {per_guess:.2f} s a guess; every 6-digit "
          f"PIN on this machine's {cores} cores: {days:.1f} days; every 4-digit PIN: {10**4 * per_guess / cores / 60:.0f} min")


if __name__ == "__main__":
    raise SystemExit(main())
