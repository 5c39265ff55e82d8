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
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.screens.pin_check import PinCheck
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.keymap import hint_keys


class LockScreen(PinCheck, Translated, Screen):
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
        self.check_pin(self.unlock, event.value)

    def say(self, text: str) -> None:
        self.query_one("#lock-message", Static).update(Text(text))

    def pin_input(self) -> Input:
        return self.query_one("#pin", Input)

    def pin_accepted(self, account) -> None:
        self.dismiss(True)
