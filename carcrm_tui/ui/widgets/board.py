"""The lead board: stage columns, cards grouped by grade, drawn line by line.

The widget never holds a whole column. Each column keeps only the cards the
user has scrolled past, fetched a page at a time through `fetch` (keyset
paging in the service); headers come from one summary query. Rendering costs
what is visible, so 10,000 open leads repaint as fast as 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from carcrm_tui.i18n import aside, humanize_short, label, money, t
from carcrm_tui.services.views import BoardCard, BoardSummary
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import fit

MIN_COLUMN = 26
PAGE = 50
GRADE_STYLE = {"H": "bold red", "A": "bold yellow", "B": "bold cyan", "C": "bold blue", "O": "bold green"}

Fetch = Callable[[str, "tuple[str, int] | None", int], list[BoardCard]]


@dataclass
class Column:
    cards: list[BoardCard] = field(default_factory=list)
    exhausted: bool = False
    cursor: int = 0
    top: int = 0  # first visible item line


# overdue · due later today · planned · nothing planned: shapes as well as colours, for 16-colour
# and monochrome terminals alike
HEALTH_PARTS = (("overdue", "█", "red"), ("today", "▓", "yellow"), ("planned", "▒", "green"),
                ("unplanned", "░", "bright_black"))


def health_bar(health, width: int) -> Text:
    """A column's follow-up health as one proportional line; a plain rule when the column is empty."""
    if health is None or health.total == 0 or width <= 0:
        return Text("─" * max(0, width), style="dim")
    counts = [getattr(health, name) for name, _c, _s in HEALTH_PARTS]
    cells = [round(n / health.total * width) for n in counts]
    for i, n in enumerate(counts):  # every non-empty part stays visible
        if n and not cells[i]:
            cells[i] = 1
    while sum(cells) > width:
        cells[cells.index(max(cells))] -= 1
    if sum(cells) < width:
        cells[cells.index(max(cells))] += width - sum(cells)
    line = Text()
    for (_name, char, style), n in zip(HEALTH_PARTS, cells):
        line.append(char * n, style=style)
    return line


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

    column_index: reactive[int] = reactive(0)

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

    # ---- data -------------------------------------------------------------
    def load(self, summary: BoardSummary, now, keep: BoardCard | None = None) -> None:
        """Fresh headers; drop cached cards (they are refetched on demand)."""
        self.summary = summary
        self.now = now
        old = self.columns
        self.columns = {s: Column() for s in self.stages}
        for stage, column in old.items():
            self.columns[stage].cursor = column.cursor
        if keep is not None:
            self._find(keep)
        self.refresh()

    def _find(self, card: BoardCard) -> None:
        """Put the cursor back on the same lead if it is still in the column."""
        column = self.columns.get(card.stage)
        if column is None:
            return
        self._ensure(card.stage, column.cursor + PAGE)
        for i, c in enumerate(column.cards):
            if c.lead_id == card.lead_id:
                column.cursor = i
                return

    def _ensure(self, stage: str, index: int) -> None:
        column = self.columns[stage]
        while len(column.cards) <= index and not column.exhausted:
            after = column.cards[-1].key if column.cards else None
            page = self.fetch(stage, after, PAGE)
            column.cards.extend(page)
            if len(page) < PAGE:
                column.exhausted = True
        if column.cards:
            column.cursor = min(column.cursor, len(column.cards) - 1)
        else:
            column.cursor = 0

    def set_health(self, health: dict) -> None:
        self.health = health
        self.refresh()

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
        self.refresh()

    def action_card_top(self) -> None:
        self.columns[self.stage].cursor = 0
        self.refresh()

    def action_open(self) -> None:
        card = self.selected
        if card is not None:
            self.post_message(self.Opened(card))

    def select_stage(self, stage: str) -> None:
        if stage in self.stages:
            self.column_index = self.stages.index(stage)

    def watch_column_index(self) -> None:
        self.refresh()

    # ---- drawing ----------------------------------------------------------
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
        items: list[tuple[str, object]] = []
        last_grade = None
        cursor_line = 0
        for i, card in enumerate(column.cards):
            if card.grade != last_grade:
                items.append(("grade", card.grade))
                last_grade = card.grade
            if i == column.cursor:
                cursor_line = len(items)
            items.append(("card", i))
        if cursor_line < column.top:
            column.top = max(0, cursor_line - 1)
        elif cursor_line >= column.top + height:
            column.top = cursor_line - height + 1
            self._ensure(stage, column.cursor + height)
        return items[column.top:column.top + height]

    def render(self) -> Text:
        height = max(self.size.height, 4)
        count, width = self._layout()
        body = height - 3
        shown = self.stages[self.first_visible:self.first_visible + count]
        lines = [Text() for _ in range(height)]
        for n, stage in enumerate(shown):
            w = width if n < count - 1 else max(width, self.size.width - width * (count - 1))
            active = stage == self.stage and self.has_focus
            current = stage == self.stage
            tally = self.summary.stage(stage)
            head_style = "bold reverse" if active else ("bold underline" if current else "bold")
            mark = "▶" if current else " "
            lines[0].append_text(fit(f"{mark}{label('stage', stage)}{aside(str(tally.count))}", w - 1, head_style))
            health = self.health.get(stage)
            second = f" {t('board.value', value=money(tally.value))}"
            if health is not None and health.days_in_stage is not None:
                second += f" · {t('board.days_in_stage', n=round(health.days_in_stage))}"
            lines[1].append_text(fit(second, w - 1, "dim"))
            lines[2].append_text(health_bar(health, w - 1))
            items = self._items(stage, body)
            column = self.columns[stage]
            for row in range(body):
                line = lines[3 + row]
                if row >= len(items):
                    text = t("board.empty") if row == 0 and not column.cards else ""
                    line.append_text(fit(f" {text}", w - 1, "dim"))
                elif items[row][0] == "grade":
                    grade = items[row][1]
                    cell = self.summary.cell(stage, grade)
                    line.append_text(fit(f" {grade} · {cell.count} · {money(cell.value)}", w - 1, GRADE_STYLE.get(grade, "bold")))
                else:
                    index = items[row][1]
                    card = column.cards[index]
                    selected = index == column.cursor and current
                    line.append_text(self._card_line(card, w - 1, selected and self.has_focus, selected))
            for line in lines:
                line.append(" ")
        return Text("\n").join(lines)

    def _card_line(self, card: BoardCard, width: int, focused: bool, selected: bool) -> Text:
        style = "reverse" if focused else ("underline" if selected else "")
        due = humanize_short(card.next_due, self.now) if card.next_due and self.now else ""
        right = f" {due}" if due else ""
        # a manager needs to know whose lead it is more than which car
        middle_text = card.owner_name if self.show_owner else card.vehicle
        name_w = max(4, min(10, width // 3))
        clock = card.response
        mark = ("▶" if selected else "●" if card.lead_id in self.marked else
                "!" if clock is not None and clock.breached else "⏱" if clock is not None else " ")
        line = Text(mark, style=style or ("bold red" if mark == "!" else "bold yellow" if mark == "⏱" else ""))
        line.append_text(fit(self.display_name(card.customer_name), name_w, style))
        rest = width - 1 - name_w
        middle = fit(f" {middle_text}", max(0, rest - cell_len(right)), style + " dim" if style else "dim")
        line.append_text(middle)
        line.append_text(fit(right, width - cell_len(line.plain), style))
        return line
