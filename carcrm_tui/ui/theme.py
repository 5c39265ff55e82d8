"""Themes shipped in themes/*.toml, registered with Textual by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

from carcrm_tui.resources import data_path

FIELDS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
          "background", "surface", "panel", "boost", "dark")


def load_themes(folder: Path | None = None) -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for path in sorted((folder or data_path("themes")).glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        name = data.get("name", path.stem)
        themes[name] = Theme(
            name=name,
            variables=dict(data.get("variables", {})),
            **{k: data[k] for k in FIELDS if k in data},
        )
    return themes


def theme_names() -> list[str]:
    return sorted(p.stem for p in data_path("themes").glob("*.toml"))
