"""A keyboard list drawn with the line API: titled groups of rows in aligned columns.

Today and the managers' "who is late" pane are both this. `show` turns rows
into plain (text, style) cells once; `render_line` builds only the lines on
screen as segments (like toolong's log view): no rich renderable per cell,
nothing off screen drawn. Stored text reaches the screen as segment text,
never as markup. Subclasses fill `lines`, say which lines can be acted on
and what Enter does.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from carcrm_tui.i18n import t
from carcrm_tui.ui.keys import Translated

GAP = 2

Span = tuple[str, str]  # text, rich style
Cell = tuple[Span, ...]


class Line(NamedTuple):  # NamedTuples, not dataclasses: they load before the first screen
    """One line of the list: a row of cells, or a title spanning the width."""

    key: str
    cells: tuple[Cell, ...] = ()
    title: Cell = ()


class Columns(NamedTuple):
    """A list's columns: titles from `<catalog>.col.<key>`; the last takes what is left."""

    keys: tuple[str, ...]
    catalog: str
    max_width: dict[str, int]  # widest a column grows (half as wide again from 120 columns)
    min_width: dict[str, int]  # narrowest it shrinks to on a narrow terminal
    shrink: tuple[str, ...]  # who gives up room first
    last_min: int = 12

    def titles(self) -> dict[str, str]:
        return {key: t(f"{self.catalog}.col.{key}") for key in self.keys}


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


def column_widths(lines: list[Line], width: int, titles: dict[str, str], spec: Columns) -> dict[str, int]:
    """Each column as wide as its widest cell (capped), the last one taking the rest."""
    keys = spec.keys
    widths = {key: cell_len(titles[key]) for key in keys[:-1]}
    for line in lines:
        for key, cell in zip(keys, line.cells):
            if key in widths:
                widths[key] = max(widths[key], sum(cell_len(text) for text, _ in cell))
    roomy = width >= 120
    widths = {key: min(w, spec.max_width[key] * 3 // 2 if roomy else spec.max_width[key]) for key, w in widths.items()}
    budget = width - 1 - GAP * (len(keys) - 1) - spec.last_min
    for key in spec.shrink:  # narrow terminals: the least needed columns give up room first
        over = sum(widths.values()) - budget
        if over <= 0:
            break
        widths[key] = max(min(spec.min_width[key], widths[key]), widths[key] - over)
    widths[keys[-1]] = max(1, width - 1 - GAP * (len(keys) - 1) - sum(widths.values()))
    return widths


class LineList(Translated, ScrollView, can_focus=True):
    """Line 0 is the column titles; line y > 0 shows `lines[scroll_y + y - 1]`."""

    COLUMNS: Columns
    DEFAULT_CSS = """
    LineList {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .line-list--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .line-list--header { background: ansi_bright_blue; color: ansi_default; }
        & > .line-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .line-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """
    COMPONENT_CLASSES = {"line-list--header", "line-list--cursor"}
    BINDINGS = [
        Binding("down,j", "cursor_down", show=False),
        Binding("up,k", "cursor_up", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("home,g", "scroll_top", show=False),
        Binding("end,G", "scroll_bottom", show=False),
        Binding("enter", "select", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lines: list[Line] = []
        self.cursor_row = 0
        self._widths: dict[str, int] = {}
        self._widths_for = -1
        self._strips: dict[tuple, Strip] = {}  # drawn lines, until the data, width or styles change
        self._base: Style | None = None

    # ---- what subclasses decide ------------------------------------------
    def actionable(self, key: str) -> bool:
        """Whether the cursor stops on this line (titles and "nothing here" are skipped)."""
        raise NotImplementedError

    def activate(self, key: str) -> None:
        """Enter, or a click on the line under the cursor."""
        raise NotImplementedError

    # ---- data -------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.lines)

    @property
    def keys(self) -> list[str]:
        return [line.key for line in self.lines]

    @property
    def cursor_key(self) -> str | None:
        return self.lines[self.cursor_row].key if 0 <= self.cursor_row < len(self.lines) else None

    def set_lines(self, lines: list[Line], keep: str | None, where: int, first: str | None) -> None:
        """New lines; the cursor back on `keep`, or if that has gone (just logged) on the line
        that took its place, or else on `first`."""
        self.lines = lines
        self._widths_for = -1
        self._strips.clear()
        self.virtual_size = Size(1, len(lines) + 1)  # + the column titles
        keys = self.keys
        if keep is not None and keep in keys:
            self.move_to(keep)
        elif keep is not None and any(self._actionable(i) for i in range(len(keys))):
            where = min(where, len(keys) - 1)
            following = next((i for i in range(where, len(keys)) if self._actionable(i)), None)
            self._set_cursor(following if following is not None else
                             max(i for i in range(len(keys)) if self._actionable(i)))
        elif first is not None:
            self.move_to(first)
        else:
            self.cursor_row = min(self.cursor_row, max(0, len(keys) - 1))
        self.refresh()

    def move_to(self, key: str) -> None:
        """Put the cursor on the line with this key."""
        self._set_cursor(self.keys.index(key))

    def _actionable(self, index: int) -> bool:
        return self.actionable(self.lines[index].key)

    # ---- cursor -----------------------------------------------------------
    def _set_cursor(self, index: int) -> None:
        """Move the cursor: repaint its old and new lines only (a scroll repaints the rest)."""
        before, top = self.cursor_row, round(self.scroll_y)
        self.cursor_row = index
        self._scroll_to_cursor()
        if round(self.scroll_y) != top:
            self.refresh()
        else:
            for row in {before, index}:
                self.refresh_line(row + 1)  # + the column titles above line 0
        if index != before:
            self.cursor_moved()

    def cursor_moved(self) -> None:
        """The cursor is on another line (Today's detail follows it)."""

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
        body = self.scrollable_content_region.height - 1
        if len(self.lines) - self.cursor_row <= body:  # the titles and "nothing here" lines below show too
            self.scroll_to(y=max(0, len(self.lines) - body), animate=False)

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None and self.actionable(key):
            self.activate(key)

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
            spec = self.COLUMNS
            self._widths, self._widths_for = column_widths(self.lines, width, spec.titles(), spec), width
            self._strips.clear()
        if y == 0:
            return self._strip(("header", width), self._header_spans, "line-list--header", width)
        index = round(self.scroll_y) + y - 1
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, self.rich_style)
        cursor = index == self.cursor_row
        line = self.lines[index]
        return self._strip((line.key, cursor, width), lambda: self._line_spans(line, width),
                           "line-list--cursor" if cursor else None, width)

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
        titles = self.COLUMNS.titles()
        return self._row_spans(tuple(((titles[key], ""),) for key in self.COLUMNS.keys))

    def _line_spans(self, line: Line, width: int) -> list[tuple[str, str]]:
        if line.title:
            return [(" ", "")] + fit_spans(line.title, width - 1)
        return self._row_spans(line.cells)

    def _row_spans(self, cells: tuple[Cell, ...]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [(" ", "")]
        for n, (key, cell) in enumerate(zip(self.COLUMNS.keys, cells)):
            if n:
                out.append((" " * GAP, ""))
            out.extend(fit_spans(cell, self._widths[key]))
        return out
