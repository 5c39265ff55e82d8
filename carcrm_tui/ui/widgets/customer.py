"""The customer pane: who they are, what they want, every contact newest first."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from carcrm_tui.i18n import label, labelled, listed, money, t
from carcrm_tui.services.views import CustomerDetail
from carcrm_tui.ui.format import budget_money, codes, date_text, history_value, local, phone_text
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.keymap import hint_keys


def _grid(pairs: list[tuple[str, Text]], columns: int) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    for _ in range(columns):
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
    for i in range(0, len(pairs), columns):
        row: list[Text] = []
        for name, value in pairs[i:i + columns]:
            row += [Text(name), value]
        while len(row) < columns * 2:
            row += [Text(""), Text("")]
        table.add_row(*row)
    return table


def purpose_text(purpose: str) -> str:
    if purpose.startswith("holiday:"):
        return t("purpose.holiday", name=label("holiday", purpose.split(":", 1)[1]))
    return label("purpose", purpose)


def header(detail: CustomerDetail) -> Text:
    lead = detail.lead
    line = Text()
    line.append_text(plain(detail.name, "bold"))
    if lead:
        line.append(f"  {lead.grade}", style="bold")
        line.append(f" · {label('stage', lead.stage)}")
        if lead.status != "open":
            line.append(f" · {label('status', lead.status)}", style="bold")
    line.append(f" · {t('customer.owner')} ")
    line.append_text(plain(detail.owner_name))
    if detail.showroom:
        line.append(f" · {t('field.showroom')} ").append_text(plain(detail.showroom))
    if detail.also_in:
        line.append("  ").append_text(plain(t("customer.also_in", names=listed(detail.also_in)), "bold"))
    line.append("\n")
    line.append(phone_text(detail.phone), style="bold")
    if detail.phone2:
        line.append(f" · {t('field.phone2')} {phone_text(detail.phone2)}")
    if detail.more_phones:
        line.append(f" · {t('customer.more_phones')} " + listed(phone_text(p) for p in detail.more_phones))
    if not detail.phones_revealed and detail.phone:
        line.append(f"  {t('customer.reveal_hint', **hint_keys())}", style="dim")
    if detail.wechat:
        line.append(f" · {t('field.wechat')} ")
        line.append_text(plain(detail.wechat))
    if detail.qq:
        line.append(f" · {t('field.qq')} ")
        line.append_text(plain(detail.qq))
    if detail.do_not_contact:
        line.append(f"  {t('customer.dnc')}", style="bold red")
    return line


def blocks(pairs: list[tuple[str, str]]) -> list[Text]:
    """Long texts (notes, the SPIN summary, objections) whole and on their own lines, under
    their field name: a grid cell would cut them to one line."""
    out = []
    for name, value in pairs:
        if value and value.strip():
            out.append(Text(labelled(name).rstrip(), style="dim").append("\n")
                       .append_text(plain(value.strip(), one_line=False)))
    return out


def profile(detail: CustomerDetail, columns: int) -> Table | Group:
    pairs = [
        (t("field.gender"), Text(label("gender", detail.gender))),
        (t("field.age_range"), plain(detail.age_range)),
        (t("field.source"), Text(label("source", detail.source))),
        (t("field.customer_type"), Text(label("ctype", detail.customer_type))),
        (t("field.referrer"), plain(detail.referrer_name)),
        (t("customer.referrals"), Text(str(detail.referrals) if detail.referrals else "")),
        (t("field.email"), plain(detail.email)),
        (t("field.birthday"), Text(date_text(detail.birthday))),
        (t("field.tags"), plain(listed(detail.tags))),
    ]
    notes = blocks([(t("field.notes"), detail.notes)])
    return Group(_grid(pairs, columns), *notes) if notes else _grid(pairs, columns)


def needs(detail: CustomerDetail, policy, columns: int) -> Table:
    lead = detail.lead
    if lead is None:
        return _grid([(t("customer.no_lead"), Text(""))], 1)
    purchase = date_text(lead.expected_purchase_date) or lead.purchase_window
    pairs = [
        (t("field.vehicle"), plain(lead.vehicle.label if lead.vehicle else "")),
        (t("field.budget"), Text(budget_money(lead.budget_min, lead.budget_max))),
        (t("field.urgency"), plain(label("urgency", lead.urgency))),
        (t("field.expected_purchase_date"), plain(purchase)),
        (t("field.use"), plain(label("use", lead.use))),
        (t("field.focus_points"), plain(codes("focus", lead.focus_points))),
        (t("field.competitor_models"), plain(lead.competitor_models)),
        (t("field.decision_maker"), plain(label("decider", lead.decision_maker))),
        (t("field.expected_value"), Text(money(lead.expected_value) if lead.expected_value else "")),
        *([(t("field.deal_price"), Text(money(lead.deal_price)))] if lead.deal_price is not None else []),
        (t("field.created_at"), Text(local(lead.created_at, policy))),
        (t("field.last_contact_at"), Text(local(lead.last_contact_at, policy))),
        (t("field.score"), Text(str(lead.score))),
    ]
    if lead.status == "lost":
        pairs.append((t("field.lost_reason"), plain(label("lost", lead.lost_reason))))
        pairs.append((t("field.lost_competitor"), plain(lead.lost_competitor)))
    # the rest of the dealer's sheet, where the record holds it
    pairs += [(t(f"field.{name}"), plain(value)) for name, value in (
        ("brands", lead.brands), ("configuration", lead.configuration), ("colour", lead.colour),
        ("models_seen", lead.models_seen), ("materials", codes("material", lead.materials))) if value]
    grid = _grid(pairs, columns)
    long = blocks([(t("field.grade_reason"), lead.grade_reason), (t("field.objections"), lead.objections),
                   (t("field.spin_summary"), lead.spin_summary),
                   (t("field.sheet_notes"), lead.sheet_notes)])  # sheet values with no field of their own
    return Group(grid, *long) if long else grid


def process(detail: CustomerDetail, policy) -> Group | str:
    """Test drives, quotes, order and delivery, complaints: what the process has recorded."""
    lead = detail.lead
    parts: list = []
    if lead is not None:
        pairs = []
        if lead.ordered_at:
            pairs += [(t("field.ordered_at"), Text(local(lead.ordered_at, policy))),
                      (t("field.deposit"), Text(money(lead.deposit))),
                      (t("field.expected_delivery_date"), Text(date_text(lead.expected_delivery_date)))]
        if lead.deal_configuration or lead.deal_colour:
            pairs += [(t("field.deal_configuration"), plain(lead.deal_configuration)),
                      (t("field.deal_colour"), plain(lead.deal_colour))]
        if lead.delivered_on:
            pairs += [(t("field.delivered_on"), Text(date_text(lead.delivered_on))),
                      (t("field.vin"), plain(lead.vin)), (t("field.service_advisor"), plain(lead.service_advisor))]
            if lead.plate:
                pairs.append((t("field.plate"), plain(lead.plate)))
        if pairs:
            parts += [Text(t("customer.process"), style="bold underline"), _grid(pairs, 2)]
        if lead.test_drives:
            parts.append(Text(t("customer.test_drives"), style="bold underline"))
            for d in lead.test_drives:
                line = Text(f"{local(d.at, policy)} ", style="bold").append_text(plain(d.vehicle))
                line.append(" · ").append_text(plain(d.route, "dim")).append(" · ").append_text(plain(d.feedback))
                parts.append(line)
        if lead.quotes:
            parts.append(Text(t("customer.quotes"), style="bold underline"))
            for q in lead.quotes:
                parts.append(Text(f"{local(q.created_at, policy)} ", style="bold").append(t(
                    "customer.quote_line", vehicle=q.vehicle, configuration=q.configuration, guide=money(q.guide_price),
                    discount=money(q.discount), trade=money(q.trade_in), finance=q.finance_plan, total=money(q.total))))
    if detail.complaints:
        parts.append(Text(t("customer.complaints", n=len(detail.complaints)), style="bold underline"))
        for c in detail.complaints:
            line = Text(f"{local(c.created_at, policy)} ", style="bold")
            line.append(f"{label('category', c.category)} · {label('department', c.department)} · ")
            line.append(label("complaint_status", c.status), style="bold red" if c.status == "open" else "")
            if c.satisfaction:
                line.append(" · " + "★" * c.satisfaction)
            parts.append(line)
            parts.append(Text("  ").append_text(plain(c.description)))
            if c.resolution:
                parts.append(Text(f"  {labelled(t('field.resolution'))}", style="dim").append_text(plain(c.resolution)))
    return Group(*parts) if parts else ""


def timeline(detail: CustomerDetail, policy, now) -> Group:
    parts: list[Text] = [Text(t("customer.timeline", n=detail.timeline_total), style="bold underline")]
    if not detail.timeline:
        parts.append(Text(t("customer.no_contacts"), style="dim"))
    for entry in detail.timeline:
        line = Text()
        if entry.done_at is None:
            line.append(f"{local(entry.due_at, policy)} ", style="bold yellow")
            line.append(t("customer.planned", channel=label("channel", entry.channel)), style="yellow")
            if entry.purpose:
                line.append(f" · {purpose_text(entry.purpose)}", style="yellow")
        else:
            line.append(f"{local(entry.done_at, policy)} ", style="bold")
            line.append(label("channel", entry.channel))
            if entry.outcome:
                line.append(f" · {label('outcome', entry.outcome)}")
            if entry.attitude:
                line.append(" · ").append_text(plain(label("attitude", entry.attitude)))
            if entry.purpose:
                line.append(f" · {purpose_text(entry.purpose)}")
        line.append(" · ", style="dim")
        line.append_text(plain(entry.owner_name, "dim"))
        parts.append(line)
        if entry.summary:
            parts.append(Text("  ").append_text(plain(entry.summary, one_line=False)))
        if entry.feedback:
            parts.append(Text(f"  {labelled(t('field.feedback'))}", style="dim").append_text(plain(entry.feedback, one_line=False)))
        if entry.next_step and entry.done_at is not None:
            parts.append(Text(f"  {labelled(t('field.next_step'))}", style="dim").append_text(plain(entry.next_step, one_line=False)))
    if detail.timeline_total > len(detail.timeline):
        parts.append(Text(t("customer.older", n=detail.timeline_total - len(detail.timeline)), style="dim italic"))
    return Group(*parts)


def trail(entries, policy) -> Group:
    """The audit history a manager sees, in words: who changed what, old → new, in local time."""
    parts: list[Text] = [Text(t("customer.history", n=len(entries)), style="bold underline")]
    for e in entries:
        line = Text(f"{local(e.at, policy)} ", style="dim")
        line.append_text(plain(e.actor, "bold"))
        line.append(f" {t(f'audit.{e.action}')}")
        if e.field:
            line.append(f" {labelled(t(f'field.{e.field}'))}")
            line.append_text(plain(history_value(e.field, e.old, policy), "dim"))
            line.append(" → ")
            line.append_text(plain(history_value(e.field, e.new, policy)))
        parts.append(line)
    return Group(*parts)


class CustomerView(Translated, VerticalScroll, can_focus=True):
    # arrows and page keys scroll; letters are the record's actions (k: complaint)
    BINDINGS = [Binding("j", "scroll_down", show=False)]
    DEFAULT_CSS = """
    CustomerView { height: 1fr; padding: 0 1; }
    CustomerView > Static { margin-bottom: 1; }
    CustomerView > #cust-header { background: $boost; padding: 0 1; }
    """

    def compose(self):
        yield Static(Text(t("customer.empty", **hint_keys()), style="dim"), id="cust-header")
        yield Static("", id="cust-profile")
        yield Static("", id="cust-needs")
        yield Static("", id="cust-process")
        yield Static("", id="cust-timeline")
        yield Static("", id="cust-history")

    _shown: tuple | None = None  # what show() drew, to lay it out again at another width
    _columns = 0

    def _fitting_columns(self) -> int:
        return 2 if self.size.width >= 100 or self.size.width == 0 else 1

    def on_resize(self) -> None:
        if self._shown is not None and self._fitting_columns() != self._columns:
            self.show(*self._shown)

    def show(self, detail: CustomerDetail, policy, now, history=None) -> None:
        self._shown = (detail, policy, now, history)
        columns = self._columns = self._fitting_columns()
        self.query_one("#cust-header", Static).update(header(detail))
        self.query_one("#cust-profile", Static).update(profile(detail, columns))
        needs_title = Text(t("customer.needs"), style="bold underline")
        self.query_one("#cust-needs", Static).update(Group(needs_title, needs(detail, policy, columns)))
        self.query_one("#cust-process", Static).update(process(detail, policy))
        self.query_one("#cust-timeline", Static).update(timeline(detail, policy, now))
        self.query_one("#cust-history", Static).update(trail(history, policy) if history is not None else "")

    def clear(self) -> None:
        self._shown = None
        self.query_one("#cust-header", Static).update(Text(t("customer.empty", **hint_keys()), style="dim"))
        for name in ("#cust-profile", "#cust-needs", "#cust-process", "#cust-timeline", "#cust-history"):
            self.query_one(name, Static).update("")
