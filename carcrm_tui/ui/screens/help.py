"""`?`: every key of the current pane, in the UI language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from carcrm_tui.i18n import t
from carcrm_tui.ui.keys import Translated

# A row is a binding id (its keys as the user set them, its description, its id for [keymap])
# or (keys, description) for keys that cannot be remapped (movement inside a list).
SECTIONS = {
    "help.global": ["pane.today", "pane.board", "pane.customer", "search", "walkin.new", "contact.log",
                    "palette", "privacy", "lead.undo", "refresh", "lock", "switch_user", "help", "quit"],
    "help.today": [("↑ ↓ j k", "help.move"), ("enter", "key.open"), "complaint.resolve", "filter.tag"],
    "help.board": [("← → h l", "help.columns"), ("↑ ↓ j k", "help.cards"), "lead.next_stage", "lead.prev_stage",
                   "lead.lost", "filter.tag", ("enter", "key.open"), ("█▓▒░", "board.health")],
    "help.customer": ["customer.edit", "customer.reveal", "customer.complaint", ("↑ ↓", "help.scroll")],
    "help.process": ["lead.grade", "lead.dormant", "lead.undo"],
    "help.manager": ["pane.late", "pane.metrics", "metrics.back", "metrics.forward", "review.daily", "board.mark",
                     "lead.reassign", "customer.merge", ("ctrl+p", "palette.import"), ("ctrl+p", "palette.imports"),
                     ("ctrl+p", "palette.catalogue")],
    "help.forms": [("tab", "help.next_field"), ("← →", "help.choose"), ("1–9", "help.digit"), "form.save",
                   "form.cancel", "contact.copy"],
}


class HelpScreen(Translated, ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 80; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "key.close", id="help.close")]

    def compose(self):
        from carcrm_tui.ui.keymap import declared_bindings, keys_of

        declared = declared_bindings()
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_column(style="dim", no_wrap=True)  # the id to remap it with, in [keymap]
        for section, rows in SECTIONS.items():
            table.add_row(Text(t(section), style="bold underline"), Text(""), Text(""))
            for row in rows:
                if isinstance(row, str):
                    binding = declared[row][1]
                    table.add_row(Text(keys_of(self.app, row)), Text(t(binding.description)), Text(row))
                else:
                    table.add_row(Text(row[0]), Text(t(row[1])), Text(""))
        with VerticalScroll():
            yield Static(Text(t("help.title"), style="bold"))
            yield Static(table)
            yield Static(Text(t("keymap.remap"), style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


class ReviewScreen(Translated, ModalScreen):
    """The evening review, scrollable; esc closes. Text from carcrm_tui.reports (same as the CLI)."""

    DEFAULT_CSS = HelpScreen.DEFAULT_CSS.replace("HelpScreen", "ReviewScreen")
    BINDINGS = [Binding("escape,q", "close", "key.close", id="review.close")]

    def __init__(self, *, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self):
        with VerticalScroll():
            yield Static(Text(self.text))

    def action_close(self) -> None:
        self.dismiss(None)
