"""Turning what people type (and what dealer sheets hold) into clean values.

Each parser returns the clean value or raises `Invalid` with a message code the
UI translates, so a form can say exactly which field is wrong and why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass



class Invalid(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Phone:
    e164: str  # +8613800138000
    digits: str  # national digits used for matching: 13800138000
    display: str  # 138 0013 8000


def parse_phone(text: str, region: str = "CN") -> Phone:
    import phonenumbers  # ~20 ms of metadata: loaded when a number is first typed, not at start

    raw = (text or "").strip()
    if not raw:
        raise Invalid("phone_empty")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid("phone_invalid", value=raw) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone_invalid", value=raw)
    national = phonenumbers.national_significant_number(number)
    if phonenumbers.region_code_for_number(number) == region:
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, digits=national, display=display)


def phone_digits(text: str) -> str:
    """Only the digits of a fragment, for matching against stored numbers."""
    return re.sub(r"\D", "", text or "")


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date:
    """2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, and 3月5日 / 3-5 (this year)."""
    raw = (text or "").strip()
    if not raw:
        raise Invalid("date_empty")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return _date(y, mo, d, raw)
    m = re.match(r"^(\d{1,2})月(\d{1,2})日?$", raw) or re.match(r"^(\d{1,2})[-/](\d{1,2})$", raw)
    if m and today is not None:
        return _date(today.year, int(m.group(1)), int(m.group(2)), raw)
    raise Invalid("date_invalid", value=raw)


def _date(y: int, m: int, d: int, raw: str) -> dt.date:
    try:
        return dt.date(y, m, d)  # plain date: sqlite3 binds exact classes only
    except ValueError:
        raise Invalid("date_invalid", value=raw) from None


_WAN = 10_000


_APPROX = ("左右", "上下", "大概", "大约", "约", "差不多")


def parse_budget(text: str) -> tuple[int | None, int | None]:
    """A budget range in yuan from "15-20万", "15万-20万", "150000-200000", "20万以内", "30万",
    "30W+" (open-ended: 30万 and up), "20万左右" / "15万上下" (about: ±10%)."""
    raw = (text or "").strip().replace(" ", "").replace("，", ",").replace("～", "-").replace("~", "-")
    raw = raw.replace("—", "-").replace("–", "-").replace("至", "-").replace("到", "-").replace("元", "")
    raw = raw.removesuffix("之间").removeprefix("预算")
    if not raw:
        return (None, None)
    approx = raw.endswith(_APPROX) or raw.startswith(_APPROX)
    for word in _APPROX:
        raw = raw.removesuffix(word).removeprefix(word)
    upto = raw.endswith(("以内", "以下", "内")) or raw.startswith(("≤", "<=", "<"))
    atleast = raw.endswith(("以上", "起", "+")) or raw.startswith(("≥", ">=", ">"))
    raw = raw.removesuffix("以内").removesuffix("以下").removesuffix("以上").removesuffix("内")
    raw = raw.removesuffix("起").rstrip("+").lstrip("≤≥<>=")
    if approx and not (upto or atleast) and "-" not in raw:
        lo, hi = parse_budget(raw)
        if lo is None or lo != hi:
            raise Invalid("budget_invalid", value=text)
        return (int(round(lo * 0.9)), int(round(lo * 1.1)))
    parts = raw.split("-")
    if len(parts) > 2 or not all(parts):
        raise Invalid("budget_invalid", value=text)
    unit_all = _WAN if parts[-1].endswith(("万", "w", "W")) else 1
    values = []
    for part in parts:
        unit = _WAN if part.endswith(("万", "w", "W")) else unit_all
        number = part.rstrip("万wW元").replace(",", "")
        try:
            amount = float(number)
        except ValueError:
            raise Invalid("budget_invalid", value=text) from None
        if unit == 1 and amount < 1000:  # "15-20" on a car sheet means 万
            unit = _WAN
        values.append(int(round(amount * unit)))
    if len(values) == 1:
        if upto:
            return (None, values[0])
        return (values[0], None) if atleast else (values[0], values[0])
    lo, hi = values
    if lo > hi:
        raise Invalid("budget_order", value=text)
    return (lo, hi)


def format_budget(lo: int | None, hi: int | None) -> str:
    def wan(v: int) -> str:
        w = v / _WAN
        return f"{w:g}"

    if lo is None and hi is None:
        return ""
    if lo is None:
        return f"≤{wan(hi)}万"
    if hi is None:
        return f"≥{wan(lo)}万"
    if lo == hi:
        return f"{wan(lo)}万"
    return f"{wan(lo)}-{wan(hi)}万"


def parse_email(text: str) -> str:
    raw = (text or "").strip()
    if raw and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", raw):
        raise Invalid("email_invalid", value=raw)
    return raw


def clean_text(text: str, *, field: str, limit: int, required: bool = False) -> str:
    value = (text or "").strip()
    if required and not value:
        raise Invalid("required", field=field)
    if len(value) > limit:
        raise Invalid("too_long", field=field, limit=limit)
    return value


def mask_phone(e164: str) -> str:
    """138****5678: enough to recognise a number, not enough to copy it off a screen."""
    digits = phone_digits(e164)
    if e164.startswith("+86"):  # mobiles and landlines alike: the national number
        digits = digits[2:]
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def initials(name: str) -> str:
    """张伟 → 张*, Zhao Min → Z. M. (privacy mode on lists)."""
    parts = name.split()
    if len(parts) > 1:
        return " ".join(f"{p[0]}." for p in parts if p)
    return (name[:1] + "*") if name else ""
