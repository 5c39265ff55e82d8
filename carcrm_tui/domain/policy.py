"""The dealership's policy: grades, stages, cadences, SLAs, win rates, time zone.

Policy is data, not code: each dealership tunes it in its TOML config. The
shipped defaults follow ../shared/domain.md (a Beijing Hyundai dealer's
cadence rule, the handbook's SLAs and example win rates). Validation names the
exact key and a reason code so the CLI can print a translated message instead
of a traceback.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

import pendulum

GRADES = ("H", "A", "B", "C", "O")
STAGES = (
    "new",
    "reception",
    "needs",
    "presentation",
    "test_drive",
    "quote",
    "order",
    "delivery",
)
CHANNELS = ("phone", "wechat", "visit", "test_drive", "event", "sms")
OUTCOMES = ("reached", "no_answer", "appointment", "quote_sent", "not_interested", "other")
ATTITUDES = ("positive", "neutral", "hesitant", "negative")
SOURCES = (
    "walk_in", "phone_in", "autohome", "yiche", "official_site", "wechat",
    "douyin", "xiaohongshu", "auto_show", "referral", "partner", "service",
)
CUSTOMER_TYPES = ("prospect", "intent", "owner", "lost")
URGENCIES = ("near", "mid", "far", "unsure")
USES = ("commute", "family", "business", "offroad")
FOCUS_POINTS = ("price", "performance", "brand", "economy", "space", "service", "tech")
DECISION_MAKERS = ("self", "spouse", "family", "company")
LOST_REASONS = ("competitor", "budget", "postponed", "price", "no_contact", "other")


class PolicyError(ValueError):
    """A policy value is wrong: `key` is the dotted TOML path, `reason` a message code."""

    def __init__(self, key: str, reason: str, **params: Any) -> None:
        super().__init__(f"{key}: {reason} {params}" if params else f"{key}: {reason}")
        self.key = key
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class GradeRule:
    cadence_days: int      # contact every N days
    response_minutes: int  # first-response SLA for a new lead of this grade
    horizon_days: int      # purchase expected within N days (0 = unknown)


@dataclass(frozen=True)
class Policy:
    dealership: str = "carcrm"
    timezone: str = "Asia/Shanghai"
    language: str = ""  # "" = from the locale
    theme: str = "carcrm-dark"
    grades: Mapping[str, GradeRule] = field(default_factory=lambda: dict(DEFAULT_GRADES))
    stages: tuple[str, ...] = STAGES
    win_rates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WIN_RATES))
    upcoming_days: int = 7
    first_followup_hours: int = 24
    lost_reasons: tuple[str, ...] = LOST_REASONS
    urgency_grade: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_URGENCY_GRADE))
    idle_lock_minutes: int = 5  # shared terminals lock after this long without a key
    max_failed_pins: int = 5
    lockout_minutes: int = 15
    os_users: Mapping[str, str] = field(default_factory=dict)  # trusted OS login -> account (SSH)
    pin_digits: int = 4  # shortest PIN of a consultant
    pin_digits_privileged: int = 6  # shortest PIN of a manager or admin
    lookups_per_hour: int = 20  # a consultant's lookups that hit colleagues' customers
    file_group: str = ""  # OS group that shares the data files (0660); "" = private to one login (0600)
    # the sales process (issue "the whole sales process")
    score_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SCORE_WEIGHTS))
    hot_score: int = 80  # domain.md: high intent >= 80
    online_sources: tuple[str, ...] = ("autohome", "yiche", "official_site", "wechat", "douyin", "xiaohongshu")
    online_response_minutes: int = 10
    thank_you_hours: int = 2
    complaint_hours: int = 24
    purchase_tax_rate: float = 0.10
    vat_rate: float = 0.13
    after_sales: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_AFTER_SALES))
    holidays: Mapping[str, tuple] = field(default_factory=lambda: dict(DEFAULT_HOLIDAYS))
    complaint_categories: tuple[str, ...] = ("product", "service", "sales", "delivery", "price", "other")
    departments: tuple[str, ...] = ("sales", "after_sales", "service", "finance")
    # owners' value classes (RFM): in touch within N days, and what counts as a big spender
    owner_recent_days: int = 365
    owner_high_value: int = 300_000  # yuan bought in total
    # importing sheets: what intent words mean as grades, and how big a file may be
    grade_words: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_GRADE_WORDS))
    import_max_file_mb: int = 50
    import_max_rows: int = 200_000
    import_max_cell_chars: int = 10_000
    import_max_unzipped_mb: int = 200

    @property
    def tz(self):
        """The dealership's zone object (loaded once: parsing tz data per call is slow)."""
        return _zone(self.timezone)

    @property
    def grade_order(self) -> tuple[str, ...]:
        return tuple(self.grades)

    def cadence_days(self, grade: str) -> int:
        rule = self.grades.get(grade)
        return rule.cadence_days if rule else self.grades[GRADES[-2]].cadence_days

    def next_stage(self, stage: str) -> str | None:
        i = self.stages.index(stage)
        return self.stages[i + 1] if i + 1 < len(self.stages) else None

    def previous_stage(self, stage: str) -> str | None:
        i = self.stages.index(stage)
        return self.stages[i - 1] if i > 0 else None


@lru_cache(maxsize=8)
def _zone(name: str):
    return pendulum.timezone(name)


DEFAULT_GRADES: dict[str, GradeRule] = {
    "H": GradeRule(cadence_days=2, response_minutes=30, horizon_days=7),
    "A": GradeRule(cadence_days=7, response_minutes=24 * 60, horizon_days=30),
    "B": GradeRule(cadence_days=14, response_minutes=24 * 60, horizon_days=90),
    "C": GradeRule(cadence_days=30, response_minutes=7 * 24 * 60, horizon_days=0),
    "O": GradeRule(cadence_days=7, response_minutes=24 * 60, horizon_days=0),
}
DEFAULT_WIN_RATES: dict[str, float] = {
    "new": 0.05, "reception": 0.05, "needs": 0.10, "presentation": 0.20,
    "test_drive": 0.30, "quote": 0.50, "order": 0.80, "delivery": 0.95,
}
DEFAULT_SCORE_WEIGHTS: dict[str, float] = {
    "visits": 20, "test_drive": 25, "budget_fit": 15, "timeframe": 25, "engagement": 15,
}
DEFAULT_AFTER_SALES: dict[str, int] = {
    "day1_days": 1, "week1_days": 7, "first_service_days": 90, "maintenance_days": 180,
    "insurance_notice_days": 60,
}
# Spring Festival and Mid-Autumn move with the lunar calendar: listed per year
DEFAULT_HOLIDAYS: dict[str, tuple] = {
    "spring_festival": tuple(_dt.date.fromisoformat(d) for d in ("2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13")),
    "mid_autumn": tuple(_dt.date.fromisoformat(d) for d in ("2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22")),
    "national_day": tuple(_dt.date(y, 10, 1) for y in range(2026, 2030)),
}
DEFAULT_URGENCY_GRADE: dict[str, str] = {"near": "A", "mid": "B", "far": "C", "unsure": "C"}
# 意向级别 高/中/低 (high intent >= 80 is H in domain.md; medium and low follow the urgency grades)
DEFAULT_GRADE_WORDS: dict[str, str] = {"高": "H", "中": "B", "低": "C", "high": "H", "medium": "B", "low": "C"}


def _int(data: Mapping[str, Any], key: str, path: str, default: int, *, minimum: int = 0) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{path}.{key}" if path else key, "not_integer", value=value)
    if value < minimum:
        raise PolicyError(f"{path}.{key}" if path else key, "too_small", value=value, minimum=minimum)
    return value


SECURITY_KEYS = {"idle_lock_minutes", "max_failed_pins", "lockout_minutes", "os_users", "pin_digits",
                 "pin_digits_privileged", "lookups_per_hour", "file_group"}


def _bounded(data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    """A security number within limits no site can go past (a lockout after 10⁸ tries is no lockout)."""
    value = _int(data, key, "security", default, minimum=low)
    if value > high:
        raise PolicyError(f"security.{key}", "too_large", value=value, maximum=high)
    return value


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise PolicyError(key, "not_table")
    return value


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    """Build a Policy from parsed TOML, checking every value; unknown keys are errors."""
    known = {"dealership", "grades", "stages", "followup", "lost_reasons", "urgency_grade", "security",
             "process", "holidays", "owners", "import"}
    for key in data:
        if key not in known:
            raise PolicyError(key, "unknown_key")

    dealer = _table(data, "dealership")
    for key in dealer:
        if key not in {"name", "timezone", "language", "theme"}:
            raise PolicyError(f"dealership.{key}", "unknown_key")
    tz = dealer.get("timezone", "Asia/Shanghai")
    try:
        pendulum.timezone(str(tz))
    except Exception:
        raise PolicyError("dealership.timezone", "bad_timezone", value=tz) from None
    language = dealer.get("language", "")
    if language not in ("", "zh", "en"):
        raise PolicyError("dealership.language", "bad_language", value=language)
    name = dealer.get("name", "carcrm")
    theme = dealer.get("theme", "carcrm-dark")
    if not isinstance(name, str) or not isinstance(theme, str):
        raise PolicyError("dealership.name" if not isinstance(name, str) else "dealership.theme", "not_text")

    grades = dict(DEFAULT_GRADES)
    gtable = _table(data, "grades")
    for grade, rule in gtable.items():
        path = f"grades.{grade}"
        if not isinstance(rule, Mapping):
            raise PolicyError(path, "not_table")
        for key in rule:
            if key not in {"cadence_days", "response_minutes", "horizon_days"}:
                raise PolicyError(f"{path}.{key}", "unknown_key")
        base = grades.get(grade, GradeRule(7, 24 * 60, 0))
        grades[grade] = GradeRule(
            cadence_days=_int(rule, "cadence_days", path, base.cadence_days, minimum=1),
            response_minutes=_int(rule, "response_minutes", path, base.response_minutes, minimum=1),
            horizon_days=_int(rule, "horizon_days", path, base.horizon_days),
        )

    stable = _table(data, "stages")
    for key in stable:
        if key not in {"order", "win_rates"}:
            raise PolicyError(f"stages.{key}", "unknown_key")
    stages = stable.get("order", list(STAGES))
    if not isinstance(stages, list) or not stages or not all(isinstance(s, str) and s for s in stages):
        raise PolicyError("stages.order", "not_list_of_names")
    if len(set(stages)) != len(stages):
        raise PolicyError("stages.order", "duplicates")
    rates = dict(DEFAULT_WIN_RATES)
    for stage, rate in _table(stable, "win_rates").items():
        if stage not in stages:
            raise PolicyError(f"stages.win_rates.{stage}", "unknown_stage")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise PolicyError(f"stages.win_rates.{stage}", "not_fraction", value=rate)
        rates[stage] = float(rate)

    follow = _table(data, "followup")
    for key in follow:
        if key not in {"upcoming_days", "first_followup_hours"}:
            raise PolicyError(f"followup.{key}", "unknown_key")
    upcoming = _int(follow, "upcoming_days", "followup", 7, minimum=1)
    first = _int(follow, "first_followup_hours", "followup", 24, minimum=1)

    lost = data.get("lost_reasons", list(LOST_REASONS))
    if not isinstance(lost, list) or not lost or not all(isinstance(s, str) and s for s in lost):
        raise PolicyError("lost_reasons", "not_list_of_names")

    urgency = dict(DEFAULT_URGENCY_GRADE)
    for key, grade in _table(data, "urgency_grade").items():
        if key not in URGENCIES:
            raise PolicyError(f"urgency_grade.{key}", "unknown_key")
        if grade not in grades:
            raise PolicyError(f"urgency_grade.{key}", "unknown_grade", value=grade)
        urgency[key] = grade

    security = _table(data, "security")
    for key in security:
        if key not in SECURITY_KEYS:
            raise PolicyError(f"security.{key}", "unknown_key")
    os_users = security.get("os_users", {})
    if not isinstance(os_users, Mapping) or not all(isinstance(v, str) and v for v in os_users.values()):
        raise PolicyError("security.os_users", "not_table")
    file_group = security.get("file_group", "")
    if not isinstance(file_group, str):
        raise PolicyError("security.file_group", "not_text")
    pin_digits = _int(security, "pin_digits", "security", 4, minimum=4)
    privileged = _int(security, "pin_digits_privileged", "security", 6, minimum=6)

    process = _table(data, "process")
    allowed = {"score_weights", "hot_score", "online_response_minutes", "thank_you_hours", "complaint_hours",
               "purchase_tax_rate", "after_sales"}
    for key in process:
        if key not in allowed:
            raise PolicyError(f"process.{key}", "unknown_key")
    weights = dict(DEFAULT_SCORE_WEIGHTS)
    for key, value in _table(process, "score_weights").items():
        if key not in weights:
            raise PolicyError(f"process.score_weights.{key}", "unknown_key")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicyError(f"process.score_weights.{key}", "too_small", value=value, minimum=0)
        weights[key] = float(value)
    after = dict(DEFAULT_AFTER_SALES)
    for key in _table(process, "after_sales"):
        if key not in after:
            raise PolicyError(f"process.after_sales.{key}", "unknown_key")
        after[key] = _int(process["after_sales"], key, "process.after_sales", after[key], minimum=1)
    tax = process.get("purchase_tax_rate", 0.10)
    if isinstance(tax, bool) or not isinstance(tax, (int, float)) or not 0 <= tax <= 1:
        raise PolicyError("process.purchase_tax_rate", "not_fraction", value=tax)
    holidays = dict(DEFAULT_HOLIDAYS)
    for name, dates in data.get("holidays", {}).items():
        if not isinstance(dates, list) or not all(isinstance(d, _dt.date) for d in dates):
            raise PolicyError(f"holidays.{name}", "not_dates")
        holidays[name] = tuple(dates)

    owners = _table(data, "owners")
    for key in owners:
        if key not in {"recent_days", "high_value"}:
            raise PolicyError(f"owners.{key}", "unknown_key")

    imports = _table(data, "import")
    limits = {"max_file_mb": 50, "max_rows": 200_000, "max_cell_chars": 10_000, "max_unzipped_mb": 200}
    for key in imports:
        if key not in {*limits, "grade_words"}:
            raise PolicyError(f"import.{key}", "unknown_key")
    grade_words = dict(DEFAULT_GRADE_WORDS)
    for word, grade in _table(imports, "grade_words").items():
        if grade not in grades:
            raise PolicyError(f"import.grade_words.{word}", "unknown_grade", value=grade)
        grade_words[word] = grade
    sizes = {key: _int(imports, key, "import", default, minimum=1) for key, default in limits.items()}

    return Policy(
        grade_words=grade_words,
        import_max_file_mb=sizes["max_file_mb"], import_max_rows=sizes["max_rows"],
        import_max_cell_chars=sizes["max_cell_chars"], import_max_unzipped_mb=sizes["max_unzipped_mb"],
        owner_recent_days=_int(owners, "recent_days", "owners", 365, minimum=1),
        owner_high_value=_int(owners, "high_value", "owners", 300_000, minimum=1),
        score_weights=weights,
        hot_score=_int(process, "hot_score", "process", 80, minimum=1),
        online_response_minutes=_int(process, "online_response_minutes", "process", 10, minimum=1),
        thank_you_hours=_int(process, "thank_you_hours", "process", 2, minimum=1),
        complaint_hours=_int(process, "complaint_hours", "process", 24, minimum=1),
        purchase_tax_rate=float(tax),
        after_sales=after,
        holidays=holidays,
        idle_lock_minutes=_bounded(security, "idle_lock_minutes", 5, 1, 60),
        max_failed_pins=_bounded(security, "max_failed_pins", 5, 1, 10),
        lockout_minutes=_int(security, "lockout_minutes", "security", 15, minimum=5),
        os_users=dict(os_users), pin_digits=min(pin_digits, 8), pin_digits_privileged=min(privileged, 8),
        lookups_per_hour=_bounded(security, "lookups_per_hour", 20, 1, 200), file_group=file_group,
        dealership=name, timezone=str(tz), language=language, theme=theme,
        grades=grades, stages=tuple(stages), win_rates=rates,
        upcoming_days=upcoming, first_followup_hours=first,
        lost_reasons=tuple(lost), urgency_grade=urgency,
    )
