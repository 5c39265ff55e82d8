"""The keys in force, for screens that name them (help, the hints under forms).

Users remap bindings by id in `[keymap]` (carcrm_tui.keymap checks the table;
the app hands it to `App.set_keymap`). A hint that says "ctrl+s save" after
the user moved saving to ctrl+w would send them to the wrong key, so hints ask
here for the key of a binding id, as the user set it.
"""

from __future__ import annotations

import importlib

from textual import active_app
from textual.app import App
from textual.binding import Binding
from textual.keys import format_key

from carcrm_tui.keymap import BINDINGS

# where each scope of carcrm_tui.keymap.BINDINGS is declared
SCOPE_CLASSES = {
    "app": ("carcrm_tui.ui.app", "CarCrmApp"),
    "main": ("carcrm_tui.ui.screens.main", "MainScreen"),
    "record": ("carcrm_tui.ui.panes.record", "RecordPane"),
    "today": ("carcrm_tui.ui.panes.today", "TodayPane"),
    "board": ("carcrm_tui.ui.panes.board", "BoardPane"),
    "customer": ("carcrm_tui.ui.panes.customer", "CustomerPane"),
    "late": ("carcrm_tui.ui.panes.late", "LatePane"),
    "metrics": ("carcrm_tui.ui.panes.metrics", "MetricsPane"),
    "log_contact": ("carcrm_tui.ui.screens.log_contact", "LogContactScreen"),
    "form": ("carcrm_tui.ui.screens.form", "FormScreen"),
    "board_filter": ("carcrm_tui.ui.screens.process_forms", "BoardFilterScreen"),
    "confirm": ("carcrm_tui.ui.screens.process_forms", "ConfirmScreen"),
    "catalogue": ("carcrm_tui.ui.screens.catalogue", "CatalogueScreen"),
    "imports": ("carcrm_tui.ui.screens.imports", "ImportBatchesScreen"),
    "search": ("carcrm_tui.ui.screens.search", "SearchScreen"),
    "signin": ("carcrm_tui.ui.screens.sign_in", "SignInScreen"),
    "help": ("carcrm_tui.ui.screens.help", "HelpScreen"),
    "review": ("carcrm_tui.ui.screens.help", "ReviewScreen"),
}
_WORDS = {"enter": "enter", "space": "space", "tab": "tab", "escape": "esc"}


def declared_in_scopes() -> list[tuple[str, Binding]]:
    """Every binding with an id as the UI declares it, with its scope. One id may be declared in
    several scopes (each pane's `f` filters what that pane shows): a keymap entry moves them all."""
    found: list[tuple[str, Binding]] = []
    for scope, (module, name) in SCOPE_CLASSES.items():
        cls = getattr(importlib.import_module(module), name)
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                found.append((scope, binding))
    return found


def declared_bindings() -> dict[str, tuple[str, Binding]]:
    """id -> (scope, Binding), the first scope declaring it (for the help's descriptions)."""
    found: dict[str, tuple[str, Binding]] = {}
    for scope, binding in declared_in_scopes():
        found.setdefault(binding.id, (scope, binding))
    return found


def key_text(keys: str) -> str:
    """'ctrl+s,question_mark,shift+right' -> 'ctrl+s ? shift+→' (as the config spells modifiers)."""
    shown = []
    for key in keys.split(","):
        *mods, base = key.split("+")
        shown.append("+".join([*mods, _WORDS.get(base) or format_key(base)]))
    return " ".join(shown)


def keys_of(app: App, binding_id: str) -> str:
    """The keys of a binding id as the user set them (the default when the keymap leaves it)."""
    keymap = getattr(app, "_keymap", None) or {}  # what App.set_keymap was given, normalised by Textual
    keys = keymap.get(binding_id)
    if keys is None:
        keys = next(ids[binding_id] for ids in BINDINGS.values() if binding_id in ids)
    return key_text(keys)


HINTS = {"save": "form.save", "cancel": "form.cancel", "back": "signin.back", "switch": "switch_user",
         "dormant": "lead.dormant", "reveal": "customer.reveal", "search": "search", "apply": "filter.apply",
         "month_back": "metrics.back", "month_forward": "metrics.forward", "log": "contact.log",
         "resolve": "complaint.resolve", "privacy": "privacy", "undo": "lead.undo", "copy": "contact.copy"}


def hint_keys(app: App | None = None) -> dict[str, str]:
    """The {save}, {cancel} … placeholders of the catalog's key hints, as the user set those keys
    (`app`: the running app, by default the one drawing now)."""
    app = app if app is not None else active_app.get()
    return {name: keys_of(app, binding_id) for name, binding_id in HINTS.items()}
