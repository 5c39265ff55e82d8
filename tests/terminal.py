"""The real program in a pseudo-terminal: the exact bytes it writes, keys sent as a user types.

Pilot tests the app in-process through Textual's headless driver, which writes
nothing; what reaches a terminal (colour codes, the encoding) is only seen here.
Every wait is for a condition, with a timeout.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=$:]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78DEHM])")
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], size=(80, 24)) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a terminal of this size, then the program
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
            try:
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.output = b""
        self.last_read = time.monotonic()

    @classmethod
    def carcrm(cls, *args: str, env: dict[str, str], size=(80, 24)) -> "Terminal":
        return cls([sys.executable, "-m", "carcrm_tui", *args], env, size)

    def _read(self, seconds: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the program has ended
                data = b""
            if data:
                self.output += data
                self.last_read = time.monotonic()

    @property
    def text(self) -> str:
        """Everything written so far with the escape codes taken out."""
        return ESCAPES.sub(b"", self.output).decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the terminal showed:\n{self.text[-1500:]}")
            self._read(0.05)

    def settle(self, quiet: float = 0.4, timeout: float = 20) -> None:
        """Until the program has written nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last_read < quiet and time.monotonic() < deadline:
            self._read(0.05)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode("utf-8"))

    def close(self) -> None:
        """End the program this terminal started (its own pid only)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            self._read(0.05)  # keep draining, or a program blocked on a full terminal never exits
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def colour_codes(output: bytes) -> list[str]:
    """Every SGR parameter that sets a colour (30–49, 90–107, 38/48 with their arguments)."""
    found = []
    for params in SGR.findall(output):
        parts = [p for p in re.split(rb"[;:]", params) if p] or [b"0"]
        for p in parts:
            n = int(p)
            if 30 <= n <= 49 or 90 <= n <= 107:
                found.append(params.decode())
                break
    return found


def app_env(config: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM", "TEXTUAL_COLOR_SYSTEM",
                                                            "CARCRM_USER", "CARCRM_LANG")}
    return {**env, "CARCRM_CONFIG": config, "TERM": "xterm-256color", **extra}
