"""Your own keys: the `[keymap]` table of the config, checked before the app opens.

```toml
[keymap]
"pane.board" = "b"            # a binding id (shown in the app's help, `?`) = its new keys
"form.save" = "ctrl+w,f2"     # several keys: comma-separated
```

The app applies the table with Textual's `App.set_keymap` (as posting does).
It is read here, without Textual, so that a typo is reported like any other
config mistake — naming the entry and why — before a screen opens. The ids and
their default keys are listed below; a test keeps this list in step with the
`Binding(..., id=...)` declarations in the UI, so an id missing here cannot
slip through. Keys are stored the way Textual names them ("?" becomes
"question_mark", modifiers sorted) so two spellings of one key are seen to clash.

This is a personal preference (language, theme and keys are the user's own),
kept in its own function so it can move with the rest of them.
"""

from __future__ import annotations

import string
import unicodedata
from typing import Any, Mapping

# scope -> {binding id: default keys}. Keys of one scope are live at the same
# time; the app's own keys take priority over every screen's.
APP_SCOPE = "app"
BINDINGS: dict[str, dict[str, str]] = {
    APP_SCOPE: {"palette": "ctrl+p", "lock": "ctrl+l", "switch_user": "ctrl+o"},
    "main": {  # the main screen: what belongs to no pane
        "pane.today": "1", "pane.board": "2", "pane.customer": "3", "pane.late": "4", "pane.metrics": "5",
        "search": "slash", "walkin.new": "n", "lead.undo": "u", "review.daily": "R",
        "refresh": "r", "privacy": "p", "help": "question_mark", "quit": "q",
    },
    "record": {  # the record under the cursor, on Today, the board and the customer pane
        "contact.log": "c",
        "lead.next_stage": "right_square_bracket,greater_than_sign,shift+right",
        "lead.prev_stage": "left_square_bracket,less_than_sign,shift+left",
        "lead.lost": "x", "lead.grade": "g", "lead.reassign": "a",
    },
    "today": {"complaint.resolve": "s", "filter.tag": "f"},
    "board": {"board.mark": "space", "filter.tag": "f"},
    "customer": {"customer.edit": "e", "customer.reveal": "v", "lead.dormant": "d", "customer.complaint": "k",
                 "customer.merge": "m"},
    "late": {"filter.tag": "f"},
    "metrics": {"metrics.back": "comma", "metrics.forward": "full_stop", "filter.tag": "f"},
    "form": {"form.save": "ctrl+s", "form.cancel": "escape"},
    "log_contact": {"contact.copy": "ctrl+y"},  # copies the number to call (a form: form keys too)
    "board_filter": {"filter.apply": "enter"},  # a form too: form keys are live on it
    "confirm": {"confirm.yes": "enter"},  # a yes/no step (quit, discard, dormant): a form too
    "catalogue": {"catalogue.add": "a", "catalogue.price": "p", "catalogue.retire": "r"},
    "imports": {"imports.undo": "u"},
    "search": {"search.cancel": "escape"},
    "signin": {"signin.back": "escape"},
    "help": {"help.close": "escape,question_mark,q"},
    "review": {"review.close": "escape,q"},
}
# a scope whose keys are live together with these scopes' keys (a pane sits on the main screen)
SCOPES_SHARING_KEYS = {
    "board_filter": ("form",), "confirm": ("form",), "log_contact": ("form",), "record": ("main",),
    "today": ("main", "record"), "board": ("main", "record"), "customer": ("main", "record"),
    "late": ("main",), "metrics": ("main",),
}
BINDING_IDS = frozenset(i for ids in BINDINGS.values() for i in ids)

MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual writes them sorted
NAMED_KEYS = frozenset(
    {"up", "down", "left", "right", "home", "end", "pageup", "pagedown", "insert", "delete", "backspace",
     "tab", "enter", "escape", "space", "return"} | {f"f{n}" for n in range(1, 25)}
)
# Textual's short names for some characters (textual.keys.KEY_NAME_REPLACEMENTS)
_SHORT_NAMES = {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
                "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}


class KeymapError(ValueError):
    """One keymap entry is wrong: `key` is the entry ("keymap.pane.board"), `reason` a message code."""

    def __init__(self, key: str, reason: str, **params: Any) -> None:
        super().__init__(f"{key}: {reason} {params}" if params else f"{key}: {reason}")
        self.key = key
        self.reason = reason
        self.params = params


def character_key(char: str) -> str:
    """Textual's name for the key that types `char` ("?" -> "question_mark", "b" -> "b")."""
    if char.isalnum():
        return char
    try:
        name = unicodedata.name(char).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return char
    return _SHORT_NAMES.get(name, name)


_PUNCTUATION = frozenset(character_key(c) for c in string.punctuation)


def _is_key_name(name: str) -> bool:
    """A named key (f5, pagedown) or the name of an ASCII punctuation key (question_mark, full_stop).
    Any other character is bound by typing it ("。"), not by its Unicode name."""
    if name in NAMED_KEYS:
        return True
    return name in _PUNCTUATION


def normalize_key(key: str) -> str | None:
    """One key in Textual's spelling, or None if it is not a key."""
    key = key.strip()
    if len(key) == 1:
        return character_key(key) if key.isprintable() and not key.isspace() else None
    *mods, base = key.split("+")
    if not base or any(m.lower() not in MODIFIERS for m in mods) or len(set(m.lower() for m in mods)) < len(mods):
        return None
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            return None
        base = character_key(base.lower() if mods and base.isalpha() and "shift" not in mods else base)
    elif not _is_key_name(base.lower()):
        return None
    else:
        base = base.lower()
    return "+".join(sorted(m.lower() for m in mods) + [base])


def normalize_keys(keys: str) -> str | None:
    """A comma-separated key list in Textual's spelling, or None if any part is not a key."""
    parts = [normalize_key(k) for k in keys.split(",")] if keys.strip() else [None]
    if any(p is None for p in parts):
        return None
    return ",".join(dict.fromkeys(parts))  # type: ignore[arg-type]


def parse_keymap(table: Any) -> dict[str, str]:
    """The `[keymap]` table as {binding id: keys}, checked: known ids, real keys, no two
    bindings of one screen on the same key. Raises KeymapError naming the entry."""
    if not isinstance(table, Mapping):
        raise KeymapError("keymap", "not_table")
    keymap: dict[str, str] = {}
    for binding_id, keys in table.items():
        entry = f"keymap.{binding_id}"
        if binding_id not in BINDING_IDS:
            raise KeymapError(entry, "unknown_binding", value=binding_id)
        if not isinstance(keys, str):
            raise KeymapError(entry, "not_text")
        normal = normalize_keys(keys)
        if normal is None:
            raise KeymapError(entry, "bad_key", value=keys)
        keymap[binding_id] = normal
    _check_clashes(keymap)
    return keymap


def effective_keys(keymap: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """scope -> {binding id: keys} once the keymap is applied."""
    return {scope: {i: keymap.get(i, keys) for i, keys in ids.items()} for scope, ids in BINDINGS.items()}


def _check_clashes(keymap: Mapping[str, str]) -> None:
    keys = effective_keys(keymap)
    app_keys = {k: i for i, ks in keys[APP_SCOPE].items() for k in ks.split(",")}
    for scope, ids in keys.items():
        taken: dict[str, str] = {}
        if scope != APP_SCOPE:
            taken.update(app_keys)
            for shared in SCOPES_SHARING_KEYS.get(scope, ()):
                taken.update({k: i for i, ks in keys[shared].items() for k in ks.split(",")})
        for binding_id, id_keys in ids.items():
            for key in id_keys.split(","):
                other = taken.get(key)
                if other is not None and other != binding_id and (binding_id in keymap or other in keymap):
                    mine = binding_id if binding_id in keymap else other
                    raise KeymapError(f"keymap.{mine}", "key_taken", value=key,
                                      other=other if mine == binding_id else binding_id)
                taken[key] = binding_id
