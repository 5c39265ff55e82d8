"""The Textual application: themes, language, palette, and the main screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette

from carcrm_tui.i18n import set_language, t
from carcrm_tui.services.session import Session
from carcrm_tui.ui.commands import ScreenCommands
from carcrm_tui.ui.keys import translate_bindings
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.theme import load_themes


class CarCrmApp(App):
    TITLE = "carcrm"
    COMMANDS = {ScreenCommands}
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "key.palette", id="palette", show=False, priority=True),
    ]

    def __init__(self, session: Session, *, language: str = "en", theme: str | None = None,
                 keymap: dict[str, str] | None = None) -> None:
        set_language(language)  # before any widget is built: bindings translate on construction
        super().__init__()
        translate_bindings(self)
        self.session = session
        self.language = language
        for th in load_themes().values():
            self.register_theme(th)
        self.theme = theme or session.policy.theme
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.title = self.session.policy.dealership
        self.push_screen(MainScreen(self.session))

    def action_command_palette(self) -> None:
        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("palette.placeholder")))
