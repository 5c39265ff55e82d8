"""The command line: help in both languages, clear failures, headless without Textual."""

import os
import sqlite3
import subprocess
import sys

from carcrm_tui.cli import main
from carcrm_tui.demo.build import build
from tests.conftest import NOW


def run(*args, env=None):
    full_env = {**os.environ, "CARCRM_CONFIG": os.devnull + ".none", **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=full_env, timeout=120)


def test_headless_demo_build_does_not_import_textual(tmp_path):
    db = tmp_path / "demo.sqlite"
    code = (
        "import sys; from carcrm_tui.cli import main; "
        f"rc = main(['demo', '--build-only', '--customers', '40', '--db', r'{db}']); "
        "assert rc == 0, rc; "
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; "
        "assert not bad, bad"
    )
    result = run("-c", code)
    assert result.returncode == 0, result.stderr
    assert "40" in result.stdout
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM customer").fetchone()[0] == 40


def test_help_explains_every_option_in_both_languages():
    en = run("-m", "carcrm_tui", "--lang", "en", "--help")
    assert en.returncode == 0
    for option in ("--db", "--config", "--lang", "--theme", "--user", "CARCRM_DB"):
        assert option in en.stdout
    zh = run("-m", "carcrm_tui", "--lang", "zh", "demo", "--help")
    assert "演示展厅" in zh.stdout and "--customers" in zh.stdout


def test_bad_config_is_a_sentence_not_a_traceback(tmp_path, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text('language = "fr"\n', encoding="utf-8")
    rc = main(["--lang", "en", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "language" in err and '"zh" or "en"' in err and "Traceback" not in err


def test_a_personal_config_cannot_carry_the_sites_policy(tmp_path, capsys):
    """A consultant's own file must not weaken the lockout or grant a manager's account."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[security]\nmax_failed_pins = 100000000\nos_users = { lina = "王经理" }\n', encoding="utf-8")
    rc = main(["--lang", "en", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite")])
    err = capsys.readouterr().err
    assert rc == 2 and "security" in err and "carcrm policy set" in err


def test_unknown_user_and_empty_database_exit_non_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CARCRM_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--lang", "en", "--db", str(tmp_path / "empty.sqlite")]) == 2
    assert "no accounts" in capsys.readouterr().err
    path = tmp_path / "demo.sqlite"
    build(path, NOW, customers=20)
    assert main(["--lang", "en", "--db", str(path), "--user", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err


def test_unknown_theme_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CARCRM_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--lang", "en", "--theme", "neon", "--db", str(tmp_path / "x.sqlite")]) == 2
    assert "carcrm-dark" in capsys.readouterr().err


def test_demo_is_deterministic_for_a_seed(tmp_path):
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    build(a, NOW, customers=80, seed=3)
    build(b, NOW, customers=80, seed=3)
    dump = lambda p: list(sqlite3.connect(p).execute(
        "SELECT c.name, c.phone, l.grade, l.stage, l.status, f.due_at, f.summary FROM follow_up f "
        "JOIN lead l ON l.id = f.lead_id JOIN customer c ON c.id = l.customer_id ORDER BY f.id"))
    assert dump(a) == dump(b)
    assert len(dump(a)) > 80


def test_demo_showroom_has_every_grade_stage_and_work_today(tmp_path):
    path = tmp_path / "demo.sqlite"
    build(path, NOW, customers=400)
    con = sqlite3.connect(path)
    grades = {g for (g,) in con.execute("SELECT DISTINCT grade FROM lead WHERE status = 'open'")}
    stages = {s for (s,) in con.execute("SELECT DISTINCT stage FROM lead WHERE status = 'open'")}
    statuses = {s for (s,) in con.execute("SELECT DISTINCT status FROM lead")}
    assert grades == set("HABCO") and len(stages) == 8 and statuses == {"open", "won", "lost", "dormant"}
    roles = {r for (r,) in con.execute("SELECT role FROM account")}
    assert roles == {"admin", "manager", "consultant"}
    assert con.execute("SELECT COUNT(*) FROM account WHERE role = 'consultant'").fetchone()[0] == 8
    now = NOW.format("YYYY-MM-DD HH:mm:ss")
    overdue = con.execute("SELECT COUNT(*) FROM follow_up WHERE done_at IS NULL AND due_at < ?", (now,)).fetchone()[0]
    assert overdue > 0


def test_database_location_comes_from_carcrm_db_or_the_platform_data_dir(monkeypatch, tmp_path):
    from carcrm_tui.config import default_database

    monkeypatch.setenv("CARCRM_DB", str(tmp_path / "shop.sqlite"))
    assert default_database() == str(tmp_path / "shop.sqlite")
    monkeypatch.delenv("CARCRM_DB")
    assert default_database().endswith("carcrm.sqlite") and "carcrm" in default_database()


def test_language_follows_the_locale_when_not_chosen():
    from carcrm_tui.i18n import detect_language

    assert detect_language({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert detect_language({"LANG": "en_US.UTF-8"}) == "en"
    assert detect_language({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US"}) == "zh"


def test_a_sqlite_site_starts_without_loading_the_postgresql_driver(tmp_path):
    """peewee imports psycopg wherever it is installed: tens of milliseconds of every start."""
    db = tmp_path / "shop.sqlite"
    build(db, NOW, customers=5)
    code = (
        "import sys; from carcrm_tui.cli import main; "
        f"rc = main(['report', 'daily', '--db', r'{db}', '--user', '王建国']); "
        "loaded = [m for m in ('psycopg', 'psycopg2') if sys.modules.get(m) is not None]; "
        "assert not loaded, loaded; assert 'peewee' in sys.modules; print('rc', rc)"
    )
    result = run("-c", code, env={"CARCRM_PIN": "860517"})
    assert result.returncode == 0, result.stderr
    assert "rc " in result.stdout


def test_commands_run_with_the_garbage_collector_on(tmp_path):
    """It is off only while the app starts (ui/app.py turns it back on after the first screen)."""
    import gc

    db = tmp_path / "shop.sqlite"
    build(db, NOW, customers=5)
    seen = []
    from carcrm_tui import cli_data

    original = cli_data.run
    try:
        cli_data.run = lambda *a, **k: seen.append(gc.isenabled()) or 0
        assert main(["check", "--db", str(db)]) == 0
    finally:
        cli_data.run = original
    assert seen == [True] and gc.isenabled()
    assert main(["--lang", "en", "--config", str(tmp_path / "bad.toml"), "--theme", "no-such-theme"]) != 0
    assert gc.isenabled()
