"""What people expect of a command-line tool: help in their language (argparse's words too),
any locale without a traceback, one version, a licence file that matches the package's."""

import importlib.metadata
import locale
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from carcrm_tui import __version__
from carcrm_tui.cli_output import wrap_cells

ROOT = Path(__file__).parents[2]


def carcrm(*args, env=None, lang_env=None):
    base = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_CTYPE", "LANGUAGE",
                                                             "PYTHONIOENCODING", "PYTHONUTF8")}
    full = {**base, "CARCRM_CONFIG": os.devnull + ".none", "COLUMNS": "80", **(lang_env or {}), **(env or {})}
    return subprocess.run([sys.executable, "-m", "carcrm_tui", *args], capture_output=True, env=full, timeout=120)


def test_chinese_help_translates_argparse_own_words():
    out = carcrm("--lang", "zh", "--help").stdout.decode("utf-8")
    assert out.startswith("用法：carcrm")
    assert "选项:" in out and "显示本帮助并退出" in out and "显示版本号并退出" in out
    for english in ("usage:", "options:", "positional arguments", "show this help message"):
        assert english not in out
    en = carcrm("--lang", "en", "--help").stdout.decode("utf-8")
    assert en.startswith("usage: carcrm") and "show this help message and exit" in en


def test_chinese_errors_from_argparse_are_chinese_and_exit_2():
    result = carcrm("--lang", "zh", "demo", "--customers", "many")
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2
    assert "carcrm demo：错误：参数 --customers：int 值无效：'many'" in err
    assert "error" not in err and "invalid" not in err
    result = carcrm("--lang", "zh", "--bogus")
    assert "无法识别的参数：--bogus" in result.stderr.decode("utf-8")


def test_help_lines_fit_the_terminal_in_cells():
    """Chinese is two cells a character: argparse's own wrapping (by characters) ran past 80 columns."""
    from rich.cells import cell_len

    for args in (("--lang", "zh", "--help"), ("--lang", "zh", "user", "--help"), ("--lang", "en", "--help")):
        out = carcrm(*args).stdout.decode("utf-8")
        lines = out.split("\n")
        usage_end = next(i for i, line in enumerate(lines) if not line.strip())
        epilog = out.find("\n\n", out.find("选项:" if "zh" in args else "options:"))
        body = out[:epilog].split("\n") if epilog > 0 else lines
        too_wide = [line for line in body if cell_len(line) > 80]
        assert not too_wide, too_wide
        # wrapped usage lines line up under the first argument, whatever the width of "用法："
        first = lines[0]
        column = cell_len(first[: first.index("[")])
        assert all(cell_len(line) - cell_len(line.lstrip()) == column for line in lines[1:usage_end]), lines[:usage_end]


def test_wrap_cells_breaks_chinese_between_characters_and_english_between_words():
    text = "管理账号：add、list、set-pin、disable（以 --user 身份操作）"
    lines = wrap_cells(text, 20)
    from rich.cells import cell_len

    assert all(cell_len(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap_cells("one two three four", 9) == ["one two", "three", "four"]
    assert not any(line.startswith(("，", "）", "。")) for line in wrap_cells("甲乙丙丁戊，己庚辛（壬癸）子丑。" * 3, 10))


def _iso_locale() -> str | None:
    for name in ("en_US.ISO-8859-1", "en_US.iso88591", "de_DE.ISO-8859-1"):
        try:
            locale.setlocale(locale.LC_CTYPE, name)
        except locale.Error:
            continue
        finally:
            locale.setlocale(locale.LC_CTYPE, "")
        return name
    return None


@pytest.mark.parametrize("lang_env", [
    {"LC_ALL": "C"},
    {"LC_ALL": "POSIX", "LANG": "zh_CN.GB2312"},
    {"PYTHONIOENCODING": "iso-8859-1"},  # what a Latin-1 terminal's locale makes Python choose
    {"LANG": "en_US.ISO-8859-1"},
    {"PYTHONIOENCODING": "ascii"},
], ids=["C", "POSIX", "latin1-io", "iso-locale", "ascii-io"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_help_under_a_non_utf8_locale_prints_utf8_and_exits_0(lang_env, language):
    if lang_env.get("LANG") == "en_US.ISO-8859-1":
        name = _iso_locale()
        if name is None:
            pytest.skip("no ISO-8859-1 locale on this machine (localedef -i en_US -f ISO-8859-1 en_US.ISO-8859-1)")
        lang_env = {"LANG": name}
    result = carcrm("--lang", language, "--help", lang_env=lang_env)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"UnicodeEncodeError" not in result.stderr
    out = result.stdout.decode("utf-8")  # UTF-8, not '?' in place of every name
    assert "李娜" in out and "—" in out


def test_a_gbk_locale_gets_gb18030_which_it_reads():
    result = carcrm("--lang", "zh", "--help", lang_env={"PYTHONIOENCODING": "gbk"})
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    out = result.stdout.decode("gbk")  # every character of the help is in GBK itself
    assert "用法：carcrm" in out and "李娜" in out


def test_errors_under_a_latin1_locale_are_sentences_not_tracebacks(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('language = "法语"\n', encoding="utf-8")
    result = carcrm("--lang", "zh", "--config", str(cfg), "--db", str(tmp_path / "x.sqlite"),
                    lang_env={"PYTHONIOENCODING": "iso-8859-1"})
    assert result.returncode == 2
    err = result.stderr.decode("utf-8")
    assert "language" in err and "法语" in err and "Traceback" not in err


def test_version_is_written_once_and_shown_by_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "carcrm_tui/__init__.py"
    assert importlib.metadata.version("carcrm") == __version__
    result = carcrm("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"carcrm {__version__}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in changelog


def test_licence_file_matches_the_declared_licence():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and re.search(r"Copyright \(c\) \d{4} ", text)
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text


def test_names_typed_on_a_latin1_locale_arrive_whole(demo_path):
    """A UTF-8 terminal with a Latin-1 locale sends 李娜 as UTF-8 bytes; Python decoded them as Latin-1."""
    name = _iso_locale()
    if name is None:
        pytest.skip("no ISO-8859-1 locale on this machine (localedef -i en_US -f ISO-8859-1 en_US.ISO-8859-1)")
    result = carcrm("--lang", "zh", "--db", str(demo_path), "--user", "李小娜", lang_env={"LANG": name})
    assert result.returncode == 2
    assert "没有名为“李小娜”的有效账号" in result.stderr.decode("utf-8")
