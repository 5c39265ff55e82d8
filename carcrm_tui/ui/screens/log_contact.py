"""Log a contact while making the call: the number, what was said last time, how it went.

`c` opens it on the record under the cursor. At the top, the number to call (in
full for the lead's own consultant unless privacy mode is on; ctrl+y copies it
to the terminal's clipboard with OSC 52, which works over SSH) and the last two
contacts. How the call went is chosen with one digit — there is no default,
so a call is never logged as "reached" because nobody chose — then the summary,
and ctrl+s (or Enter in a text field). The next follow-up defaults to the
grade's cadence (+1 day after no answer); quick choices sit one ↓ and a few → away.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.schedule import next_due
from carcrm_tui.domain.validation import Invalid, parse_date
from carcrm_tui.i18n import label, t
from carcrm_tui.services.views import ContactInput
from carcrm_tui.ui.format import local, phone_text
from carcrm_tui.ui.keymap import hint_keys
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar


def past_line(contact, policy) -> Text:
    """One earlier contact on one line: when, how, how it went, what was said, their feedback."""
    line = Text(f"{local(contact.at, policy, 'MM-DD HH:mm')} {label('channel', contact.channel)}", style="bold")
    if contact.outcome:
        line.append(" · " + label("outcome", contact.outcome), style="bold")
    line.append(t("sep.colon"))
    line.append_text(plain(contact.summary))
    if contact.feedback:
        line.append("  " + t("today.detail.feedback"), style="dim").append_text(plain(contact.feedback))
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


class LogContactScreen(FormScreen):
    BINDINGS = [Binding("ctrl+y", "copy_number", "key.copy_number", id="contact.copy", priority=True)]
    DEFAULT_CSS = """
    LogContactScreen #call { height: auto; }
    LogContactScreen #call-number { text-style: bold; }
    LogContactScreen .past { height: 1; color: $text-muted; }
    """

    def __init__(self, *, title: str, grade: str, policy, now, submit: Callable[[ContactInput], object],
                 channel: str = "phone", followup_id: int | None = None, sheet=None, privacy: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.grade = grade
        self.policy = policy
        self.now = now
        self.submit = submit
        self.channel = channel
        self.followup_id = followup_id
        self.sheet = sheet  # contacts.CallSheet: the number and the last two contacts
        self.privacy = privacy
        self._next_touched = False

    def _next_options(self, grade: str) -> list[tuple[str, str]]:
        due = next_due(grade, self.now, self.policy)
        cadence = t("contact.next_cadence", n=self.policy.cadence_days(grade), date=local(due, self.policy, "MM-DD"))
        return [
            ("cadence", cadence), ("1", t("contact.next_1d")), ("3", t("contact.next_3d")),
            ("7", t("contact.next_1w")), ("date", t("contact.next_date")), ("none", t("contact.next_none")),
        ]

    def number_text(self) -> Text:
        sheet = self.sheet
        if sheet is None or not (sheet.phone or sheet.phone_masked):
            return Text(t("contact.no_number"), style="dim")
        shown = sheet.phone_masked if self.privacy or not sheet.phone else phone_text(sheet.phone)
        text = Text(t("contact.call", number=shown), style="bold")
        if sheet.phone:
            text.append("  " + t("contact.copy_hint", **hint_keys(self.app)), style="dim")
        return text

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("contact.title")).append(" — ").append_text(plain(self.title_text)), id="form-title")
            with Vertical(id="call"):
                yield Static(self.number_text(), id="call-number")
                past = self.sheet.last if self.sheet is not None else ()
                if self.privacy and past:
                    yield Static(Text(t("contact.past_private"), style="dim"), classes="past")
                else:
                    for contact in past:
                        yield Static(past_line(contact, self.policy), classes="past")
                    if not past:
                        yield Static(Text(t("today.detail.no_contact"), style="dim"), classes="past")
            # a visit: they are standing in the showroom, so "reached" is a fact, not a guess
            yield Row("outcome", ChoiceBar(code_options("outcome", P.OUTCOMES),
                                           "reached" if self.channel == "visit" else None, numbered=True,
                                           required=True, id="outcome"))
            # not selected on focus: words typed ahead on the outcome are the summary's start
            yield Row("summary", Input(placeholder=t("contact.summary_hint"), id="summary", select_on_focus=False))
            yield Row("next", ChoiceBar(self._next_options(self.grade), id="next"))
            date = Input(placeholder=t("contact.date_hint"), id="next_date")
            date.display = False
            yield Row("next_date", date)
            yield Row("channel", ChoiceBar(code_options("channel", P.CHANNELS), self.channel, id="channel"))
            yield Row("feedback", Input(placeholder=t("contact.feedback_hint"), id="feedback"))
            yield Row("attitude", ChoiceBar(code_options("attitude", P.ATTITUDES, blank=True), "", id="attitude"))
            grades = [(g, g) for g in self.policy.grade_order]
            yield Row("grade", ChoiceBar(grades, self.grade, id="grade"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#row-next_date").display = False
        self.query_one("#summary" if self.channel == "visit" else "#outcome").focus()
        if self.sheet is not None and self.sheet.lead_status != "open":  # a won customer: no next sales call
            bar = self.query_one("#next", ChoiceBar)
            bar.value = "none"

    def on_choice_bar_chosen(self, event: ChoiceBar.Chosen) -> None:
        if event.bar.id == "outcome":
            self.query_one("#summary", Input).focus()

    def on_choice_bar_typed_ahead(self, event: ChoiceBar.TypedAhead) -> None:
        """Typing before choosing how it went: the words go into the summary, the outcome stays
        unchosen (saving asks for it)."""
        summary = self.query_one("#summary", Input)
        summary.focus()
        summary.insert_text_at_cursor(event.character)

    def on_choice_bar_changed(self, event: ChoiceBar.Changed) -> None:
        if event.bar.id == "next":
            self.query_one("#row-next_date").display = event.value == "date"
            self.query_one("#next_date", Input).display = event.value == "date"
            if self.query_one("#next").has_focus:
                self._next_touched = True
        elif event.bar.id == "outcome":
            self.query_one("#error-outcome", Static).remove_class("-shown")
            bar = self.query_one("#next", ChoiceBar)
            if not self._next_touched and bar.value in ("cadence", "1"):  # no answer: try again tomorrow
                bar.value = "1" if event.value == "no_answer" else "cadence"
        elif event.bar.id == "grade":
            bar = self.query_one("#next", ChoiceBar)
            bar.options = self._next_options(event.value)
            bar.refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_copy_number(self) -> None:
        """The number onto the terminal's clipboard (OSC 52: the user's own terminal, also over SSH)."""
        if self.sheet is None or not self.sheet.phone:
            self.message(t("contact.copy_not_owner", **hint_keys(self.app)))
            return
        number = self.sheet.phone
        self.app.copy_to_clipboard(number[3:] if number.startswith("+86") else number)  # what a phone dials
        self.message(t("contact.copied_private" if self.privacy else "contact.copied",
                       number=phone_text(self.sheet.phone)))

    def collect(self) -> ContactInput:
        choice = self.query_one("#next", ChoiceBar).value
        grade = self.query_one("#grade", ChoiceBar).value
        outcome = self.query_one("#outcome", ChoiceBar).value
        if not outcome:
            raise Invalid("choose_outcome", field="outcome")
        data = ContactInput(
            channel=self.query_one("#channel", ChoiceBar).value,
            summary=self.query_one("#summary", Input).value,
            feedback=self.query_one("#feedback", Input).value,
            attitude=self.query_one("#attitude", ChoiceBar).value,
            outcome=outcome,
            grade=grade if grade != self.grade else None,
            followup_id=self.followup_id,
        )
        if choice == "none":
            data.no_next = True
        elif choice == "date":
            today = self.now.in_timezone(self.policy.tz).date()
            try:
                data.next_on = parse_date(self.query_one("#next_date", Input).value, today=today)
            except Invalid as e:
                raise Invalid(e.code, field="next_date", **{k: v for k, v in e.params.items() if k != "field"}) from e
        elif choice != "cadence":
            data.next_in_days = int(choice)
        return data

    def action_save(self) -> None:
        try:
            data = self.collect()
        except Invalid as e:
            self.show_errors({e.params.get("field", "next_date"): e})  # focuses the field to fix
            return
        picked_date = self.query_one("#next", ChoiceBar).value == "date"
        ok, result = self.attempt(self.submit, data, fields={"next": "next_date"} if picked_date else None)
        if ok:
            self.dismiss(result)
