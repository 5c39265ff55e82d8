"""The imports a site has run, for managers: who, when, which file, what it did — and undo.

Undo asks twice (u, then u again on the same batch) and runs on a worker: a
big batch is taken back in chunks while the floor keeps working.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from carcrm_tui.i18n import t
from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.screens.form import FormScreen
from carcrm_tui.ui.text import plain


def status_word(status: str) -> str:
    return t("import_batch.undone_status" if status == "undone" else f"import_batch.{status}")


def batch_line(b, tz) -> Text:
    when = b.started_at.in_timezone(tz).format("YYYY-MM-DD HH:mm")
    line = Text(f"#{b.id} ", style="bold")
    line.append_text(plain(t("import_batch.line", when=when, who=b.actor, status=status_word(b.status), rows=b.rows,
                             created=b.created, updated=b.updated, rejected=b.rejected, file=b.file_name),
                           "dim" if b.status == "undone" else "yellow" if b.status == "incomplete" else ""))
    return line


class ImportBatchesScreen(FormScreen):
    BINDINGS = [Binding("u", "undo", "key.import_undo", id="imports.undo")]
    DEFAULT_CSS = """
    ImportBatchesScreen #batches { height: auto; max-height: 14; border: none; }
    """

    def __init__(self, *, batches: Callable[[], list], undo: Callable[[int], object], policy,
                 describe: Callable[[Exception], str]) -> None:
        super().__init__()
        self.load, self.undo_fn, self.policy, self.describe = batches, undo, policy, describe
        self.batches: list = []
        self.armed: int | None = None  # the batch whose undo waits for the second u
        self.changed = False

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("import_batch.title")), id="form-title")
            yield OptionList(id="batches")
            yield Static("", id="form-message")
            yield Static(Text(t("import_batch.keys")), id="form-keys")

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#batches", OptionList).focus()

    def reload(self) -> None:
        self.batches = self.load()
        box = self.query_one("#batches", OptionList)
        box.clear_options()
        box.add_options([Option(batch_line(b, self.policy.tz), id=str(b.id)) for b in self.batches])
        if self.batches:
            box.highlighted = 0
        else:
            self.message(t("import_batch.none"))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.armed = None

    def action_undo(self) -> None:
        box = self.query_one("#batches", OptionList)
        if box.highlighted is None or not self.batches:
            return
        batch = self.batches[box.highlighted]
        if self.armed != batch.id:
            self.armed = batch.id
            self.message(t("import_batch.confirm", batch=batch.id))
            return
        self.armed = None
        self.message(t("import.running"))
        self.run_undo(batch.id)

    @work(thread=True, exclusive=True, group="import-undo")
    def run_undo(self, batch_id: int) -> None:
        try:
            result = in_worker(self.undo_fn, batch_id)
        except Exception as e:  # a refusal (already undone, still running) or the database: a sentence
            self.app.call_from_thread(self.message, self.describe(e))
            return
        self.app.call_from_thread(self.undone, batch_id, result)

    def undone(self, batch_id: int, result) -> None:
        self.changed = True
        self.reload()
        self.message(t("import_batch.undone", batch=batch_id, removed=result.removed, restored=result.restored,
                       kept=result.kept))

    def action_save(self) -> None:
        self.dismiss(self.changed)

    def action_cancel(self) -> None:
        self.dismiss(self.changed)
