"""Key bindings whose footer text follows the UI language.

Bindings declare a catalog key ("key.log") as their description; each node
translates its own copy when it is built, so zh and en apps can coexist in
one process (the snapshot tests do exactly that). Every binding has an id, so
users can remap it with a keymap in the config.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from carcrm_tui.i18n import t


def translate_bindings(node: DOMNode) -> None:
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=t(b.description)) if b.description.startswith("key.") else b
            for b in bindings
        ]


class Translated:
    """Mixin for screens and widgets: translate binding descriptions on construction."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)  # type: ignore[arg-type]
