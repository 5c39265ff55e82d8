"""The manager's metrics pane: the report's tables, drawn with bars in 16-colour-safe styles.

The same `reports.metrics_tables` feeds `carcrm report metrics`, so the pane and
the pasted report never disagree. Names and competitors are data: every cell
is a Text, never markup. Two tables side by side from 150 columns.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text
from textual.containers import Container, VerticalScroll
from textual.widgets import Static

from carcrm_tui.domain.metrics import bar
from carcrm_tui.i18n import t
from carcrm_tui.reports import Table, metrics_tables, metrics_title
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.keymap import hint_keys

# one colour per table, from the 8 every terminal has
BAR_STYLES = ("cyan", "green", "blue", "red", "magenta", "green", "yellow", "cyan")
BAR_WIDTH = 12
WIDE = 150


def rich_table(table: Table, style: str) -> RenderableType:
    out = RichTable(title=Text(table.title, style="bold"), title_justify="left", box=box.SIMPLE_HEAD,
                    show_edge=False, pad_edge=False, expand=False)
    for i, header in enumerate(table.headers):
        out.add_column(Text(header), justify="left" if i == 0 else "right", no_wrap=True)
    if table.chart:
        out.add_column("", no_wrap=True)
    top = max(table.chart or [0], default=0)
    for i, row in enumerate(table.rows):
        cells = [plain(cell) for cell in row]
        if table.chart:
            value = table.chart[i] if i < len(table.chart) else 0
            cells.append(Text(bar(value, top, BAR_WIDTH), style=style))
        out.add_row(*cells)
    if not table.rows:
        out.add_row(Text(t("report.none"), style="dim"), *[""] * (len(table.headers) - 1 + bool(table.chart)))
    return Group(out, Text(table.note, style="dim")) if table.note else out


class MetricsView(Translated, VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    MetricsView { height: 1fr; padding: 0 1; }
    MetricsView #metrics-title { text-style: bold; }
    MetricsView #metrics-grid { layout: grid; grid-size: 1; grid-rows: auto; height: auto; grid-gutter: 1 2; }
    MetricsView #metrics-grid.-wide { grid-size: 2; }
    MetricsView .metric { height: auto; }
    """

    def compose(self):
        yield Static(id="metrics-title")
        yield Container(id="metrics-grid")

    def loading_text(self, period_label: str) -> None:
        self.query_one("#metrics-title", Static).update(Text(f"{period_label}  {t('metrics.loading')}"))

    def show(self, snap) -> None:
        title = Text(metrics_title(snap), style="bold")
        title.append(f"   {t('metrics.period_hint', **hint_keys())}", style="dim")
        self.query_one("#metrics-title", Static).update(title)
        grid = self.query_one("#metrics-grid", Container)
        tables = metrics_tables(snap.funnel, snap.traffic, snap.forecast, snap.owners, snap.leaderboard,
                                snap.showrooms)
        statics = list(grid.query(".metric"))
        for i, table in enumerate(tables):
            renderable = rich_table(table, BAR_STYLES[i % len(BAR_STYLES)])
            if i < len(statics):
                statics[i].update(renderable)
            else:
                grid.mount(Static(renderable, classes="metric"))

    def on_resize(self) -> None:
        self.query_one("#metrics-grid", Container).set_class(self.size.width >= WIDE, "-wide")
