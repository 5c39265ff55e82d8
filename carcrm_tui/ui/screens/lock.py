"""The idle lock: a full screen that hides everything underneath.

The signed-in user's PIN removes it and they are exactly where they were, a
half-filled form included; anyone else switches user (ctrl+o), which closes
the previous person's screens for good.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from carcrm_tui.i18n import t
from carcrm_tui.services.auth import AccountLocked, SignInFailed
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.keymap import hint_keys


class LockScreen(Translated, Screen):
    DEFAULT_CSS = """
    LockScreen { align: center middle; background: $background; }
    LockScreen > #lock { width: 60; max-width: 100%; height: auto; border: round $warning; padding: 0 1; }
    LockScreen #lock-message { color: $warning; height: auto; }
    LockScreen #lock-keys { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, *, name: str, unlock: Callable[[str], object], policy) -> None:
        super().__init__()
        self.user_name = name
        self.unlock = unlock
        self.policy = policy

    def compose(self):
        with Vertical(id="lock"):
            yield Static(Text(t("lock.title"), style="bold"))
            yield Static(Text(t("lock.who")).append_text(plain(self.user_name, "bold")))
            yield Input(placeholder=t("signin.pin_hint"), password=True, id="pin", compact=True)
            yield Static("", id="lock-message")
            yield Static(Text(t("lock.keys", **hint_keys(self.app))), id="lock-keys")

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        pin = event.value
        event.input.value = ""
        message = self.query_one("#lock-message", Static)
        try:
            self.unlock(pin)
        except SignInFailed as e:
            message.update(Text(t("signin.wrong_pin", n=e.remaining)))
            return
        except AccountLocked as e:
            message.update(Text(t("signin.locked", until=e.until.in_timezone(self.policy.tz).format("HH:mm"))))
            return
        self.dismiss(True)
