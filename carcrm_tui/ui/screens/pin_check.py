"""Checking a PIN off the UI thread, and through a busy database.

A PIN check costs half a second of scrypt by design, and the database may be
busy behind another terminal's long save: the screen stays responsive, says
what is happening, retries a busy database a few times by itself, and keeps
what was typed. Nothing of the attempt (least of all the PIN) ever reaches the
screen as an error dump.
"""

from __future__ import annotations

import time

from textual import work

from carcrm_tui.i18n import t
from carcrm_tui.services.auth import AccountLocked, SignInFailed
from carcrm_tui.services.errors import NotFound
from carcrm_tui.services.session import in_worker
from carcrm_tui.store.faults import StorageFault

BUSY_TRIES = 4
BUSY_PAUSE = 0.75  # seconds between tries of a busy database


class PinCheck:
    """Mixed into a screen with `say(text)`, `pin_input()` and `pin_accepted(account)`."""

    policy = None

    def check_pin(self, check, pin: str) -> None:
        """`check(pin)` returns the account or raises; runs on a worker."""
        field = self.pin_input()
        field.value = ""
        field.disabled = True
        self.say(t("signin.checking"))
        self._check(check, pin)

    @work(thread=True, exclusive=True, group="pin")
    def _check(self, check, pin: str) -> None:
        for attempt in range(BUSY_TRIES):
            try:
                account = in_worker(check, pin)
            except StorageFault as e:
                if e.kind in ("busy", "connection_lost") and attempt + 1 < BUSY_TRIES:
                    self.app.call_from_thread(self.say, t("signin.busy_retrying"))
                    time.sleep(BUSY_PAUSE * (attempt + 1))
                    continue
                self.app.call_from_thread(self._refused, t(f"error.storage.{e.kind}"), pin)
                return
            except SignInFailed as e:
                self.app.call_from_thread(self._refused, t("signin.wrong_pin", n=e.remaining))
                return
            except AccountLocked as e:
                until = e.until.in_timezone(self.policy.tz).format("HH:mm") if self.policy else str(e.until)
                self.app.call_from_thread(self._refused, t("signin.locked", until=until))
                return
            except NotFound:
                self.app.call_from_thread(self._refused, t("error.not_found"))
                return
            self.app.call_from_thread(self.pin_accepted, account)
            return

    def _refused(self, message: str, keep: str = "") -> None:
        """Say why; a storage fault gives the PIN back to the field so Enter tries again."""
        field = self.pin_input()
        field.disabled = False
        field.value = keep
        field.focus()
        self.say(message)
