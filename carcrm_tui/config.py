"""The one place configuration comes from: a TOML file in the platform config dir.

`CARCRM_CONFIG` or `--config` point elsewhere. The file holds the dealership
policy (see carcrm_tui.domain.policy); a missing file means shipped defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from carcrm_tui.domain.policy import Policy, PolicyError, policy_from_dict
from carcrm_tui.keymap import KeymapError, parse_keymap

APP = "carcrm"


def config_path(explicit: str | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("CARCRM_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(user_config_dir(APP)) / "config.toml"


def data_dir() -> Path:
    return Path(user_data_dir(APP))


def default_database() -> str:
    return os.environ.get("CARCRM_DB") or str(data_dir() / "carcrm.sqlite")


def demo_database() -> str:
    return str(data_dir() / "demo.sqlite")


@dataclass
class ConfigError(Exception):
    """A config file that cannot be used: which file, which key, why (a message code)."""

    path: Path
    key: str
    reason: str
    params: dict

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.reason}"


def load_policy(path: Path) -> Policy:
    if not path.exists():
        return Policy()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "-", "bad_toml", {"detail": str(e)}) from None
    except OSError as e:
        raise ConfigError(path, "-", "unreadable", {"detail": e.strerror or str(e)}) from None
    try:
        return policy_from_dict(data)
    except PolicyError as e:
        raise ConfigError(path, e.key, e.reason, e.params) from None


def load_keymap(path: Path) -> dict[str, str]:
    """The user's own keys: the `[keymap]` table of the same file ({} without one)."""
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh).get("keymap", {})
    except (tomllib.TOMLDecodeError, OSError):
        return {}  # load_policy reads the same file first and reports these
    try:
        return parse_keymap(table)
    except KeymapError as e:
        raise ConfigError(path, e.key, e.reason, e.params) from None


def site_themes_dir(path: Path) -> Path:
    """Themes of this site or user: `themes/` next to config.toml."""
    return path.parent / "themes"
