"""The customer's record: who they are, what they want, every contact — and what changes it.

A record opens at its top (name and number first, whatever was scrolled
before); live refresh of the same record keeps the scroll. Full numbers show
only after `v` (audited) and only until the record changes, the user moves on
or the screen locks.
"""

from __future__ import annotations

from functools import partial

from textual.binding import Binding

from carcrm_tui.i18n import t
from carcrm_tui.services import audit, complaints, customers, merge, process, reassign
from carcrm_tui.services.errors import NotFound, ServiceError
from carcrm_tui.ui.keymap import hint_keys
from carcrm_tui.ui.panes.base import form, survives
from carcrm_tui.ui.panes.record import Record, RecordPane
from carcrm_tui.ui.widgets.customer import CustomerView
from carcrm_tui.ui_text import error_sentence


@survives("load")
class CustomerPane(RecordPane):
    BINDINGS = [
        Binding("e", "edit", "key.edit", id="customer.edit"),
        Binding("v", "reveal", "key.reveal", id="customer.reveal"),
        Binding("d", "dormant", "key.dormant", id="lead.dormant", show=False),
        Binding("k", "complaint", "key.complaint", id="customer.complaint", show=False),
        Binding("m", "merge", "key.merge", id="customer.merge", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.customer_id: int | None = None
        self.detail = None
        self.revealed = None  # RevealedPhones of the open customer, shown until it changes or we move on
        self._shown: int | None = None  # the customer whose record is drawn (a new one opens at the top)

    def compose(self):
        yield CustomerView(id="customer-view")

    @property
    def view(self) -> CustomerView:
        return self.query_one(CustomerView)

    def open(self, customer_id: int) -> None:
        if customer_id != self.customer_id:
            self.revealed = None
        self.customer_id = customer_id

    def refresh_data(self, *, force: bool = False) -> None:
        self.load()

    def load(self) -> None:
        view = self.view
        if self.customer_id is None:
            view.clear()
            self._shown = None
            return
        try:
            detail = customers.detail(self.session, self.customer_id)
            history = (audit.customer_history(self.session, self.customer_id)
                       if self.session.is_manager else None)
        except NotFound:
            self.detail, self.customer_id, self.revealed, self._shown = None, None, None, None
            view.clear()
            self.status(t("error.not_found"), error=True)
            return
        self.detail = customers.with_phones(detail, self.revealed)
        if self.revealed is not None and not self.detail.phones_revealed:
            self.revealed = None  # the record changed since: its numbers are masked again
        view.show(self.detail, self.policy, self.now, history=history)
        if self._shown != self.customer_id:
            view.scroll_home(animate=False, immediate=True)
            self._shown = self.customer_id

    def moved_away(self) -> None:
        """Another pane shows: a reveal ends."""
        self.revealed = None

    def forget_reveals(self) -> None:
        """The screen locks: revealed numbers are masked again for whoever unlocks it."""
        self.revealed = None
        if self.detail is not None and self.detail.phones_revealed:
            self.load()

    def current(self) -> Record | None:
        if self.detail is None or self.detail.lead is None:
            return None
        lead = self.detail.lead
        return Record(lead.id, self.detail.id, self.detail.name, lead.grade, lead.version, None, lead.status)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("edit", "reveal", "dormant", "complaint"):
            return self.detail is not None
        if action == "merge":
            return self.detail is not None and self.session.is_manager
        return super().check_action(action, parameters)

    # ---- the record's own keys ------------------------------------------------------
    def action_reveal(self) -> None:
        """Show the full numbers (recorded in the audit trail) until the record changes, the user
        moves on or the screen locks — live refresh keeps them shown."""
        if self.customer_id is None:
            return
        self.revealed = customers.reveal(self.session, self.customer_id)
        self.load()

    def action_edit(self) -> None:
        if self.detail is None:
            return
        lead = self.detail.lead
        # editing shows the full numbers: that is a reveal, and it is recorded
        detail = customers.detail(self.session, self.detail.id, reveal=True)
        self.main.seen_change = audit.last_change()

        def save(changes, base):
            return customers.update(self.session, detail.id, changes, base=base, lead_id=lead.id if lead else None)

        def done(result) -> None:
            if result is not None:
                self.status(t("notice.saved"))
                self.load()

        self.app.push_screen(
            form("EditCustomerScreen")(detail=detail, vehicles=self.main.vehicles(), policy=self.policy, save=save,
                                       reload=partial(customers.detail, self.session, detail.id, reveal=True)),
            done,
        )

    def action_dormant(self) -> None:
        """Open lead: mark dormant (confirmed). Dormant or lost lead: reactivate it."""
        if self.detail is None or not self.detail.leads:
            return
        lead = self.detail.leads[0]
        name = self.detail.name
        if lead.status in ("dormant", "lost"):
            try:
                process.reactivate(self.session, lead.id, lead.version)
            except ServiceError as e:
                self.status(error_sentence(e, self.policy), error=True)
                return
            self.status(t("notice.reactivated", name=name))
            self.load()
            return
        if lead.status != "open":
            return
        self.app.push_screen(
            form("ConfirmScreen")(title=t("dormant_form.title") + " — " + name,
                                  text=t("dormant_form.confirm", **hint_keys(self.app)),
                                  submit=partial(process.set_dormant, self.session, lead.id, lead.version),
                                  policy=self.policy),
            lambda done: done and (self.status(t("notice.dormant", name=name)), self.load()),
        )

    def action_complaint(self) -> None:
        if self.detail is None:
            return
        self.app.push_screen(
            form("ComplaintScreen")(name=self.detail.name, policy=self.policy,
                                    submit=partial(complaints.open_complaint, self.session, self.detail.id),
                                    people=reassign.consultants(self.session)),
            lambda done: done and (self.status(t("notice.complaint_saved")), self.load()),
        )

    def action_merge(self) -> None:
        if self.detail is None:
            return
        keep = self.detail
        self.app.push_screen(
            form("MergeScreen")(keep=customers.detail(self.session, keep.id, reveal=True),
                                find=partial(merge.candidates, self.session, keep.id), policy=self.policy,
                                load=partial(customers.detail, self.session, reveal=True),
                                submit=lambda other, take, lead: merge.merge(self.session, keep.id, other, take, lead)),
            lambda done: done and (self.status(t("notice.merged")), self.load()),
        )

    def palette_commands(self):
        yield from self.record_commands()
        if self.detail is None:
            return
        name = self.detail.name
        yield t("palette.edit", name=name), t("palette.record_help"), self.action_edit
        if self.detail.lead is not None:
            yield t("palette.dormant", name=name), t("palette.record_help"), self.action_dormant
        yield t("palette.complaint", name=name), t("palette.record_help"), self.action_complaint
        if self.session.is_manager:
            yield t("palette.merge", name=name), t("palette.record_help"), self.action_merge
