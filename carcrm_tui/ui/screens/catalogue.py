"""The vehicle catalogue for managers: add a model, change a guide price, retire a model.

Every change goes through the catalogue service (permission, audit, and a
price change refused if someone changed the price meanwhile); this screen
only lists and asks.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from carcrm_tui.i18n import money, t
from carcrm_tui.ui.screens.form import FormScreen, Row
from carcrm_tui.ui.text import plain


def entry_line(e) -> Text:
    line = plain(e.label, "bold" if not e.retired else "dim")
    line.append("  ")
    line.append(money(e.guide_price) if e.guide_price else t("catalogue.no_price"),
                style="" if e.guide_price else "yellow")
    if e.from_import:
        line.append(f"  [{t('catalogue.from_import')}]", style="yellow")
    if e.retired:
        line.append(f"  [{t('catalogue.retired')}]", style="dim")
    return line


class CatalogueScreen(FormScreen):
    BINDINGS = [
        Binding("a", "add", "key.catalogue_add", id="catalogue.add"),
        Binding("p", "price", "key.catalogue_price", id="catalogue.price"),
        Binding("r", "retire", "key.catalogue_retire", id="catalogue.retire"),
    ]
    DEFAULT_CSS = """
    CatalogueScreen #entries { height: auto; max-height: 14; border: none; }
    """

    def __init__(self, *, entries: Callable[[], list], add: Callable, price: Callable, retire: Callable,
                 policy=None) -> None:
        super().__init__()
        self.load, self.add_fn, self.price_fn, self.retire_fn, self.policy = entries, add, price, retire, policy
        self.entries: list = []
        self.changed = False

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("catalogue.title")), id="form-title")
            yield OptionList(id="entries")
            yield Static("", id="form-message")
            yield Static(Text(t("catalogue.keys")), id="form-keys")

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#entries", OptionList).focus()

    def reload(self, keep: int | None = None) -> None:
        self.entries = self.load()
        box = self.query_one("#entries", OptionList)
        box.clear_options()
        box.add_options([Option(entry_line(e), id=str(e.id)) for e in self.entries])
        if not self.entries:
            self.message(t("catalogue.empty"))
        else:
            ids = [e.id for e in self.entries]
            box.highlighted = ids.index(keep) if keep in ids else 0

    @property
    def selected(self):
        box = self.query_one("#entries", OptionList)
        if box.highlighted is None or not self.entries:
            return None
        return self.entries[box.highlighted]

    def action_add(self) -> None:
        def done(entry) -> None:
            if entry is not None:
                self.changed = True
                self.reload(keep=entry.id)
                self.message(t("catalogue.saved"))

        self.app.push_screen(VehicleFormScreen(submit=self.add_fn, policy=self.policy), done)

    def action_price(self) -> None:
        entry = self.selected
        if entry is None:
            return

        def done(saved) -> None:
            if saved is not None:
                self.changed = True
                self.reload(keep=entry.id)
                self.message(t("catalogue.saved"))

        self.app.push_screen(PriceScreen(entry=entry, submit=self.price_fn, policy=self.policy), done)

    def action_retire(self) -> None:
        entry = self.selected
        if entry is None:
            return
        ok, _ = self.attempt(self.retire_fn, entry.id, not entry.retired)
        if ok:
            self.changed = True
            self.reload(keep=entry.id)
            self.message(t("catalogue.saved"))

    def action_save(self) -> None:
        self.dismiss(self.changed)

    def action_cancel(self) -> None:
        self.dismiss(self.changed)


class VehicleFormScreen(FormScreen):
    def __init__(self, *, submit: Callable, policy=None) -> None:
        super().__init__()
        self.submit, self.policy = submit, policy

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("catalogue.add_title")), id="form-title")
            for name in ("brand", "series", "model", "price"):
                hint = t("stage_form.money_hint") if name == "price" else ""
                yield Row(name, Input(placeholder=hint, id=f"v-{name}"), caption=t(f"catalogue.{name}"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#v-brand", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "v-price":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        values = [self.query_one(f"#v-{name}", Input).value for name in ("brand", "series", "model", "price")]
        ok, entry = self.attempt(self.submit, *values)
        if ok:
            self.dismiss(entry)


class PriceScreen(FormScreen):
    def __init__(self, *, entry, submit: Callable, policy=None) -> None:
        super().__init__()
        self.entry, self.submit, self.policy = entry, submit, policy

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("catalogue.price_title", label=self.entry.label)), id="form-title")
            yield Row("price", Input(value=str(self.entry.guide_price or ""), placeholder=t("stage_form.money_hint"),
                                     id="v-price"), caption=t("catalogue.price"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#v-price", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        ok, entry = self.attempt(self.submit, self.entry.id, self.query_one("#v-price", Input).value,
                                 self.entry.guide_price)
        if ok:
            self.dismiss(entry)
