"""The translation layer: every string a user reads comes from here, in zh or en.

Catalogs are TOML files in `locales/` (flat dotted keys), so translators edit
text, not code. `t()` falls back to English, then to the key itself, and
formats `{name}` parameters. Pure Python: the headless commands use it too.
"""

from __future__ import annotations

import datetime as dt
import locale
import marshal
import os
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

import pendulum

LANGUAGES = ("zh", "en")
_LOCALES = Path(__file__).parent / "locales"
_current = "en"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """The language's flat catalog. Parsing its TOML takes ~8 ms of every start, so the result is
    kept (marshal, ~0.3 ms to read) in the user's cache folder under the file's size and time of
    change, as Python keeps .pyc files: an edited catalog is parsed again."""
    path = _LOCALES / f"{lang}.toml"
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size, sys.version_info[:2])
    kept = _kept_catalog(lang)
    try:
        with kept.open("rb") as fh:
            seen, words = marshal.load(fh)
        if seen == stamp and type(words) is dict:
            return words
    except (OSError, EOFError, ValueError, TypeError):
        pass
    with path.open("rb") as fh:
        words = flatten(tomllib.load(fh))
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}")
        with partial.open("wb") as fh:
            marshal.dump((stamp, words), fh)
        os.replace(partial, kept)  # whole or not at all: another start may be reading it
    except OSError:
        pass  # a read-only or full disk: parse it again next time
    return words


def _kept_catalog(lang: str) -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("carcrm")) / f"catalog-{lang}.marshal"


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


# Plurals. English has "1 lead" / "2 leads": a key's "<key>_one" variant is used when its count
# is 1. The count is the parameter `n`, or the one declared here for a key whose count has a
# name of its own. Chinese has no plural forms, so zh.toml has no _one keys. A sentence that
# counts two kinds of things takes them as `counted()` phrases instead (or names the number after
# its noun: "contacts logged: 3").
COUNTED_BY = {
    "cli.import_dry": "rows", "cli.import_done": "rows", "cli.batch_line": "rows", "import_batch.line": "rows",
    "sheet.too_many_rows": "rows", "error.too_long": "limit", "error.cell_too_long": "limit",
    "error.nothing_to_undo": "minutes", "merge.ready": "leads", "import.summary": "contacts",
    "notice.imported": "contacts", "notice.imported_with_errors": "contacts", "import_batch.undone": "removed",
    "live.lost": "seconds", "server.not_empty": "rows", "server.copied": "rows",
}


def count_param(key: str) -> str:
    return COUNTED_BY.get(key, "n")


def _text(key: str, params: dict) -> str:
    count = params.get(count_param(key))
    one = type(count) in (int, float) and count == 1
    for lang in dict.fromkeys((_current, "en")):  # the current language, then English
        words = catalog(lang)
        if key in words:
            return words.get(f"{key}_one", words[key]) if one else words[key]
    return key


def t(key: str, /, **params: object) -> str:
    text = _text(key, params)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def counted(noun: str, n: int) -> str:
    """"1 customer" / "3 customers" ("3 位客户"), for sentences that count more than one thing."""
    return t(f"count.{noun}", n=n)


def listed(items) -> str:
    """Several things in a sentence: "a, b, c" in English, "a、b、c" in Chinese."""
    return t("sep.list").join(str(i) for i in items)


def labelled(name: str) -> str:
    """A label before its value: "Feedback: " / "客户反馈：" (Chinese punctuation in Chinese)."""
    return t("sep.label", label=name)


def aside(text: str) -> str:
    """A remark in brackets after something: " (李娜)" / "（李娜）"."""
    return t("sep.aside", text=text)


def label(kind: str, code: str) -> str:
    """The readable name of a code (stage, channel, source …); unknown codes show as-is."""
    if not code:
        return ""
    key = f"{kind}.{code}"
    text = catalog(_current).get(key) or catalog("en").get(key)
    return text if text is not None else code


# ---- time spans: ONE rule for every "3 days ago", "in 2h", "respond within 45m" --------------
# Units from small to large: (unit, seconds in it, the rounded count from which the next unit is used)
SPAN_UNITS = (("m", 60, 60), ("h", 3600, 24), ("d", 86400, 14), ("w", 7 * 86400, 9), ("mo", 30 * 86400, None))


def span(seconds: float) -> tuple[str, int]:
    """How long `seconds` is, as (unit, n): the count is rounded to the nearest whole unit (half up),
    in the smallest unit whose rounded count stays below the next unit's threshold — 47 hours is
    2 days, 2 days 23 hours is 3 days, 13 days stays 13 days, 59m40s is 1 hour. Never less than 1.

    Every relative time and duration on screen is this number; `humanize` (long), `humanize_short`
    (cards) and `duration` (clocks) only spell it differently."""
    size = abs(seconds)
    for unit, length, limit in SPAN_UNITS:
        n = int(size / length + 0.5)
        if limit is None or n < limit:
            return unit, max(1, n)
    raise AssertionError("unreachable: the last unit has no limit")


def relative(instant: pendulum.DateTime, now: pendulum.DateTime) -> tuple[bool, str, int]:
    """(in the future?, unit, n) of `instant` seen from the passed `now` (never the clock)."""
    seconds = (instant - now).total_seconds()
    unit, n = span(seconds)
    return seconds >= 0, unit, n


def humanize(instant: pendulum.DateTime, now: pendulum.DateTime) -> str:
    """"in 2 hours" / "3 days ago" ("2小时后" / "3天前"), relative to the passed `now`."""
    future, unit, n = relative(instant, now)
    return t(f"time.long.{'in' if future else 'ago'}_{unit}", n=n)


def humanize_short(instant: pendulum.DateTime, now: pendulum.DateTime) -> str:
    """"in 2h" / "3d ago" ("2小时后" / "3天前"): the same number as `humanize`, for cards."""
    # datetime's own subtraction: pendulum's builds a precise Interval, ~20 µs a card
    seconds = dt.datetime.__sub__(instant, now).total_seconds()
    unit, n = span(seconds)
    return t(f"time.{'in' if seconds >= 0 else 'ago'}_{unit}", n=n)


def duration(minutes: float) -> str:
    """45m / 3h / 4d (45分钟 / 3小时 / 4天): how long, for clocks — the same rule as `humanize`."""
    unit, n = span(minutes * 60)
    return t(f"duration.{unit}", n=n)


# (from, in units of, decimals, unit): about four figures, the larger unit once rounding reaches it
MONEY_STEPS = {
    "zh": ((100_000_000, 100_000_000, 2, "亿"), (10_000_000, 10_000, 0, "万"), (1_000_000, 10_000, 1, "万"),
           (10_000, 10_000, 2, "万")),
    "en": ((1_000_000, 1_000_000, 2, "M"), (1_000, 1_000, 1, "k")),
}


def money(yuan: float | None) -> str:
    """Amounts as a showroom writes them, always with ¥: "¥15.98万", "¥242.3万", "¥5,000",
    "¥1.23亿" in Chinese; "¥159.8k", "¥800", "¥1.25M" in English. Nothing (None) is ¥0."""
    value = round(yuan or 0)
    sign, value = ("-" if value < 0 else ""), abs(value)
    for start, unit, places, suffix in MONEY_STEPS["zh" if _current == "zh" else "en"]:
        amount = round(value / unit, places)
        if amount * unit >= start:
            text = f"{amount:,.{places}f}"
            return f"{sign}¥{text.rstrip('0').rstrip('.') if places else text}{suffix}"
    return f"{sign}¥{value:,}"
