"""The translation layer: every string a user reads comes from here, in zh or en.

Catalogs are TOML files in `locales/` (flat dotted keys), so translators edit
text, not code. `t()` falls back to English, then to the key itself, and
formats `{name}` parameters. Pure Python: the headless commands use it too.
"""

from __future__ import annotations

import datetime as dt
import locale
import os
import tomllib
from functools import lru_cache
from pathlib import Path

import pendulum

LANGUAGES = ("zh", "en")
_LOCALES = Path(__file__).parent / "locales"
_current = "en"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    with (_LOCALES / f"{lang}.toml").open("rb") as fh:
        return flatten(tomllib.load(fh))


def flatten(data: dict, prefix: str = "") -> dict[str, str]:
    """Nested TOML tables as dotted keys ("cli.help.db"), values as text."""
    out: dict[str, str] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = str(value)
    return out


def detect_language(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    if environ is None:
        loc = locale.getlocale()[0] or ""
        if loc.lower().startswith("zh"):
            return "zh"
    return "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(lang)
    _current = lang


def language() -> str:
    return _current


def t(key: str, /, **params: object) -> str:
    text = catalog(_current).get(key)
    if text is None:
        text = catalog("en").get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def label(kind: str, code: str) -> str:
    """The readable name of a code (stage, channel, source …); unknown codes show as-is."""
    if not code:
        return ""
    key = f"{kind}.{code}"
    text = catalog(_current).get(key) or catalog("en").get(key)
    return text if text is not None else code


def humanize(instant: pendulum.DateTime, now: pendulum.DateTime) -> str:
    """"3小时前" / "in 2 hours", relative to the passed `now`."""
    # format_diff with is_now=True gives "in 2 hours"/"3 hours ago" against
    # an injected now (diff_for_humans(other) would say "after"/"before")
    return pendulum.format_diff(instant.diff(now), True, False, _current)


def humanize_short(instant: pendulum.DateTime, now: pendulum.DateTime) -> str:
    """"in 2h" / "2d ago" ("2小时后" / "2天前"): for cards where every cell counts."""
    # datetime's own subtraction: pendulum's builds a precise Interval, ~20 µs a card
    seconds = dt.datetime.__sub__(instant, now).total_seconds()
    size = abs(seconds)
    for unit, span in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if size >= span or unit == "m":
            n = max(1, int(size // span))
            break
    return t(f"time.{'in' if seconds >= 0 else 'ago'}_{unit}", n=n)


def duration(minutes: int) -> str:
    """45m / 3h / 31d (45分钟 / 3小时 / 31天): how long, for clocks."""
    minutes = abs(int(minutes))
    if minutes >= 2 * 24 * 60:
        return t("duration.d", n=minutes // (24 * 60))
    if minutes >= 120:
        return t("duration.h", n=minutes // 60)
    return t("duration.m", n=minutes)


def money(yuan: int | None) -> str:
    """Amounts the way a showroom says them: 万 in Chinese, k in English."""
    if not yuan:
        return "0"
    if _current == "zh":
        return f"{yuan / 10_000:,.1f}万".replace(".0万", "万")
    return f"¥{yuan / 1000:,.0f}k"
