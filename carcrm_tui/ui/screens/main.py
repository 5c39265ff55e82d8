"""The main screen: the panes one key apart, the top line, the status line, live refresh.

Each pane (ui/panes/) owns its keys and what they do; the record's keys are in
ui/panes/record.py once for Today, the board and the customer. What stays here
is what belongs to no pane: switching panes, search, a walk-in, privacy mode,
undo, help, the filter every pane shares, and redrawing the visible pane when
another terminal saves.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Static

from carcrm_tui.domain.policy import SOURCES as P_SOURCES
from carcrm_tui.domain.validation import initials
from carcrm_tui.i18n import label, t
from carcrm_tui.services import audit, auth, catalogue, customers, reassign, search, undo, walkins
from carcrm_tui.services.session import Session, in_worker
from carcrm_tui.services.views import BoardFilter
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.ui.keymap import keys_of
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.panes.base import REFUSALS, Pane, form, survives
from carcrm_tui.ui.panes.record import RecordPane
from carcrm_tui.ui.panes.today import TodayPane
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.key_bar import KeyBar
from carcrm_tui.ui_text import error_sentence

PANES = ("today", "board", "customer")
LIVE_REFRESH_SECONDS = 1.0
STATUS_SECONDS = 20  # a notice on the status line clears itself after this
VALIDITY_EVERY = 3  # polls between checks that the account is still enabled, in the same role
PANES_AFTER = 0.2  # seconds after Today is shown: the other panes are built (a key asking for one sooner waits for it)


def as_is(name: str) -> str:
    return name


class Panes(ContentSwitcher):
    """The panes, one shown at a time. Blank to Textual (no content of its own): the shown pane
    covers it, and every frame — a cursor key's too — would otherwise draw its 47 lines of
    background under the pane, as it draws every widget whose area the update touches."""

    BLANK = True


@survives("poll_changes", "refresh_pane", "open_customer", "show_pane", "_show_when_mounted", "mount_panes", "changes_told",
          "live_back")
class MainScreen(Translated, Screen):
    BINDINGS = [
        Binding("1", "pane('today')", "key.today", id="pane.today", show=False),
        Binding("2", "pane('board')", "key.board", id="pane.board", show=False),
        Binding("3", "pane('customer')", "key.customer", id="pane.customer", show=False),
        Binding("4", "pane('late')", "key.late", id="pane.late", show=False),
        Binding("5", "pane('metrics')", "key.metrics", id="pane.metrics", show=False),
        Binding("slash", "search", "key.search", id="search"),
        Binding("n", "walk_in", "key.walkin", id="walkin.new"),
        Binding("u", "undo", "key.undo", id="lead.undo", show=False),
        Binding("R", "review", "key.review", id="review.daily", show=False),
        Binding("r", "reload", "key.refresh", id="refresh", show=False),
        Binding("p", "privacy", "key.privacy", id="privacy"),
        Binding("question_mark", "help", "key.help", id="help"),
        Binding("q", "app.quit", "key.quit", id="quit"),
    ]
    # Textual repaints the whole screen when focus moves; the widgets that gain and lose
    # focus repaint themselves, and a pane switch would otherwise send the screen twice
    focused: Reactive = Reactive(None, repaint=False)
    BLANK = True  # its bars and panes cover it: no background to draw under them on every frame
    DEFAULT_CSS = """
    MainScreen #topbar { height: 1; background: $primary; color: $text; padding: 0 1; }
    MainScreen #status { height: auto; min-height: 1; max-height: 3; padding: 0 1; color: $text-muted; }
    MainScreen ContentSwitcher { height: 1fr; }
    """

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.pane = "today"
        self._vehicles = None
        self.privacy = False  # names as initials on lists, for screens customers can see
        self.tag: str | None = None  # Today and the board show only customers with this tag
        self.seen_change = 0
        self.board_only = BoardFilter()  # the board's own filter (consultant, source, grade, vehicle)
        self._mounting = None  # the other panes' mount, started after the first paint
        self.panes_ready = False
        self._pending_pane: tuple | None = None  # (pane, then) asked for before the panes had mounted
        self._polls = 0
        self._status_timer = None
        self.seen_generation = 0  # PostgreSQL: the server's bursts of news drawn so far (ui/live.py)
        self._poll_failures = 0
        self._poll_resume = 0.0  # monotonic time before which the poll rests (backing off a lost database)
        self.seen_generation = 0  # PostgreSQL: the server's bursts of news drawn so far (ui/live.py)

    # ---- layout -----------------------------------------------------------
    def compose(self):
        yield Static(id="topbar")
        with Panes(initial="today"):
            yield TodayPane(id="today")
        yield Static(id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.show_pane("today")
        self.set_interval(LIVE_REFRESH_SECONDS, self.poll_changes)
        # not straight after the first refresh: Textual writes frames on a thread of its own, which
        # waits for this one to go idle, so building the panes then held the first frame back ~25 ms
        self.set_timer(PANES_AFTER, self.mount_panes)

    async def mount_panes(self) -> None:
        """The other panes load behind Today's first paint (a consultant starts on Today)."""
        if self._mounting is None:
            self._mounting = self.query_one(ContentSwitcher).mount_all(self._build_panes())
        await self._mounting
        self.panes_ready = True

    def _build_panes(self) -> list[Pane]:
        from carcrm_tui.ui.panes.board import BoardPane
        from carcrm_tui.ui.panes.customer import CustomerPane

        built: list[Pane] = [BoardPane(id="board"), CustomerPane(id="customer")]
        if "late" in self.panes:
            from carcrm_tui.ui.panes.late import LatePane
            from carcrm_tui.ui.panes.metrics import MetricsPane

            built += [LatePane(id="late"), MetricsPane(id="metrics")]
        for pane in built:
            pane.display = False  # the switcher shows one pane at a time
        return built

    def pane_widget(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    @property
    def active(self) -> Pane:
        return self.pane_widget(self.pane)

    # the customer pane's state, for whoever asks the screen (tests, the palette)
    @property
    def customer_pane(self):
        return self.pane_widget("customer")

    @property
    def detail(self):
        return self.customer_pane.detail if self.panes_ready else None

    @property
    def customer_id(self) -> int | None:
        return self.customer_pane.customer_id if self.panes_ready else None

    @property
    def board_view(self):
        return self.pane_widget("board").view

    @property
    def customer_view(self):
        return self.customer_pane.view

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
            self.refresh_pane(force=True)
            return
        if changed and self.app.screen is self and self._follows():
            self.refresh_pane()

    def _follows(self) -> bool:
        """The visible pane redraws on others' commits (the metrics pane counts whole months: it
        recounts on r or a new period)."""
        return getattr(self.active, "follows_live_refresh", True)

    def _changed_elsewhere(self) -> bool:
        """Told by the server while it listens (PostgreSQL, ui/live.py); otherwise asked: the newest audit id."""
        live = getattr(self.app, "live", None)
        if live is not None and live.listening:
            return live.generation != self.seen_generation
        return audit.last_change() != self.seen_change

    # ---- told by the server (PostgreSQL): ui/live.py hands these over ----------------------------
    def changes_told(self) -> None:
        """Another terminal committed: redraw now, on the same terms as the poll (on top, not metrics)."""
        if self.app.screen is self and self._follows() and self._changed_elsewhere():
            self.refresh_pane()

    def live_lost(self, kind: str, seconds: int) -> None:
        self.status(t("live.lost", seconds=seconds), error=True)

    def live_back(self) -> None:
        """Listening again: what was committed meanwhile was not told, so redraw once."""
        self.status(t("live.back"))
        self.seen_change = self.seen_generation = -1  # stale: the poll redraws a pane under a form later
        if self.app.screen is self and self._follows():
            self.refresh_pane()

    # ---- what every pane shares ---------------------------------------------
    @property
    def board_filter(self) -> BoardFilter:
        """The board's filter with the tag shared with Today (and a group manager's showroom)."""
        return self.board_only._replace(tag=self.tag, showroom=self.showroom_name)

    @property
    def showroom_name(self) -> str | None:
        if self.session.showroom is None:
            return None
        from carcrm_tui.services import showrooms

        return showrooms.names().get(self.session.showroom)

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

    def catalogue_changed(self) -> None:
        self._vehicles = None

    def filter_changed(self) -> None:
        self._topbar()
        self.refresh_pane()

    def choose_board_filter(self) -> None:
        """The board's filter (consultant, source, grade, vehicle, tag) — and for a group manager the
        showroom, which every pane follows."""
        from carcrm_tui.services import showrooms

        def chosen(filt) -> None:
            if filt is None:
                return
            self.tag = filt.tag
            self.session.showroom = showrooms.find(filt.showroom) if filt.showroom else None
            self.board_only = filt._replace(tag=None, showroom=None)
            what = " · ".join(filter_words(filt))
            self.status(t("notice.board_filter", what=what) if what else t("notice.filter_off"))
            self.filter_changed()

        manager = self.session.sees_everyone
        across = self.session.actor.showroom_id is None and showrooms.several()
        self.app.push_screen(form("BoardFilterScreen")(
            current=self.board_filter, consultants=reassign.consultants(self.session) if manager else [],
            series=catalogue.series(), tags=customers.all_tags(self.session), grades=self.policy.grade_order,
            sources=P_SOURCES, showrooms=[r.name for r in showrooms.all_showrooms()] if across else []), chosen)

    def _topbar(self) -> None:
        """Dealership, panes, who is signed in and what is filtered, in one line.

        Who is signed in and the filter matter most on a shared 80-column
        terminal, so when the line is too long the other panes shrink to their
        numbers first, then the dealership's name goes.
        """
        width = self.size.width or 80
        who = Text(f"{label('role', self.session.actor.role)} ")
        who.append_text(plain(self.session.actor.name, "bold"))
        shown = filter_words(self.board_filter if self.pane == "board"
                             else BoardFilter(tag=self.tag, showroom=self.showroom_name))
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
        """Sentences often carry a customer's name: through plain(), like every stored text. A
        notice clears itself after a while (a name left on a shared screen is read by whoever
        passes); a problem stays until something else is said."""
        self.query_one("#status", Static).update(plain(text, "bold red" if error else ""))
        if self._status_timer is not None:
            self._status_timer.stop()
        self._status_timer = None if error or not text else self.set_timer(
            STATUS_SECONDS, lambda: self.status(""))

    def refused(self, e: Exception) -> None:
        if isinstance(e, StorageFault):
            from carcrm_tui import logs

            logs.record_exception(e, "storage fault on the main screen")
        self.status(error_sentence(e, self.policy), error=True)

    # ---- panes ------------------------------------------------------------
    @property
    def panes(self) -> tuple[str, ...]:
        return PANES + (("late", "metrics") if self.session.is_manager else ())

    def show_pane(self, pane: str, then: Callable[[], object] | None = None) -> None:
        """Switch panes; `then` runs once the pane shows (at once, or after the panes mount)."""
        if pane != "today" and not self.panes_ready:  # a key pressed within the first moments
            if self._pending_pane is None:
                self.call_later(self._show_when_mounted)
            self._pending_pane = (pane, then)  # the last one asked for wins
            return
        self._pending_pane = None
        if pane != "customer" and self.panes_ready:
            self.customer_pane.moved_away()  # moving away ends a reveal
        self.pane = pane
        self.query_one(ContentSwitcher).current = pane
        self._topbar()
        self.refresh_pane()
        # now, not after the queued keys: "1 j j" typed fast must move Today's cursor, not the hidden board's
        self.set_focus(self.active.focus_target())
        self.refresh_bindings()
        if then is not None:
            then()

    def refresh_pane(self, *, force: bool = False) -> None:
        live = getattr(self.app, "live", None)
        self.seen_generation = live.generation if live is not None else 0  # before reading: news during it counts
        self.seen_change = audit.last_change()
        self.active.refresh_data(force=force)

    async def _show_when_mounted(self) -> None:
        await self.mount_panes()
        if self._pending_pane is not None:  # not overtaken by a press of 1 meanwhile
            self.show_pane(*self._pending_pane)

    def open_customer(self, customer_id: int, then: Callable[[], object] | None = None) -> None:
        if not self.panes_ready:
            self.show_pane("customer", partial(self.open_customer, customer_id, then))
            return
        self.customer_pane.open(customer_id)
        self.show_pane("customer", then)

    def forget_reveals(self) -> None:
        """The screen locks: revealed numbers are masked again for whoever unlocks it."""
        if self.panes_ready:
            self.customer_pane.forget_reveals()

    # ---- keys that belong to no pane ------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action == "pane":
            return parameters[0] in self.panes
        if action == "review":
            return self.session.is_manager
        return True

    def action_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def action_reload(self) -> None:
        self.refresh_pane(force=True)

    def action_privacy(self) -> None:
        self.privacy = not self.privacy
        self.status(t("notice.privacy_on" if self.privacy else "notice.privacy_off"))
        self.refresh_pane()

    def action_undo(self) -> None:
        """Take back one's own last stage move, lost, dormant or grade change (a few minutes)."""
        undone = undo.undo_last(self.session)
        self.status(t("notice.undone", action=t(f"undo_action.{undone.action}"), name=undone.customer_name))
        self.seen_change = audit.last_change()
        self.active.after_undo(undone)

    def action_walk_in(self) -> None:
        def create(data) -> int:
            return walkins.register_walkin(self.session, data).customer_id

        def log_visit() -> None:
            self.customer_pane.action_log_contact(channel="visit")

        def done(result) -> None:
            if result is None:
                return
            kind, customer_id = result
            if kind == "colleague":  # a colleague's be-back: recorded on their customer, the owner told
                self.status(t("notice.be_back_colleague", owner=customer_id))
                self.refresh_pane()
            elif kind == "known":  # a be-back: the visit is logged on their record
                self.status(t("notice.be_back"))
                self.open_customer(customer_id, then=log_visit)
            else:
                self.status(t("notice.walkin_created"))
                self.open_customer(customer_id)

        self.app.push_screen(
            form("WalkInScreen")(lookup=partial(walkins.find_by_phone, self.session), create=create,
                                 vehicles=self.vehicles(), policy=self.policy,
                                 same_name=partial(walkins.same_name, self.session),
                                 colleague_be_back=partial(walkins.colleague_be_back, self.session)),
            done,
        )

    def action_review(self) -> None:
        """Today's evening review (夕会), as the report command prints it."""
        from carcrm_tui.reports import daily_text
        from carcrm_tui.services import review

        self.app.push_screen(form("ReviewScreen")(text=daily_text(review.daily(self.session))))

    def action_search(self) -> None:
        def done(customer_id) -> None:
            if customer_id is not None:
                self.open_customer(customer_id)

        self.app.push_screen(form("SearchScreen")(search=partial(search.search, self.session),
                                                  display_name=self.list_name), done)

    def action_help(self) -> None:
        self.app.push_screen(form("HelpScreen")())

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
        from carcrm_tui.ui import site_data

        for pane in self.panes:
            yield t(f"key.{pane}"), t("palette.pane_help"), partial(self.show_pane, pane)
        yield t("key.search"), t("palette.search_help"), self.action_search
        yield t("key.walkin"), t("palette.walkin_help"), self.action_walk_in
        yield from self.active.palette_commands()
        yield from site_data.palette_commands(self)
        if self.session.is_manager:  # from the pane in sight (Today is always there), which then reads again
            records = self.active if isinstance(self.active, RecordPane) else self.pane_widget("today")
            yield t("palette.reassign_book"), t("palette.reassign_book_help"), partial(records.action_reassign, True)
            yield t("key.review"), t("palette.review_help"), self.action_review
        yield t("key.undo"), t("palette.undo_help"), self.action_undo
        yield t("key.help"), "", self.action_help
        yield t("key.quit"), "", self.app.exit


def filter_words(f: BoardFilter) -> list[str]:
    """What a filter shows, in words: the showroom (every pane), the tag (shared with Today), the board's own."""
    return [x for x in (f.showroom, f.tag, f.owner, label("source", f.source or ""), f.grade, f.series) if x]
