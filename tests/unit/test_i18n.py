"""The translation layer is complete: both catalogs, every key the code asks for, every code."""

import re
from pathlib import Path

import pendulum
import pytest

from carcrm_tui.domain import policy as P
from carcrm_tui.i18n import catalog, humanize, label, set_language, t

SOURCE = Path(__file__).parents[2] / "carcrm_tui"


def test_catalogs_have_the_same_keys():
    """Except English's singular variants ("<key>_one"): Chinese has no plural forms."""
    en, zh = set(catalog("en")), set(catalog("zh"))
    singulars = {k for k in en if k.endswith("_one") and k[:-4] in en}
    assert en - singulars == zh
    assert not {k for k in zh if k.endswith("_one") and k[:-4] in zh}


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([a-z_.]+)"', text))
        used |= {f"key.{k}" for k in re.findall(r'"key\.([a-z_]+)"', text)}
    missing = {k for k in used if k not in catalog("en") and not k.endswith(".")}
    assert not missing


@pytest.mark.parametrize(
    "kind, codes",
    [("stage", P.STAGES), ("channel", P.CHANNELS), ("outcome", P.OUTCOMES), ("attitude", P.ATTITUDES),
     ("source", P.SOURCES), ("ctype", P.CUSTOMER_TYPES), ("urgency", P.URGENCIES), ("use", P.USES),
     ("focus", P.FOCUS_POINTS), ("decider", P.DECISION_MAKERS), ("lost", P.LOST_REASONS),
     ("status", ("open", "won", "lost", "dormant"))],
)
def test_every_code_has_a_name_in_both_languages(kind, codes):
    for lang in ("zh", "en"):
        for code in codes:
            assert f"{kind}.{code}" in catalog(lang), (lang, kind, code)


def test_labels_and_params():
    set_language("zh")
    assert label("stage", "test_drive") == "试乘试驾"
    assert t("why.line", grade="H", contact=t("why.last_contact", ago="2天前"), every=t("why.every", n=2)) == "H · 上次联系2天前 · 每2天"
    set_language("en")
    assert t("why.line", grade="H", contact=t("why.last_contact", ago="2 days ago"), every=t("why.every", n=2)) == "H · last contact 2 days ago · every 2 days"


def test_humanised_times_in_both_languages_against_a_passed_now():
    now = pendulum.datetime(2026, 3, 10, 2, 30, tz="UTC")
    set_language("zh")
    assert humanize(now.subtract(hours=3), now) == "3小时前"
    set_language("en")
    assert humanize(now.add(hours=2), now) == "in 2 hours"


def test_every_audit_action_and_audited_field_has_a_name():
    from carcrm_tui.services.customers import CUSTOMER_FIELDS, LEAD_FIELDS

    actions = ("create", "update", "move", "won", "lost", "log_contact", "reveal", "sign_in",
               "sign_in_failed", "locked", "set_pin")
    fields = set(CUSTOMER_FIELDS) | set(LEAD_FIELDS) | {
        "channel", "summary", "outcome", "due_at", "stage", "status", "lost_reason", "lost_competitor",
        "active", "locked_until", "role", "budget_min", "budget_max", "expected_value"}
    for lang in ("zh", "en"):
        assert all(f"audit.{a}" in catalog(lang) for a in actions)
        missing = [f for f in fields if f"field.{f}" not in catalog(lang)]
        assert not missing, (lang, missing)


def test_short_relative_times_for_cards():
    from carcrm_tui.i18n import humanize_short

    now = pendulum.datetime(2026, 3, 10, 2, 30, tz="UTC")
    set_language("en")
    assert [humanize_short(now.add(minutes=30), now), humanize_short(now.subtract(hours=5), now),
            humanize_short(now.add(days=3), now), humanize_short(now.subtract(days=15), now),
            humanize_short(now.subtract(days=75), now)] == ["in 30m", "5h ago", "in 3d", "2w ago", "3mo ago"]
    set_language("zh")
    assert humanize_short(now.subtract(days=2), now) == "2天前"


def test_durations_for_clocks():
    from carcrm_tui.i18n import duration

    set_language("en")
    assert [duration(45), duration(-150), duration(100), duration(4 * 1440), duration(45057)] == [
        "45m", "3h", "2h", "4d", "4w"]
    set_language("zh")
    assert duration(45057) == "4周"


def test_a_catalog_is_kept_parsed_until_its_file_changes(tmp_path, monkeypatch):
    """Start-up reads the parsed catalog kept in the cache folder; an edited catalog (another size
    or time of change) or a damaged kept copy is parsed again from the TOML."""
    import marshal

    from carcrm_tui import i18n

    locales, kept = tmp_path / "locales", tmp_path / "cache" / "catalog-en.marshal"
    locales.mkdir()
    (locales / "en.toml").write_text('[a]\nb = "one"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "_LOCALES", locales)
    monkeypatch.setattr(i18n, "_kept_catalog", lambda lang: kept)
    load = i18n.catalog.__wrapped__  # without the process's own lru_cache
    assert load("en") == {"a.b": "one"}
    stamp, words = marshal.loads(kept.read_bytes())
    assert words == {"a.b": "one"}
    kept.write_bytes(marshal.dumps((stamp, {"a.b": "kept"})))
    assert load("en") == {"a.b": "kept"}  # read from the kept copy, not parsed
    (locales / "en.toml").write_text('[a]\nb = "two, edited"\n', encoding="utf-8")
    assert load("en") == {"a.b": "two, edited"}
    kept.write_bytes(b"not marshal")
    assert load("en") == {"a.b": "two, edited"}
    assert marshal.loads(kept.read_bytes())[1] == {"a.b": "two, edited"}  # and kept again


def test_a_catalog_loads_where_the_cache_folder_cannot_be_written(tmp_path, monkeypatch):
    from carcrm_tui import i18n

    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setattr(i18n, "_kept_catalog", lambda lang: blocked / "catalog-en.marshal")
    assert i18n.catalog.__wrapped__("en")["cli.description"] == i18n.catalog("en")["cli.description"]


def test_pendulum_parses_loosely_with_dateutil_loaded_on_first_use():
    """carcrm makes dateutil's parser lazy (it costs every start ~5 ms): not loaded by starting,
    loaded and working the first time a loose parse needs it."""
    import subprocess
    import sys

    code = ("import sys, carcrm_tui.cli, pendulum\n"
            "assert 'dateutil.parser._parser' not in sys.modules\n"
            "print(pendulum.parse('2024-03-04 10am', strict=False).isoformat())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2024-03-04T10:00:00+00:00"
