"""A one-line choice: all options in a row, ←/→ picks. No drop-down to open.

Faster than a Select on a slow SSH link and at 80 columns: the log-contact form
is a few arrow presses, not open-scroll-confirm for every field. A numbered bar
shows 1–9 before its options and takes one digit to choose and move on; a bar
built with `value=None, required=True` starts with nothing chosen, so a choice
that matters (how did the call go?) is never made silently for the user.
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
        Binding("left", "step(-1)", show=False),  # h and l too, in on_key: a numbered bar passes them on
        Binding("right", "step(1)", show=False),
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

    def __init__(self, options: Sequence[tuple[str, str]], value: str | None = None, *, numbered: bool = False,
                 required: bool = False, **kwargs) -> None:
        """`options` are (value, label) pairs; labels are already translated. `required`: nothing
        is chosen until the user chooses (value ""); `numbered`: digits 1–9 choose."""
        super().__init__(**kwargs)
        self.options = list(options)
        self.numbered = numbered
        values = [v for v, _ in self.options]
        self.set_reactive(ChoiceBar.index, values.index(value) if value in values else -1 if required else 0)

    @property
    def value(self) -> str:
        return self.options[self.index][0] if self.index >= 0 else ""

    @value.setter
    def value(self, value: str) -> None:
        values = [v for v, _ in self.options]
        if value in values:
            self.index = values.index(value)

    def action_step(self, delta: int) -> None:
        if self.index < 0:  # nothing chosen yet: → the first, ← the last
            self.index = 0 if delta > 0 else len(self.options) - 1
            return
        self.index = (self.index + delta) % len(self.options)

    def on_key(self, event) -> None:
        """On a numbered bar a digit chooses; any other character was meant for the text field
        after it (the user started typing the summary), so it goes there instead of stepping."""
        if not event.is_printable or not event.character:
            return
        if not self.numbered:
            if event.character in "hl":
                event.stop()
                event.prevent_default()
                self.action_step(-1 if event.character == "h" else 1)
            return
        event.stop()
        event.prevent_default()
        if event.character in "123456789":
            n = int(event.character) - 1
            if n < len(self.options):
                self.index = n
                self.post_message(self.Chosen(self, self.value))
        else:
            self.post_message(self.TypedAhead(self, event.character))

    def action_jump(self, where: int) -> None:
        self.index = where % len(self.options)

    class Chosen(Message):
        """A digit chose an option: the form may move on to the next field."""

        def __init__(self, bar: "ChoiceBar", value: str) -> None:
            super().__init__()
            self.bar = bar
            self.value = value

    def on_paste(self, event) -> None:
        if self.numbered and event.text:
            event.stop()
            self.post_message(self.TypedAhead(self, event.text))

    class TypedAhead(Message):
        """A character typed on a numbered bar: meant for the next text field."""

        def __init__(self, bar: "ChoiceBar", character: str) -> None:
            super().__init__()
            self.bar = bar
            self.character = character

    def watch_index(self) -> None:
        self.post_message(self.Changed(self, self.value))

    def render(self) -> Text:
        width = self.size.width or 80
        parts: list[Text] = []
        for i, (_value, label) in enumerate(self.options):
            style = "reverse bold" if i == self.index else ""
            number = f"{i + 1} " if self.numbered and i < 9 else ""
            parts.append(Text(f" {number}{clean(label)} ", style=style))  # labels may hold stored values
        # keep the chosen option visible when the row is wider than the screen
        start = 0
        while start < max(self.index, 0) and sum(cell_len(p.plain) for p in parts[start:self.index + 1]) > width - 2:
            start += 1
        line = Text("‹" if start else " ")
        for p in parts[start:]:
            line.append_text(p)
        if cell_len(line.plain) > width:
            line.truncate(width - 1, overflow="crop")
            line.append("›")
        return line
