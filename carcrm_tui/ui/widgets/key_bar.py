"""The key line at the foot of the main screen: what each key does here.

Textual's Footer builds one widget per key and restyles and re-lays them out
whenever focus moves; at start-up and over a slow SSH link it was the most
expensive thing on screen. This draws the same line (the screen's shown
bindings, the command palette on the right, a click runs the key) as one
line of text, and only when the bindings change.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.widget import Widget

from carcrm_tui.keymap import BINDINGS

SEPARATOR = "▏"
PINNED = ("help",)  # binding ids kept at the right end with the palette
RECORD_IDS = frozenset(BINDINGS["record"])


class Item(NamedTuple):
    key: str  # the key to simulate on a click
    display: str  # how the key is written ("^p", "/")
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        & > .key-bar--description {
            color: $footer-description-foreground; background: $footer-description-background;
        }
        & > .key-bar--disabled { text-style: dim; }
    }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    ALLOW_SELECT = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._spans: list[tuple[int, int, Item]] = []  # where each item was drawn, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if screen is self.screen:
            self.refresh()

    def items(self) -> tuple[list[Item], list[Item]]:
        """The shown bindings of the focused chain (one per action; the pane's own first), and the
        ones pinned at the right: help and the command palette, there whatever else fits."""
        active = self.screen.active_bindings
        ranked: list[tuple[int, bool, int, Item]] = []
        pinned: list[Item] = []
        seen: set[str] = set()
        nodes: dict[int, int] = {}
        for n, (node, binding, enabled, _tooltip) in enumerate(active.values()):
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                item = Item(binding.key, self.app.get_key_display(binding), binding.description, enabled)
                if binding.id in PINNED:
                    pinned.append(item)
                else:  # nearest the focus first; on a pane: logging a call, its own keys, the record's
                    group = 0 if binding.id == "contact.log" else 2 if binding.id in RECORD_IDS else 1
                    ranked.append((nodes.setdefault(id(node), len(nodes)), group, n, item))
        items = [item for *_rank, item in sorted(ranked, key=lambda r: r[:3])]
        if self.app.ENABLE_COMMAND_PALETTE and self.app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            pinned.append(Item(binding.key, self.app.get_key_display(binding), binding.description, enabled))
            items = [item for item in items if item.key != binding.key]
        return items, pinned

    def render(self) -> Text:
        width = self.size.width
        items, pinned = self.items()
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")

        def piece(item: Item) -> Text:
            text = Text.assemble(" ", (item.display, key_style), " ", (item.description, description_style), " ")
            if not item.enabled:
                text.stylize(dim)
            return text

        right, right_spans = Text(), []
        if pinned:
            right.append(SEPARATOR, style="dim")
            for item in pinned:
                text = piece(item)
                right_spans.append((right.cell_len, right.cell_len + text.cell_len, item))
                right.append_text(text)
        room = width - right.cell_len
        line, spans = Text(), []
        for item in items:  # whole keys only: a key cut in half helps nobody
            text = piece(item)
            if line.cell_len + text.cell_len > room:
                break
            spans.append((line.cell_len, line.cell_len + text.cell_len, item))
            line.append_text(text)
        line.pad_right(max(0, room - line.cell_len))
        offset = line.cell_len
        spans += [(offset + start, offset + end, item) for start, end, item in right_spans]
        self._spans = spans
        return line + right

    def on_click(self, event: events.Click) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end:
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
