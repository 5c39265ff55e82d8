"""New walk-in, phone first: a known number reopens the customer (a be-back)."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.validation import Invalid
from carcrm_tui.i18n import aside, listed, t
from carcrm_tui.services.views import PhoneMatch, VehicleView, WalkInInput
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar
from carcrm_tui.ui.keymap import hint_keys

DETAIL_ROWS = ("name", "gender", "vehicle", "urgency", "budget", "source", "summary")


class WalkInScreen(FormScreen):
    """Dismisses with ("known", customer_id), ("new", customer_id), ("colleague", owner name) or None."""

    def __init__(self, *, lookup: Callable[[str], PhoneMatch | None],
                 create: Callable[[WalkInInput], int], vehicles: list[VehicleView], policy,
                 same_name: Callable[[str], list] = lambda name: [],
                 colleague_be_back: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.same_name = same_name
        self.colleague_be_back = colleague_be_back
        self.colleague: PhoneMatch | None = None  # a colleague's customer walked in: record, tell the owner
        self.lookup = lookup
        self.create = create
        self.vehicles = vehicles
        self.policy = policy
        self.checked_phone: str | None = None
        self.colleague_phone = ""

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("walkin.title")), id="form-title")
            yield Row("phone", Input(placeholder=t("walkin.phone_hint"), id="phone"))
            yield Row("name", Input(id="name"))
            yield Static("", id="same-name")
            yield Row("gender", ChoiceBar(code_options("gender", ("m", "f"), blank=True), "", id="gender"))
            options = [(Text(v.label), v.id) for v in self.vehicles]
            yield Row("vehicle", Select(options, prompt=t("walkin.vehicle_prompt"), id="vehicle", compact=True))
            yield Row("urgency", ChoiceBar(code_options("urgency", P.URGENCIES, blank=True), "", id="urgency"))
            yield Row("budget", Input(placeholder=t("walkin.budget_hint"), id="budget"))
            yield Row("source", ChoiceBar(code_options("source", P.SOURCES), "walk_in", id="source"))
            yield Row("summary", Input(placeholder=t("walkin.summary_hint"), id="summary"))
            yield Static("", id="form-message")
            yield Static(Text(t("walkin.keys_phone", **hint_keys(self.app))), id="form-keys")

    def on_mount(self) -> None:
        self._details(False)
        self.query_one("#phone", Input).focus()

    def _details(self, show: bool) -> None:
        for name in DETAIL_ROWS:
            self.query_one(f"#row-{name}").display = show
        hint = t("form.keys" if show else "walkin.keys_phone", **hint_keys(self.app))
        self.query_one("#form-keys", Static).update(Text(hint))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "name":
            ok, matches = self.attempt(self.same_name, event.value)
            warning = self.query_one("#same-name", Static)
            who = listed(f"{m.masked_phone}{aside(m.owner_name)}" if m.masked_phone else m.owner_name
                         for m in matches or ())
            warning.update(plain(t("walkin.same_name", who=who), "bold yellow") if matches else "")
        if event.input.id == "phone":
            known = self.checked_phone if self.checked_phone is not None else (
                self.colleague_phone if self.colleague is not None else None)
            if known is not None and event.value != known:  # another number: look it up afresh
                self.checked_phone = self.colleague = None
                self.message("")
                self._details(False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.colleague is not None:
            self.action_save()
        elif event.input.id == "phone" or self.checked_phone is None:
            self.check_phone()
        else:
            self.action_save()

    def check_phone(self) -> None:
        phone = self.query_one("#phone", Input).value
        try:
            ok, match = self.attempt(self.lookup, phone)
        except Invalid as e:
            self.show_errors({"phone": e})
            return
        if not ok:
            return
        self.show_errors({})
        if match is not None and match.visible:
            self.dismiss(("known", match.customer_id))
            return
        if match is not None:  # a colleague's customer: all we may know is who looks after them
            self.colleague, self.colleague_phone = match, phone
            self.message(t("walkin.colleague_customer", owner=match.owner_name))
            self.query_one("#form-keys", Static).update(Text(t("walkin.keys_colleague", **hint_keys(self.app))))
            return
        self.checked_phone = phone
        self._details(True)
        self.message(t("walkin.new_customer", **hint_keys(self.app)))
        self.query_one("#name", Input).focus()

    def action_save(self) -> None:
        if self.colleague is not None and self.colleague_be_back is not None:
            ok, owner = self.attempt(self.colleague_be_back, self.colleague_phone)
            if ok:
                self.dismiss(("colleague", owner))
            return
        if self.checked_phone is None:
            self.check_phone()
            return
        vehicle = self.query_one("#vehicle", Select).value
        data = WalkInInput(
            phone=self.checked_phone,
            name=self.query_one("#name", Input).value,
            gender=self.query_one("#gender", ChoiceBar).value,
            source=self.query_one("#source", ChoiceBar).value,
            vehicle_id=vehicle if isinstance(vehicle, int) else None,
            urgency=self.query_one("#urgency", ChoiceBar).value,
            budget=self.query_one("#budget", Input).value,
            summary=self.query_one("#summary", Input).value,
        )
        ok, customer_id = self.attempt(self.create, data)
        if ok:
            self.dismiss(("new", customer_id))


