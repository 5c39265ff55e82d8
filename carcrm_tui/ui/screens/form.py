"""Modal forms: ctrl+s saves, esc cancels, each field shows its own error.

A form never talks to the database: it receives a `submit` callable (a service
call bound by the main screen) and shows what that call refuses, field by
field, keeping everything the user typed.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, Static

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.i18n import label, t
from carcrm_tui.services.errors import ServiceError, ValidationFailed
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.ui_text import error_sentence, invalid_sentence
from carcrm_tui.ui.keys import Translated
from carcrm_tui.ui.keymap import hint_keys


def error_text(err: Invalid) -> str:
    return invalid_sentence(err)


def service_error_text(exc: Exception, policy=None) -> str:
    return error_sentence(exc, policy)


class Row(Horizontal):
    """A labelled field with an error line under it."""

    DEFAULT_CSS = """
    Row { height: auto; }
    Row > .row-label { width: 16; padding: 0 1 0 0; color: $text-muted; }
    Row > .row-body { width: 1fr; height: auto; }
    """

    def __init__(self, field: str, widget: Widget, *, caption: str | None = None) -> None:
        super().__init__(id=f"row-{field}")
        self.field = field
        self.widget = widget
        self.caption = caption if caption is not None else t(f"field.{field}")

    def compose(self):
        yield Label(Text(self.caption), classes="row-label")
        with Vertical(classes="row-body"):
            yield self.widget
            yield Static("", classes="row-error", id=f"error-{self.field}")


class FormScreen(Translated, ModalScreen):
    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > #form {
        width: 90%; max-width: 100; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    FormScreen #form-title { text-style: bold; width: 1fr; margin-bottom: 1; }
    FormScreen .row-error { color: $error; height: auto; display: none; }
    FormScreen .row-error.-shown { display: block; }
    FormScreen Input, FormScreen Input:focus { height: 1; border: none; padding: 0 1; background: $boost; }
    FormScreen Input:focus { background: $primary 30%; }
    FormScreen Input.-invalid { background: $error 30%; }
    FormScreen #form-message { color: $warning; height: auto; display: none; }
    FormScreen #form-message.-shown { display: block; }
    FormScreen #form-keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "key.save", id="form.save", priority=True),
        Binding("escape", "cancel", "key.cancel", id="form.cancel"),
    ]

    def show_errors(self, errors: dict[str, Invalid]) -> None:
        for err_label in self.query(".row-error"):
            err_label.update("")
            err_label.remove_class("-shown")
        unplaced: list[str] = []
        first = None
        for field, err in errors.items():
            try:
                target = self.query_one(f"#error-{field}", Static)
            except Exception:
                unplaced.append(error_text(err))
                continue
            target.update(Text(error_text(err)))
            target.add_class("-shown")
            first = first or field
        self.message(" ".join(unplaced))
        if first:
            try:
                self.query_one(f"#row-{first}", Row).widget.focus()
            except Exception:
                pass

    def message(self, text: str) -> None:
        try:
            box = self.query_one("#form-message", Static)
            box.update(Text(text))
            box.set_class(bool(text), "-shown")
        except Exception:
            pass

    handles: tuple[type[ServiceError], ...] = ()  # refusals the form deals with itself

    def attempt(self, call, *args, fields: dict[str, str] | None = None) -> tuple[bool, object]:
        """Run a service call → (True, its result); on refusal show why, keep the input → (False, None).

        `fields` renames service field names to this form's (e.g. next → next_date).
        """
        try:
            return True, call(*args)
        except ValidationFailed as e:
            errors = {(fields or {}).get(k, k): v for k, v in e.errors.items()}
            self.show_errors(errors)
        except (ServiceError, StorageFault) as e:
            if isinstance(e, self.handles):
                raise
            if isinstance(e, StorageFault):
                from carcrm_tui import logs

                logs.record_exception(e, "storage fault in a form")
            self.show_errors({})
            self.message(service_error_text(e, getattr(self, "policy", None)))
        return False, None

    def keys_hint(self) -> Static:
        return Static(Text(t("form.keys", **hint_keys(self.app))), id="form-keys")

    _start: tuple | None = None  # the form's values once it had drawn: what "unchanged" means

    def on_mount(self) -> None:
        self.call_after_refresh(self._remember)

    def _remember(self) -> None:
        self._start = self.values()

    def values(self) -> tuple:
        """Every field's current value, for telling whether the person changed anything."""
        out = []
        for widget in self.query("Input, ChoiceBar, Select, SelectionList, TextArea"):
            value = tuple(widget.selected) if hasattr(widget, "selected") and not hasattr(widget, "value") \
                else getattr(widget, "value", getattr(widget, "text", None))
            out.append((widget.id, repr(value)))
        return tuple(out)

    @property
    def unsaved(self) -> bool:
        return self._start is not None and self.values() != self._start

    def action_cancel(self) -> None:
        """Esc leaves at once when nothing was typed; otherwise it asks before throwing work away."""
        if not self.unsaved:
            self.dismiss(None)
            return
        from carcrm_tui.ui.screens.process_forms import ConfirmScreen

        self.app.push_screen(ConfirmScreen(title=t("discard.title"), text=t("discard.confirm"), submit=lambda: True),
                             lambda discard: discard and self.dismiss(None))


def code_options(kind: str, codes, *, blank: bool = False) -> list[tuple[str, str]]:
    options = [("", t("choice.none"))] if blank else []
    return options + [(c, label(kind, c)) for c in codes]
