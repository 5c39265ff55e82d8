"""Find a customer by name fragment or phone digits; results follow each keystroke."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from carcrm_tui.i18n import labelled, t
from carcrm_tui.services.session import in_worker
from carcrm_tui.services.views import CustomerHit
from carcrm_tui.ui.format import phone_text, stage_text
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.text import fit, plain
from carcrm_tui.ui.keymap import hint_keys


class SearchScreen(Translated, ModalScreen):
    """Dismisses with the chosen customer id, or None."""

    DEFAULT_CSS = """
    SearchScreen { align: center top; }
    SearchScreen > #search-box {
        width: 90%; max-width: 100; height: auto; max-height: 90%; margin-top: 1;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SearchScreen Input, SearchScreen Input:focus { border: none; height: 1; background: $boost; padding: 0 1; }
    SearchScreen OptionList { height: auto; max-height: 16; border: none; }
    SearchScreen #search-status { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "key.cancel", id="search.cancel"),
        Binding("down", "to_results", show=False),
    ]

    def __init__(self, *, search: Callable[[str], list[CustomerHit]], display_name=lambda n: n) -> None:
        super().__init__()
        self.search_fn = search
        self.display_name = display_name

    def compose(self):
        with Vertical(id="search-box"):
            yield Input(placeholder=t("search.hint"), id="query")
            yield OptionList(id="results")
            yield Static(Text(t("search.keys", **hint_keys(self.app))), id="search-status")

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, text: str) -> None:
        try:
            hits = in_worker(self.search_fn, text)
        except Exception as e:  # a storage fault or a refusal: one sentence under the query, which is kept
            from carcrm_tui.ui_text import error_sentence

            self.app.call_from_thread(self.notify_problem, error_sentence(e))
            return
        self.app.call_from_thread(self.show_hits, text, hits)

    def notify_problem(self, sentence: str) -> None:
        self.notify(sentence, severity="error", markup=False)

    def show_hits(self, text: str, hits: list[CustomerHit]) -> None:
        if text != self.query_one("#query", Input).value:
            return  # a newer keystroke is on its way
        results = self.query_one("#results", OptionList)
        results.clear_options()
        for hit in hits:
            line = plain(self.display_name(hit.name), "bold")
            line.append(f"  {phone_text(hit.phone)}")
            if hit.grade:
                line.append(f"  {hit.grade} · {stage_text(hit.stage)}")
            line.append("  ").append_text(plain(hit.owner_name, "dim"))
            matched = t(f"match.{hit.matched}")
            line.append(f"  · {labelled(matched) if hit.snippet else matched}", style="italic")
            if hit.snippet:
                line.append_text(fit(hit.snippet, 30, "italic dim"))
            results.add_option(Option(line, id=str(hit.customer_id)))
        status = t("search.count", n=len(hits)) if text.strip() else t("search.keys", **hint_keys(self.app))
        self.query_one("#search-status", Static).update(Text(status))
        if hits:
            results.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        results = self.query_one("#results", OptionList)
        if results.option_count:
            self.dismiss(int(results.get_option_at_index(results.highlighted or 0).id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_to_results(self) -> None:
        self.query_one("#results", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
