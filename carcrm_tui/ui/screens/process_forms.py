"""Forms of the sales process: a stage's details, a grade with its reason, dormancy,
complaints, and the tag filter. Each asks only for what its step needs and hands
the values to a service call it was given."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from carcrm_tui.domain import policy as P
from carcrm_tui.domain.process import REQUIRED, quote_totals
from carcrm_tui.i18n import label, labelled, money, t
from carcrm_tui.ui.format import budget_text, date_text, local, stage_text
from carcrm_tui.ui.widgets.note_area import LONG_TEXT, NoteArea
from carcrm_tui.ui.screens.edit_customer import focus_codes
from carcrm_tui.ui.screens.form import FormScreen, Row, code_options
from carcrm_tui.ui.text import plain, visible, visible_lines
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar
from carcrm_tui.ui.keymap import hint_keys

CHOICES = {"urgency": ("urgency", P.URGENCIES), "use": ("use", P.USES), "decision_maker": ("decider", P.DECISION_MAKERS)}
MONEY = ("guide_price", "discount", "trade_in", "insurance", "plates", "deposit", "deal_price")
DATES = ("expected_purchase_date", "expected_delivery_date", "delivered_on")


class StageScreen(FormScreen):
    """Move a lead into `target`, recording what that stage records."""

    handles = ()
    DEFAULT_CSS = """
    StageScreen #stage-fields { height: auto; max-height: 16; }
    StageScreen #quote-total { color: $success; height: auto; }
    """

    def __init__(self, *, name: str, target: str, fields: tuple[str, ...], lead, vehicles, policy, now,
                 submit: Callable[[dict], object]) -> None:
        super().__init__()
        self.customer_name = name
        self.target = target
        self.fields = fields
        self.lead = lead  # LeadView or None, for defaults
        self.vehicles = vehicles
        self.policy = policy
        self.now = now
        self.submit = submit

    def _default(self, name: str):
        lead = self.lead
        today = self.now.in_timezone(self.policy.tz)
        vehicle = lead.vehicle if lead else None
        return {
            "drive_at": today.format("YYYY-MM-DD HH:mm"),
            "delivered_on": today.format("YYYY-MM-DD"),
            "vehicle": vehicle.id if vehicle else None,
            "guide_price": str(vehicle.guide_price) if vehicle else "",
            "urgency": lead.urgency if lead else "",
            "use": lead.use if lead else "",
            "decision_maker": lead.decision_maker if lead else "",
            "budget": budget_text(lead.budget_min, lead.budget_max) if lead else "",
            "focus_points": "、".join(label("focus", p) for p in lead.focus_points) if lead else "",
            "expected_purchase_date": date_text(lead.expected_purchase_date) if lead else "",
            "objections": visible_lines(lead.objections) if lead else "",
            "competitor_models": visible(lead.competitor_models) if lead else "",
            "spin_summary": visible_lines(lead.spin_summary) if lead else "",
            "deal_price": str(lead.expected_value) if lead and lead.expected_value else "",
        }.get(name, "")

    def _widget(self, name: str):
        value = self._default(name)
        if name in CHOICES:
            kind, codes = CHOICES[name]
            return ChoiceBar(code_options(kind, codes, blank=name not in REQUIRED.get(self.target, ())),
                             value or "", id=f"f-{name}")
        if name == "vehicle":
            return Select([(Text(v.label), v.id) for v in self.vehicles], value=value or Select.NULL,
                          prompt=t("walkin.vehicle_prompt"), id="f-vehicle", compact=True)
        hint = (t("stage_form.money_hint") if name in MONEY else t("stage_form.time_hint") if name == "drive_at"
                else t("stage_form.date_hint") if name in DATES else "")
        if name in LONG_TEXT:
            return NoteArea(value, placeholder=hint, id=f"f-{name}")
        return Input(value=value, placeholder=hint, id=f"f-{name}")

    def compose(self):
        with Vertical(id="form"):
            title = Text(t("stage_form.title", stage=stage_text(self.target)))
            yield Static(title.append(" — ").append_text(plain(self.customer_name)), id="form-title")
            with VerticalScroll(id="stage-fields"):
                for name in self.fields:
                    caption = t(f"field.{name}") + (" *" if name in REQUIRED.get(self.target, ()) else "")
                    yield Row(name, self._widget(name), caption=caption)
            if self.target == "quote":
                yield Static("", id="quote-total")
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        first = self.query(f"#f-{self.fields[0]}").first()
        first.focus()
        self._total()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._total()

    def _total(self) -> None:
        if self.target != "quote":
            return
        def amount(name: str) -> int:
            raw = self.query_one(f"#f-{name}", Input).value.strip().replace(",", "")
            try:
                return int(float(raw[:-1]) * 10_000) if raw.endswith("万") else int(float(raw or 0))
            except ValueError:
                return 0
        q = quote_totals(amount("guide_price"), amount("discount"), amount("trade_in"), amount("insurance"),
                         amount("plates"), self.policy)
        self.query_one("#quote-total", Static).update(
            Text(t("stage_form.total", car=money(q.car_price), tax=money(q.purchase_tax), total=money(q.total))))

    def collect(self) -> dict:
        values: dict = {}
        for name in self.fields:
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Select):
                values[name] = str(widget.value) if isinstance(widget.value, int) else ""
            elif isinstance(widget, ChoiceBar):
                values[name] = widget.value
            else:
                values[name] = focus_codes(widget.value) if name == "focus_points" else widget.value
        return values

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        ok, result = self.attempt(self.submit, self.collect())
        if ok:
            self.dismiss(result)


class GradeScreen(FormScreen):
    def __init__(self, *, name: str, grade: str, suggested: str, score: int, policy,
                 submit: Callable[[str, str], object]) -> None:
        super().__init__()
        self.customer_name, self.grade, self.suggested, self.score = name, grade, suggested, score
        self.policy, self.submit = policy, submit

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("grade_form.title")).append(" — ").append_text(plain(self.customer_name)),
                         id="form-title")
            yield Static(Text(t("grade_form.suggested", grade=self.suggested, score=self.score)))
            yield Row("grade", ChoiceBar([(g, g) for g in self.policy.grade_order], self.grade, id="grade"))
            yield Row("grade_reason", Input(placeholder=t("grade_form.reason_hint"), id="reason"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#grade", ChoiceBar).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        grade = self.query_one("#grade", ChoiceBar).value
        ok, _ = self.attempt(self.submit, grade, self.query_one("#reason", Input).value)
        if ok:
            self.dismiss(True)


class ConfirmScreen(FormScreen):
    """A yes/no step with consequences spelled out (Enter or ctrl+s confirms, esc cancels)."""

    BINDINGS = [Binding("enter", "save", "key.confirm", id="confirm.yes")]

    def __init__(self, *, title: str, text: str, submit: Callable[[], object], policy=None) -> None:
        super().__init__()
        self.title_text, self.text, self.submit, self.policy = title, text, submit, policy

    def compose(self):
        with Vertical(id="form"):
            yield Static(plain(self.title_text), id="form-title")
            yield Static(plain(self.text, one_line=False))
            yield Static("", id="form-message")
            yield Static(Text(t("confirm.keys", **hint_keys(self.app))), id="form-keys")

    def action_save(self) -> None:
        ok, _ = self.attempt(self.submit)
        if ok:
            self.dismiss(True)


class ComplaintScreen(FormScreen):
    def __init__(self, *, name: str, policy, submit: Callable[..., int], people: list[str] | None = None) -> None:
        """`people`: whom it may be routed to by name (a list to choose from, not a name to guess)."""
        super().__init__()
        self.customer_name, self.policy, self.submit = name, policy, submit
        self.people = people or []

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("complaint_form.title")).append(" — ").append_text(plain(self.customer_name)),
                         id="form-title")
            yield Row("description", Input(id="description"))
            yield Row("channel", ChoiceBar(code_options("channel", P.CHANNELS), "phone", id="channel"))
            yield Row("category", ChoiceBar(code_options("category", self.policy.complaint_categories), id="category"))
            yield Row("department", ChoiceBar(code_options("department", self.policy.departments), id="department"))
            yield Row("assignee", Select([(Text(p), p) for p in self.people], prompt=t("complaint_form.assignee_hint"),
                                         id="assignee", compact=True))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#description", Input).focus()

    def action_save(self) -> None:
        ok, result = self.attempt(self.submit, self.query_one("#channel", ChoiceBar).value,
                              self.query_one("#category", ChoiceBar).value,
                              self.query_one("#description", Input).value,
                              self.query_one("#department", ChoiceBar).value,
                              self._assignee())
        if ok:
            self.dismiss(result)


    def _assignee(self) -> str:
        value = self.query_one("#assignee", Select).value
        return value if isinstance(value, str) else ""


class ComplaintActionScreen(FormScreen):
    """Resolve an open complaint, or record the call-back's satisfaction (1–5)."""

    def __init__(self, *, complaint, policy, resolve: Callable[[str], object],
                 call_back: Callable[[int], object]) -> None:
        super().__init__()
        self.complaint, self.policy = complaint, policy
        self.resolve, self.call_back = resolve, call_back

    def compose(self):
        c = self.complaint
        title = t("complaint_form.resolve_title") if c.status == "open" else t("complaint_form.callback_title")
        with Vertical(id="form"):
            yield Static(Text(title).append(" — ").append_text(plain(c.customer_name)), id="form-title")
            yield Static(Text(f"{label('category', c.category)} · {local(c.created_at, self.policy)}\n")
                         .append_text(plain(c.description, one_line=False)))
            if c.status == "open":
                yield Row("resolution", Input(id="resolution"))
            else:
                yield Static(Text(labelled(t("field.resolution"))).append_text(plain(c.resolution)))
                yield Row("satisfaction", ChoiceBar([(str(n), "★" * n) for n in range(1, 6)], "5", id="satisfaction"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#resolution" if self.complaint.status == "open" else "#satisfaction").focus()

    def action_save(self) -> None:
        if self.complaint.status == "open":
            ok, _ = self.attempt(self.resolve, self.query_one("#resolution", Input).value)
        else:
            ok, _ = self.attempt(self.call_back, int(self.query_one("#satisfaction", ChoiceBar).value))
        if ok:
            self.dismiss(True)


class TagFilterScreen(FormScreen):
    """Dismisses with a tag, "" for all customers, or None (cancel)."""

    def __init__(self, *, tags: list[str], current: str | None) -> None:
        super().__init__()
        self.tags, self.current = tags, current

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("tag_filter.title")), id="form-title")
            options = OptionList(Option(Text(t("tag_filter.all")), id=""),
                                 *[Option(plain(tag), id=f"t:{tag}") for tag in self.tags], id="tags")
            yield options
            if not self.tags:
                yield Static(Text(t("tag_filter.none"), style="dim"))

    def on_mount(self) -> None:
        self.query_one("#tags", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id[2:] if event.option.id else "")

    def action_save(self) -> None:
        tags = self.query_one("#tags", OptionList)
        if tags.highlighted is not None:
            option = tags.get_option_at_index(tags.highlighted)
            self.dismiss(option.id[2:] if option.id else "")




class BoardFilterScreen(FormScreen):
    """The team board's filter: consultant (managers), source, grade, vehicle series, tag.

    One line per dimension, ←/→ to pick, "all" first; enter or ctrl+s applies.
    Dismisses with a BoardFilter, or None (cancel).
    """

    BINDINGS = [Binding("enter", "save", "key.save", id="filter.apply", show=False),
                Binding("down", "app.focus_next", show=False), Binding("up", "app.focus_previous", show=False)]

    def __init__(self, *, current, consultants: list[str], series: list[str], tags: list[str], grades,
                 sources, showrooms: list[str] = ()) -> None:
        super().__init__()
        self.current, self.consultants, self.series, self.tags = current, consultants, series, tags
        self.grades, self.sources, self.showrooms = grades, sources, list(showrooms)

    def compose(self):
        everyone = [("", t("board_filter.all"))]
        c = self.current
        with Vertical(id="form"):
            yield Static(Text(t("board_filter.title")), id="form-title")
            if self.showrooms:  # a group manager: which showroom every pane shows
                yield Row("showroom", ChoiceBar(everyone + [(n, n) for n in self.showrooms], c.showroom,
                                                id="showroom"), caption=t("field.showroom"))
            if self.consultants:
                yield Row("owner", ChoiceBar(everyone + [(n, n) for n in self.consultants], c.owner, id="owner"),
                          caption=t("board_filter.owner"))
            yield Row("source", ChoiceBar(everyone + code_options("source", self.sources), c.source, id="source"))
            yield Row("grade", ChoiceBar(everyone + [(g, g) for g in self.grades], c.grade, id="grade"),
                      caption=t("board_filter.grade"))
            yield Row("series", ChoiceBar(everyone + [(s, s) for s in self.series], c.series, id="series"),
                      caption=t("board_filter.series"))
            yield Row("tag", ChoiceBar(everyone + [(x, x) for x in self.tags], c.tag, id="tag"),
                      caption=t("board_filter.tag"))
            yield Static(Text(t("board_filter.hint", **hint_keys(self.app)), style="dim"))
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query(ChoiceBar).first().focus()

    def action_save(self) -> None:
        from carcrm_tui.services.views import BoardFilter

        def pick(name: str) -> str | None:
            found = self.query(f"#{name}")
            return (found.first(ChoiceBar).value or None) if found else None

        self.dismiss(BoardFilter(tag=pick("tag"), owner=pick("owner"), source=pick("source"), grade=pick("grade"),
                                 series=pick("series"), showroom=pick("showroom")))
