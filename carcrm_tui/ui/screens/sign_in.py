"""Sign-in on a shared terminal: type to find your name, then your PIN.

The screen holds no customer data; a wrong PIN says how many tries are left,
and a locked account says until when.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from carcrm_tui.i18n import label, t
from carcrm_tui.services.views import AccountView
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.screens.pin_check import PinCheck
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.keymap import hint_keys


class SignInScreen(PinCheck, Translated, Screen):
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen > #signin {
        width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; padding: 0 1; background: $surface;
    }
    SignInScreen #signin-title { text-style: bold; margin-bottom: 1; }
    SignInScreen Input { margin-bottom: 0; }
    SignInScreen OptionList { height: auto; max-height: 10; border: none; }
    SignInScreen #signin-message { color: $warning; height: auto; }
    SignInScreen #signin-hint { color: $text-muted; height: auto; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "back", "key.back", id="signin.back")]

    def __init__(self, *, accounts: list[AccountView], sign_in: Callable[[str, str], AccountView],
                 dealership: str, preselect: str | None = None, hint: str = "", policy=None,
                 message: str = "") -> None:
        super().__init__()
        self.accounts = accounts
        self.sign_in_fn = sign_in
        self.dealership = dealership
        self.chosen: str | None = preselect if any(a.name == preselect for a in accounts) else None
        self.hint = hint
        self.policy = policy
        self.first_message = message  # why we are back here (e.g. the account was disabled elsewhere)
        self._pinyin_keys: dict[str, str] = {}

    def compose(self):
        with Vertical(id="signin"):
            yield Static(Text(t("signin.title")).append(" · ").append_text(plain(self.dealership)), id="signin-title")
            yield Input(placeholder=t("signin.name_hint"), id="who", compact=True)
            yield OptionList(id="names")
            yield Input(placeholder=t("signin.pin_hint"), password=True, id="pin", compact=True)
            yield Static("", id="signin-message")
            yield Static(Text(self.hint or t("signin.keys", **hint_keys(self.app))), id="signin-hint")

    def on_mount(self) -> None:
        self._fill("")
        if self.first_message:
            self.say(self.first_message)
        if self.chosen:
            self._choose(self.chosen)
        else:
            self.query_one("#pin").display = False
            self.query_one("#who", Input).focus()

    def _fill(self, text: str) -> None:
        names = self.query_one("#names", OptionList)
        names.clear_options()
        needle = text.strip().lower()
        spelt = needle.isascii() and needle.isalpha()  # "li" or "ln" finds 李娜 by pinyin
        for a in self.accounts:
            if needle in a.name.lower() or (spelt and needle in self._pinyin(a.name)):
                line = plain(a.name, "bold").append(f"  {label('role', a.role)}", style="dim")
                names.add_option(Option(line, id=a.name))
        if names.option_count:
            names.highlighted = 0

    def _pinyin(self, name: str) -> str:
        """"lina ln" for 李娜, worked out on the first Latin letter typed (pypinyin loads then)."""
        keys = self._pinyin_keys.get(name)
        if keys is None:
            from carcrm_tui.domain.names import pinyin_keys

            keys = self._pinyin_keys[name] = pinyin_keys(name)
        return keys

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "who":
            self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "who":
            names = self.query_one("#names", OptionList)
            if names.option_count:
                self._choose(names.get_option_at_index(names.highlighted or 0).id)
            elif event.value.strip():
                self.say(t("signin.no_match", typed=event.value.strip()))
        elif event.input.id == "pin":
            self.try_pin(event.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def on_key(self, event) -> None:
        if event.key == "down" and self.focused and self.focused.id == "who":
            self.query_one("#names", OptionList).focus()
            event.stop()

    def _choose(self, name: str) -> None:
        self.chosen = name
        who = self.query_one("#who", Input)
        who.value = name
        self.query_one("#names").display = False
        pin = self.query_one("#pin", Input)
        pin.display = True
        pin.value = ""
        pin.focus()
        self.say(t("signin.enter_pin", name=name))

    def action_back(self) -> None:
        self.chosen = None
        self.query_one("#pin").display = False
        self.query_one("#names").display = True
        who = self.query_one("#who", Input)
        who.value = ""
        who.focus()
        self.say("")

    def say(self, text: str) -> None:
        self.query_one("#signin-message", Static).update(Text(text))

    def try_pin(self, pin: str) -> None:
        if not self.chosen:
            return
        name = self.chosen
        self.check_pin(lambda typed: self.sign_in_fn(name, typed), pin)

    def pin_input(self) -> Input:
        return self.query_one("#pin", Input)

    def pin_accepted(self, account) -> None:
        self.dismiss(account)
