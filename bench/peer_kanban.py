#!/usr/bin/env python3
"""Benchmark kanban-tui (Textual kanban app on SQLite).

Usage:  VENV/bin/python bench/peer_kanban.py N [--runs 3] [--presses 20]   (in-process, Pilot)
        VENV/bin/python bench/peer_kanban.py N --seed-only   (bench/outside.py then runs `ktui` in tmux)

Prints ONE line of JSON to stdout (--seed-only: the version and the environment
that points `ktui` at the seeded board).

Isolation: all config / data paths are redirected into $KANBAN_BENCH_ROOT/data
*before* kanban_tui is imported (kanban_tui.constants creates its XDG dirs at
import time, and Settings.save() writes to $KANBAN_TUI_CONFIG_FILE if set).

"open" = wall time from constructing KanbanTui(...) and entering
app.run_test(size=(160, 50)) until ALL of:
  * the active screen is kanban_tui's BoardScreen,
  * the number of *mounted* TaskCard widgets on it == expected visible cards
    (N; all tasks are placed in the 3 visible default columns, none in the
    hidden "Archive" column),
  * a TaskCard has focus (KanbanBoard.get_first_card() has run, i.e. the
    board finished populate_board()).
Polled with `await pilot.pause(0.01)`. Fallback: if the mounted-card count
stops changing for STABLE_S seconds before reaching N, stop there and report
open_complete=false. Give up after OPEN_TIMEOUT_S -> "open_s": null.

"key" = per press: `await pilot.press("j"); await pilot.pause()` (j = KanbanBoard
"navigation down"; "down" is not used because the column's VerticalScroll binds
it for scrolling). Median over all presses of all runs. Breakdown fields:
key_press_ms (pilot.press part), key_pause_ms (pilot.pause part), and
idle_pause_ms (a bare pilot.pause() on the loaded board, no key: harness cost
that grows with widget count, since Pilot._wait_for_screen() round-trips a
callback through every widget and wait_for_idle() waits for CPU to go idle in
20 ms steps).
"baseline_key" = same press+pause on a trivial App with one focusable Button.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

BENCH_ROOT = Path(os.environ.get("KANBAN_BENCH_ROOT", "/tmp/kanban-bench"))
DATA_DIR = BENCH_ROOT / "data"
CONFIG_FILE = DATA_DIR / "config.toml"
DB_FILE = DATA_DIR / "kanban_tui.db"

OPEN_TIMEOUT_S = 120.0
STABLE_S = 5.0
KEY = "j"
SIZE = (160, 50)


def _isolate_env() -> None:
    # Fresh data dir every invocation.
    if DATA_DIR.exists():
        shutil.rmtree(DATA_DIR)
    DATA_DIR.mkdir(parents=True)
    os.environ["XDG_CONFIG_HOME"] = str(DATA_DIR / "xdg_config")
    os.environ["XDG_DATA_HOME"] = str(DATA_DIR / "xdg_data")
    os.environ["KANBAN_TUI_CONFIG_FILE"] = str(CONFIG_FILE)
    os.environ["KANBAN_TUI_DATABASE_FILE"] = str(DB_FILE)
    os.environ["KANBAN_TUI_AUTH_FILE"] = str(DATA_DIR / "authentication.toml")
    # pydantic-settings also reads env vars named after top-level fields.
    for var in ("BOARD", "TASK", "BACKEND", "board", "task", "backend"):
        os.environ.pop(var, None)


_isolate_env()

from importlib.metadata import version as pkg_version  # noqa: E402

import kanban_tui.constants as kt_constants  # noqa: E402

assert str(kt_constants.CONFIG_DIR).startswith(str(DATA_DIR)), kt_constants.CONFIG_DIR
assert str(kt_constants.DATA_DIR).startswith(str(DATA_DIR)), kt_constants.DATA_DIR

from textual.app import App  # noqa: E402
from textual.widgets import Button  # noqa: E402

from kanban_tui.app import KanbanTui  # noqa: E402
from kanban_tui.backends.sqlite.backend import SqliteBackend  # noqa: E402
from kanban_tui.config import SqliteBackendSettings, init_config  # noqa: E402
from kanban_tui.screens.board_screen import BoardScreen  # noqa: E402
from kanban_tui.widgets.task_card import TaskCard  # noqa: E402


def seed(n: int) -> tuple[int, float]:
    """Create config, DB, one board with default columns and n tasks.

    kanban-tui has no bulk task-insert API: SqliteBackend.create_new_task()
    opens a connection, inserts one row and commits, per task.
    Returns (expected visible card count, seconds taken).
    """
    t0 = time.perf_counter()
    init_config(config_path=str(CONFIG_FILE), database=str(DB_FILE))
    backend = SqliteBackend(SqliteBackendSettings(database_path=str(DB_FILE)))
    board = backend.create_new_board(name="Bench", icon=":sparkles:", column_dict=None)
    assert board.board_id == 1, board  # config default active_board_id == 1
    columns = [c for c in backend.get_columns(board_id=board.board_id) if c.visible]
    for i in range(n):
        col = columns[i % len(columns)]
        backend.create_new_task(
            title=f"Task {i}",
            description=f"Description of task {i}",
            column=col.column_id,
        )
    return n, time.perf_counter() - t0


def _mounted_cards(app: App) -> int:
    screen = app.screen
    if not isinstance(screen, BoardScreen):
        return 0
    return sum(1 for c in screen.query(TaskCard) if c.is_mounted)


async def one_run(expected: int, presses: int) -> dict:
    res: dict = {"open_s": None, "open_complete": False, "key_ms": [], "key_effective": None,
                 "press_ms": [], "pause_ms": [], "idle_pause_ms": []}
    t0 = time.perf_counter()
    app = KanbanTui(config_path=str(CONFIG_FILE), database_path=str(DB_FILE))
    async with app.run_test(size=SIZE) as pilot:
        last_count, last_change = -1, time.perf_counter()
        while True:
            await pilot.pause(0.01)
            now = time.perf_counter()
            count = _mounted_cards(app)
            if count != last_count:
                last_count, last_change = count, now
            if count == expected and isinstance(app.focused, TaskCard):
                res["open_s"] = now - t0
                res["open_complete"] = True
                break
            if count > 0 and now - last_change >= STABLE_S:
                res["open_s"] = last_change - t0
                break
            if now - t0 > OPEN_TIMEOUT_S:
                break
        res["cards_seen"] = last_count
        if res["open_s"] is None or expected == 0:
            app.exit()
            return res
        # Harness cost on this widget tree with no key: pilot.pause() alone.
        for _ in range(5):
            k0 = time.perf_counter()
            await pilot.pause()
            res["idle_pause_ms"].append((time.perf_counter() - k0) * 1000)
        start_focus = app.focused
        for _ in range(presses):
            k0 = time.perf_counter()
            await pilot.press(KEY)
            k1 = time.perf_counter()
            await pilot.pause()
            k2 = time.perf_counter()
            res["key_ms"].append((k2 - k0) * 1000)
            res["press_ms"].append((k1 - k0) * 1000)
            res["pause_ms"].append((k2 - k1) * 1000)
        res["key_effective"] = app.focused is not start_focus
        app.exit()
    return res


class _Trivial(App):
    def compose(self):
        yield Button("only")

    def on_mount(self):
        self.query_one(Button).focus()


async def baseline_run(presses: int) -> list[float]:
    out = []
    app = _Trivial()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(presses):
            k0 = time.perf_counter()
            await pilot.press(KEY)
            await pilot.pause()
            out.append((time.perf_counter() - k0) * 1000)
    return out


def _median(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 4) if xs else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--presses", type=int, default=20)
    ap.add_argument("--seed-only", action="store_true", help="seed the board, print the environment for ktui")
    args = ap.parse_args()
    if args.seed_only:
        _, seed_s = seed(args.n)
        env = {name: os.environ[name] for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "KANBAN_TUI_CONFIG_FILE",
                                                   "KANBAN_TUI_DATABASE_FILE", "KANBAN_TUI_AUTH_FILE")}
        sys.stdout.write(json.dumps({"version": pkg_version("kanban-tui"), "seed_s": round(seed_s, 3), "env": env}) + "\n")
        return

    result = {
        "cards": args.n,
        "open_s": None,
        "key_ms": None,
        "baseline_key_ms": None,
        "kanban_tui_version": pkg_version("kanban-tui"),
        "textual_version": pkg_version("textual"),
    }

    # Hard watchdog: if the event loop is blocked and nothing returns, still
    # emit one JSON line and exit.
    hard_limit = args.runs * (OPEN_TIMEOUT_S + 120) + 300

    def _watchdog():
        time.sleep(hard_limit)
        result["error"] = f"hard timeout after {hard_limit:.0f}s"
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        os._exit(2)

    threading.Thread(target=_watchdog, daemon=True).start()

    t_start = time.perf_counter()
    try:
        expected, seed_s = seed(args.n)
        result["seed_s"] = round(seed_s, 3)
        runs = []
        for _ in range(args.runs):
            runs.append(asyncio.run(one_run(expected, args.presses)))
        opens = [r["open_s"] for r in runs]
        result["open_s"] = _median(opens) if all(o is not None for o in opens) else None
        result["open_runs_s"] = [None if o is None else round(o, 4) for o in opens]
        result["open_complete"] = all(r["open_complete"] for r in runs)
        result["cards_seen"] = [r["cards_seen"] for r in runs]
        all_keys = [k for r in runs for k in r["key_ms"]]
        result["key_ms"] = _median(all_keys)
        for f in ("press_ms", "pause_ms", "idle_pause_ms"):
            result["key_" + f if f != "idle_pause_ms" else f] = _median([x for r in runs for x in r[f]])
        result["key_effective"] = all(r["key_effective"] for r in runs if r["key_ms"])
        base = []
        for _ in range(args.runs):
            base += asyncio.run(baseline_run(args.presses))
        result["baseline_key_ms"] = _median(base)
    except Exception as exc:  # report, don't crash without JSON
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["total_s"] = round(time.perf_counter() - t_start, 2)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
