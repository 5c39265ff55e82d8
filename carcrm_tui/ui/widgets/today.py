"""The Today pane: the consultant's follow-ups grouped overdue / today / upcoming.

It is the first thing a consultant sees, so it is drawn with the line API
(like toolong's log view): `show` turns the service's page of rows into
plain (text, style) cells once, and `render_line` builds only the lines on
screen as segments. No rich renderable per cell, nothing off screen drawn.
Stored text reaches the screen as segment text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from carcrm_tui.domain.schedule import DueGroup
from carcrm_tui.i18n import duration, label, t
from carcrm_tui.services.views import DueRow, TodayView
from carcrm_tui.ui.format import due_text, local, why_due
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import clean
from carcrm_tui.ui.widgets.customer import purpose_text

GROUP_STYLE = {DueGroup.OVERDUE: "bold red", DueGroup.TODAY: "bold yellow", DueGroup.UPCOMING: "bold green"}
COLUMNS = ("due", "customer", "grade", "stage", "vehicle", "channel", "why")
# widest a column grows before it is cropped; the last column takes what is left
# (half as wide again from 120 columns)
MAX_WIDTH = {"due": 18, "customer": 16, "grade": 5, "stage": 10, "vehicle": 16, "channel": 8}
MIN_WIDTH = {"due": 6, "customer": 6, "grade": 2, "stage": 4, "vehicle": 4, "channel": 4}
SHRINK_ORDER = ("vehicle", "channel", "stage", "due", "customer")  # the name goes last
GAP = 2
WHY_MIN = 12

Span = tuple[str, str]  # text, rich style
Cell = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the list: a row of cells, or a title spanning the width."""

    key: str
    cells: tuple[Cell, ...] = ()
    title: Cell = ()


def why_spans(row: DueRow, now) -> Cell:
    """Why the row is here: the purpose of the task, or the grade's cadence; plus the
    first-response clock while the lead still waits for its first answer."""
    spans: list[Span] = []
    clock = row.response
    if clock is not None:
        if clock.breached:
            spans.append((t("today.sla_late", d=duration(clock.minutes_left)) + " · ", "bold red"))
        else:
            spans.append((t("today.sla_left", d=duration(clock.minutes_left)) + " · ", "bold yellow"))
    spans.append((clean(purpose_text(row.purpose)) if row.purpose else why_due(row.reason, now), "dim"))
    return tuple(spans)


def fit_spans(cell: Cell, width: int) -> list[tuple[str, str]]:
    """Exactly `width` cells of (text, style): cropped with an ellipsis, or padded."""
    total = sum(cell_len(text) for text, _ in cell)
    if total <= width:
        out = [span for span in cell if span[0]]
        out.append((" " * (width - total), ""))
        return out
    out, room = [], width - 1
    for text, style in cell:
        size = cell_len(text)
        if size >= room:
            out.append((set_cell_size(text, room), style))  # pads a split wide character
            out.append(("…", style))
            return out
        out.append((text, style))
        room -= size
    return out


def column_widths(lines: list[Line], width: int, titles: dict[str, str]) -> dict[str, int]:
    """Each column as wide as its widest cell (capped), the last one taking the rest."""
    widths = {key: cell_len(titles[key]) for key in COLUMNS[:-1]}
    for line in lines:
        for key, cell in zip(COLUMNS, line.cells):
            if key in widths:
                widths[key] = max(widths[key], sum(cell_len(text) for text, _ in cell))
    roomy = width >= 120
    widths = {key: min(w, MAX_WIDTH[key] * 3 // 2 if roomy else MAX_WIDTH[key]) for key, w in widths.items()}
    budget = width - 1 - GAP * (len(COLUMNS) - 1) - WHY_MIN
    for key in SHRINK_ORDER:  # narrow terminals: give up vehicle and channel width first
        over = sum(widths.values()) - budget
        if over <= 0:
            break
        widths[key] = max(min(MIN_WIDTH[key], widths[key]), widths[key] - over)
    widths["why"] = max(1, width - 1 - GAP * (len(COLUMNS) - 1) - sum(widths.values()))
    return widths


class TodayTable(Translated, ScrollView, can_focus=True):
    """Lines are keyed by follow-up ("f<id>"), complaint ("c<id>"), group title
    ("group:<name>"), "more:<group>" and "empty:<group>"."""

    DEFAULT_CSS = """
    TodayTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .today--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .today--header { background: ansi_bright_blue; color: ansi_default; }
        & > .today--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .today--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"today--header", "today--cursor"}
    BINDINGS = [
        Binding("down,j", "cursor_down", show=False),
        Binding("up,k", "cursor_up", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("home,g", "scroll_top", show=False),
        Binding("end,G", "scroll_bottom", show=False),
        Binding("enter", "select", show=False),
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
        super().__init__(**kwargs)
        self.lines: list[Line] = []
        self.rows_by_key: dict[str, DueRow] = {}
        self.complaints_by_key: dict = {}
        self.cursor_row = 0
        self.display_name = lambda name: name  # privacy mode swaps in initials
        self._widths: dict[str, int] = {}
        self._widths_for = -1
        self._strips: dict[tuple, Strip] = {}  # drawn lines, until the data, width or styles change
        self._base: Style | None = None

    # ---- data -------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.lines)

    @property
    def keys(self) -> list[str]:
        return [line.key for line in self.lines]

    def show(self, view: TodayView, now, policy) -> None:
        keep, where = self.selected_row, self.cursor_row
        lines: list[Line] = []
        self.rows_by_key, self.complaints_by_key = {}, {}
        if view.complaints:  # routed to me, on a 24-hour clock: first thing on the list
            lines.append(Line("group:complaints", title=((t("today.complaints", n=len(view.complaints)), "bold magenta"),)))
            for c in view.complaints:
                key = f"c{c.id}"
                self.complaints_by_key[key] = c
                late = c.breached(now)
                when = local(c.due_at, policy, "MM-DD HH:mm")
                lines.append(Line(key, (
                    ((due_text(c.due_at, now), "red" if late else ""),),
                    ((clean(self.display_name(c.customer_name)), ""),), (),
                    ((label("complaint_status", c.status), ""),), ((label("category", c.category), ""),),
                    ((label("channel", c.channel), ""),),
                    ((t("today.complaint_late" if late else "today.complaint_due", when=when), "red" if late else "dim"),),
                )))
        for group in DueGroup:
            rows = view.groups.get(group, [])
            total = view.totals.get(group, 0)
            lines.append(Line(f"group:{group.value}", title=((t(f"today.group.{group.value}", n=total), GROUP_STYLE[group]),)))
            for row in rows:
                key = f"f{row.followup_id}"
                self.rows_by_key[key] = row
                due = due_text(row.due_at, now)
                if group is DueGroup.TODAY:  # "in 2 hours 14:30": the clock time matters today
                    due = f"{due} {local(row.due_at, policy, 'HH:mm')}"
                stage = label("stage", row.stage) if row.stage in policy.stages else label("status", row.stage)
                lines.append(Line(key, (
                    ((due, "red" if group is DueGroup.OVERDUE else ""),),
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
        self.lines = lines
        self._widths_for = -1
        self._strips.clear()
        self.virtual_size = Size(1, len(lines) + 1)  # + the column titles
        self._restore(keep, where)
        self.refresh()

    def _restore(self, key: str | None, where: int) -> None:
        """Back on the same row; if it has gone (just logged), on the row that took its place."""
        keys = self.keys
        if key is not None and key in keys:
            self.move_to(key)
        elif key is not None and self.rows_by_key:
            where = min(where, len(keys) - 1)
            following = next((i for i in range(where, len(keys)) if self._actionable(i)), None)
            self._set_cursor(following if following is not None else
                             max(i for i in range(len(keys)) if self._actionable(i)))
        elif self.rows_by_key:
            self.move_to(next(iter(self.rows_by_key)))
        else:
            self.cursor_row = min(self.cursor_row, max(0, len(keys) - 1))

    def move_to(self, key: str) -> None:
        """Put the cursor on the line with this key."""
        self._set_cursor(self.keys.index(key))

    def _actionable(self, index: int) -> bool:
        key = self.lines[index].key
        return key in self.rows_by_key or key in self.complaints_by_key or key.startswith("more:")

    @property
    def selected_row(self) -> str | None:
        if not 0 <= self.cursor_row < len(self.lines):
            return None
        key = self.lines[self.cursor_row].key
        return key if (key in self.rows_by_key or key in self.complaints_by_key) else None

    @property
    def selected(self) -> DueRow | None:
        """The follow-up under the cursor (None on a complaint or a title line)."""
        key = self.selected_row
        return self.rows_by_key.get(key) if key else None

    # ---- cursor -----------------------------------------------------------
    def _set_cursor(self, index: int) -> None:
        self.cursor_row = index
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor's line on screen, with its group title when that fits."""
        body = self.scrollable_content_region.height - 1  # under the column titles
        if body < 1:  # not laid out yet: on_resize comes back here
            return
        index, top = self.cursor_row, round(self.scroll_y)
        if index < top or (index == top and index > 0 and not self._actionable(index - 1)):
            self.scroll_to(y=index - 1 if index > 0 and not self._actionable(index - 1) else index, animate=False)
        elif index >= top + body:
            self.scroll_to(y=index - body + 1, animate=False)

    def _step(self, start: int, step: int) -> None:
        """Move to the next line a person can act on (titles and "nothing due" are skipped)."""
        index = start
        while 0 <= index < len(self.lines):
            if self._actionable(index):
                self._set_cursor(index)
                return
            index += step

    def action_cursor_down(self) -> None:
        self._step(self.cursor_row + 1, 1)

    def action_cursor_up(self) -> None:
        self._step(self.cursor_row - 1, -1)

    def action_page(self, direction: int) -> None:
        body = max(1, self.scrollable_content_region.height - 1)
        target = max(0, min(len(self.lines) - 1, self.cursor_row + direction * body))
        before = self.cursor_row
        self._step(target, direction)
        if self.cursor_row == before:  # only titles past the page: take the nearest row back
            self._step(target, -direction)

    def action_scroll_top(self) -> None:
        self._step(0, 1)

    def action_scroll_bottom(self) -> None:
        self._step(len(self.lines) - 1, -1)

    def action_select(self) -> None:
        if not 0 <= self.cursor_row < len(self.lines):
            return
        key = self.lines[self.cursor_row].key
        if key in self.rows_by_key:
            self.post_message(self.Opened(self.rows_by_key[key]))
        elif key in self.complaints_by_key:
            self.post_message(self.ComplaintOpened(self.complaints_by_key[key]))
        elif key.startswith("more:"):
            self.post_message(self.MoreWanted(DueGroup(key[5:])))

    def on_click(self, event: events.Click) -> None:
        """A click puts the cursor on a row; a click on the row under the cursor opens it."""
        index = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.lines) and self._actionable(index):
            if index == self.cursor_row:
                self.action_select()
            else:
                self._set_cursor(index)

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        """Theme or focus changed: styles are looked up again on the next draw."""
        super().notify_style_update()
        self._strips.clear()
        self._base = None

    # ---- drawing ----------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._widths_for:
            titles = {key: t(f"today.col.{key}") for key in COLUMNS}
            self._widths, self._widths_for = column_widths(self.lines, width, titles), width
            self._strips.clear()
        if y == 0:
            return self._strip(("header", width), self._header_spans, "today--header", width)
        index = round(self.scroll_y) + y - 1
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, self.rich_style)
        cursor = index == self.cursor_row
        line = self.lines[index]
        return self._strip((line.key, cursor, width), lambda: self._line_spans(line, width),
                           "today--cursor" if cursor else None, width)

    def _strip(self, cache_key: tuple, spans, component: str | None, width: int) -> Strip:
        strip = self._strips.get(cache_key)
        if strip is None:
            if self._base is None:
                self._base = self.rich_style
            base = self._base
            over = self.get_component_rich_style(component) if component else None
            segments = [Segment(text, base + Style.parse(style) + over if over else base + Style.parse(style))
                        for text, style in spans()]
            strip = Strip(segments).adjust_cell_length(width, base + over if over else base)
            self._strips[cache_key] = strip
        return strip

    def _header_spans(self) -> list[tuple[str, str]]:
        cell_of = {key: ((t(f"today.col.{key}"), ""),) for key in COLUMNS}
        return self._row_spans(tuple(cell_of[key] for key in COLUMNS))

    def _line_spans(self, line: Line, width: int) -> list[tuple[str, str]]:
        if line.title:
            return [(" ", "")] + fit_spans(line.title, width - 1)
        return self._row_spans(line.cells)

    def _row_spans(self, cells: tuple[Cell, ...]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [(" ", "")]
        for n, (key, cell) in enumerate(zip(COLUMNS, cells)):
            if n:
                out.append((" " * GAP, ""))
            out.extend(fit_spans(cell, self._widths[key]))
        return out
