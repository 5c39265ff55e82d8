"""The Textual application: sign-in, idle lock, themes, language, palette, main screen.

A terminal is shared: the app starts at sign-in (unless the site trusts the OS
login), locks itself after the policy's idle minutes, and switching user
closes every screen of the previous person. Nothing but a sentence ever
reaches the screen when something breaks: control characters are filtered
from every line written, and an unexpected error ends the app with one line
and the details in the log file (a traceback shows local variables — a PIN,
a customer's number).
"""

from __future__ import annotations

import gc

import time
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette

from carcrm_tui.domain.policy import Policy
from carcrm_tui.i18n import set_language, t
from carcrm_tui.services import auth
from carcrm_tui.services.session import Session, system_clock
from carcrm_tui.ui.commands import ScreenCommands
from carcrm_tui.ui.keys import translate_bindings
from carcrm_tui.ui.screens.lock import LockScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.screens.sign_in import SignInScreen
from carcrm_tui.ui.filters import ControlFilter
from carcrm_tui.ui.live import LiveRefresh
from carcrm_tui.ui.no_color import plain_output
from carcrm_tui.ui.theme import load_themes, theme_problem_text
from carcrm_tui.ui.text import clean
from carcrm_tui.ui.type_ahead import TypeAhead

UNEXPECTED_EXIT = 5

IDLE_CHECK_SECONDS = 5
COLLECT_AFTER = 0.5  # seconds: the first screen and the panes behind it are built by then


def _collect_from_now_on() -> None:
    """The first screen is drawn: the garbage collector, off while `carcrm` started (cli.main),
    runs again; what start-up built lives as long as the app, so later passes skip it."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class CarCrmApp(LiveRefresh, TypeAhead, App):
    TITLE = "carcrm"
    COMMANDS = {ScreenCommands}
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "key.palette", id="palette", show=False, priority=True),
        Binding("ctrl+l", "lock", "key.lock", id="lock", show=False, priority=True),
        Binding("ctrl+o", "switch_user", "key.switch_user", id="switch_user", show=False, priority=True),
    ]

    def __init__(self, policy: Policy, *, session: Session | None = None, clock=system_clock,
                 language: str = "en", theme: str | None = None, user: str | None = None,
                 hint: str = "", keymap: dict[str, str] | None = None, site_themes: Path | None = None) -> None:
        """`session` given = already trusted (OS login); otherwise the app asks for a PIN."""
        set_language(language)  # before any widget is built: bindings translate on construction
        super().__init__()
        translate_bindings(self)
        self._filters.append(ControlFilter())  # the last step before the terminal
        self.policy = policy
        self.clock = clock
        self.session = session
        self.preselect = user
        self.hint = hint
        self.language = language
        self.last_activity = time.monotonic()
        self.theme_problems: list = []  # site theme files that could not be used: said once mounted
        for th in load_themes(site_themes, self.theme_problems).values():
            self.register_theme(th)
        wanted = theme or policy.theme
        self.theme = wanted if wanted in self.available_themes else Policy().theme
        if self.no_color:  # NO_COLOR: no colour codes at all, whatever the theme
            plain_output(self)
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.title = self.policy.dealership
        for problem in self.theme_problems:
            self.notify(clean(theme_problem_text(problem)), severity="warning", timeout=15, markup=False)
        self.call_later(self._first_screen)
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        self.start_live_refresh()  # PostgreSQL: the server tells of commits (SQLite terminals poll)

    def _first_screen(self) -> None:
        """Pushed once the app has started, not from on_mount: Textual holds its output for the whole
        of start-up (compose, mount, ready) and a screen laid out meanwhile had its first full frame
        thrown away — the terminal got the top and bottom bars, Today's list a frame (~20 ms) later."""
        self.set_timer(COLLECT_AFTER, _collect_from_now_on)
        if self.session is not None:
            self.push_screen(MainScreen(self.session))
        else:
            self.show_sign_in()

    # ---- who is at the keyboard -------------------------------------------
    def show_sign_in(self, message: str = "") -> None:
        def signed_in(account) -> None:
            self.session = Session(actor=account, policy=self.policy, clock=self.clock)
            self.last_activity = time.monotonic()
            self.push_screen(MainScreen(self.session))

        self.push_screen(
            SignInScreen(accounts=auth.signable_accounts(), dealership=self.policy.dealership,
                         sign_in=lambda name, pin: auth.sign_in(name, pin, self.clock(), self.policy),
                         preselect=self.preselect, hint=self.hint, policy=self.policy, message=message),
            signed_in,
        )

    def action_switch_user(self, message: str = "") -> None:
        """Close every screen of the current person and go back to sign-in — asking first when a
        form holds typing not yet saved (the lock screen keeps it; switching user does not)."""
        from carcrm_tui.ui.screens.form import FormScreen
        from carcrm_tui.ui.screens.process_forms import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        if not message and any(isinstance(s, FormScreen) and s.unsaved for s in self.screen_stack):
            self.push_screen(ConfirmScreen(title=t("switch.title"), text=t("switch.confirm"), submit=lambda: True,
                                           policy=self.policy),
                             lambda done: done and self._switch_user(""))
            return
        self._switch_user(message)

    def _switch_user(self, message: str) -> None:
        self.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.preselect = None
        self.show_sign_in(message)

    def session_ended(self) -> None:
        """The account was disabled or its role changed on another terminal: this session is over."""
        self._switch_user(t("signin.session_ended"))

    async def action_quit(self) -> None:
        """A signed-in shared terminal asks before it drops to the shell."""
        if self.session is None:
            self.exit()
            return
        from carcrm_tui.ui.screens.process_forms import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        self.push_screen(ConfirmScreen(title=t("quit.title"), text=t("quit.confirm"), submit=lambda: True,
                                       policy=self.policy),
                         lambda done: done and self.exit())

    def _handle_exception(self, error: Exception) -> None:
        """A bug: one sentence on exit, the traceback (without local variables) in the log, status 5."""
        from rich.text import Text

        from carcrm_tui import logs

        try:
            where = str(logs.record_exception(error, "the app stopped"))
            sentence = t("cli.unexpected", log=where)
        except Exception:
            sentence = t("cli.unexpected_no_log")
        self._return_code = UNEXPECTED_EXIT
        if self._exception is None:  # Pilot re-raises it in tests
            self._exception = error
            self._exception_event.set()
        self.bell()
        self._exit_renderables.append(Text(f"carcrm: {sentence}"))
        self._close_messages_no_wait()

    def action_lock(self) -> None:
        if self.session is None or isinstance(self.screen, (LockScreen, SignInScreen)):
            return
        name = self.session.actor.name
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.forget_reveals()  # whoever unlocks sees masked numbers again
        self.push_screen(LockScreen(name=name, policy=self.policy,
                                    unlock=lambda pin: auth.sign_in(name, pin, self.clock(), self.policy)))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_activity = time.monotonic()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        idle = time.monotonic() - self.last_activity
        if idle >= self.policy.idle_lock_minutes * 60:
            self.action_lock()

    def action_command_palette(self) -> None:
        if self.session is None or isinstance(self.screen, (LockScreen, SignInScreen)):
            return  # nothing to offer before sign-in, and nothing to leak while locked
        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("palette.placeholder")))


