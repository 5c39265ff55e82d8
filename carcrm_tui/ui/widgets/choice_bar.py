"""A one-line choice: all options in a row, ←/→ picks. No drop-down to open.

Faster than a Select on a slow SSH link and at 80 columns: the log-contact form
is a few arrow presses, not open-scroll-confirm for every field.
"""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from carcrm_tui.ui.text import clean


class ChoiceBar(Widget, can_focus=True):
    DEFAULT_CSS = """
    ChoiceBar { height: 1; width: 1fr; }
    ChoiceBar:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left,h", "step(-1)", show=False),
        Binding("right,l", "step(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
    ]

    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, bar: "ChoiceBar", value: str) -> None:
            super().__init__()
            self.bar = bar
            self.value = value

        @property
        def control(self) -> "ChoiceBar":
            return self.bar

    def __init__(self, options: Sequence[tuple[str, str]], value: str | None = None, **kwargs) -> None:
        """`options` are (value, label) pairs; labels are already translated."""
        super().__init__(**kwargs)
        self.options = list(options)
        values = [v for v, _ in self.options]
        self.set_reactive(ChoiceBar.index, values.index(value) if value in values else 0)

    @property
    def value(self) -> str:
        return self.options[self.index][0]

    @value.setter
    def value(self, value: str) -> None:
        values = [v for v, _ in self.options]
        if value in values:
            self.index = values.index(value)

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.options)

    def action_jump(self, where: int) -> None:
        self.index = where % len(self.options)

    def watch_index(self) -> None:
        self.post_message(self.Changed(self, self.value))

    def render(self) -> Text:
        width = self.size.width or 80
        parts: list[Text] = []
        for i, (_value, label) in enumerate(self.options):
            style = "reverse bold" if i == self.index else ""
            parts.append(Text(f" {clean(label)} ", style=style))  # labels may hold stored values
        # keep the chosen option visible when the row is wider than the screen
        start = 0
        while start < self.index and sum(cell_len(p.plain) for p in parts[start:self.index + 1]) > width - 2:
            start += 1
        line = Text("‹" if start else " ")
        for p in parts[start:]:
            line.append_text(p)
        if cell_len(line.plain) > width:
            line.truncate(width - 1, overflow="crop")
            line.append("›")
        return line
