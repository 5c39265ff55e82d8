"""Who is late (managers): breached response clocks, overdue follow-ups and silent leads by
consultant, worst first; Enter opens the customer."""

from __future__ import annotations

from textual.binding import Binding

from carcrm_tui.services import late
from carcrm_tui.ui.panes.base import Pane, survives
from carcrm_tui.ui.widgets.late import LateTable


@survives()
class LatePane(Pane):
    BINDINGS = [Binding("f", "filter", "key.filter", id="filter.tag")]

    def compose(self):
        yield LateTable(id="late-table")

    def refresh_data(self, *, force: bool = False) -> None:
        self.query_one(LateTable).show(late.report(self.session), self.main.list_name)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "filter":  # a group manager picks a showroom
            return self.session.actor.showroom_id is None
        return True

    def action_filter(self) -> None:
        self.main.choose_board_filter()

    def on_late_table_opened(self, event: LateTable.Opened) -> None:
        self.main.open_customer(event.customer_id)
