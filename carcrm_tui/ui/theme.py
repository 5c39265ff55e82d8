"""Themes from TOML files (shipped and the site's own), registered with Textual by name.

A site's file can be wrong (a typo in a colour, an unknown setting): it is
skipped with a sentence naming the file and the setting, never a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NamedTuple

from textual.color import Color, ColorParseError
from textual.theme import Theme

from carcrm_tui.i18n import t
from carcrm_tui.theme_files import theme_files

COLOURS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
           "background", "surface", "panel", "boost")
FLAGS = ("dark", "ansi")
KNOWN = {"name", "variables", *COLOURS, *FLAGS}


class ThemeProblem(NamedTuple):
    path: Path
    setting: str
    reason: str  # a catalog key under theme.


def read_theme(name: str, path: Path) -> Theme:
    """One theme file as a Textual Theme; ThemeError names the setting that is wrong."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError) as e:
        raise ThemeError(ThemeProblem(path, "-", "theme.unreadable"), str(e)) from None
    for key, value in data.items():
        if key not in KNOWN:
            raise ThemeError(ThemeProblem(path, key, "theme.unknown_setting"))
        if key in COLOURS:
            _colour(path, key, value)
        elif key in FLAGS and not isinstance(value, bool):
            raise ThemeError(ThemeProblem(path, key, "theme.not_flag"))
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(ThemeProblem(path, "variables", "theme.bad_variables"))
    for key, value in variables.items():
        if not key.endswith("text-style"):
            _colour(path, f"variables.{key}", value)
    return Theme(name=name, variables=dict(variables), **{k: data[k] for k in (*COLOURS, *FLAGS) if k in data})


def _colour(path: Path, key: str, value) -> None:
    try:
        if not isinstance(value, str):
            raise ColorParseError("not text")
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(ThemeProblem(path, key, "theme.bad_colour"), str(value)) from None


class ThemeError(ValueError):
    def __init__(self, problem: ThemeProblem, detail: str = "") -> None:
        super().__init__(f"{problem.path}: {problem.setting}: {problem.reason} {detail}")
        self.problem = problem
        self.detail = detail


def load_themes(site_dir: Path | None = None, problems: list | None = None) -> dict[str, Theme]:
    """Every usable theme by name; files that are wrong are left out (and added to `problems`)."""
    themes: dict[str, Theme] = {}
    for name, path in theme_files(site_dir).items():
        try:
            themes[name] = read_theme(name, path)
        except ThemeError as e:
            if problems is not None:
                problems.append(e)
    return themes


def theme_problem_text(error: ThemeError) -> str:
    p = error.problem
    return t("theme.skipped", path=str(p.path), setting=p.setting,
             reason=t(p.reason, value=error.detail, detail=error.detail))
