"""Edit a customer's record and needs in one form, validated field by field.

The form remembers what every field showed when it opened and sends only the
fields the user changed, with those starting values. The service merges them
with whatever colleagues saved meanwhile, field by field: a field only they
changed takes their value here too (the form shows it), a field only this user
changed is written, and a field both changed to different values is shown
side by side — theirs and yours — to be chosen explicitly before anything is
written. Nothing the user did not touch is ever written.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Select, Static

from carcrm_tui.domain import policy as P
from carcrm_tui.i18n import LANGUAGES, catalog, label, t
from carcrm_tui.services.errors import FieldConflicts
from carcrm_tui.services.views import CustomerDetail, VehicleView
from carcrm_tui.ui.format import budget_text, date_text, phone_text
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options, service_error_text
from carcrm_tui.ui.text import plain, visible, visible_lines
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar
from carcrm_tui.ui.widgets.note_area import LONG_TEXT, NoteArea
from carcrm_tui.ui.keymap import hint_keys

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
    handles = (FieldConflicts,)

    def __init__(self, *, detail: CustomerDetail, vehicles: list[VehicleView], policy,
                 save: Callable[[dict, dict], CustomerDetail],
                 reload: Callable[[], CustomerDetail]) -> None:
        super().__init__()
        self.reload = reload
        self.detail = detail
        self.vehicles = vehicles
        self.policy = policy
        self.save = save
        self.base = self._initial(detail)  # what each field showed when the form opened
        self.clashes: dict[str, str] = {}  # field -> their value, while the user chooses

    def _initial(self, detail: CustomerDetail | None = None) -> dict[str, str]:
        d = detail or self.detail
        lead = d.lead
        # stored text starts in a one-line input: control characters shown as ␛ …, never sent raw
        values = {
            "name": visible(d.name), "phone": phone_text(d.phone), "phone2": phone_text(d.phone2),
            "wechat": visible(d.wechat), "qq": visible(d.qq), "email": visible(d.email), "gender": d.gender,
            "age_range": visible(d.age_range), "birthday": date_text(d.birthday),
            "source": d.source, "customer_type": d.customer_type, "tags": visible(",".join(d.tags)),
            "do_not_contact": "yes" if d.do_not_contact else "no", "notes": visible_lines(d.notes),
            "referrer": phone_text(d.referrer_phone) if d.referrer_phone else "",
        }
        if lead:
            values.update({
                "grade": lead.grade, "vehicle": lead.vehicle.id if lead.vehicle else None,
                "budget": budget_text(lead.budget_min, lead.budget_max), "urgency": lead.urgency,
                "expected_purchase_date": date_text(lead.expected_purchase_date), "use": lead.use,
                "focus_points": "、".join(label("focus", p) for p in lead.focus_points),
                "competitor_models": visible(lead.competitor_models), "decision_maker": lead.decision_maker,
                "objections": visible_lines(lead.objections), "brands": visible(lead.brands),
                "configuration": visible(lead.configuration), "colour": visible(lead.colour),
            })
        return values

    def compose(self):
        values = self._initial()
        with Vertical(id="form"):
            yield Static(Text(t("edit.title")).append(" — ").append_text(plain(self.detail.name)), id="form-title")
            yield Vertical(id="clashes")
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
            if name in LONG_TEXT:
                return NoteArea(value or "", placeholder=hint, id=f"f-{name}")
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
    EditCustomerScreen #clashes { height: auto; }
    """

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()
        self._fit_fields()

    def on_resize(self) -> None:
        self._fit_fields()

    def _fit_fields(self) -> None:
        """The fields take the height the terminal has (18 rows at 80×24, most of 50 at 160×50),
        leaving the title, the key hints and a clash box their lines."""
        self.query_one("#edit-fields").styles.max_height = max(8, self.size.height - 6)

    def shown(self) -> dict:
        """Every field as the form shows it now, in the shape of `_initial`."""
        out: dict = {}
        for name in ORDER:
            if name in LEAD_ONLY and self.detail.lead is None:
                continue
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Select):
                out[name] = widget.value if isinstance(widget.value, int) else None
            else:
                out[name] = widget.value
        return out

    def _set(self, name: str, value) -> None:
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, Select):
            widget.value = value if value else Select.NULL
        else:
            widget.value = value if value is not None else ""

    @staticmethod
    def _service_value(name: str, value):
        if name == "do_not_contact":
            return value == "yes"
        if name == "focus_points":
            return focus_codes(value or "")
        return value

    def collect(self) -> tuple[dict, dict]:
        """(the fields the user changed, as typed; what each of them showed at the start)."""
        now = self.shown()
        changed = [k for k, v in now.items() if str(v or "") != str(self.base.get(k) or "")]
        return ({k: self._service_value(k, now[k]) for k in changed},
                {k: self._service_value(k, self.base.get(k)) for k in changed})

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        if self.clashes and not self._settle_clashes():
            return
        changes, base = self.collect()
        if not changes:
            self.dismiss(self.detail)  # nothing changed: nothing to write
            return
        try:
            ok, detail = self.attempt(self.save, changes, base)
        except FieldConflicts as e:
            self.show_errors({})
            self._show_clashes(e)
            return
        if ok:
            self.dismiss(detail)

    def _show_clashes(self, conflict: FieldConflicts) -> None:
        """Their newer record under the fields the user did not touch; theirs and yours side by side
        for each field both changed — nothing is chosen for the user."""
        current = self.reload()
        theirs = self._initial(current)
        mine = self.shown()
        for name in mine:
            if str(mine[name] or "") == str(self.base.get(name) or "") and name not in conflict.fields:
                self._set(name, theirs.get(name))  # untouched here: show what they saved
                self.base[name] = theirs.get(name)
        box = self.query_one("#clashes", Vertical)
        box.remove_children()
        rows = []
        self.clashes = {}
        for name in conflict.fields:
            self.clashes[name] = theirs.get(name)
            options = [("", t("edit.choose")),
                       ("theirs", t("edit.theirs", who=conflict.who, value=self._text(name, theirs.get(name)))),
                       ("mine", t("edit.yours", value=self._text(name, mine.get(name))))]
            rows.append(Row(f"clash-{name}", ChoiceBar(options, "", id=f"clash-{name}"), caption=t(f"field.{name}")))
        box.mount_all(rows)
        self.detail = current
        when = conflict.when.in_timezone(self.policy.tz).format("HH:mm") if self.policy else ""
        self.message(t("error.field_conflicts", who=conflict.who, when=when))
        self.call_after_refresh(lambda: rows and rows[0].widget.focus())

    def _text(self, name: str, value) -> str:
        if name == "vehicle":
            return next((v.label for v in self.vehicles if v.id == value), "—")
        if name in CHOICE_FIELDS and value:
            kind = CHOICE_FIELDS[name][0]
            return label(kind, value)
        return str(value) if value not in (None, "") else "—"

    def _settle_clashes(self) -> bool:
        """Apply the user's choice per clashing field; False (and say so) while one is unchosen."""
        choices = {name: self.query_one(f"#clash-{name}", ChoiceBar).value for name in self.clashes}
        if any(not c for c in choices.values()):
            self.message(t("edit.choose_each", **hint_keys(self.app)))
            return False
        for name, choice in choices.items():
            theirs = self.clashes[name]
            if choice == "theirs":
                self._set(name, theirs)
            self.base[name] = theirs  # either way the record now holds theirs: mine goes on top of it
        self.clashes = {}
        self.query_one("#clashes", Vertical).remove_children()
        return True
