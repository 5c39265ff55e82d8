"""The log file: where details go so that screens only ever show a sentence.

A traceback on a shared showroom screen can show a customer's data, a PIN or a
database password, so the app and the CLI print one sentence and write the
details here — in the platform log directory (~/.local/state/carcrm/log on
Linux), private to the OS user (0600), with passwords blanked and without the
local variables a rich traceback would show.
"""

from __future__ import annotations

import logging
import os
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from carcrm_tui.store.faults import scrub

APP = "carcrm"
_handler: logging.Handler | None = None


def log_dir() -> Path:
    override = os.environ.get("CARCRM_LOG_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP))


def log_file() -> Path:
    return log_dir() / "carcrm.log"


class _PrivateFile(RotatingFileHandler):
    """Every log file (and each rotation) opened 0600, whatever the process umask."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # a file left by an older release with a looser mode is tightened
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


class _Scrubbed(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def setup(debug: bool = False) -> Path:
    """Send carcrm's (and, with --debug, peewee's) log records to the log file; once per process."""
    global _handler
    path = log_file()
    if _handler is None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _handler = _PrivateFile(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True)
        _handler.setFormatter(_Scrubbed("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger(APP)
        root.addHandler(_handler)
        root.propagate = False
    logging.getLogger(APP).setLevel(logging.DEBUG if debug else logging.INFO)
    if debug:
        peewee = logging.getLogger("peewee")
        peewee.addHandler(_handler)
        peewee.setLevel(logging.DEBUG)
    return path


def logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{APP}.{name}" if name else APP)


def record_exception(exc: BaseException, context: str = "") -> Path:
    """The exception's traceback (no local variables) into the log; returns the log's path."""
    path = setup()
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logger().error("%s\n%s", context or "unexpected error", text)
    try:
        _handler.flush()  # type: ignore[union-attr]
    except Exception:
        pass
    return path
