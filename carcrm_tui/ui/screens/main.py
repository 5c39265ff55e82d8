"""The main screen: Today, the lead board and the customer record, one key apart.

This screen is where UI meets services: it binds service calls to the acting
session and hands forms plain callables, so no widget touches the database.
"""

from __future__ import annotations

import asyncio
import functools
import time
from functools import partial
from typing import TYPE_CHECKING, Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual import work
from textual.widgets import ContentSwitcher, Static

from carcrm_tui.domain.policy import SOURCES as P_SOURCES
from carcrm_tui.i18n import label, t
from carcrm_tui.domain.validation import initials
from carcrm_tui.services import (
    audit, auth, board, catalogue, complaints, contacts, customers, late, merge, notices, process, reassign, search,
    today, walkins,
)
from carcrm_tui.services.errors import NotFound, ServiceError
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.services.session import Session, in_worker
from carcrm_tui.services.views import BoardFilter
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui_text import error_sentence as service_error_text
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.key_bar import KeyBar
from carcrm_tui.ui.widgets.today import TodayTable
from carcrm_tui.ui.keymap import hint_keys, keys_of

if TYPE_CHECKING:
    from carcrm_tui.ui.widgets.board import BoardView
    from carcrm_tui.ui.widgets.customer import CustomerView
    from carcrm_tui.ui.widgets.late import LateTable
    from carcrm_tui.ui.widgets.metrics import MetricsView

PANES = ("today", "board", "customer")
# Forms load when first opened, not at start: a consultant's first screen is Today.
_SCREENS = {
    "ImportScreen": "data_forms", "MergeScreen": "data_forms", "EditCustomerScreen": "edit_customer",
    "HelpScreen": "help", "ReassignScreen": "data_forms", "ReviewScreen": "help", "LogContactScreen": "log_contact", "LostScreen": "lost", "SearchScreen": "search",
    "WalkInScreen": "walkin", "ComplaintActionScreen": "process_forms", "ComplaintScreen": "process_forms",
    "ConfirmScreen": "process_forms", "GradeScreen": "process_forms", "StageScreen": "process_forms",
    "TagFilterScreen": "process_forms", "BoardFilterScreen": "process_forms",
    "CatalogueScreen": "catalogue", "ImportBatchesScreen": "imports",
}


def screen(name: str):
    import importlib

    return getattr(importlib.import_module(f"carcrm_tui.ui.screens.{_SCREENS[name]}"), name)
LIVE_REFRESH_SECONDS = 1.0
VALIDITY_EVERY = 3  # polls between checks that the account is still enabled, in the same role
REFUSALS = (ServiceError, StorageFault)


def as_is(name: str) -> str:
    return name


def _survive(method):
    """A refusal or a storage fault inside a key's action or a handler becomes a sentence on the
    status line; the screen lives on and nothing the user typed is lost (forms keep their input)."""
    if asyncio.iscoroutinefunction(method):
        @functools.wraps(method)
        async def guarded_async(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except REFUSALS as e:
                self.refused(e)
        return guarded_async

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except REFUSALS as e:
            self.refused(e)
    return guarded


GUARDED = ("poll_changes", "refresh_pane", "after_move", "open_customer", "show_pane", "handle_complaint",
           "load_customer", "_show_when_mounted", "mount_panes", "changes_told", "live_back")


def survives(cls):
    for name, value in list(vars(cls).items()):
        if callable(value) and (name.startswith(("action_", "on_")) or name in GUARDED):
            setattr(cls, name, _survive(value))
    return cls


@survives
class MainScreen(Translated, Screen):
    BINDINGS = [
        Binding("1", "pane('today')", "key.today", id="pane.today", show=False),
        Binding("2", "pane('board')", "key.board", id="pane.board", show=False),
        Binding("3", "pane('customer')", "key.customer", id="pane.customer", show=False),
        Binding("4", "pane('late')", "key.late", id="pane.late", show=False),
        Binding("5", "pane('metrics')", "key.metrics", id="pane.metrics", show=False),
        Binding("comma", "period(-1)", "key.period_back", id="metrics.back"),
        Binding("full_stop", "period(1)", "key.period_forward", id="metrics.forward"),
        Binding("slash", "search", "key.search", id="search"),
        Binding("c", "log_contact", "key.log", id="contact.log"),
        Binding("n", "walk_in", "key.walkin", id="walkin.new"),
        Binding("e", "edit", "key.edit", id="customer.edit"),
        Binding("right_square_bracket,greater_than_sign,shift+right", "move(1)", "key.next_stage", id="lead.next_stage"),
        Binding("left_square_bracket,less_than_sign,shift+left", "move(-1)", "key.prev_stage", id="lead.prev_stage"),
        Binding("x", "lost", "key.lost", id="lead.lost"),
        Binding("g", "grade", "key.grade", id="lead.grade", show=False),
        Binding("d", "dormant", "key.dormant", id="lead.dormant", show=False),
        Binding("k", "complaint", "key.complaint", id="customer.complaint", show=False),
        Binding("f", "filter", "key.filter", id="filter.tag"),
        Binding("m", "merge", "key.merge", id="customer.merge", show=False),
        Binding("a", "reassign", "key.reassign", id="lead.reassign", show=False),
        Binding("space", "mark", "key.mark", id="board.mark", show=False),
        Binding("R", "review", "key.review", id="review.daily", show=False),
        Binding("r", "reload", "key.refresh", id="refresh", show=False),
        Binding("p", "privacy", "key.privacy", id="privacy"),
        Binding("v", "reveal", "key.reveal", id="customer.reveal"),
        Binding("question_mark", "help", "key.help", id="help"),
        Binding("q", "app.quit", "key.quit", id="quit"),
    ]
    DEFAULT_CSS = """
    MainScreen #topbar { height: 1; background: $primary; color: $text; padding: 0 1; }
    MainScreen #status { height: 1; padding: 0 1; color: $text-muted; }
    MainScreen ContentSwitcher { height: 1fr; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.pane = "today"
        self.customer_id: int | None = None
        self.detail = None
        self._vehicles = None
        self.privacy = False  # names as initials on lists, for screens customers can see
        self.tag: str | None = None  # Today and the board show only customers with this tag
        self.today_limits: dict = {}  # groups the user asked to see more of
        self.seen_change = 0
        self.period = None  # the metrics pane's month; None = this month
        self.board_only = BoardFilter()  # the board's own filter (consultant, source, grade, vehicle)
        self._mounting = None  # the other panes' mount, started after the first paint
        self.panes_ready = False
        self._pending_pane: tuple | None = None  # (pane, then) asked for before the panes had mounted
        self.revealed = None  # RevealedPhones of the open customer, shown until it changes or we move on
        self._polls = 0
        self._poll_failures = 0
        self._poll_resume = 0.0  # monotonic time before which the poll rests (backing off a lost database)
        self.seen_generation = 0  # PostgreSQL: the server's bursts of news drawn so far (ui/live.py)

    # ---- layout -----------------------------------------------------------
    def compose(self):
        yield Static(id="topbar")
        with ContentSwitcher(initial="today"):
            with Vertical(id="today"):
                yield TodayTable(id="today-table")
        yield Static(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_pane("today")
        self.set_interval(LIVE_REFRESH_SECONDS, self.poll_changes)
        self.call_after_refresh(self.mount_panes)

    async def mount_panes(self) -> None:
        """The other panes load behind Today's first paint (a consultant starts on Today)."""
        if self._mounting is None:
            self._mounting = self.query_one(ContentSwitcher).mount_all(self._build_panes())
        await self._mounting
        self.panes_ready = True

    def _build_panes(self) -> list[Vertical]:
        from carcrm_tui.ui.widgets.board import BoardView
        from carcrm_tui.ui.widgets.customer import CustomerView

        built = {
            "board": BoardView(
                self.session.policy.stages, self.session.policy.grade_order,
                lambda stage, after, limit: board.page(self.session, stage, after, limit, filt=self.board_filter),
                show_owner=self.session.sees_everyone, id="board-view",
            ),
            "customer": CustomerView(id="customer-view"),
        }
        if "late" in self.panes:
            from carcrm_tui.ui.widgets.late import LateTable
            from carcrm_tui.ui.widgets.metrics import MetricsView

            built |= {"late": LateTable(id="late-table"), "metrics": MetricsView(id="metrics-view")}
        panes = [Vertical(widget, id=pane) for pane, widget in built.items()]
        for pane in panes:
            pane.display = False  # the switcher shows one pane at a time
        return panes

    @property
    def board_view(self) -> BoardView:
        return self.query_one("#board-view")  # type: ignore[return-value]

    @property
    def customer_view(self) -> CustomerView:
        return self.query_one("#customer-view")  # type: ignore[return-value]

    @property
    def late_table(self) -> LateTable:
        return self.query_one("#late-table")  # type: ignore[return-value]

    @property
    def metrics_view(self) -> MetricsView:
        return self.query_one("#metrics-view")  # type: ignore[return-value]

    def poll_changes(self) -> None:
        """Live refresh: another terminal committed → redraw the visible pane, cursor kept.

        Only when this screen is on top: an open form or the lock screen is left alone. Every
        few polls it also checks that the account is still enabled in the same role (a disabled
        account's session ends here). A database that stops answering is said once and polled
        again with growing pauses, never with a traceback.
        """
        if time.monotonic() < self._poll_resume:
            return
        try:
            self._polls += 1
            if self._polls % VALIDITY_EVERY == 0 and not auth.still_valid(self.session.actor):
                self.app.session_ended()
                return
            changed = self._changed_elsewhere()
        except StorageFault as e:
            self._poll_failures += 1
            self._poll_resume = time.monotonic() + min(30.0, 2.0 ** self._poll_failures)
            self.status(t(f"error.storage.{e.kind}"), error=True)
            return
        if self._poll_failures:
            self._poll_failures = 0
            self.status(t("notice.reconnected"))
            self.refresh_pane()
            return
        # the metrics pane counts whole months: it recounts on r or a new period, not on every change
        if changed and self.app.screen is self and self.pane != "metrics":
            self.refresh_pane()

    def _changed_elsewhere(self) -> bool:
        """Told by the server while it listens (PostgreSQL, ui/live.py); otherwise asked: the newest audit id."""
        live = getattr(self.app, "live", None)
        if live is not None and live.listening:
            return live.generation != self.seen_generation
        return audit.last_change() != self.seen_change

    # ---- told by the server (PostgreSQL): ui/live.py hands these over ----------------------------
    def changes_told(self) -> None:
        """Another terminal committed: redraw now, on the same terms as the poll (on top, not metrics)."""
        if self.app.screen is self and self.pane != "metrics" and self._changed_elsewhere():
            self.refresh_pane()

    def live_lost(self, kind: str, seconds: int) -> None:
        self.status(t("live.lost", seconds=seconds), error=True)

    def live_back(self) -> None:
        """Listening again: what was committed meanwhile was not told, so redraw once."""
        self.status(t("live.back"))
        self.seen_change = self.seen_generation = -1  # stale: the poll redraws a pane under a form later
        if self.app.screen is self and self.pane != "metrics":
            self.refresh_pane()

    @property
    def board_filter(self) -> BoardFilter:
        """The board's filter with the tag shared with Today."""
        return self.board_only._replace(tag=self.tag)

    @property
    def list_name(self):
        return initials if self.privacy else as_is

    @property
    def now(self):
        return self.session.now()

    @property
    def policy(self):
        return self.session.policy

    def vehicles(self):
        if self._vehicles is None:
            self._vehicles = catalogue.list_vehicles()
        return self._vehicles

    def _topbar(self) -> None:
        """Dealership, panes, who is signed in and what is filtered, in one line.

        Who is signed in and the filter matter most on a shared 80-column
        terminal, so when the line is too long the other panes shrink to their
        numbers first, then the dealership's name goes.
        """
        width = self.size.width or 80
        who = Text(f"{label('role', self.session.actor.role)} ")
        who.append_text(plain(self.session.actor.name, "bold"))
        shown = filter_words(self.board_filter if self.pane == "board" else BoardFilter(tag=self.tag))
        if shown:
            who.append("  ⧩ ").append_text(plain(" · ".join(shown), "bold"))
        for compact, dealer in ((False, True), (True, True), (True, False)):
            bar = Text()
            if dealer:
                bar.append_text(plain(self.policy.dealership, "bold"))
                bar.append("  ")
            for pane in self.panes:
                current = pane == self.pane
                i = keys_of(self.app, f"pane.{pane}").split(" ")[0]  # the key as the user's [keymap] has it
                bar.append(f" {i} {t(f'pane.{pane}')} " if current or not compact else f" {i} ",
                           style="reverse bold" if current else "")
            bar.append("  ")
            bar.append_text(who)
            if bar.cell_len <= width:
                break
        self.query_one("#topbar", Static).update(bar)

    def on_resize(self) -> None:
        self._topbar()

    def status(self, text: str, *, error: bool = False) -> None:
        """Sentences often carry a customer's name: through plain(), like every stored text."""
        self.query_one("#status", Static).update(plain(text, "bold red" if error else ""))

    def refused(self, e: Exception) -> None:
        if isinstance(e, StorageFault):
            from carcrm_tui import logs

            logs.record_exception(e, "storage fault on the main screen")
        self.status(service_error_text(e, self.policy), error=True)

    # ---- panes ------------------------------------------------------------
    def show_pane(self, pane: str, then: Callable[[], object] | None = None) -> None:
        """Switch panes; `then` runs once the pane shows (at once, or after the panes mount)."""
        if pane != "today" and not self.panes_ready:  # a key pressed within the first moments
            if self._pending_pane is None:
                self.call_later(self._show_when_mounted)
            self._pending_pane = (pane, then)  # the last one asked for wins
            return
        self._pending_pane = None
        if pane != "customer":
            self.revealed = None  # moving away ends a reveal
        self.pane = pane
        self.query_one(ContentSwitcher).current = pane
        self._topbar()
        self.refresh_pane()
        target = {"today": "#today-table", "board": "#board-view", "customer": "#customer-view",
                  "late": "#late-table", "metrics": "#metrics-view"}[pane]
        # now, not after the queued keys: "1 j j" typed fast must move Today's cursor, not the hidden board's
        self.set_focus(self.query_one(target))
        self.refresh_bindings()
        if then is not None:
            then()

    def refresh_pane(self) -> None:
        live = getattr(self.app, "live", None)
        self.seen_generation = live.generation if live is not None else 0  # before reading: news during it counts
        self.seen_change = audit.last_change()
        if self.pane == "today":
            table = self.query_one(TodayTable)
            table.display_name = self.list_name
            table.show(today.today(self.session, tag=self.tag, limits=self.today_limits), self.now, self.policy)
        elif self.pane == "board":
            view = self.board_view
            view.display_name = self.list_name
            view.load(board.summary(self.session, self.board_filter), self.now, keep=view.selected if view.columns else None)
            self.count_health(self.board_filter)
        elif self.pane == "customer":
            self.load_customer()
        elif self.pane == "late":
            self.late_table.show(late.report(self.session), self.list_name)
        elif self.pane == "metrics":
            from carcrm_tui.services import metrics

            self.period = self.period or metrics.this_month(self.session)
            self.metrics_view.loading_text(self.period.label)
            self.count_metrics(self.period)

    async def _show_when_mounted(self) -> None:
        await self.mount_panes()
        if self._pending_pane is not None:  # not overtaken by a press of 1 meanwhile
            self.show_pane(*self._pending_pane)

    @work(thread=True, exclusive=True, group="health")
    def count_health(self, filt) -> None:
        try:
            health = in_worker(board.health, self.session, filt)
        except REFUSALS as e:
            self.app.call_from_thread(self.refused, e)
            return
        self.app.call_from_thread(self.board_view.set_health, health)

    @work(thread=True, exclusive=True, group="metrics")
    def count_metrics(self, period) -> None:
        """A month of figures is a few GROUP BYs over 100,000 customers: off the UI thread."""
        from carcrm_tui.services import metrics

        try:
            snap = in_worker(metrics.snapshot, self.session, period)
        except REFUSALS as e:
            self.app.call_from_thread(self.refused, e)
            return
        self.app.call_from_thread(self.metrics_ready, snap)

    def metrics_ready(self, snap) -> None:
        """Only the month asked for last: a slower count of an earlier month is dropped, so the
        label always names the month whose numbers are shown."""
        if snap.period == self.period:
            self.metrics_view.show(snap)

    def action_period(self, step: int) -> None:
        from carcrm_tui.domain.metrics import add_months
        from carcrm_tui.services import metrics

        current = self.period or metrics.this_month(self.session)
        start = add_months(current.start.replace(day=1), step)
        self.period = metrics.Period(start, add_months(start, 1))
        self.refresh_pane()

    def load_customer(self) -> None:
        view = self.customer_view
        if self.customer_id is None:
            view.clear()
            return
        try:
            detail = customers.detail(self.session, self.customer_id)
            history = (audit.customer_history(self.session, self.customer_id)
                       if self.session.actor.role == "manager" else None)
        except NotFound:
            self.detail, self.customer_id, self.revealed = None, None, None
            view.clear()
            self.status(t("error.not_found"), error=True)
            return
        self.detail = customers.with_phones(detail, self.revealed)
        if self.revealed is not None and not self.detail.phones_revealed:
            self.revealed = None  # the record changed since: its numbers are masked again
        view.show(self.detail, self.policy, self.now, history=history)

    def open_customer(self, customer_id: int, then: Callable[[], object] | None = None) -> None:
        if customer_id != self.customer_id:
            self.revealed = None
        self.customer_id = customer_id
        self.show_pane("customer", then)

    def forget_reveals(self) -> None:
        """The screen locks: revealed numbers are masked again for whoever unlocks it."""
        self.revealed = None
        if self.pane == "customer" and self.detail is not None and self.detail.phones_revealed:
            self.refresh_pane()

    def action_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def action_reload(self) -> None:
        self.refresh_pane()

    def action_privacy(self) -> None:
        self.privacy = not self.privacy
        self.status(t("notice.privacy_on" if self.privacy else "notice.privacy_off"))
        self.refresh_pane()

    def action_reveal(self) -> None:
        """Show the full phone numbers of the open customer (recorded in the audit trail) until the
        record changes, the user moves on or the screen locks — live refresh keeps them shown."""
        if self.customer_id is None:
            return
        self.revealed = customers.reveal(self.session, self.customer_id)
        self.refresh_pane()

    def on_today_table_opened(self, event: TodayTable.Opened) -> None:
        self.open_customer(event.row.customer_id)

    def on_late_table_opened(self, event: LateTable.Opened) -> None:
        self.open_customer(event.customer_id)

    def on_board_view_opened(self, event: BoardView.Opened) -> None:
        self.open_customer(event.card.customer_id)

    def on_today_table_more_wanted(self, event: TodayTable.MoreWanted) -> None:
        """The next page of a group, fetched from the database (the table never holds them all)."""
        self.today_limits[event.group] = self.today_limits.get(event.group, today.PAGE) + 100
        self.refresh_pane()

    def on_today_table_complaint_opened(self, event: TodayTable.ComplaintOpened) -> None:
        self.handle_complaint(event.complaint.id)

    def on_today_table_notice_opened(self, event: TodayTable.NoticeOpened) -> None:
        """A message read: it leaves the list, and its customer opens (if the reader may see them)."""
        notice = event.notice
        notices.mark_read(self.session, notice.id)
        if notice.customer_id is not None and notice.kind != "be_back_elsewhere":
            try:
                customers.detail(self.session, notice.customer_id)
            except NotFound:
                self.refresh_pane()
                return
            self.open_customer(notice.customer_id)
        else:
            self.refresh_pane()

    def handle_complaint(self, complaint_id: int) -> None:
        c = complaints.get(self.session, complaint_id)
        if c.status == "closed":
            return
        self.app.push_screen(
            screen("ComplaintActionScreen")(complaint=c, policy=self.policy,
                                  resolve=partial(complaints.resolve, self.session, c.id),
                                  call_back=partial(complaints.call_back, self.session, c.id)),
            lambda done: done and (self.status(t("notice.complaint_updated")), self.refresh_pane()),
        )

    # ---- which keys apply here ---------------------------------------------
    @property
    def panes(self) -> tuple[str, ...]:
        return PANES + (("late", "metrics") if self.session.actor.role == "manager" else ())

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "pane":
            return parameters[0] in self.panes
        if action in ("edit", "reveal"):
            return self.pane == "customer" and self.detail is not None
        if action in ("move", "grade", "lost"):
            return self.pane in ("board", "customer")
        if action in ("dormant", "complaint"):
            return self.pane == "customer" and self.detail is not None
        if action == "period":
            return self.pane == "metrics"
        if action == "review":
            return self.session.actor.role == "manager"
        if action in ("reassign", "mark"):
            manager = self.session.actor.role == "manager"
            return manager and (self.pane == "board" or (action == "reassign" and self.pane == "customer"))
        if action == "merge":
            return self.pane == "customer" and self.detail is not None and self.session.actor.role == "manager"
        if action == "filter":
            return self.pane in ("today", "board")
        return True

    # ---- the record under the cursor ----------------------------------------
    def current(self) -> dict | None:
        """lead_id, customer_id, name, grade, version, followup_id of the selected record."""
        if self.pane == "today":
            row = self.query_one(TodayTable).selected
            if row:
                return dict(lead_id=row.lead_id, customer_id=row.customer_id, name=row.customer_name,
                            grade=row.grade, followup_id=row.followup_id, version=None)
        elif self.pane == "board":
            card = self.board_view.selected
            if card:
                return dict(lead_id=card.lead_id, customer_id=card.customer_id, name=card.customer_name,
                            grade=card.grade, followup_id=None, version=card.version)
        elif self.pane == "customer" and self.detail and self.detail.lead:
            lead = self.detail.lead
            return dict(lead_id=lead.id, customer_id=self.detail.id, name=self.detail.name,
                        grade=lead.grade, followup_id=None, version=lead.version, status=lead.status)
        return None

    # ---- actions ----------------------------------------------------------
    def action_log_contact(self, channel: str = "phone") -> None:
        record = self.current()
        if record is None:
            self.status(t("notice.nothing_selected"), error=True)
            return
        if record.get("status", "open") != "open":
            self.status(t("error.lead_closed"), error=True)
            return
        submit = partial(contacts.log_contact, self.session, record["lead_id"])

        def done(result) -> None:
            if result is not None:
                when = result.next_due.in_timezone(self.policy.tz).format("MM-DD HH:mm") if result.next_due else "—"
                self.status(t("notice.logged", name=record["name"], when=when))
                self.refresh_pane()

        self.app.push_screen(
            screen("LogContactScreen")(title=record["name"], grade=record["grade"], policy=self.policy, now=self.now,
                             submit=submit, channel=channel, followup_id=record["followup_id"]),
            done,
        )

    def action_walk_in(self) -> None:
        def create(data) -> int:
            return walkins.register_walkin(self.session, data).customer_id

        def done(result) -> None:
            if result is None:
                return
            kind, customer_id = result
            if kind == "colleague":  # a colleague's be-back: recorded on their customer, the owner told
                self.status(t("notice.be_back_colleague", owner=customer_id))
                self.refresh_pane()
            elif kind == "known":  # a be-back: the visit is logged on their record
                self.status(t("notice.be_back"))
                self.open_customer(customer_id, then=partial(self.action_log_contact, channel="visit"))
            else:
                self.status(t("notice.walkin_created"))
                self.open_customer(customer_id)

        self.app.push_screen(
            screen("WalkInScreen")(lookup=partial(walkins.find_by_phone, self.session), create=create,
                         vehicles=self.vehicles(), policy=self.policy,
                         same_name=partial(walkins.same_name, self.session),
                         colleague_be_back=partial(walkins.colleague_be_back, self.session)),
            done,
        )

    def action_edit(self) -> None:
        if self.detail is None:
            return
        detail = self.detail
        lead = detail.lead

        # editing shows the full numbers: that is a reveal, and it is recorded
        detail = customers.detail(self.session, detail.id, reveal=True)
        self.seen_change = audit.last_change()

        def save(changes, base):
            return customers.update(self.session, detail.id, changes, base=base, lead_id=lead.id if lead else None)

        def done(result) -> None:
            if result is not None:
                self.status(t("notice.saved"))
                self.refresh_pane()

        self.app.push_screen(
            screen("EditCustomerScreen")(detail=detail, vehicles=self.vehicles(), policy=self.policy, save=save,
                               reload=partial(customers.detail, self.session, detail.id, reveal=True)),
            done,
        )

    def action_move(self, direction: int) -> None:
        """Next/previous stage; a stage that records something asks for it in one form first."""
        record = self.current()
        if record is None or record.get("version") is None:
            self.status(t("notice.nothing_selected"), error=True)
            return
        try:
            target, fields = process.fields_for(self.session, record["lead_id"], direction)
        except ServiceError as e:
            self.status(service_error_text(e, self.policy), error=True)
            return
        move = partial(board.move, self.session, record["lead_id"], record["version"], direction)
        if not fields:
            try:
                moved = move()
            except REFUSALS as e:
                self.refused(e)
                self.refresh_pane()
                return
            self.after_move(record, moved)
            return
        lead = customers.detail(self.session, record["customer_id"]).lead
        self.app.push_screen(
            screen("StageScreen")(name=record["name"], target=target, fields=fields, lead=lead, vehicles=self.vehicles(),
                        policy=self.policy, now=self.now, submit=lambda values: move(values)),
            lambda moved: moved and self.after_move(record, moved),
        )

    def after_move(self, record: dict, moved) -> None:
        stage = moved.stage
        where = label("status", "won") if stage == "won" else label("stage", stage)
        if moved.grade != moved.grade_before:  # an order makes it O; needs analysis may regrade it: say so
            self.status(t("notice.moved_regraded", name=record["name"], stage=where, before=moved.grade_before,
                          after=moved.grade))
        else:
            self.status(t("notice.moved", name=record["name"], stage=where))
        if self.pane == "board":
            view = self.board_view
            card = view.selected  # still the moved card: the columns are reloaded below
            keep = None
            if stage != "won" and card is not None and card.lead_id == record["lead_id"]:
                view.select_stage(stage)
                keep = _moved(card, stage, record)._replace(grade=moved.grade)
            view.load(board.summary(self.session, self.board_filter), self.now, keep=keep)
            self.count_health(self.board_filter)
        else:
            self.refresh_pane()

    def action_grade(self) -> None:
        record = self.current()
        if record is None or record.get("version") is None:
            return
        suggested = process.suggested_grade(self.session, record["lead_id"])
        score = customers.detail(self.session, record["customer_id"]).lead.score
        self.app.push_screen(
            screen("GradeScreen")(name=record["name"], grade=record["grade"], suggested=suggested, score=score,
                        policy=self.policy,
                        submit=partial(process.set_grade, self.session, record["lead_id"], record["version"])),
            lambda done: done and (self.status(t("notice.graded")), self.refresh_pane()),
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
                self.status(service_error_text(e, self.policy), error=True)
                return
            self.status(t("notice.reactivated", name=name))
            self.refresh_pane()
            return
        if lead.status != "open":
            return
        self.app.push_screen(
            screen("ConfirmScreen")(title=t("dormant_form.title") + " — " + name,
                                    text=t("dormant_form.confirm", **hint_keys(self.app)),
                                    submit=partial(process.set_dormant, self.session, lead.id, lead.version),
                                    policy=self.policy),
            lambda done: done and (self.status(t("notice.dormant", name=name)), self.refresh_pane()),
        )

    def action_complaint(self) -> None:
        if self.detail is None:
            return
        self.app.push_screen(
            screen("ComplaintScreen")(name=self.detail.name, policy=self.policy,
                            submit=partial(complaints.open_complaint, self.session, self.detail.id)),
            lambda done: done and (self.status(t("notice.complaint_saved")), self.refresh_pane()),
        )

    def action_merge(self) -> None:
        if self.detail is None:
            return
        keep = self.detail
        self.app.push_screen(
            screen("MergeScreen")(keep=customers.detail(self.session, keep.id, reveal=True),
                                  find=partial(merge.candidates, self.session, keep.id), policy=self.policy,
                                  load=partial(customers.detail, self.session, reveal=True),
                                  submit=lambda other, take, lead: merge.merge(self.session, keep.id, other, take, lead)),
            lambda done: done and (self.status(t("notice.merged")), self.refresh_pane()),
        )

    def action_review(self) -> None:
        """Today's evening review (夕会), as the report command prints it."""
        from carcrm_tui.reports import daily_text
        from carcrm_tui.services import review

        self.app.push_screen(screen("ReviewScreen")(text=daily_text(review.daily(self.session))))

    def action_mark(self) -> None:
        """Mark or unmark the card under the cursor for a reassignment of the selection."""
        view = self.board_view
        card = view.selected
        if card is not None:
            view.marked ^= {card.lead_id}
            view.refresh()
            self.status(t("notice.marked", n=len(view.marked)))

    def action_reassign(self, whole_book: bool = False) -> None:
        """Managers: the open lead here, the marked cards, or (palette) a consultant's whole book."""
        kwargs = {}
        if whole_book:
            what = t("reassign.whole_book")
        elif self.pane == "board" and self.board_view.marked:
            kwargs["lead_ids"] = sorted(self.board_view.marked)
            what = t("reassign.marked", n=len(kwargs["lead_ids"]))
        else:
            record = self.current()
            if record is None or record.get("version") is None:
                self.status(t("notice.nothing_selected"), error=True)
                return
            kwargs["lead_ids"] = [record["lead_id"]]
            what = record["name"]

        def submit(targets: list[str], source: str | None) -> int:
            return reassign.reassign(self.session, targets, from_account=source, **kwargs)

        def done(moved) -> None:
            if moved is None:
                return
            if self.pane == "board":
                self.board_view.marked.clear()
            self.status(t("notice.reassigned", n=moved))
            self.refresh_pane()

        self.app.push_screen(
            screen("ReassignScreen")(what=what, consultants=reassign.consultants(), submit=submit,
                                     choose_source=whole_book, policy=self.policy),
            done,
        )

    def action_import(self) -> None:
        from carcrm_tui.services import importing
        from carcrm_tui.ui_text import invalid_sentence

        if not self.session.sees_everyone:  # the service refuses too; say so before a form opens
            self.status(t("error.import_managers_only"), error=True)
            return

        def describe(thing) -> str:
            if isinstance(thing, importing.RowProblem):
                return t("cli.row_problem", row=thing.row, column=thing.column, reason=invalid_sentence(thing.error))
            if isinstance(thing, importing.SheetError):
                return t(f"sheet.{thing.code}", **{k: str(v) for k, v in thing.params.items()})
            if isinstance(thing, importing.ImportStopped):
                cause = describe(thing.cause) if isinstance(thing.cause, importing.SheetError) else thing.reason
                return t("import.stopped", reason=cause, batch=thing.batch_id)
            if isinstance(thing, (*REFUSALS, OSError)):
                return service_error_text(thing, self.policy)
            from carcrm_tui import logs

            logs.record_exception(thing, "import")  # a sentence here, the details in the log
            return t("error.unexpected")

        def finished(report) -> None:
            if report is None:
                return
            counts = dict(created=report.created, updated=report.updated, contacts=report.contacts,
                          batch=report.batch_id)
            if report.rejected_rows:
                from pathlib import Path

                target = Path(self._import_path).with_name(Path(self._import_path).stem + ".errors.csv")
                importing.write_errors(report, target, describe)
                self.status(t("notice.imported_with_errors", rejected=report.rejected, path=str(target), **counts))
            else:
                self.status(t("notice.imported", **counts))
            self._vehicles = None  # the import may have added models to the catalogue
            self.refresh_pane()

        def run(path: str, sheet: str):
            self._import_path = path
            return importing.import_file(self.session, path, sheet_name=sheet or None)

        self.app.push_screen(
            screen("ImportScreen")(
                preview=lambda path, sheet: importing.import_file(self.session, path, sheet_name=sheet or None,
                                                                  dry_run=True),
                run=run, describe=describe),
            finished,
        )

    def action_catalogue(self) -> None:
        """The vehicle catalogue (managers and admins change it; the service checks)."""
        s = self.session

        def done(changed) -> None:
            if changed:
                self._vehicles = None
                self.status(t("notice.catalogue_changed"))

        self.app.push_screen(screen("CatalogueScreen")(
            entries=catalogue.entries, add=partial(catalogue.add, s), price=partial(catalogue.set_price, s),
            retire=partial(catalogue.set_retired, s), policy=self.policy), done)

    def action_imports(self) -> None:
        from carcrm_tui.services import import_batches

        def done(changed) -> None:
            if changed:
                self._vehicles = None
                self.status(t("notice.imports_changed"))
                self.refresh_pane()

        self.app.push_screen(screen("ImportBatchesScreen")(
            batches=partial(import_batches.batches, self.session), undo=partial(import_batches.undo, self.session),
            policy=self.policy, describe=lambda e: service_error_text(e, self.policy)), done)

    def action_filter(self) -> None:
        if self.pane == "board":
            self.filter_board()
            return

        def chosen(tag) -> None:
            if tag is None:
                return
            self.tag = tag or None
            self.status(t("notice.filter_on", tag=tag) if tag else t("notice.filter_off"))
            self._topbar()
            self.refresh_pane()

        self.app.push_screen(screen("TagFilterScreen")(tags=customers.all_tags(self.session), current=self.tag), chosen)

    def filter_board(self) -> None:
        def chosen(filt) -> None:
            if filt is None:
                return
            self.tag = filt.tag
            self.board_only = filt._replace(tag=None)
            what = " · ".join(filter_words(filt))
            self.status(t("notice.board_filter", what=what) if what else t("notice.filter_off"))
            self._topbar()
            self.refresh_pane()

        manager = self.session.sees_everyone
        self.app.push_screen(screen("BoardFilterScreen")(
            current=self.board_filter, consultants=reassign.consultants() if manager else [],
            series=catalogue.series(), tags=customers.all_tags(self.session), grades=self.policy.grade_order,
            sources=P_SOURCES), chosen)

    def action_lost(self) -> None:
        record = self.current()
        if record is None or record.get("version") is None:
            self.status(t("notice.nothing_selected"), error=True)
            return

        def done(result) -> None:
            if result:
                self.status(t("notice.lost", name=record["name"]))
                self.refresh_pane()

        self.app.push_screen(
            screen("LostScreen")(title=record["name"], policy=self.policy,
                       submit=partial(board.mark_lost, self.session, record["lead_id"], record["version"])),
            done,
        )

    def action_search(self) -> None:
        def done(customer_id) -> None:
            if customer_id is not None:
                self.open_customer(customer_id)

        self.app.push_screen(screen("SearchScreen")(search=partial(search.search, self.session), display_name=self.list_name),
                             done)

    def action_help(self) -> None:
        self.app.push_screen(screen("HelpScreen")())

    # ---- palette ----------------------------------------------------------
    def palette_customers(self, query: str):
        """Customers for the palette: the same permission-filtered search as `/` (worker thread)."""
        try:
            hits = in_worker(search.search, self.session, query, 8)
        except REFUSALS:
            return []  # the palette's other commands still work; the status line says the rest
        return [(t("palette.open", name=f"{self.list_name(h.name)} {h.phone}"),
                 t(f"match.{h.matched}"), partial(self.open_customer, h.customer_id))
                for h in hits]

    def palette_commands(self):
        yield t("key.today"), t("palette.pane_help"), partial(self.show_pane, "today")
        yield t("key.board"), t("palette.pane_help"), partial(self.show_pane, "board")
        yield t("key.customer"), t("palette.pane_help"), partial(self.show_pane, "customer")
        if "late" in self.panes:
            yield t("key.late"), t("palette.pane_help"), partial(self.show_pane, "late")
            yield t("key.metrics"), t("palette.pane_help"), partial(self.show_pane, "metrics")
        yield t("key.search"), t("palette.search_help"), self.action_search
        yield t("key.walkin"), t("palette.walkin_help"), self.action_walk_in
        record = self.current()
        if record is not None:
            name = record["name"]
            yield t("palette.log_for", name=name), t("palette.record_help"), self.action_log_contact
            if self.pane != "customer":
                yield t("palette.open", name=name), t("palette.record_help"), partial(self.open_customer, record["customer_id"])
            if self.pane == "customer":
                yield t("palette.edit", name=name), t("palette.record_help"), self.action_edit
            if record.get("version") is not None:
                yield t("palette.lost", name=name), t("palette.record_help"), self.action_lost
            if self.pane in ("board", "customer") and record.get("version") is not None:
                yield t("key.next_stage"), t("palette.record_help"), partial(self.action_move, 1)
                yield t("key.prev_stage"), t("palette.record_help"), partial(self.action_move, -1)
                yield t("palette.grade", name=name), t("palette.record_help"), self.action_grade
            if self.pane == "customer":
                yield t("palette.dormant", name=name), t("palette.record_help"), self.action_dormant
                yield t("palette.complaint", name=name), t("palette.record_help"), self.action_complaint
        if self.pane in ("today", "board"):
            yield t("palette.filter"), "", self.action_filter
        if self.pane == "customer" and self.detail is not None and self.session.actor.role == "manager":
            yield t("palette.merge", name=self.detail.name), t("palette.record_help"), self.action_merge
        if self.session.sees_everyone:
            yield t("palette.import"), t("palette.import_help"), self.action_import
            yield t("palette.imports"), t("palette.imports_help"), self.action_imports
            yield t("palette.catalogue"), t("palette.catalogue_help"), self.action_catalogue
        else:  # listed, so a consultant learns whom to ask
            yield t("palette.import"), t("palette.import_managers"), self.action_import
        if self.session.actor.role == "manager":
            if record is not None and record.get("version") is not None:
                yield t("palette.reassign", name=record["name"]), t("palette.record_help"), self.action_reassign
            yield t("palette.reassign_book"), t("palette.reassign_book_help"), partial(self.action_reassign, True)
            yield t("key.review"), t("palette.review_help"), self.action_review
        yield t("key.help"), "", self.action_help
        yield t("key.quit"), "", self.app.exit


def filter_words(f: BoardFilter) -> list[str]:
    """What a filter shows, in words: tag first (it is shared with Today), then the board's own."""
    return [x for x in (f.tag, f.owner, label("source", f.source or ""), f.grade, f.series) if x]


def _moved(card, stage, record):
    return card._replace(stage=stage, lead_id=record["lead_id"])
