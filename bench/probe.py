"""Latency as a person sees it: apps run in tmux, a key goes in, the screen is read until it changes.

In-process timings miss Textual's compositor, the frame timer and the write to
the terminal. This probe sits where the person sits: each app runs in its own
tmux window at 160×50 (one private tmux server), keys go in with `send-keys`
and the screen comes back with `capture-pane -p -e` (colours included, so a
cursor that only changes colour counts), both through one tmux control-mode
connection, so a poll costs a fraction of a millisecond instead of a process.

    key → screen   send a key, poll until the screen differs from before it
    open           send a key, poll until the screen shows what was opened
    cold start     start the process, poll until its first screen is drawn
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
import subprocess
import time
from typing import Callable

SIZE = (160, 50)
POLL = 0.0005  # between two reads of the screen: enough to leave the apps the CPU
QUIET = 0.15  # the screen counts as settled once it has not changed for this long


class ProbeError(RuntimeError):
    pass


class Tmux:
    """One private tmux server and a control-mode client to it (no %output traffic)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.socket = f"carcrm-probe-{os.getpid()}"
        self.env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}
        width, height = SIZE
        self.windows: set[str] = set()
        self._buffer = b""
        self.client = None
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "probe", "-n", "idle", "-x", str(width),
                   "-y", str(height), "sleep 1000000")
        self.socket_path = self._tmux("display-message", "-p", "#{socket_path}").strip()
        try:
            # (window-size manual crashes tmux 3.3a once a control client attaches; a client
            # without a size does not resize windows anyway)
            for option in (("default-size", f"{width}x{height}"),
                           ("default-terminal", "tmux-256color"), ("escape-time", "0"), ("status", "off")):
                self._tmux("set-option", "-g", *option)
            self.client = subprocess.Popen(["tmux", "-L", self.socket, "-C", "attach-session", "-f", "no-output",
                                            "-t", "probe"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env, bufsize=0)
        except BaseException:
            self.close()
            raise

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True,
                              env=self.env).stdout

    def _line(self) -> bytes:
        while b"\n" not in self._buffer:
            chunk = os.read(self.client.stdout.fileno(), 1 << 16)
            if not chunk:
                raise ProbeError("tmux control client ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def command(self, command: str) -> list[str]:
        """Run one tmux command; its output lines (notifications in between are skipped)."""
        self.client.stdin.write(command.encode() + b"\n")
        return self._block(command)

    def _block(self, command: str) -> list[str]:
        while True:
            begin = self._line()
            if begin.startswith(b"%begin"):
                out: list[bytes] = []
                while not (line := self._line()).startswith((b"%end", b"%error")):
                    out.append(line)
                if begin.endswith(b" 0"):  # the attach's own reply, not one of ours
                    continue
                if line.startswith(b"%error"):
                    raise ProbeError(f"tmux: {command!r}: {b' '.join(out).decode(errors='replace')}")
                return [o.decode("utf-8", errors="replace") for o in out]

    # ---- windows ------------------------------------------------------------
    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        """A window running `argv` (replacing whatever ran there)."""
        command = self._command_line(argv, env)
        if name in self.windows:
            try:
                self.command(f"respawn-pane -k -t probe:{name} {shlex.quote(command)}")
                return
            except ProbeError:  # what ran there has ended and taken its window along
                self.windows.discard(name)
        self.command(f"new-window -d -t probe -n {name} {shlex.quote(command)}")
        self.windows.add(name)

    def _command_line(self, argv: list[str], env: dict[str, str] | None) -> str:
        assignments = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
        return " ".join(["exec", "env", *assignments, *map(shlex.quote, argv)])

    def blank(self, name: str) -> None:
        """Stop what runs in the window and wait for an empty screen."""
        self.start(name, ["sh", "-c", "clear; exec sleep 1000000"])
        self.wait(name, lambda screen: not screen.strip(), timeout=10)

    def screen(self, name: str) -> str:
        return "\n".join(self.command(f"capture-pane -p -e -t probe:{name}"))

    def text(self, name: str) -> str:
        return "\n".join(self.command(f"capture-pane -p -t probe:{name}"))

    def keys(self, name: str, *keys: str) -> None:
        self.command(f"send-keys -t probe:{name} " + " ".join(shlex.quote(k) for k in keys))

    def wait(self, name: str, done: Callable[[str], bool], timeout: float, plain: bool = False,
             start: float | None = None) -> float:
        """Seconds from `start` (default: now) until `done(screen)` holds; ProbeError after `timeout`."""
        start = time.perf_counter() if start is None else start
        read = self.text if plain else self.screen
        while True:
            screen = read(name)
            now = time.perf_counter()
            if done(screen):
                return now - start
            if now - start > timeout:
                raise ProbeError(f"{name}: the screen did not get there in {timeout:.0f} s:\n{self.text(name)}")
            time.sleep(POLL)

    def settle(self, name: str, quiet: float = QUIET, timeout: float = 30) -> str:
        """Wait until the screen has not changed for `quiet` seconds; the settled screen."""
        last, since, start = self.screen(name), time.perf_counter(), time.perf_counter()
        while time.perf_counter() - since < quiet:
            time.sleep(0.01)
            screen = self.screen(name)
            if screen != last:
                last, since = screen, time.perf_counter()
            if time.perf_counter() - start > timeout:
                break
        return last

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.stdin.close()
                self.client.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.client.kill()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        if self.socket_path:  # (tmux 3.3a leaves it behind when a control client was attached)
            Path(self.socket_path).unlink(missing_ok=True)

    def __enter__(self) -> "Tmux":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- measures ------------------------------------------------------------------
def key_to_screen(tmux: Tmux, name: str, key: str, timeout: float = 30) -> float:
    """Milliseconds from sending `key` until the screen shows its final frame.

    A full-screen repaint reaches tmux in several reads, so the first difference
    can be half a frame: the time counted is that of the last change before the
    screen stays still for QUIET seconds.
    """
    before = tmux.settle(name)
    start = time.perf_counter()
    tmux.keys(name, key)
    last, changed = before, None
    while True:
        screen = tmux.screen(name)
        now = time.perf_counter()
        if screen != last:
            last, changed = screen, now
        elif changed is not None and now - changed >= QUIET:
            return (changed - start) * 1000
        if now - start > timeout:
            raise ProbeError(f"{name}: key {key!r} changed nothing in {timeout:.0f} s:\n{tmux.text(name)}")
        time.sleep(POLL)


def key_to(tmux: Tmux, name: str, key: str, shown: Callable[[str], bool], timeout: float = 60) -> float:
    """Milliseconds from sending `key` until the (plain-text) screen satisfies `shown`."""
    tmux.settle(name)
    start = time.perf_counter()
    tmux.keys(name, key)
    return tmux.wait(name, shown, timeout, plain=True, start=start) * 1000


def cold_start(tmux: Tmux, name: str, argv: list[str], drawn: Callable[[str], bool],
               env: dict[str, str] | None = None, timeout: float = 120) -> float:
    """Seconds from starting the process (in a blank window) until `drawn(plain screen)` holds."""
    tmux.blank(name)
    start = time.perf_counter()
    tmux.start(name, argv, env)
    seconds = tmux.wait(name, drawn, timeout, plain=True, start=start)
    tmux.blank(name)
    return seconds

