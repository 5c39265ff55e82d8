"""The lead board: a column per sales stage, a card per lead, the stage keys on the card.

Cards are paged from the database as columns scroll (widgets/board.py); the
health line under the board is counted on a worker after the board has drawn.
Managers mark cards with space and hand them to a colleague in one go.
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.binding import Binding

from carcrm_tui.i18n import t
from carcrm_tui.services import audit, board
from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.panes.base import REFUSALS, survives
from carcrm_tui.ui.panes.record import Record, RecordPane
from carcrm_tui.ui.widgets.board import BoardView

HEALTH_FRESH = 60  # seconds: the health line (overdue / due today …) is counted again after this
HEALTH_AFTER = 0.05  # seconds after drawing: its worker would hold up the frame's writing thread
READ_AHEAD_AFTER = 0.3  # seconds after the pane is built (behind Today) its counts are read


@survives()
class BoardPane(RecordPane):
    BINDINGS = [
        Binding("space", "mark", "key.mark", id="board.mark", show=False),
        Binding("f", "filter", "key.filter", id="filter.tag"),
    ]

    _as_of: tuple | None = None  # (last change, filter) the cards were read at
    _health_counted: tuple | None = None  # (that, when) the health line was last counted

    def on_mount(self) -> None:
        self.set_timer(READ_AHEAD_AFTER, self.read_ahead)

    def read_ahead(self) -> None:
        """The board's counts (~10 ms over 70,000 open leads) and every column's first page while
        the person is still on Today: the first 2 of the day draws what was read, or what changed
        since. A fault here is said when the board is opened and read for real."""
        if self._as_of is None and self.is_attached and self.main.pane != "board":
            try:
                self.load()
                self.view.read_ahead()
            except REFUSALS:
                self._as_of = None

    def compose(self):
        main = self.main
        yield BoardView(
            self.policy.stages, self.policy.grade_order,
            lambda stage, after, limit: board.page(self.session, stage, after, limit, filt=main.board_filter),
            show_owner=self.session.sees_everyone, id="board-view",
        )

    @property
    def view(self) -> BoardView:
        return self.query_one(BoardView)

    def refresh_data(self, *, force: bool = False) -> None:
        """Show the board as of now; it is read again only if something was committed since it
        was read (or `force`: the reload key)."""
        view = self.view
        view.display_name = self.main.list_name
        self.load(keep=view.selected if view.columns else None, reuse=not force)

    def load(self, keep=None, *, reuse: bool = False) -> None:
        """Read the board again — or, with `reuse`, only what changed since it was read (the
        audit trail's last change, as the live refresh watches), under the same filter: nothing
        (draw it at the new time), or calls logged on some leads (re-read those cards). The
        health line is counted on a worker after the board has drawn (its counting does not
        hold up the drawing), again only after a change or when its count is a minute old."""
        view, filt, now = self.view, self.main.board_filter, self.now
        as_of = (audit.last_change(), filt)
        before = self._as_of
        if reuse and before is not None and before[1] == filt and view.columns:
            if before[0] == as_of[0]:
                view.redraw(now)
                counted = self._health_counted
                if counted is None or counted[0] != as_of or abs((now - counted[1]).total_seconds()) >= HEALTH_FRESH:
                    self._count_health_after_drawing(as_of, now)
                return
            changed = board.changes(self.session, before[0])
            if changed is not None:
                # the columns whose counts changed are counted again (a range of the index each, not
                # the ~10 ms count over every open lead) and paged again; other changed cards in place
                counts = board.summary(self.session, filt, changed.stages) if changed.stages else None
                if view.patch(board.cards(self.session, changed.leads, filt), now, again=changed.stages,
                              counts=counts):
                    self._as_of = as_of
                    self._count_health_after_drawing(as_of, now)
                    return
        view.load(board.summary(self.session, filt), now, keep=keep)
        self._as_of = as_of
        self._count_health_after_drawing(as_of, now)

    def _count_health_after_drawing(self, as_of, now) -> None:
        def start() -> None:
            if self.is_attached and self.main.pane == "board":  # not once the person has moved on
                self._health_counted = (as_of, now)
                self.count_health(as_of[1])

        asyncio.get_running_loop().call_later(HEALTH_AFTER, start)

    @work(thread=True, exclusive=True, group="health")
    def count_health(self, filt) -> None:
        try:
            health = in_worker(board.health, self.session, filt)
        except REFUSALS as e:
            self.app.call_from_thread(self.refused, e)
            return
        self.app.call_from_thread(self.view.set_health, health)

    def current(self) -> Record | None:
        card = self.view.selected
        if card is None:
            return None
        return Record(card.lead_id, card.customer_id, card.customer_name, card.grade, card.version)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "mark":
            return self.session.is_manager
        return super().check_action(action, parameters)

    def after_move(self, record: Record, moved) -> None:
        """The moved card stays under the cursor, in its new column (a won lead leaves the board)."""
        view = self.view
        card = view.selected  # still the moved card: the columns are reloaded below
        keep = None
        if moved.stage != "won" and card is not None and card.lead_id == record.lead_id:
            view.select_stage(moved.stage)
            keep = card._replace(stage=moved.stage, lead_id=record.lead_id, grade=moved.grade)
        self.load(keep)

    def after_undo(self, undone) -> None:
        """The cursor follows the card back to the column it was taken from."""
        view, keep = self.view, None
        if undone.status == "open" and undone.stage in view.stages:
            view.select_stage(undone.stage)
            card = view.selected
            if card is not None:
                keep = card._replace(stage=undone.stage, lead_id=undone.lead_id)
        self.load(keep)

    def action_mark(self) -> None:
        """Mark or unmark the card under the cursor for a reassignment of the selection."""
        view = self.view
        card = view.selected
        if card is not None:
            view.marked ^= {card.lead_id}
            view.update_lines()
            self.status(t("notice.marked", n=len(view.marked)))

    def reassign_what(self):
        if self.view.marked:
            ids = sorted(self.view.marked)
            return {"lead_ids": ids}, t("reassign.marked", n=len(ids))
        return super().reassign_what()

    def reassigned(self) -> None:
        self.view.marked.clear()

    def action_filter(self) -> None:
        self.main.choose_board_filter()

    def palette_commands(self):
        yield from self.record_commands()
        record = self.current()
        if record is not None:
            yield (t("palette.open", name=record.name), t("palette.record_help"),
                   lambda: self.main.open_customer(record.customer_id))
        yield t("palette.filter"), "", self.action_filter

    def on_board_view_opened(self, event: BoardView.Opened) -> None:
        self.main.open_customer(event.card.customer_id)
