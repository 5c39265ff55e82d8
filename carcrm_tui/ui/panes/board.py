"""The lead board: a column per sales stage, a card per lead, the stage keys on the card.

Cards are paged from the database as columns scroll (widgets/board.py); the
health line under the board is counted on a worker after the board has drawn.
Managers mark cards with space and hand them to a colleague in one go.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from carcrm_tui.i18n import t
from carcrm_tui.services import board
from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.panes.base import REFUSALS, survives
from carcrm_tui.ui.panes.record import Record, RecordPane
from carcrm_tui.ui.widgets.board import BoardView


@survives()
class BoardPane(RecordPane):
    BINDINGS = [
        Binding("space", "mark", "key.mark", id="board.mark", show=False),
        Binding("f", "filter", "key.filter", id="filter.tag"),
    ]

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
        view = self.view
        view.display_name = self.main.list_name
        self.load(keep=view.selected if view.columns else None)

    def load(self, keep=None) -> None:
        filt = self.main.board_filter
        self.view.load(board.summary(self.session, filt), self.now, keep=keep)
        self.count_health(filt)

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

    def action_mark(self) -> None:
        """Mark or unmark the card under the cursor for a reassignment of the selection."""
        view = self.view
        card = view.selected
        if card is not None:
            view.marked ^= {card.lead_id}
            view.refresh()
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
