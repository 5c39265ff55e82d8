"""Who is late: the manager's list, each lead row opening its customer.

A line-API list like Today, so section titles span the width instead of
widening the first column, and it reads at 80 columns.
"""

from __future__ import annotations

from textual.message import Message

from carcrm_tui.i18n import duration, label, t
from carcrm_tui.ui.text import clean
from carcrm_tui.ui.widgets.line_list import Columns, Line, LineList

COLUMNS = Columns(
    keys=("what", "customer", "owner", "grade", "stage"),
    catalog="late",
    max_width={"what": 20, "customer": 16, "owner": 10, "grade": 5},
    min_width={"what": 8, "customer": 6, "owner": 4, "grade": 2},
    shrink=("owner", "what", "customer"),
    last_min=6,
)


class LateTable(LineList):
    """Lines are keyed "lead:<section>:<lead id>" (these open), "title:…", "none:…", "owner:…"."""

    COLUMNS = COLUMNS

    class Opened(Message):
        def __init__(self, customer_id: int) -> None:
            super().__init__()
            self.customer_id = customer_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.customers: dict[str, int] = {}

    def actionable(self, key: str) -> bool:
        return key in self.customers

    def activate(self, key: str) -> None:
        self.post_message(self.Opened(self.customers[key]))

    def show(self, report, display_name) -> None:
        keep = self.cursor_key if self.cursor_key in self.customers else None
        where = self.cursor_row
        lines: list[Line] = []
        customers: dict[str, int] = {}

        def section(name: str, title: str, rows, what) -> None:
            lines.append(Line(f"title:{name}", title=((title, "bold"),)))
            for r in rows:
                key = f"lead:{name}:{r.lead_id}"
                customers[key] = r.customer_id
                lines.append(Line(key, (
                    ((what(r), "red"),), ((clean(display_name(r.customer_name)), ""),), ((clean(r.owner_name), ""),),
                    ((r.grade, "bold"),), ((label("stage", r.stage), ""),),
                )))
            if not rows:
                lines.append(Line(f"none:{name}", title=((t("today.none"), "dim"),)))

        section("response", t("late.response", n=len(report.response)), report.response,
                lambda r: t("late.response_row", d=duration(r.minutes)))
        lines.append(Line("title:overdue", title=((t("late.overdue"), "bold"),)))
        for owner, n in report.overdue_by_consultant:
            lines.append(Line(f"owner:{owner}", (((t("late.overdue_row", n=n), "yellow"),), (), ((clean(owner), ""),), (), ())))
        section("quiet", t("late.quiet", n=len(report.quiet)), report.quiet, lambda r: t("late.days", n=r.minutes))
        section("stale", t("late.stale", n=len(report.stale)), report.stale, lambda r: t("late.days", n=r.minutes))
        section("orphaned", t("late.orphaned", n=len(report.orphaned)), report.orphaned, lambda r: t("late.disabled"))
        self.customers = customers
        self.set_lines(lines, keep, where, next(iter(customers), None))
