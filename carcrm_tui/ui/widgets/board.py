"""The lead board: stage columns, cards grouped by grade, drawn line by line.

The widget never holds a whole column. Each column keeps only the cards the
user has scrolled past, fetched a page at a time through `fetch` (keyset
paging in the service); headers come from one summary query.

It draws through the line API (like line_list.py and toolong's log view):
each screen line is the column cells side by side, and every cell has a key
that says everything it shows (the card, whether it is under the cursor or
marked, the column width …). A drawn cell is kept under its key, so a cursor
move builds two cells; and after a key only the lines whose keys changed are
repainted (`refresh(Region)`), so the terminal receives two lines, not the
whole board.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from carcrm_tui.i18n import aside, humanize_short, label, money, t
from carcrm_tui.services.views import BoardCard, BoardSummary
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import clean

MIN_COLUMN = 26
PAGE = 50
HEAD = 3  # header lines above the cards: title, value and days in stage, health
GRADE_STYLE = {"H": "bold red", "A": "bold yellow", "B": "bold cyan", "C": "bold blue", "O": "bold green"}
CACHE_LIMIT = 5000  # drawn cells kept; past this the cache starts again
REDRAWN = 30  # seconds: a board shown again within this keeps its drawn cells

Fetch = Callable[[str, "tuple[str, int] | None", int], list[BoardCard]]
Spans = list[tuple[str, str]]  # (text, rich style), exactly as wide as the cell


@dataclass
class Column:
    cards: list[BoardCard] = field(default_factory=list)
    exhausted: bool = False
    cursor: int = 0
    top: int = 0  # first visible item line
    # the column as lines: ("grade", grade) titles and ("card", index); line_of[i] is card i's line
    items: list[tuple[str, object]] = field(default_factory=list)
    line_of: list[int] = field(default_factory=list)

    def extend(self, page: list[BoardCard]) -> None:
        last = self.cards[-1].grade if self.cards else None
        for card in page:
            if card.grade != last:
                self.items.append(("grade", card.grade))
                last = card.grade
            self.line_of.append(len(self.items))
            self.items.append(("card", len(self.cards)))
            self.cards.append(card)


class Frame(NamedTuple):
    """What the board shows at its current size and state: computed once per paint."""

    width: int  # of a column (the last one takes what is left)
    stages: tuple[str, ...]  # the visible columns
    widths: tuple[int, ...]
    items: tuple[list, ...]  # each visible column's item lines on screen


# overdue · due later today · planned · nothing planned: shapes as well as colours, for 16-colour
# and monochrome terminals alike
HEALTH_PARTS = (("overdue", "█", "red"), ("today", "▓", "yellow"), ("planned", "▒", "green"),
                ("unplanned", "░", "bright_black"))


def fit(value: object, width: int, style: str = "") -> Spans:
    """One span of exactly `width` cells in `style` (padding too): cropped with an ellipsis, or padded."""
    if width <= 0:
        return []
    text = clean(value)
    size = cell_len(text)
    if size > width:
        return [(set_cell_size(text, width - 1) + "…", style)]
    return [(text + " " * (width - size), style)]


def health_bar(health, width: int) -> Spans:
    """A column's follow-up health as one proportional line; a plain rule when the column is empty."""
    if health is None or health.total == 0 or width <= 0:
        return [("─" * max(0, width), "dim")]
    counts = [getattr(health, name) for name, _c, _s in HEALTH_PARTS]
    cells = [round(n / health.total * width) for n in counts]
    for i, n in enumerate(counts):  # every non-empty part stays visible
        if n and not cells[i]:
            cells[i] = 1
    while sum(cells) > width:
        cells[cells.index(max(cells))] -= 1
    if sum(cells) < width:
        cells[cells.index(max(cells))] += width - sum(cells)
    return [(char * n, style) for (_name, char, style), n in zip(HEALTH_PARTS, cells) if n]


class BoardView(Translated, Widget, can_focus=True):
    DEFAULT_CSS = """
    BoardView { height: 1fr; width: 1fr; }
    """
    BINDINGS = [
        Binding("left,h", "column(-1)", "key.left", show=False),
        Binding("right,l", "column(1)", "key.right", show=False),
        Binding("up,k", "card(-1)", show=False),
        Binding("down,j", "card(1)", show=False),
        Binding("pageup", "card(-10)", show=False),
        Binding("pagedown", "card(10)", show=False),
        Binding("home", "card_top", show=False),  # not g: that is the screen's "set the grade"
        Binding("enter", "open", show=False),
    ]

    column_index: reactive[int] = reactive(0, repaint=False)  # update_lines repaints what changed

    class Opened(Message):
        def __init__(self, card: BoardCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, stages: tuple[str, ...], grades: tuple[str, ...], fetch: Fetch, *,
                 show_owner: bool = False, now=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stages = stages
        self.grades = grades
        self.fetch = fetch
        self.show_owner = show_owner
        self.now = now
        self.summary = BoardSummary({})
        self.health: dict = {}  # stage -> Health, filled in by a worker after the board draws
        self.columns: dict[str, Column] = {s: Column() for s in stages}
        self.first_visible = 0
        self.display_name = lambda name: name  # privacy mode swaps in initials
        self.marked: set[int] = set()  # lead ids picked for a reassignment (space)
        self._frame: Frame | None = None
        self._generation = 0  # bumped by load: the clock and the names may have changed
        self._cells: dict[tuple, list[Segment]] = {}  # a drawn cell under its key
        self._painted: dict[int, tuple] = {}  # line y -> the key of what was drawn there
        self._base: Style | None = None
        self._drawn_with: tuple | None = None  # (display_name, now) the cached cells were drawn with

    # ---- data -------------------------------------------------------------
    def load(self, summary: BoardSummary, now, keep: BoardCard | None = None) -> None:
        """Fresh headers; drop cached cards (they are refetched on demand). Drawn cells are kept
        as `redraw` says: a cell's key holds its card, so a changed card is drawn again and an
        unchanged one is not."""
        self.summary = summary
        self.now = now
        old = self.columns
        self.columns = {s: Column() for s in self.stages}
        for stage, column in old.items():
            self.columns[stage].cursor = column.cursor
        if keep is not None:
            self._find(keep)
        self.redraw(now)

    def read_ahead(self) -> None:
        """Every column's first page, read before the board is first shown: that draw pages nothing."""
        for stage in self.stages:
            self._ensure(stage, PAGE - 1)

    def redraw(self, now) -> None:
        """Draw every line again at `now`: due times and response clocks move with the clock,
        and names may have turned to initials (privacy). Within REDRAWN seconds, with the same
        names, the drawn cells are kept, at the time they were drawn (due times read in whole
        minutes or more), and only lines that differ from what was drawn are repainted."""
        kept = self._drawn_with
        self._frame = None
        if (kept is None or kept[0] is not self.display_name or now is None or kept[1] is None
                or abs((now - kept[1]).total_seconds()) >= REDRAWN):
            self.now = now
            self._drawn_with = (self.display_name, now)
            self._generation += 1
            self._cells.clear()
            self.refresh()
        else:
            self.update_lines()

    def patch(self, cards: dict[int, BoardCard | None], now, *, again: set[str] = frozenset(),
              counts: BoardSummary | None = None) -> bool:
        """Put fresh cards in place of these leads' (a call logged on them: its due time, its
        response clock) and redraw; False, changing nothing, if one has left its column or
        grade group, or the board: then it is read again. `again`: columns whose `counts` were
        counted again (a lead changed grade or left the board there): they take them, drop
        their cards (paged again as they are drawn) and keep their cursor on the same lead."""
        places = []
        for stage, column in self.columns.items():
            if stage in again:
                continue
            for i, card in enumerate(column.cards):
                if card.lead_id in cards:
                    fresh = cards[card.lead_id]
                    if fresh is None or (fresh.stage, fresh.grade) != (card.stage, card.grade):
                        return False
                    places.append((column, i, fresh))
        for column, i, fresh in places:
            column.cards[i] = fresh
        if again:
            self.summary = BoardSummary({cell: tally for cell, tally in self.summary.cells.items()
                                         if cell[0] not in again} | (counts.cells if counts else {}))
            for stage in again & self.columns.keys():
                column = self.columns[stage]
                under = column.cards[column.cursor] if column.cards else None
                self.columns[stage] = Column(cursor=column.cursor)
                if under is not None:
                    self._find(cards.get(under.lead_id) or under)
        self.redraw(now)
        return True

    def _find(self, card: BoardCard) -> None:
        """Put the cursor back on the same lead if it is still in the column."""
        column = self.columns.get(card.stage)
        if column is None:
            return
        self._ensure(card.stage, column.cursor + PAGE - 1)  # one page from the old cursor
        for i, c in enumerate(column.cards):
            if c.lead_id == card.lead_id:
                column.cursor = i
                return

    def _ensure(self, stage: str, index: int) -> None:
        column = self.columns[stage]
        while len(column.cards) <= index and not column.exhausted:
            after = column.cards[-1].key if column.cards else None
            page = self.fetch(stage, after, PAGE)
            column.extend(page)
            if len(page) < PAGE:
                column.exhausted = True
        if column.cards:
            column.cursor = min(column.cursor, len(column.cards) - 1)
        else:
            column.cursor = 0

    def set_health(self, health: dict) -> None:
        self.health = health
        self.update_lines()

    @property
    def stage(self) -> str:
        return self.stages[self.column_index]

    @property
    def selected(self) -> BoardCard | None:
        column = self.columns[self.stage]
        self._ensure(self.stage, column.cursor)
        if not column.cards:
            return None
        return column.cards[column.cursor]

    # ---- actions ----------------------------------------------------------
    def action_column(self, delta: int) -> None:
        self.column_index = max(0, min(len(self.stages) - 1, self.column_index + delta))

    def action_card(self, delta: int) -> None:
        column = self.columns[self.stage]
        self._ensure(self.stage, column.cursor + max(delta, 0) + 1)
        if column.cards:
            column.cursor = max(0, min(len(column.cards) - 1, column.cursor + delta))
        self.update_lines()

    def action_card_top(self) -> None:
        self.columns[self.stage].cursor = 0
        self.update_lines()

    def action_open(self) -> None:
        card = self.selected
        if card is not None:
            self.post_message(self.Opened(card))

    def select_stage(self, stage: str) -> None:
        if stage in self.stages:
            self.column_index = self.stages.index(stage)

    def watch_column_index(self) -> None:
        self.update_lines()

    def on_focus(self, _event: events.Focus) -> None:
        self.update_lines()  # the cursor and the current column's title show focus

    def on_blur(self, _event: events.Blur) -> None:
        self.update_lines()

    def on_resize(self) -> None:
        self._frame = None  # line keys carry the width: a new width repaints every line

    def notify_style_update(self) -> None:
        """Textual restyles the board on every focus change and pane switch; the drawn cells
        (built on the board's own style, ~50 µs each) go only if that style is no longer the
        same — a theme changed (switching back to the board re-drew all ~250 of them)."""
        super().notify_style_update()
        if self._base is not None and self.rich_style != self._base:
            self._cells.clear()
            self._painted.clear()
            self._base = None

    # ---- what changed -----------------------------------------------------
    def update_lines(self) -> list[int]:
        """Repaint only the lines whose content changed (the state changed: cursor, column,
        marks, health); the lines marked for repainting."""
        self._frame = None
        if not self.is_mounted or not self.size.width or not self.size.height:
            return []
        if not self._painted:  # nothing drawn yet (or a resize or theme change is redrawing it all)
            self.refresh()
            return list(range(self.size.height))
        changed = self.stale_lines()
        width = self.size.width
        start = None
        for y in [*changed, None]:  # runs of neighbouring lines, one region each
            if start is not None and (y is None or y != end + 1):
                self.refresh(Region(0, start, width, end - start + 1))
                start = None
            if y is not None:
                if start is None:
                    start = y
                end = y
        return changed

    def stale_lines(self) -> list[int]:
        """The lines whose content differs from what was last painted there."""
        return [y for y in range(self.size.height) if self._painted.get(y) != self._line_key(y)]

    # ---- layout -----------------------------------------------------------
    def _layout(self) -> tuple[int, int]:
        width = max(self.size.width, MIN_COLUMN)
        count = max(1, min(len(self.stages), width // MIN_COLUMN))
        if self.column_index < self.first_visible:
            self.first_visible = self.column_index
        elif self.column_index >= self.first_visible + count:
            self.first_visible = self.column_index - count + 1
        return count, width // count

    def _items(self, stage: str, height: int) -> list[tuple[str, object]]:
        """("grade", grade) and ("card", index) lines, scrolled so the cursor shows."""
        column = self.columns[stage]
        self._ensure(stage, column.top + height + 1)
        cursor_line = column.line_of[column.cursor] if column.cards else 0
        if cursor_line < column.top:
            column.top = max(0, cursor_line - 1)
        elif cursor_line >= column.top + height:
            column.top = cursor_line - height + 1
            self._ensure(stage, column.cursor + height)
        return column.items[column.top:column.top + height]

    def _get_frame(self) -> Frame:
        if self._frame is None:
            count, width = self._layout()
            body = max(self.size.height, 4) - HEAD
            stages = self.stages[self.first_visible:self.first_visible + count]
            widths = tuple(width if n < count - 1 else max(width, self.size.width - width * (count - 1))
                           for n in range(len(stages)))
            self._frame = Frame(width, stages, widths, tuple(self._items(stage, body) for stage in stages))
        return self._frame

    # ---- drawing ----------------------------------------------------------
    def _line_key(self, y: int) -> tuple:
        frame = self._get_frame()
        current, focused = self.stage, self.has_focus  # once a line: both are properties
        return (self._generation, self.size.width,
                *(self._cell_key(stage, w - 1, items, y, stage == current, focused) for stage, w, items in
                  zip(frame.stages, frame.widths, frame.items)))

    def _cell_key(self, stage: str, width: int, items: list, y: int, current: bool, focused: bool) -> tuple:
        """Everything the cell at line y of this column shows."""
        if y >= HEAD:
            row = y - HEAD
            if row >= len(items):
                return ("empty" if row == 0 and not self.columns[stage].cards else "blank", width)
            kind, what = items[row]
            if kind == "grade":
                return ("grade", stage, what, self.summary.cell(stage, what), width)
            column = self.columns[stage]
            card = column.cards[what]
            selected = current and what == column.cursor
            return ("card", card, selected, selected and focused, card.lead_id in self.marked, width)
        if y == 0:
            return ("head", stage, self.summary.stage(stage).count, current, current and focused, width)
        if y == 1:
            return ("value", stage, self.summary.stage(stage).value, self.health.get(stage), width)
        return ("health", self.health.get(stage), width)

    def render_line(self, y: int) -> Strip:
        key = self._line_key(y)
        self._painted[y] = key
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        segments: list[Segment] = []
        for cell in key[2:]:
            drawn = self._cells.get(cell)
            if drawn is None:
                if len(self._cells) > CACHE_LIMIT:
                    self._cells.clear()
                drawn = self._cells[cell] = [
                    Segment(text, base + Style.parse(style) if style else base) for text, style in self._spans(cell)
                ] + [Segment(" ", base)]
            segments.extend(drawn)
        return Strip(segments).adjust_cell_length(self.size.width, base)

    def _spans(self, cell: tuple) -> Spans:
        kind, width = cell[0], cell[-1]
        if kind == "head":
            _, stage, count, current, active, _ = cell
            style = "bold reverse" if active else ("bold underline" if current else "bold")
            return fit(f"{'▶' if current else ' '}{label('stage', stage)}{aside(str(count))}", width, style)
        if kind == "value":
            _, _stage, value, health, _ = cell
            second = f" {t('board.value', value=money(value))}"
            if health is not None and health.days_in_stage is not None:
                second += f" · {t('board.days_in_stage', n=round(health.days_in_stage))}"
            return fit(second, width, "dim")
        if kind == "health":
            return health_bar(cell[1], width)
        if kind == "empty":
            return fit(f" {t('board.empty')}", width, "dim")
        if kind == "blank":
            return fit("", width, "dim")
        if kind == "grade":
            _, _stage, grade, tally, _ = cell
            return fit(f" {grade} · {tally.count} · {money(tally.value)}", width, GRADE_STYLE.get(grade, "bold"))
        _, card, selected, focused, marked, _ = cell
        return self._card_spans(card, width, focused, selected, marked)

    def _card_spans(self, card: BoardCard, width: int, focused: bool, selected: bool, marked: bool) -> Spans:
        style = "reverse" if focused else ("underline" if selected else "")
        due = humanize_short(card.next_due, self.now) if card.next_due and self.now else ""
        right = f" {due}" if due else ""
        # a manager needs to know whose lead it is more than which car
        middle_text = card.owner_name if self.show_owner else card.vehicle
        name_w = max(4, min(10, width // 3))
        clock = card.response
        # late or not at the time drawn, not at the time read: a board kept across pane switches
        late = clock is not None and (clock.deadline < self.now if self.now is not None else clock.breached)
        # a marked card keeps its ● under the cursor too (the cursor shows in the card's style)
        mark = "●" if marked else "▶" if selected else "!" if late else "⏱" if clock is not None else " "
        spans = [(mark, style or ("bold red" if mark == "!" else "bold yellow" if mark == "⏱" else ""))]
        spans += fit(self.display_name(card.customer_name), name_w, style)
        middle = max(0, width - 1 - name_w - cell_len(right))
        spans += fit(f" {middle_text}", middle, style + " dim" if style else "dim")
        spans += fit(right, width - 1 - name_w - middle, style)  # each fit is exactly as wide as asked
        return spans
