"""The one place a person's own settings come from: a TOML file in the platform config dir.

`CARCRM_CONFIG` or `--config` point elsewhere. The file holds personal
preferences only — language, theme, keys. The dealership's policy (grades,
cadences, time zone, PIN lockout, trusted OS logins) lives in the database,
set by an admin (services/site.py): a file anyone can write must not be able
to weaken the lockout or grant a manager's account. A file that still carries
policy sections is refused with the command that moves them in.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from typing import Mapping

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


@dataclass(frozen=True)
class Preferences:
    """What a person may choose for themselves: it changes how the app looks, never who may do what."""

    language: str = ""  # "" = the site's, else the system locale
    theme: str = ""  # "" = the site's
    keymap: Mapping[str, str] | None = None  # binding id -> keys


PERSONAL_KEYS = {"language", "theme", "keymap"}


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "-", "bad_toml", {"detail": str(e)}) from None
    except OSError as e:
        raise ConfigError(path, "-", "unreadable", {"detail": e.strerror or str(e)}) from None


def load_preferences(path: Path) -> Preferences:
    if not path.exists():
        return Preferences()
    data = dict(_read(path))
    legacy = data.pop("dealership", None)  # [dealership] language/theme, as configs before 0.6 wrote them
    if isinstance(legacy, dict) and set(legacy) <= {"language", "theme"}:
        for key, value in legacy.items():
            data.setdefault(key, value)
    elif legacy is not None:
        raise ConfigError(path, "dealership", "site_policy_in_config", {"path": str(path)})
    for key in data:
        if key not in PERSONAL_KEYS:
            from carcrm_tui.services.site import SECTIONS

            reason = "site_policy_in_config" if key in SECTIONS else "unknown_key"
            raise ConfigError(path, key, reason, {"path": str(path)})
    language, theme = data.get("language", ""), data.get("theme", "")
    if language not in ("", "zh", "en"):
        raise ConfigError(path, "language", "bad_language", {"value": language})
    if not isinstance(theme, str):
        raise ConfigError(path, "theme", "not_text", {})
    try:
        keymap = parse_keymap(data.get("keymap", {}))  # checked here, before any screen opens
    except KeymapError as e:
        raise ConfigError(path, e.key, e.reason, e.params) from None
    return Preferences(language=language, theme=theme, keymap=keymap or None)


def load_policy(path: Path) -> Policy:
    """A site policy file (what `carcrm policy set FILE` stores): checked key by key; none = defaults."""
    if not path.exists():
        return Policy()
    data = _read(path)
    try:
        return policy_from_dict(data)
    except PolicyError as e:
        raise ConfigError(path, e.key, e.reason, e.params) from None


def site_themes_dir(path: Path) -> Path:
    """Themes of this site or user: `themes/` next to config.toml."""
    return path.parent / "themes"
