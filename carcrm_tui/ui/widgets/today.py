"""Today's list: the consultant's follow-ups grouped urgent / today / upcoming.

It is the first thing a consultant sees, so it is a line-API list (see
line_list.py): only the lines on screen are ever drawn. A row says in a few
cells why it is there (the number first, so a narrow terminal cuts the words,
not the days); the detail lines under the list say it whole.
"""

from __future__ import annotations

from typing import Callable

from textual.message import Message

from carcrm_tui.domain.schedule import DueGroup, Urgency
from carcrm_tui.i18n import duration, humanize_short, label, t
from carcrm_tui.services.views import DueRow, TodayView
from carcrm_tui.ui.format import contact_short, local, stage_text
from carcrm_tui.ui.text import clean
from carcrm_tui.ui.widgets.customer import purpose_text
from carcrm_tui.ui.widgets.line_list import Cell, Columns, Line, LineList, Span

GROUP_STYLE = {DueGroup.URGENT: "bold red", DueGroup.TODAY: "bold yellow", DueGroup.UPCOMING: "bold green"}
COLUMNS = Columns(
    keys=("due", "customer", "grade", "stage", "vehicle", "channel", "why"),
    catalog="today",
    # a name is cut at 10 cells (the detail lines show it whole): one long name never
    # widens the column for every row and takes the reason's room
    max_width={"due": 10, "customer": 10, "grade": 3, "stage": 10, "vehicle": 12, "channel": 8},
    min_width={"due": 6, "customer": 4, "grade": 2, "stage": 4, "vehicle": 4, "channel": 4},
    shrink=("vehicle", "channel", "stage", "due", "customer"),
    last_min=18,  # "⏱ 2h to respond · 12d no contact" starts whole at 80 columns
)


def why_spans(row: DueRow, now) -> Cell:
    """Why the row is here, shortest first-word-first: the response clock while a new lead waits,
    the days since the last contact (red once past the grade's cadence), or the task's purpose."""
    spans: list[Span] = []
    clock = row.response
    if clock is not None:
        if clock.breached:
            spans.append((t("today.sla_late", d=duration(clock.minutes_left)) + " · ", "bold red"))
        else:
            spans.append((t("today.sla_left", d=duration(clock.minutes_left)) + " · ", "bold yellow"))
    if row.purpose:
        spans.append((clean(purpose_text(row.purpose)), "dim"))
        return tuple(spans)
    silent = row.urgency == Urgency.SILENT  # past the grade's cadence: the days in red (bold without colour)
    spans.append((contact_short(row.reason), "bold red" if silent else "dim"))
    return tuple(spans)


def complaint_why(c, now, policy) -> Cell:
    if c.status == "resolved":  # handled: the customer is to be called back and asked
        when = local(c.resolved_at, policy, "MM-DD HH:mm")
        return ((label("category", c.category) + " · ", ""), (t("today.complaint_callback", when=when), "bold"))
    late = c.breached(now)
    when = local(c.due_at, policy, "MM-DD HH:mm")
    return ((label("category", c.category) + " · ", ""),
            (t("today.complaint_late" if late else "today.complaint_due", when=when), "bold red" if late else "dim"))


class TodayTable(LineList):
    """Lines are keyed by follow-up ("f<id>"), complaint ("c<id>"), group title
    ("group:<name>"), "more:<group>" and "empty:<group>"."""

    COLUMNS = COLUMNS

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

    class NoticeOpened(Message):
        def __init__(self, notice) -> None:
            super().__init__()
            self.notice = notice

    def __init__(self, *, follow: Callable[[], None] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.follow = follow
        self.rows_by_key: dict[str, DueRow] = {}
        self.complaints_by_key: dict = {}
        self.notices_by_key: dict = {}
        self.display_name = lambda name: name  # privacy mode swaps in initials

    def actionable(self, key: str) -> bool:
        return (key in self.rows_by_key or key in self.complaints_by_key or key in self.notices_by_key
                or key.startswith("more:"))

    def activate(self, key: str) -> None:
        if key in self.notices_by_key:
            self.post_message(self.NoticeOpened(self.notices_by_key[key]))
        elif key in self.rows_by_key:
            self.post_message(self.Opened(self.rows_by_key[key]))
        elif key in self.complaints_by_key:
            self.post_message(self.ComplaintOpened(self.complaints_by_key[key]))
        else:
            self.post_message(self.MoreWanted(DueGroup(key[5:])))

    def cursor_moved(self) -> None:
        """`follow` (Today's detail lines) is called here, in the key's own handler, so what it
        repaints goes out in the same frame as the cursor; a message would reach the pane after
        that frame was sent, and the detail would follow a frame later (~30 ms)."""
        if self.follow is not None:
            self.follow()

    @property
    def selected_complaint(self):
        return self.complaints_by_key.get(self.cursor_key or "")

    @property
    def selected_notice(self):
        return self.notices_by_key.get(self.cursor_key or "")

    @property
    def selected_row(self) -> str | None:
        key = self.cursor_key
        return key if (key in self.rows_by_key or key in self.complaints_by_key or key in self.notices_by_key) else None

    @property
    def selected(self) -> DueRow | None:
        """The follow-up under the cursor (None on a complaint or a title line)."""
        key = self.selected_row
        return self.rows_by_key.get(key) if key else None

    def neighbours(self) -> list[DueRow]:
        """The follow-up rows a key away from the cursor (↑ and ↓), if those are follow-ups."""
        out = []
        for step in (1, -1):
            index = self.cursor_row + step
            while 0 <= index < len(self.lines) and not self.actionable(self.lines[index].key):
                index += step
            if 0 <= index < len(self.lines) and (row := self.rows_by_key.get(self.lines[index].key)) is not None:
                out.append(row)
        return out

    def show(self, view: TodayView, now, policy) -> None:
        keep, where = self.selected_row, self.cursor_row
        lines: list[Line] = []
        self.rows_by_key, self.complaints_by_key, self.notices_by_key = {}, {}, {}
        if view.notices:  # what happened to my customers while I was elsewhere: read first
            lines.append(Line("group:notices", title=((t("today.notices", n=len(view.notices)), "bold cyan"),
                                                      ("  " + t("today.notice_hint"), "dim"))))
            for n in view.notices:
                key = f"n{n.id}"
                self.notices_by_key[key] = n
                customer = n.params.get("customer", "")
                lines.append(Line(key, (
                    ((humanize_short(n.at, now), ""),),
                    ((clean(self.display_name(customer)) if customer else "", "bold"),), (), (), (), (),
                    ((clean(t(f"notice_kind.{n.kind}", **n.params)), ""),),
                )))
        if view.complaints:  # routed to me, on a 24-hour clock: first thing on the list
            lines.append(Line("group:complaints", title=((t("today.complaints", n=len(view.complaints)), "bold magenta"),)))
            for c in view.complaints:
                key = f"c{c.id}"
                self.complaints_by_key[key] = c
                lines.append(Line(key, (
                    ((humanize_short(c.due_at, now), "bold red" if c.breached(now) else ""),),
                    ((clean(self.display_name(c.customer_name)), ""),), (),
                    ((t(f"today.complaint_state.{c.status}"), ""),), (),
                    ((label("channel", c.channel), ""),),
                    complaint_why(c, now, policy),
                )))
        today = now.in_timezone(policy.tz).date()

        def on_today(instant) -> bool:
            return instant.in_timezone(policy.tz).date() == today

        for group in DueGroup:
            rows = view.groups.get(group, [])
            total = view.totals.get(group, 0)
            lines.append(Line(f"group:{group.value}", title=((t(f"today.group.{group.value}", n=total), GROUP_STYLE[group]),)))
            for row in rows:
                key = f"f{row.followup_id}"
                self.rows_by_key[key] = row
                # what falls on the dealership's today by the clock ("14:30"), the rest by the day
                # ("3d ago", "in 2d", as on the board): the reason keeps the room at 80×24
                due = (local(row.due_at, policy, "HH:mm") if group is DueGroup.TODAY or on_today(row.due_at)
                       else humanize_short(row.due_at, now))
                stage = stage_text(row.stage)
                lines.append(Line(key, (
                    ((due, "bold red" if group is DueGroup.URGENT else ""),),  # bold: urgent without colour too
                    ((clean(self.display_name(row.customer_name)), ""),),
                    ((row.grade, "bold"),),
                    ((stage, ""),),
                    ((clean(row.vehicle), ""),),
                    ((label("channel", row.channel), ""),),
                    why_spans(row, now),
                )))
            if total > len(rows):
                lines.append(Line(f"more:{group.value}", title=((t("today.more", n=total - len(rows)), "italic"),)))
            if not rows:
                lines.append(Line(f"empty:{group.value}", title=((t("today.none"), "dim"),)))
        self.set_lines(lines, keep, where, next(iter(self.rows_by_key), None) or next(iter(self.notices_by_key), None))
