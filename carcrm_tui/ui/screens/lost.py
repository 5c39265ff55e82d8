"""Mark a lead lost (战败): the reason is required, and for a competitor, which model."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Input, Static

from carcrm_tui.i18n import t
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar


class LostScreen(FormScreen):
    def __init__(self, *, title: str, policy, submit: Callable[[str, str], object]) -> None:
        super().__init__()
        self.title_text = title
        self.policy = policy
        self.submit = submit

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("lost.title")).append(" — ").append_text(plain(self.title_text)), id="form-title")
            yield Row("reason", ChoiceBar(code_options("lost", self.policy.lost_reasons), id="reason",
                                             required=True, numbered=True))
            yield Row("competitor", Input(placeholder=t("lost.competitor_hint"), id="competitor"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#reason", ChoiceBar).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        reason = self.query_one("#reason", ChoiceBar).value
        competitor = self.query_one("#competitor", Input).value
        ok, _ = self.attempt(self.submit, reason, competitor)
        if ok:
            self.dismiss(True)
