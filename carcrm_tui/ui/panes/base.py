"""What every pane of the main screen shares: the way to its forms, to the shell, and to safety.

A pane is a container around the widget that shows its data (a line list, the
board, the record). It owns the keys that act on what it shows and their
actions, so a key leads to its behaviour in one hop; the main screen around it
only switches panes, keeps the top and status lines and refreshes what is
shown when another terminal saves.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
from typing import TYPE_CHECKING, Iterator

from textual.containers import Vertical

from carcrm_tui.services.errors import ServiceError
from carcrm_tui.store.faults import StorageFault
from carcrm_tui.ui.keys import Translated

if TYPE_CHECKING:
    from carcrm_tui.ui.panes.record import Record
    from carcrm_tui.ui.screens.main import MainScreen

REFUSALS = (ServiceError, StorageFault)

# Forms load when first opened, not at start: a consultant's first screen is Today.
_FORMS = {
    "ImportScreen": "data_forms", "MergeScreen": "data_forms", "EditCustomerScreen": "edit_customer",
    "HelpScreen": "help", "ReassignScreen": "data_forms", "ReviewScreen": "help", "LogContactScreen": "log_contact",
    "LostScreen": "lost", "SearchScreen": "search", "WalkInScreen": "walkin",
    "ComplaintActionScreen": "process_forms", "ComplaintScreen": "process_forms", "ConfirmScreen": "process_forms",
    "GradeScreen": "process_forms", "StageScreen": "process_forms", "TagFilterScreen": "process_forms",
    "BoardFilterScreen": "process_forms", "CatalogueScreen": "catalogue", "ImportBatchesScreen": "imports",
}


def form(name: str):
    """A form's class, its module imported on first use."""
    return getattr(importlib.import_module(f"carcrm_tui.ui.screens.{_FORMS[name]}"), name)


def _survive(method):
    """A refusal or a storage fault inside a key's action or a handler becomes a sentence on the
    status line; the screen lives on and nothing the user typed is lost (forms keep their input)."""
    if asyncio.iscoroutinefunction(method):
        @functools.wraps(method)
        async def guarded_async(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except REFUSALS as e:
                self.refused(e)
        return guarded_async

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except REFUSALS as e:
            self.refused(e)
    return guarded


def survives(*also: str):
    """Class decorator: every action_ and on_ method (and the named ones) guarded by _survive."""
    def wrap(cls):
        for name, value in list(vars(cls).items()):
            if callable(value) and (name.startswith(("action_", "on_")) or name in also):
                setattr(cls, name, _survive(value))
        return cls
    return wrap


class Pane(Translated, Vertical):
    """One pane of the main screen. Subclasses show their data in `refresh_data` and say what
    record is under the cursor in `current`."""

    DEFAULT_CSS = "Pane { height: 1fr; }"
    name_in_bar = ""  # the pane's key in the top bar ("today", "board" …)

    @property
    def main(self) -> MainScreen:
        return self.screen  # type: ignore[return-value]

    @property
    def session(self):
        return self.main.session

    @property
    def policy(self):
        return self.main.session.policy

    @property
    def now(self):
        return self.main.session.now()

    def status(self, text: str, *, error: bool = False) -> None:
        self.main.status(text, error=error)

    def refused(self, e: Exception) -> None:
        self.main.refused(e)

    def after_undo(self, undone) -> None:
        """A lead was put back as it was: show it so (the board follows the card back)."""
        self.refresh_data(force=True)

    def refresh_data(self, *, force: bool = False) -> None:
        """Show the pane's data as of now (the cursor kept where it was)."""

    def current(self) -> Record | None:
        """The lead and customer under the cursor, if any."""
        return None

    def focus_target(self):
        """The widget that takes the keys when the pane shows."""
        return self.children[0]

    def palette_commands(self) -> Iterator[tuple[str, str, object]]:
        """(title, help, callback) for the command palette while this pane shows."""
        return iter(())
