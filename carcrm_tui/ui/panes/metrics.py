"""The month's figures (managers): funnel, traffic, forecast, consultants, showrooms.

A month is a few GROUP BYs over the whole showroom, so it is counted on a
worker, and again on `r` or another month — not on every change elsewhere.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from carcrm_tui.i18n import t

from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.panes.base import REFUSALS, Pane, survives
from carcrm_tui.ui.widgets.metrics import MetricsView


@survives()
class MetricsPane(Pane):
    BINDINGS = [
        Binding("comma", "period(-1)", "key.period_back", id="metrics.back"),
        Binding("full_stop", "period(1)", "key.period_forward", id="metrics.forward"),
        Binding("f", "filter", "key.filter", id="filter.tag"),
    ]
    follows_live_refresh = False  # whole months: recounted on r or a new period

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.period = None  # None = this month

    def compose(self):
        yield MetricsView(id="metrics-view")

    def refresh_data(self, *, force: bool = False) -> None:
        from carcrm_tui.services import metrics

        self.period = self.period or metrics.this_month(self.session)
        self.query_one(MetricsView).loading_text(self.period.label)
        self.count(self.period)

    @work(thread=True, exclusive=True, group="metrics")
    def count(self, period) -> None:
        from carcrm_tui.services import metrics

        try:
            snap = in_worker(metrics.snapshot, self.session, period)
        except REFUSALS as e:
            self.app.call_from_thread(self.refused, e)
            return
        self.app.call_from_thread(self.counted, snap)

    def counted(self, snap) -> None:
        """Only the month asked for last: a slower count of an earlier month is dropped, so the
        label always names the month whose numbers are shown."""
        if snap.period == self.period:
            self.query_one(MetricsView).show(snap)

    def action_period(self, step: int) -> None:
        from carcrm_tui.domain.metrics import add_months
        from carcrm_tui.services import metrics

        current = self.period or metrics.this_month(self.session)
        start = add_months(current.start.replace(day=1), step)
        if start > metrics.this_month(self.session).start:  # months to come have nothing to count yet
            self.status(t("metrics.no_future"))
            return
        self.period = metrics.Period(start, add_months(start, 1))
        self.refresh_data()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "filter":
            return self.session.actor.showroom_id is None
        return True

    def action_filter(self) -> None:
        self.main.choose_board_filter()
