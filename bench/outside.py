"""carcrm, the Textual floor and kanban-tui through one external probe (bench/probe.py), in one run.

Every app runs at once in its own tmux window at 160×50; trials take turns —
a DataTable key, then a carcrm key, then a DataTable key … — so the reference
and the app see the same machine, and each figure is a median over its
trials. Ratios are against the references measured here, never against an
old number.

    floor      Textual's DataTable (1,000 rows): ↓/↑ moves the row cursor
    hello      a hello-world Textual app: process start → "hello" on screen
    carcrm     signed in through the site's trusted OS login (no PIN screen), English
    kanban     kanban-tui with N cards (its own venv; see peer_kanban.py): j, and start → cards drawn
"""

from __future__ import annotations

import json
import os
import pwd
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Callable

from probe import ProbeError, Tmux, cold_start, key_to, key_to_screen

HERE = Path(__file__).resolve().parent

# what each screen shows once drawn (English)
TODAY_DRAWN = ("Why", "Quit")  # its list's last column heading (a group's may be scrolled off)
BOARD_DRAWN = ("New lead (", "Quote (", " · ¥")


def drawn(*parts: str) -> Callable[[str], bool]:
    return lambda screen: all(part in screen for part in parts)


MARK = "# make bench: this OS login is trusted as one demo account"


def trust_this_login(db: Path, account: str) -> None:
    """The site policy (in the database) trusts this OS login as `account`, as an SSH site does:
    the app opens without the PIN screen. Written by the demo's admin, like `carcrm policy set`."""
    import pendulum

    from carcrm_tui.services import accounts, site
    from carcrm_tui.store import db as store_db
    from carcrm_tui.store.models import Account

    store_db.connect(db)
    try:
        own = site.stored_text().split(MARK)[0].rstrip()  # the demo's policy, without an earlier run's block
        if "security" in tomllib.loads(own):
            raise SystemExit("the bench database's site policy has a [security] table; use a fresh demo")
        admin = accounts.find(Account.get(Account.role == "admin").name)
        login = pwd.getpwuid(os.getuid()).pw_name
        text = f"{own}\n\n{MARK}\n[security]\nos_users = {{ {json.dumps(login)} = {json.dumps(account)} }}\n"
        site.set_policy(admin, text.lstrip(), pendulum.now("UTC"))
    finally:
        store_db.close()


def carcrm_argv(db: Path) -> list[str]:
    return [sys.executable, "-m", "carcrm_tui", "--db", str(db), "--lang", "en"]


def med(xs: list[float]) -> float:
    return statistics.median(xs)


class Outside:
    def __init__(self, tmux: Tmux, db: Path, manager: str, consultant: str) -> None:
        self.tmux = tmux
        self.db = db
        self.manager = manager
        self.consultant = consultant
        self.argv = carcrm_argv(db)
        self.floor_step = 0
        self.out: dict[str, list[float]] = {}

    def add(self, label: str, value: float) -> None:
        self.out.setdefault(label, []).append(value)

    # ---- the apps ---------------------------------------------------------------
    def start_all(self) -> None:
        t = self.tmux
        t.start("floor", [sys.executable, str(HERE / "apps" / "datatable.py")])
        t.wait("floor", drawn("customer 1"), 60, plain=True)
        trust_this_login(self.db, self.consultant)
        t.start("consultant", self.argv)
        t.wait("consultant", drawn(*TODAY_DRAWN), 60, plain=True)
        trust_this_login(self.db, self.manager)  # from here on: the manager (the cold starts too)
        t.start("manager", self.argv)
        t.wait("manager", drawn(*TODAY_DRAWN), 60, plain=True)
        t.keys("manager", "2")
        t.wait("manager", drawn(*BOARD_DRAWN), 60, plain=True)
        time.sleep(1.5)  # the policy change is a commit: let both apps' live refresh pass

    def floor_key(self) -> None:
        """One reference key: ↓ five times, then ↑ five times, so the cursor stays near the top."""
        key = "Down" if self.floor_step % 10 < 5 else "Up"
        self.floor_step += 1
        self.add("floor", key_to_screen(self.tmux, "floor", key))

    # ---- trials -------------------------------------------------------------------
    def keys(self, trials: int) -> None:
        """Board (manager) ↓/↑ and ←/→, Today (consultant) ↓/↑, each after a floor key."""
        for i in range(trials):
            self.floor_key()
            self.add("board key", key_to_screen(self.tmux, "manager", "j" if i % 10 < 5 else "k"))
            self.floor_key()
            self.add("today key", key_to_screen(self.tmux, "consultant", "j" if i % 6 < 3 else "k"))
        for i in range(trials // 2):  # from the first column and back: every key moves
            self.floor_key()
            self.add("board column key", key_to_screen(self.tmux, "manager", "l" if i % 2 == 0 else "h"))

    def opens(self, trials: int, changes: dict[str, Callable[[], None]] | None = None) -> None:
        """The board opened from Today: as it was left (nothing committed since), and after
        another terminal committed each kind of change in `changes` (label → commit)."""
        kinds = [("board open", None), *((f"board open after {label}", fn) for label, fn in (changes or {}).items())]
        for i in range(trials):
            label, change = kinds[i % len(kinds)]
            key_to(self.tmux, "manager", "1", drawn(*TODAY_DRAWN))
            if change is not None:
                change()
                time.sleep(1.2)  # the live refresh (once a second) redraws Today first
            self.floor_key()
            self.add(label, key_to(self.tmux, "manager", "2", drawn(*BOARD_DRAWN)))

    def first_opens(self, trials: int) -> None:
        """The board's first open after carcrm started (the manager, a moment on Today first)."""
        for _ in range(trials):
            self.tmux.blank("first")
            self.tmux.start("first", self.argv)
            self.tmux.wait("first", drawn(*TODAY_DRAWN), 60, plain=True)
            time.sleep(1.0)  # a glance at Today
            self.floor_key()
            self.add("board first open", key_to(self.tmux, "first", "2", drawn(*BOARD_DRAWN)))
        self.tmux.blank("first")

    def cold_starts(self, trials: int) -> None:
        """carcrm (manager) from process start to Today drawn, turn about with hello-world."""
        hello = [sys.executable, str(HERE / "apps" / "hello.py")]
        for _ in range(trials):
            self.add("hello start", cold_start(self.tmux, "cold", hello, drawn("hello")))
            self.add("carcrm start", cold_start(self.tmux, "cold", self.argv, drawn(*TODAY_DRAWN)))


def kanban(tmux: Tmux, folder: Path, cards: int, keys: int, starts: int, floor: Callable[[], None],
           add: Callable[[str, float], None]) -> str | None:
    """kanban-tui with `cards` cards: start → cards drawn, and j; its version, or None if not measured."""
    venv = folder / "kanban-venv"
    python = venv / "bin" / "python"
    root = folder / "kanban"
    env = {"KANBAN_BENCH_ROOT": str(root)}
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", "kanban-tui"], check=True,
                           stderr=subprocess.DEVNULL)
        out = subprocess.run([str(python), str(HERE / "peer_kanban.py"), str(cards), "--seed-only"],
                             capture_output=True, text=True, check=True, env={**os.environ, **env}, timeout=1800)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        print(f"kanban-tui not measured: {e}", file=sys.stderr)
        return None
    seeded = json.loads(out.stdout.strip().splitlines()[-1])
    argv = [str(venv / "bin" / "ktui")]
    cards_drawn = drawn("Task ")
    try:
        for _ in range(starts):
            add("kanban start", cold_start(tmux, "kanban", argv, cards_drawn, env=seeded["env"], timeout=300))
        tmux.start("kanban", argv, seeded["env"])
        tmux.wait("kanban", cards_drawn, 300, plain=True)
        for i in range(keys):
            floor()
            add("kanban key", key_to_screen(tmux, "kanban", "j" if i % 10 < 5 else "k", timeout=60))
    except ProbeError as e:
        print(f"kanban-tui not measured: {e}", file=sys.stderr)
        return None
    tmux.blank("kanban")
    return seeded["version"]


def measure(db: Path, manager: str, consultant: str, folder: Path, *, trials: int = 40, kanban_cards: int = 1000,
            changes: dict[str, Callable[[], None]] | None = None) -> dict:
    """Medians (ms; starts in s) of every external measure, and the ratios against the references."""
    with Tmux() as tmux:
        o = Outside(tmux, db, manager, consultant)
        o.start_all()
        o.keys(trials)
        o.opens((1 + len(changes or {})) * max(9, trials // 3), changes)
        o.first_opens(max(9, trials // 4))
        o.cold_starts(max(9, trials // 4))
        version = None
        if kanban_cards:
            version = kanban(tmux, folder, kanban_cards, keys=10, starts=1, floor=o.floor_key, add=o.add)
    m = {label: med(xs) for label, xs in o.out.items()}
    m["trials"] = {label: len(xs) for label, xs in o.out.items()}
    m["kanban_version"] = version
    return m
