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

SECTIONS = {
    "help.global": [("1 2 3", "help.panes"), ("/", "key.search"), ("n", "key.walkin"), ("c", "key.log"),
                    ("ctrl+p", "help.palette"), ("p", "key.privacy"), ("ctrl+l", "key.lock"),
                    ("ctrl+o", "key.switch_user"), ("?", "key.help"), ("q", "key.quit")],
    "help.today": [("↑ ↓ j k", "help.move"), ("enter", "key.open"), ("c", "key.log")],
    "help.board": [("← → h l", "help.columns"), ("↑ ↓ j k", "help.cards"), ("] >", "key.next_stage"),
                   ("[ <", "key.prev_stage"), ("x", "key.lost"), ("f", "key.filter"), ("enter", "key.open"),
                   ("█▓▒░", "board.health")],
    "help.customer": [("e", "key.edit"), ("v", "key.reveal"), ("c", "key.log"), ("x", "key.lost"),
                      ("↑ ↓", "help.scroll")],
    "help.process": [("] [", "key.next_stage"), ("g", "key.grade"), ("d", "key.dormant"), ("k", "key.complaint"),
                     ("f", "key.filter")],
    "help.manager": [("4", "key.late"), ("5", "key.metrics"), (",", "key.period_back"), (".", "key.period_forward"),
                     ("R", "key.review"), ("space", "key.mark"), ("a", "key.reassign"), ("m", "key.merge"),
                     ("ctrl+p", "palette.import"), ("ctrl+p", "palette.imports"), ("ctrl+p", "palette.catalogue")],
    "help.forms": [("tab", "help.next_field"), ("← →", "help.choose"), ("ctrl+s", "key.save"), ("esc", "key.cancel")],
}


class HelpScreen(Translated, ModalScreen):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 80; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "key.close", id="help.close")]

    def compose(self):
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for section, rows in SECTIONS.items():
            table.add_row(Text(t(section), style="bold underline"), Text(""))
            for key, desc in rows:
                table.add_row(Text(key), Text(t(desc)))
        with VerticalScroll():
            yield Static(Text(t("help.title"), style="bold"))
            yield Static(table)

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
