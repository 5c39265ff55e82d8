"""[keymap] in the config: binding ids to keys, checked before the app opens."""

import pytest

from carcrm_tui.config import ConfigError, load_preferences
from carcrm_tui.keymap import BINDINGS, KeymapError, normalize_keys, parse_keymap


def test_a_keymap_maps_ids_to_keys_in_textual_spelling():
    keymap = parse_keymap({"pane.board": "b", "help": "?", "form.save": "ctrl+w, F2", "lead.next_stage": "shift+ctrl+N",
                           "metrics.back": "-"})
    assert keymap == {"pane.board": "b", "help": "question_mark", "form.save": "ctrl+w,f2",
                      "lead.next_stage": "ctrl+shift+N", "metrics.back": "minus"}


@pytest.mark.parametrize("keys, expected", [
    ("b", "b"), ("B", "B"), ("ctrl+B", "ctrl+b"), ("?", "question_mark"), ("question_mark", "question_mark"),
    ("less_than_sign", "less_than_sign"), ("<", "less_than_sign"), ("+", "plus"), ("plus", "plus"),
    ("f12", "f12"), ("pagedown", "pagedown"), ("alt+shift+left", "alt+shift+left"), ("b,b", "b"),
    ("", None), ("ctrl+", None), ("ctrl++", None), ("hyper+super+meta+x", "hyper+meta+super+x"),
    ("control+s", None), ("ctrl+ctrl+s", None), ("f99", None), ("banana", None), ("b,,c", None), (" ", None),
])
def test_keys_are_checked_and_normalised(keys, expected):
    assert normalize_keys(keys) == expected


@pytest.mark.parametrize("table, entry, reason", [
    ({"pane.bored": "b"}, "keymap.pane.bored", "unknown_binding"),
    ({"pane.board": "control+b"}, "keymap.pane.board", "bad_key"),
    ({"pane.board": 2}, "keymap.pane.board", "not_text"),
    ({"pane.board": "c"}, "keymap.pane.board", "key_taken"),           # c logs a contact on the same screen
    ({"pane.board": "ctrl+p"}, "keymap.pane.board", "key_taken"),      # the app's command palette wins everywhere
    ({"palette": "x"}, "keymap.palette", "key_taken"),                 # …so it may not take a screen's key
    ({"filter.apply": "ctrl+s"}, "keymap.filter.apply", "key_taken"),  # the board filter is a form too
], ids=["unknown-id", "bad-key", "number", "same-screen", "app-key", "app-takes-screen-key", "form-key"])
def test_bad_entries_name_the_entry_and_why(table, entry, reason):
    with pytest.raises(KeymapError) as err:
        parse_keymap(table)
    assert (err.value.key, err.value.reason) == (entry, reason)


def test_moving_keys_around_is_not_a_clash():
    # swapping two keys, and reusing a key another screen has, are fine
    assert parse_keymap({"pane.today": "2", "pane.board": "1", "help.close": "c", "form.cancel": "q"})
    assert parse_keymap({"contact.log": "l", "pane.late": "c"}) == {"contact.log": "l", "pane.late": "c"}
    with pytest.raises(KeymapError) as err:
        parse_keymap({"keymap": "not a table"}["keymap"])
    assert err.value.reason == "not_table"


def test_the_config_file_accepts_keymap_and_reports_its_errors(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('language = "zh"\n\n[keymap]\n"pane.board" = "b"\n', encoding="utf-8")
    assert load_preferences(path).keymap == {"pane.board": "b"}
    path.write_text('[keymap]\n"pane.board" = "ctrl+"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_preferences(path)
    assert (err.value.path, err.value.key, err.value.reason) == (path, "keymap.pane.board", "bad_key")
    assert load_preferences(tmp_path / "none.toml").keymap is None
    path.write_text('[keymap]\n"pane.board" = "b"\n[security]\nmax_failed_pins = 9\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:  # keys are personal; the lockout is the site's
        load_preferences(path)
    assert err.value.reason == "site_policy_in_config"


def test_the_command_line_names_the_bad_entry(tmp_path, capsys, monkeypatch):
    from carcrm_tui.cli import main

    cfg = tmp_path / "config.toml"
    cfg.write_text('[keymap]\n"pane.bored" = "b"\n', encoding="utf-8")
    assert main(["--lang", "en", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "keymap.pane.bored" in err and "no key binding with the id 'pane.bored'" in err and "Traceback" not in err
    cfg.write_text('[keymap]\n"form.save" = "ctrl+p"\n', encoding="utf-8")
    assert main(["--lang", "zh", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "keymap.form.save" in err and "ctrl+p 在同一界面已是 palette 的按键" in err


def test_every_binding_id_the_ui_declares_is_listed_with_its_keys():
    """carcrm_tui.keymap lists ids without importing Textual; this keeps it in step with the UI.
    A new Binding(..., id=...) goes into keymap.BINDINGS, under the scope of the class declaring it."""
    from carcrm_tui.ui.keymap import declared_in_scopes

    declared = sorted((b.id, scope, normalize_keys(b.key)) for scope, b in declared_in_scopes())
    listed = sorted((i, scope, normalize_keys(keys)) for scope, ids in BINDINGS.items() for i, keys in ids.items())
    assert declared == listed


def test_every_binding_with_an_id_in_the_ui_is_declared_on_a_listed_class():
    """No id hides on a class keymap.py does not know (it could not be remapped or checked)."""
    import ast
    from pathlib import Path

    from carcrm_tui.ui.keymap import SCOPE_CLASSES

    known = {name for _module, name in SCOPE_CLASSES.values()}
    found = set()
    for path in (Path(__file__).parents[2] / "carcrm_tui" / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
                if getattr(call.func, "id", "") == "Binding" and any(k.arg == "id" for k in call.keywords):
                    found.add(cls.name)
    assert found <= known, found - known
