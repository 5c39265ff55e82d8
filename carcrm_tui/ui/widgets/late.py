"""Who is late: the manager's list, each lead row opening its customer."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from carcrm_tui.i18n import duration, label, t
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import plain


class LateTable(Translated, DataTable):
    class Opened(Message):
        def __init__(self, customer_id: int) -> None:
            super().__init__()
            self.customer_id = customer_id

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)
        self.customers: dict[str, int] = {}

    def on_mount(self) -> None:
        for key in ("what", "customer", "owner", "grade", "stage"):
            self.add_column(t(f"late.col.{key}"), key=key)

    def show(self, report, display_name) -> None:
        self.clear()
        self.customers.clear()

        def section(title: str, rows, what) -> None:
            self.add_row(Text(title, style="bold"), "", "", "", "", key=f"title:{title}")
            for r in rows:
                key = f"lead:{title}:{r.lead_id}"
                self.customers[key] = r.customer_id
                self.add_row(Text(what(r), style="red"), plain(display_name(r.customer_name)), plain(r.owner_name),
                             Text(r.grade), Text(label("stage", r.stage)), key=key)
            if not rows:
                self.add_row(Text(t("today.none"), style="dim"), "", "", "", "", key=f"none:{title}")

        section(t("late.response", n=len(report.response)), report.response,
                lambda r: t("late.response_row", d=duration(r.minutes)))
        self.add_row(Text(t("late.overdue"), style="bold"), "", "", "", "", key="title:overdue")
        for owner, n in report.overdue_by_consultant:
            self.add_row(Text(t("late.overdue_row", n=n), style="yellow"), "", plain(owner), "", "", key=f"owner:{owner}")
        section(t("late.quiet", n=len(report.quiet)), report.quiet, lambda r: t("late.days", n=r.minutes))
        section(t("late.stale", n=len(report.stale)), report.stale, lambda r: t("late.days", n=r.minutes))
        section(t("late.orphaned", n=len(report.orphaned)), report.orphaned, lambda r: t("late.disabled"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        customer = self.customers.get(event.row_key.value)
        if customer is not None:
            self.post_message(self.Opened(customer))
