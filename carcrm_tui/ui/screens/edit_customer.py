"""Edit a customer's record and needs in one form, validated field by field.

The form keeps the versions it was opened with. If another terminal saved in
between, the save is refused with who and when; the user's input stays, and a
second ctrl+s re-applies it on top of the newer record.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Select, Static

from carcrm_tui.domain import policy as P
from carcrm_tui.i18n import LANGUAGES, catalog, label, t
from carcrm_tui.services.errors import Conflict
from carcrm_tui.services.views import CustomerDetail, VehicleView
from carcrm_tui.ui.format import budget_text, date_text, phone_text
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options, service_error_text
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar

TEXT_FIELDS = ("name", "phone", "phone2", "wechat", "qq", "email", "age_range", "birthday", "tags", "notes",
               "referrer", "budget", "expected_purchase_date", "focus_points", "competitor_models", "objections",
               "brands", "configuration", "colour")
CHOICE_FIELDS = {
    "gender": ("gender", ("m", "f"), True),
    "source": ("source", P.SOURCES, True),
    "customer_type": ("ctype", P.CUSTOMER_TYPES, False),
    "do_not_contact": ("yesno", ("no", "yes"), False),
    "urgency": ("urgency", P.URGENCIES, True),
    "use": ("use", P.USES, True),
    "decision_maker": ("decider", P.DECISION_MAKERS, True),
}
ORDER = ("name", "phone", "phone2", "wechat", "qq", "email", "gender", "age_range", "birthday", "source",
         "customer_type", "referrer", "tags", "do_not_contact", "notes",
         "grade", "brands", "vehicle", "configuration", "colour", "budget", "urgency", "expected_purchase_date", "use",
         "focus_points", "competitor_models", "decision_maker", "objections")
LEAD_ONLY = ("grade", "brands", "vehicle", "configuration", "colour", "budget", "urgency", "expected_purchase_date",
             "use", "focus_points", "competitor_models", "decision_maker", "objections")


def focus_codes(text: str) -> str:
    """"价格、空间" or "price, space" → "price,space"; unknown words are kept for the error."""
    words = [w.strip() for w in text.replace("、", ",").replace("，", ",").split(",") if w.strip()]
    reverse = {}
    for lang in LANGUAGES:
        for code in P.FOCUS_POINTS:
            reverse[catalog(lang).get(f"focus.{code}", code).lower()] = code
    return ",".join(reverse.get(w.lower(), w) for w in words)


class EditCustomerScreen(FormScreen):
    handles = (Conflict,)
    def __init__(self, *, detail: CustomerDetail, vehicles: list[VehicleView], policy,
                 save: Callable[[dict, int, int | None], CustomerDetail],
                 reload: Callable[[], CustomerDetail]) -> None:
        super().__init__()
        self.reload = reload
        self.detail = detail
        self.vehicles = vehicles
        self.policy = policy
        self.save = save
        self.customer_version = detail.version
        self.lead_version = detail.lead.version if detail.lead else None

    def _initial(self, detail: CustomerDetail | None = None) -> dict[str, str]:
        d = detail or self.detail
        lead = d.lead
        values = {
            "name": d.name, "phone": phone_text(d.phone), "phone2": phone_text(d.phone2), "wechat": d.wechat,
            "qq": d.qq,
            "email": d.email, "gender": d.gender, "age_range": d.age_range, "birthday": date_text(d.birthday),
            "source": d.source, "customer_type": d.customer_type, "tags": ",".join(d.tags),
            "do_not_contact": "yes" if d.do_not_contact else "no", "notes": d.notes,
            "referrer": phone_text(d.referrer_phone) if d.referrer_phone else "",
        }
        if lead:
            values.update({
                "grade": lead.grade, "vehicle": lead.vehicle.id if lead.vehicle else None,
                "budget": budget_text(lead.budget_min, lead.budget_max), "urgency": lead.urgency,
                "expected_purchase_date": date_text(lead.expected_purchase_date), "use": lead.use,
                "focus_points": "、".join(label("focus", p) for p in lead.focus_points),
                "competitor_models": lead.competitor_models, "decision_maker": lead.decision_maker,
                "objections": lead.objections, "brands": lead.brands, "configuration": lead.configuration,
                "colour": lead.colour,
            })
        return values

    def compose(self):
        values = self._initial()
        with Vertical(id="form"):
            yield Static(Text(t("edit.title")).append(" — ").append_text(plain(self.detail.name)), id="form-title")
            with VerticalScroll(id="edit-fields"):
                for name in ORDER:
                    if name in LEAD_ONLY and self.detail.lead is None:
                        continue
                    yield Row(name, self._widget(name, values.get(name)))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def _widget(self, name: str, value):
        if name in TEXT_FIELDS:
            hint = t(f"edit.hint.{name}") if f"edit.hint.{name}" in catalog("en") else ""
            return Input(value=value or "", placeholder=hint, id=f"f-{name}")
        if name == "grade":
            return ChoiceBar([(g, g) for g in self.policy.grade_order], value, id="f-grade")
        if name == "vehicle":
            options = [(Text(v.label), v.id) for v in self.vehicles]
            own = self.detail.lead.vehicle if self.detail.lead else None
            if own is not None and own.id not in {v.id for v in self.vehicles}:
                options.append((Text(own.label), own.id))  # a retired model stays on the lead that names it
            return Select(options, value=value if value else Select.NULL, prompt=t("walkin.vehicle_prompt"),
                          id="f-vehicle", compact=True)
        kind, codes, blank = CHOICE_FIELDS[name]
        options = code_options(kind, codes, blank=blank)
        if value and value not in [v for v, _ in options] and name != "do_not_contact":
            options.append((value, value))  # a word an import kept as typed stays choosable as it is
        return ChoiceBar(options, value or "", id=f"f-{name}")

    DEFAULT_CSS = """
    EditCustomerScreen #edit-fields { height: auto; max-height: 18; }
    """

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()

    def collect(self) -> dict:
        changes: dict = {}
        for name in ORDER:
            if name in LEAD_ONLY and self.detail.lead is None:
                continue
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Input):
                value = widget.value
            elif isinstance(widget, Select):
                value = widget.value if isinstance(widget.value, int) else None
            else:
                value = widget.value
            if name == "do_not_contact":
                value = value == "yes"
            elif name == "focus_points":
                value = focus_codes(value)
            changes[name] = value
        if changes.get("referrer", "").strip() == (self._initial().get("referrer") or ""):
            del changes["referrer"]  # unchanged: no lookup, nothing to record
        return changes

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        try:
            ok, detail = self.attempt(self.save, self.collect(), self.customer_version, self.lead_version)
        except Conflict as e:
            # keep the input, say what the other terminal changed; the next save re-applies
            self.show_errors({})
            self.message("\n".join([service_error_text(e, self.policy), *self.their_changes(), t("edit.reapply")]))
            return
        if ok:
            self.dismiss(detail)

    def their_changes(self) -> list[str]:
        """What the other save changed, against what this form was opened with."""
        current = self.reload()
        before, after = self._initial(), self._initial(current)
        lines = [t("edit.their_value", field=t(f"field.{name}"), value=after.get(name) or "—")
                 for name in ORDER if str(before.get(name) or "") != str(after.get(name) or "")]
        self.detail = current  # the next conflict is measured from here
        self.customer_version = current.version
        self.lead_version = current.lead.version if current.lead else None
        return lines


