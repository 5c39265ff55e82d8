"""Today: the consultant's day — messages, complaints, urgent work, today's and the week's calls.

The list above, the selected row whole below. Enter opens the customer of any
row; `c` logs a call on it (a complaint row: on the customer's latest lead);
`s` resolves the complaint under the cursor (or records its call-back).
"""

from __future__ import annotations

import asyncio
from functools import partial

from textual import work
from textual.binding import Binding

from carcrm_tui.i18n import t
from carcrm_tui.services import complaints, contacts, customers, notices, today
from carcrm_tui.services.errors import NotFound
from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.panes.base import REFUSALS, form, survives
from carcrm_tui.ui.panes.record import Record, RecordPane
from carcrm_tui.ui.widgets.today import TodayTable
from carcrm_tui.ui.widgets.today_detail import TodayDetail


AHEAD_AFTER = 0.03  # seconds after a cursor move (a held key moves every ~33 ms)


@survives()
class TodayPane(RecordPane):
    BINDINGS = [
        Binding("s", "resolve", "key.resolve", id="complaint.resolve"),
        Binding("f", "filter", "key.filter", id="filter.tag"),
    ]
    RECORD_ACTIONS = frozenset({"log_contact"})  # a row carries no lead version: stages move on the board
    BLANK = True  # the list and the detail cover it: no background drawn under them on every key

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.limits: dict = {}  # groups the user asked to see more of
        self._said: dict[int, tuple] = {}  # lead id -> (last change seen, its latest contact)
        self._on_complaint = False  # the cursor is on a complaint row (the key bar offers s)
        self._ahead = None  # the timer that draws the detail of the rows next to the cursor

    def compose(self):
        yield TodayTable(id="today-table", follow=self.cursor_moved)
        yield TodayDetail(id="today-detail")

    @property
    def table(self) -> TodayTable:
        return self.query_one(TodayTable)

    def refresh_data(self, *, force: bool = False) -> None:
        main = self.main
        table = self.table
        table.display_name = main.list_name
        table.show(today.today(self.session, tag=main.tag, limits=self.limits), self.now, self.policy)
        if force:
            self._said.clear()
        self.show_detail()
        if not main.privacy:
            self.read_ahead({row.lead_id for row in table.rows_by_key.values()}, main.seen_change)

    # ---- the detail lines ------------------------------------------------------
    # What was said last on the row under the cursor comes from `_said`: read ahead for every row
    # the list holds (one query on a worker after the list is shown), so a cursor move repaints
    # once; a row not read yet (the cursor got there first) is read on its own.
    def cursor_moved(self) -> None:
        self.show_detail()
        # the rows either side, once this key's frame is on the terminal: Textual writes frames on a
        # thread of its own, which waits for this one to go idle (a callback right after the frame
        # would hold the frame back). A bare loop timer: a Textual one costs a task on every key.
        if self._ahead is not None:
            self._ahead.cancel()
        self._ahead = asyncio.get_running_loop().call_later(AHEAD_AFTER, self.draw_ahead)
        on_complaint = self.table.selected_complaint is not None
        if on_complaint != self._on_complaint:  # s applies on complaint rows only: the key bar changes
            self._on_complaint = on_complaint
            self.main.refresh_bindings()

    def _said_now(self, row) -> tuple | None:
        """What was said last on this row's lead as of the last change seen (None: not read)."""
        seen = self._said.get(row.lead_id)
        return seen[1] if seen is not None and seen[0] == self.main.seen_change else None

    def draw_ahead(self) -> None:
        """The detail of the rows either side of the cursor, built and drawn while the app waits
        for the next key: that key repaints from the detail's cache."""
        self._ahead = None
        if not self.is_attached:
            return
        table, main = self.table, self.main
        detail = self.query_one(TodayDetail)
        for row in table.neighbours():
            said = self._said_now(row)
            if said is not None or main.privacy:
                detail.prepare_row(row, said, now=self.now, policy=self.policy, privacy=main.privacy,
                                   display_name=main.list_name)

    def show_detail(self) -> None:
        table, detail, main = self.table, self.query_one(TodayDetail), self.main
        row = table.selected
        if row is not None:
            said = self._said_now(row)
            detail.show_row(row, said, now=self.now, policy=self.policy, privacy=main.privacy,
                            display_name=main.list_name)
            if said is None and not main.privacy:
                self.load_last_contact(row.lead_id, main.seen_change)
        elif table.selected_complaint is not None:
            detail.show_complaint(table.selected_complaint, now=self.now, policy=self.policy,
                                  display_name=main.list_name)
        elif table.selected_notice is not None:
            detail.show_notice(table.selected_notice, display_name=main.list_name)
        else:
            detail.show_nothing()

    @work(thread=True, exclusive=True, group="today-detail")
    def load_last_contact(self, lead_id: int, as_of: int) -> None:
        try:
            said = in_worker(contacts.recent, self.session, lead_id)
        except REFUSALS as e:
            self.app.call_from_thread(self.refused, e)
            return
        self.app.call_from_thread(self._last_contact_loaded, lead_id, as_of, said)

    def _last_contact_loaded(self, lead_id: int, as_of: int, said) -> None:
        self._said[lead_id] = (as_of, said)
        row = self.table.selected
        if row is not None and row.lead_id == lead_id:
            self.show_detail()

    @work(thread=True, exclusive=True, group="today-ahead")
    def read_ahead(self, lead_ids: set[int], as_of: int) -> None:
        try:
            said = in_worker(contacts.recent_for, self.session, lead_ids)
        except REFUSALS:  # the row under the cursor is read on its own and says why
            return
        self.app.call_from_thread(self._read_ahead_done, as_of, said)

    def _read_ahead_done(self, as_of: int, said: dict) -> None:
        kept = {lead: seen for lead, seen in self._said.items() if seen[0] == as_of}  # older reads are stale
        self._said = kept | {lead: (as_of, contacts) for lead, contacts in said.items()}
        detail, row = self.query_one(TodayDetail), self.table.selected
        if detail.waiting and row is not None and row.lead_id in said:
            self.show_detail()

    # ---- what is under the cursor -----------------------------------------------
    def current(self) -> Record | None:
        table = self.table
        row = table.selected
        if row is not None:
            return Record(row.lead_id, row.customer_id, row.customer_name, row.grade, None, row.followup_id,
                          row.stage if row.stage in ("won", "lost", "dormant", "merged") else "open")
        c = table.selected_complaint
        if c is not None and c.lead_id is not None:  # a call about the complaint, on the customer's lead
            return Record(c.lead_id, c.customer_id, c.customer_name, c.lead_grade, None, None, c.lead_status)
        return None

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "resolve":
            return self.table.selected_complaint is not None
        return super().check_action(action, parameters)

    # ---- rows --------------------------------------------------------------------
    def on_today_table_opened(self, event: TodayTable.Opened) -> None:
        self.main.open_customer(event.row.customer_id)

    def on_today_table_complaint_opened(self, event: TodayTable.ComplaintOpened) -> None:
        self.main.open_customer(event.complaint.customer_id)

    def on_today_table_more_wanted(self, event: TodayTable.MoreWanted) -> None:
        """The next page of a group, fetched from the database (the table never holds them all)."""
        self.limits[event.group] = self.limits.get(event.group, today.PAGE) + 100
        self.refresh_data()

    def on_today_table_notice_opened(self, event: TodayTable.NoticeOpened) -> None:
        """A message read: it leaves the list, and its customer opens (if the reader may see them)."""
        notice = event.notice
        notices.mark_read(self.session, notice.id)
        if notice.customer_id is not None and notice.kind != "be_back_elsewhere":
            try:
                customers.detail(self.session, notice.customer_id)
            except NotFound:
                self.refresh_data()
                return
            self.main.open_customer(notice.customer_id)
        else:
            self.refresh_data()

    def action_resolve(self) -> None:
        c = self.table.selected_complaint
        if c is None:
            return
        c = complaints.get(self.session, c.id)
        if c.status == "closed":
            self.refresh_data()
            return
        self.app.push_screen(
            form("ComplaintActionScreen")(complaint=c, policy=self.policy,
                                          resolve=partial(complaints.resolve, self.session, c.id),
                                          call_back=partial(complaints.call_back, self.session, c.id)),
            lambda done: done and (self.status(t("notice.complaint_updated")), self.refresh_data()),
        )

    def action_filter(self) -> None:
        main = self.main

        def chosen(tag) -> None:
            if tag is None:
                return
            main.tag = tag or None
            self.status(t("notice.filter_on", tag=tag) if tag else t("notice.filter_off"))
            main.filter_changed()

        self.app.push_screen(form("TagFilterScreen")(tags=customers.all_tags(self.session), current=main.tag),
                             chosen)

    def palette_commands(self):
        yield from self.record_commands()
        record = self.current()
        if record is not None:
            yield (t("palette.open", name=record.name), t("palette.record_help"),
                   partial(self.main.open_customer, record.customer_id))
        if self.table.selected_complaint is not None:
            yield t("key.resolve"), t("palette.record_help"), self.action_resolve
        yield t("palette.filter"), "", self.action_filter
