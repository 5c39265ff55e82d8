"""Log a contact in one step: what happened, and when to call next.

Routine call: `c`, type the summary, ctrl+s — the channel defaults to phone,
the outcome to reached and the next follow-up to the grade's cadence. Quick
choices (+1 day, +3 days, +1 week, a date) sit one ↓ and a few → away.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Input, Static

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.schedule import next_due
from carcrm_tui.domain.validation import Invalid, parse_date
from carcrm_tui.i18n import t
from carcrm_tui.services.views import ContactInput
from carcrm_tui.ui.format import local
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar


class LogContactScreen(FormScreen):
    def __init__(self, *, title: str, grade: str, policy, now, submit: Callable[[ContactInput], object],
                 channel: str = "phone", followup_id: int | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.grade = grade
        self.policy = policy
        self.now = now
        self.submit = submit
        self.channel = channel
        self.followup_id = followup_id

    def _next_options(self, grade: str) -> list[tuple[str, str]]:
        due = next_due(grade, self.now, self.policy)
        cadence = t("contact.next_cadence", n=self.policy.cadence_days(grade), date=local(due, self.policy, "MM-DD"))
        return [
            ("cadence", cadence), ("1", t("contact.next_1d")), ("3", t("contact.next_3d")),
            ("7", t("contact.next_1w")), ("date", t("contact.next_date")), ("none", t("contact.next_none")),
        ]

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("contact.title")).append(" — ").append_text(plain(self.title_text)), id="form-title")
            yield Row("summary", Input(placeholder=t("contact.summary_hint"), id="summary"))
            yield Row("next", ChoiceBar(self._next_options(self.grade), id="next"))
            date = Input(placeholder=t("contact.date_hint"), id="next_date")
            date.display = False
            yield Row("next_date", date)
            yield Row("channel", ChoiceBar(code_options("channel", P.CHANNELS), self.channel, id="channel"))
            yield Row("outcome", ChoiceBar(code_options("outcome", P.OUTCOMES), "reached", id="outcome"))
            yield Row("feedback", Input(placeholder=t("contact.feedback_hint"), id="feedback"))
            yield Row("attitude", ChoiceBar(code_options("attitude", P.ATTITUDES, blank=True), "", id="attitude"))
            grades = [(g, g) for g in self.policy.grade_order]
            yield Row("grade", ChoiceBar(grades, self.grade, id="grade"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#row-next_date").display = False
        self.query_one("#summary", Input).focus()

    def on_choice_bar_changed(self, event: ChoiceBar.Changed) -> None:
        if event.bar.id == "next":
            self.query_one("#row-next_date").display = event.value == "date"
            self.query_one("#next_date", Input).display = event.value == "date"
        elif event.bar.id == "grade":
            bar = self.query_one("#next", ChoiceBar)
            bar.options = self._next_options(event.value)
            bar.refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def collect(self) -> ContactInput:
        choice = self.query_one("#next", ChoiceBar).value
        grade = self.query_one("#grade", ChoiceBar).value
        data = ContactInput(
            channel=self.query_one("#channel", ChoiceBar).value,
            summary=self.query_one("#summary", Input).value,
            feedback=self.query_one("#feedback", Input).value,
            attitude=self.query_one("#attitude", ChoiceBar).value,
            outcome=self.query_one("#outcome", ChoiceBar).value,
            grade=grade if grade != self.grade else None,
            followup_id=self.followup_id,
        )
        if choice == "none":
            data.no_next = True
        elif choice == "date":
            today = self.now.in_timezone(self.policy.tz).date()
            data.next_on = parse_date(self.query_one("#next_date", Input).value, today=today)
        elif choice != "cadence":
            data.next_in_days = int(choice)
        return data

    def action_save(self) -> None:
        try:
            data = self.collect()
        except Invalid as e:
            self.show_errors({"next_date": e})
            return
        picked_date = self.query_one("#next", ChoiceBar).value == "date"
        ok, result = self.attempt(self.submit, data, fields={"next": "next_date"} if picked_date else None)
        if ok:
            self.dismiss(result)


