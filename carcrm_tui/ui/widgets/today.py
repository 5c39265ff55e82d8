"""The Today pane: the consultant's follow-ups grouped overdue / today / upcoming."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from carcrm_tui.domain.schedule import DueGroup
from carcrm_tui.i18n import duration, label, t
from carcrm_tui.services.views import DueRow, TodayView
from carcrm_tui.ui.format import due_text, local, why_due
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.widgets.customer import purpose_text
from carcrm_tui.ui.text import plain

GROUP_RICH = {DueGroup.OVERDUE: "bold red", DueGroup.TODAY: "bold yellow", DueGroup.UPCOMING: "bold green"}


def why_text(row: DueRow, now) -> Text:
    """Why the row is here: the purpose of the task, or the grade's cadence; plus the
    first-response clock while the lead still waits for its first answer."""
    text = Text()
    clock = row.response
    if clock is not None:
        if clock.breached:
            text.append(t("today.sla_late", d=duration(clock.minutes_left)) + " · ", style="bold red")
        else:
            text.append(t("today.sla_left", d=duration(clock.minutes_left)) + " · ", style="bold yellow")
    if row.purpose:
        text.append(purpose_text(row.purpose), style="dim")
    else:
        text.append(why_due(row.reason, now), style="dim")
    return text


class TodayTable(Translated, DataTable):
    """Rows are keyed by follow-up id; group headers by "group:<name>"."""

    BINDINGS = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "scroll_top", show=False),
        Binding("G", "scroll_bottom", show=False),
    ]

    class Opened(Message):
        def __init__(self, row: DueRow) -> None:
            super().__init__()
            self.row = row

    class MoreWanted(Message):
        def __init__(self, group: DueGroup) -> None:
            super().__init__()
            self.group = group

    class ComplaintOpened(Message):
        def __init__(self, complaint) -> None:
            super().__init__()
            self.complaint = complaint

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_by_key: dict[str, DueRow] = {}
        self.complaints_by_key: dict = {}
        self.display_name = lambda name: name  # privacy mode swaps in initials

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        self.clear(columns=True)
        for key in ("due", "customer", "grade", "stage", "vehicle", "channel", "why"):
            self.add_column(t(f"today.col.{key}"), key=key)

    def show(self, view: TodayView, now, policy) -> None:
        keep = self.selected_row
        self.clear()
        self.rows_by_key.clear()
        self.complaints_by_key.clear()
        if view.complaints:  # routed to me, on a 24-hour clock: first thing on the list
            self.add_row(Text(t("today.complaints", n=len(view.complaints)), style="bold magenta"), *[""] * 6,
                         key="group:complaints")
            for c in view.complaints:
                key = f"c{c.id}"
                self.complaints_by_key[key] = c
                late = c.breached(now)
                when = local(c.due_at, policy, "MM-DD HH:mm")
                self.add_row(
                    Text(due_text(c.due_at, now), style="red" if late else ""),
                    plain(self.display_name(c.customer_name)), Text(""), Text(label("complaint_status", c.status)),
                    Text(label("category", c.category)), Text(label("channel", c.channel)),
                    Text(t("today.complaint_late" if late else "today.complaint_due", when=when),
                         style="red" if late else "dim"),
                    key=key,
                )
        for group in DueGroup:
            rows = view.groups.get(group, [])
            total = view.totals.get(group, 0)
            title = Text(t(f"today.group.{group.value}", n=total), style=GROUP_RICH[group])
            self.add_row(title, *[""] * 6, key=f"group:{group.value}")
            for row in rows:
                key = f"f{row.followup_id}"
                self.rows_by_key[key] = row
                due = due_text(row.due_at, now)
                if group is DueGroup.TODAY:  # "in 2 hours 14:30": the clock time matters today
                    due = f"{due} {local(row.due_at, policy, 'HH:mm')}"
                self.add_row(
                    Text(due, style="red" if group is DueGroup.OVERDUE else ""),
                    plain(self.display_name(row.customer_name)),
                    Text(row.grade, style="bold"),
                    Text(label("stage", row.stage) if row.stage in policy.stages else label("status", row.stage)),
                    plain(row.vehicle),
                    Text(label("channel", row.channel)),
                    why_text(row, now),
                    key=key,
                )
            if total > len(rows):
                self.add_row(Text(t("today.more", n=total - len(rows)), style="italic"), *[""] * 6,
                             key=f"more:{group.value}")
            if not rows:
                self.add_row(Text(t("today.none"), style="dim"), *[""] * 6, key=f"empty:{group.value}")
        self._restore(keep)

    def _restore(self, key: str | None) -> None:
        target = None
        if key is not None and key in self.rows_by_key:
            target = self.get_row_index(key)
        elif self.rows_by_key:
            target = self.get_row_index(next(iter(self.rows_by_key)))
        if target is not None:
            self.move_cursor(row=target, animate=False)

    def _skip_headers(self, step: int) -> None:
        """Keep the cursor on follow-ups: group titles and "more" lines are not rows to act on."""
        row = self.cursor_row
        while 0 <= row < self.row_count and not self._actionable(self._key_at(row)):
            row += step
        if 0 <= row < self.row_count:
            self.move_cursor(row=row, animate=False)

    def _actionable(self, key: str | None) -> bool:
        return key in self.rows_by_key or key in self.complaints_by_key or bool(key and key.startswith("more:"))

    def _key_at(self, row: int) -> str | None:
        try:
            return self.coordinate_to_cell_key((row, 0)).row_key.value
        except Exception:
            return None

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._skip_headers(+1)

    def action_cursor_up(self) -> None:
        before = self.cursor_row
        super().action_cursor_up()
        self._skip_headers(-1)
        if not self._actionable(self._key_at(self.cursor_row)):  # nothing above: stay put
            self.move_cursor(row=before, animate=False)

    @property
    def selected_row(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return key if (key in self.rows_by_key or key in self.complaints_by_key) else None

    @property
    def selected(self) -> DueRow | None:
        """The follow-up under the cursor (None on a complaint or a title line)."""
        key = self.selected_row
        return self.rows_by_key.get(key) if key else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        row = self.rows_by_key.get(event.row_key.value)
        event.stop()
        if row is not None:
            self.post_message(self.Opened(row))
        elif event.row_key.value in self.complaints_by_key:
            self.post_message(self.ComplaintOpened(self.complaints_by_key[event.row_key.value]))
        elif event.row_key.value.startswith("more:"):
            self.post_message(self.MoreWanted(DueGroup(event.row_key.value[5:])))

