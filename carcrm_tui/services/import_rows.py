"""One row of a dealer's sheet → clean values, with what rejects the row and what only warns.

Rejected: what cannot be a customer (no name and no phone, a phone that is no
phone, a date that cannot exist, a cell over the limit, text longer than its
field). Everything else comes in: a word the vocabulary does not know is kept
as typed and counted; a value with no field of its own is kept as typed on the
lead ("header: value"); a row under merged name/phone cells of a follow-up log
continues the customer above it. Parsing needs no database lock: the import
reads a chunk's rows here before it takes the write lock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import pendulum

from carcrm_tui.domain import sheet
from carcrm_tui.domain.validation import Invalid, Phone, clean_text, parse_email, parse_phone
from carcrm_tui.i18n import catalog
from carcrm_tui.services.session import Session
from carcrm_tui.services.sheet_files import Limits
from carcrm_tui.store.fields import utc_text
from carcrm_tui.store.models import Account

# field -> column width of the text it holds
TEXT_LIMITS = {"name": 100, "age_range": 16, "wechat": 64, "qq": 32, "email": 128, "notes": 10_000, "tags": 500,
               "brands": 2000, "configuration": 2000, "colour": 64, "competitor_models": 2000, "objections": 2000,
               "summary": 10_000, "feedback": 10_000, "next_step": 2000, "models_seen": 2000,
               "drive_feedback": 2000, "deal_configuration": 128, "deal_colour": 64, "lost_competitor": 128,
               "aftersales_log": 10_000}
WORD_LIMITS = {"gender": 8, "source": 32, "customer_type": 16, "use": 24, "urgency": 16, "decision_maker": 24,
               "contact_channel": 16, "attitude": 16, "lost_reason": 32}
# the kind of word each field holds, and the catalog section naming its codes
VOCAB = {"gender": ("gender", "gender"), "source": ("source", "source"), "customer_type": ("customer_type", "ctype"),
         "use": ("use", "use"), "urgency": ("urgency", "urgency"), "decision_maker": ("decision_maker", "decider"),
         "contact_channel": ("channel", "channel"), "attitude": ("attitude", "attitude"),
         "lost_reason": ("lost", "lost")}
DATE_FIELDS = ("birthday", "first_contact", "ordered_on", "delivered_on", "order_delivery")
CONTACT_FIELDS = ("summary", "feedback", "contact_at", "contact_channel", "next_step", "next_followup")


@dataclass
class RowProblem:
    row: int  # the row number the spreadsheet shows
    column: str  # the sheet's own header
    error: Invalid


_MOBILE = re.compile(r"^1\d{10}$")
_PHONE_NOISE = re.compile(r"[\s\-().（）]")


@lru_cache(maxsize=1 << 14)
def _mobile_block_valid(prefix7: str) -> bool:
    """Validity of a mainland mobile depends on its first digits (the 号段), not the last four."""
    try:
        parse_phone(prefix7 + "0000")
        return True
    except Invalid:
        return False


def _phone(text: str) -> Phone:
    """parse_phone with a fast path for plain mainland mobiles (most of any sheet)."""
    digits = _PHONE_NOISE.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if _MOBILE.match(digits):
        if not _mobile_block_valid(digits[:7]):
            raise Invalid("phone_invalid", value=text)
        return Phone(e164=f"+86{digits}", digits=digits, display=f"{digits[:3]} {digits[3:7]} {digits[7:]}")
    return parse_phone(text)


NOT_CODES = {"lost.title", "lost.competitor_hint"}  # catalog entries that sit beside the codes


def _labels(section: str) -> dict[str, str]:
    """The app's own names for codes (zh and en), so an exported sheet reads back."""
    out = {}
    for lang in ("zh", "en"):
        for key, text in catalog(lang).items():
            if key.startswith(section + ".") and key.count(".") == 1 and key not in NOT_CODES:
                out[text.lower()] = key.split(".", 1)[1]
    return out


class _Vocab:
    def __init__(self, session: Session) -> None:
        self.labels = {f: _labels(section) for f, (_kind, section) in VOCAB.items()}
        self.labels["status"] = _labels("status")
        self.labels["stage"] = _labels("stage")
        self.labels["focus"] = _labels("focus")
        self.labels["materials"] = _labels("material")
        for code in session.policy.lost_reasons:
            self.labels["lost_reason"].setdefault(code, code)
        self.stages = set(session.policy.stages)



class RowReader:
    """A sheet's rows → values (`parse`), against the accounts and the app's words."""

    def __init__(self, session: Session, mapping: dict[int, str], column: dict[str, str], report, limits: Limits,
                 is_log: bool) -> None:
        self.session, self.policy = session, session.policy
        self.mapping, self.column, self.report, self.limits, self.is_log = mapping, column, report, limits, is_log
        self.today = session.now().in_timezone(self.policy.tz).date()
        self.vocab = _Vocab(session)
        # the consultants of the showroom the sheet comes into (a group's other showrooms are not theirs)
        self.accounts = {a.name.strip().lower(): a.id for a in Account.select(Account.id, Account.name)
                         .where(Account.active & (Account.showroom == session.home_showroom))}
        self.previous: dict | None = None  # the last accepted row's customer, for rows continuing it

    def parse(self, n: int, cells: list) -> tuple[dict, dict[str, Invalid]]:
        out: dict = {"row": n, "notes_kept": []}
        errors: dict[str, Invalid] = {}
        raw: dict[str, object] = {}
        for i, f in self.mapping.items():
            value = cells[i] if i < len(cells) else None
            if isinstance(value, str):
                value = _unescape(value)
                if len(value) > self.limits.max_cell_chars:
                    errors[f] = Invalid("cell_too_long", limit=self.limits.max_cell_chars)
                    continue
                value = value.strip()
            if value is None or value == "":
                continue
            raw[f] = value
        report, column = self.report, self.column

        def text(f: str) -> str:
            value = raw.get(f)
            if value is None:
                return ""
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, (dt.date, dt.datetime)):
                value = value.isoformat()
            try:
                return clean_text(str(value), field=f, limit=TEXT_LIMITS.get(f, 2000))
            except Invalid as e:
                errors[f] = e
                return ""

        def keep(f: str, value) -> None:  # a value with no field of its own: kept as typed, on the lead
            out["notes_kept"].append(f"{column[f]}: {value}")

        def word(f: str) -> str:
            value = raw.get(f)
            if value is None:
                return ""
            kind = VOCAB[f][0]
            code, known = sheet.word(kind, value, self.vocab.labels[f])
            if not known:
                if len(code) > WORD_LIMITS[f]:
                    errors[f] = Invalid("too_long", field=_field_name(f), limit=WORD_LIMITS[f])
                    return ""
                report.unknown_words[(column[f], code)] += 1
                report.warn(n, column[f], Invalid("unknown_word", value=code))
            return code

        # who
        if "phone" in raw:
            try:
                out["phone"] = _phone(sheet.phone_cell(raw["phone"]))
            except Invalid as e:
                errors["phone"] = e
        if "phone2" in raw:
            try:
                p2 = _phone(sheet.phone_cell(raw["phone2"]))
                if not out.get("phone") or p2.digits != out["phone"].digits:
                    out["phone2"] = p2
            except Invalid as e:
                report.warn(n, column["phone2"], e)
                keep("phone2", raw["phone2"])
        out["name"] = text("name")
        for f in ("age_range", "wechat", "qq", "notes", "brands", "configuration", "colour", "competitor_models",
                  "objections", "summary", "feedback", "models_seen", "drive_feedback", "deal_configuration",
                  "deal_colour", "lost_competitor", "aftersales_log"):
            if f in raw:
                out[f] = text(f)
        if "wechat_qq" in raw:
            value = text("wechat_qq")
            out["qq" if re.fullmatch(r"\d{5,12}", value) else "wechat"] = value
        if "qq" in out and len(out["qq"]) > 32:
            errors["qq"] = Invalid("too_long", field="qq", limit=32)
        if "email" in raw:
            try:
                out["email"] = parse_email(text("email"))
            except Invalid as e:
                report.warn(n, column["email"], e)
                keep("email", raw["email"])
        if "tags" in raw:
            tags = [t.strip() for t in sheet.SPLIT.split(text("tags")) if t.strip()]
            for tag in tags:
                if len(tag) > 32:
                    errors["tags"] = Invalid("too_long", field="tags", limit=32)
            out["tags"] = list(dict.fromkeys(tags))
        for f in VOCAB:
            if f in raw:
                out[f] = word(f)
        if "do_not_contact" in raw:
            out["do_not_contact"], _known = sheet.word("yesno", raw["do_not_contact"])
            out["do_not_contact"] = bool(out["do_not_contact"]) and _known
        # dates: one that cannot exist rejects the row; text that is no date is kept as typed
        for f in DATE_FIELDS:
            if f in raw:
                try:
                    out[f] = sheet.sheet_date(raw[f], self.today)
                except Invalid as e:
                    if e.code == "not_a_date":
                        report.warn(n, column[f], e)
                        keep(f, raw[f])
                    else:
                        errors[f] = e
        if "expected_purchase_date" in raw:
            value = raw["expected_purchase_date"]
            try:
                out["expected_purchase_date"] = sheet.month_end(value) or sheet.sheet_date(value, self.today)
            except Invalid as e:
                if e.code == "not_a_date":  # "年底", "春节前": the sheet's time window, kept as typed
                    out["purchase_window"] = clean_text(str(value), field="expected_purchase_date", limit=64)[:64]
                else:
                    errors["expected_purchase_date"] = e
        if "contact_at" in raw:
            try:
                found = sheet.sheet_datetime(raw["contact_at"], self.today)
                if found:
                    day, at = found
                    if "contact_time" in raw and at is None:
                        at = _time_of(raw["contact_time"])
                    out["contact_at"] = _instant(day, at, self.policy)
            except Invalid as e:
                if e.code == "not_a_date":
                    report.warn(n, column["contact_at"], e)
                    keep("contact_at", raw["contact_at"])
                else:
                    errors["contact_at"] = e
        if "next_followup" in raw:
            try:
                day, plan = sheet.split_plan(raw["next_followup"], self.today)
                out["next_date"] = day
                if plan:
                    out["next_step"] = plan[:2000]
            except Invalid as e:
                errors["next_followup"] = e
        if "next_step" in raw:
            try:
                day, plan = sheet.split_plan(raw["next_step"], self.today)
            except Invalid as e:
                errors["next_step"] = e
                day, plan = None, ""
            if day and not out.get("next_date"):
                out["next_date"] = day
            steps = [s for s in (plan, out.get("next_step")) if s]
            out["next_step"] = "; ".join(dict.fromkeys(steps))[:2000]
        if "maintenance" in raw:
            try:
                out["maintenance"] = sheet.sheet_date(raw["maintenance"], self.today)
            except Invalid:
                keep("maintenance", raw["maintenance"])
        if "greetings" in raw:
            keep("greetings", raw["greetings"])
        # needs
        if "budget" in raw:
            try:
                out["budget"] = sheet.budget(raw["budget"])
            except Invalid as e:
                report.warn(n, column["budget"], e)
                report.unknown_words[(column["budget"], str(raw["budget"]))] += 1
                keep("budget", raw["budget"])
        if "focus_points" in raw:
            codes, unknown = sheet.words("focus", raw["focus_points"], self.vocab.labels["focus"])
            for w in unknown:
                report.unknown_words[(column["focus_points"], w)] += 1
                report.warn(n, column["focus_points"], Invalid("unknown_word", value=w))
            out["focus_points"] = ",".join(codes)[:2000]
        if "materials" in raw:
            codes, unknown = sheet.words("materials", raw["materials"], self.vocab.labels["materials"])
            for w in unknown:
                report.unknown_words[(column["materials"], w)] += 1
                report.warn(n, column["materials"], Invalid("unknown_word", value=w))
            out["materials"] = ",".join(codes)[:2000]
        if "grade" in raw:
            g, known = sheet.grade(raw["grade"], self.policy.grade_order, self.policy.grade_words)
            if known:
                out["grade"] = g
            else:
                report.unknown_words[(column["grade"], g)] += 1
                report.warn(n, column["grade"], Invalid("unknown_word", value=g))
                keep("grade", g)
        if "stage" in raw:
            value = str(raw["stage"]).strip()
            found = self.vocab.labels["stage"].get(value.lower()) or (value if value in self.vocab.stages else None)
            if found:
                out["stage"] = found
            else:
                report.unknown_words[(column["stage"], value)] += 1
                report.warn(n, column["stage"], Invalid("unknown_word", value=value))
                keep("stage", value)
        if "status" in raw:
            code, known = sheet.word("status", raw["status"], self.vocab.labels["status"])
            if known:
                out["status"] = code
            else:
                report.unknown_words[(column["status"], code)] += 1
                report.warn(n, column["status"], Invalid("unknown_word", value=code))
                keep("status", code)
        if "deal_price" in raw:
            try:
                out["deal_price"] = sheet.money(raw["deal_price"])
            except Invalid as e:
                report.warn(n, column["deal_price"], e)
                keep("deal_price", raw["deal_price"])
        # vehicles named by text, resolved when the row is applied (the catalogue may grow)
        for f in ("vehicle", "deal_vehicle"):
            if f in raw:
                out[f] = " ".join(str(raw[f]).split())[:128]
        # consultants
        if "owner" in raw:
            name = str(raw["owner"]).strip()
            out["owner"] = self.accounts.get(name.lower())
            if out["owner"] is None:
                out["owner_unknown"] = name[:64]
        if "contact_owner" in raw:
            out["contact_owner"] = self.accounts.get(str(raw["contact_owner"]).strip().lower())
            if "owner" not in raw:
                out["owner"] = out["contact_owner"]
                if out["owner"] is None:
                    out["owner_unknown"] = str(raw["contact_owner"]).strip()[:64]
        # who the row is about
        if not out.get("phone") and "phone" not in errors and not out["name"]:
            if self.is_log and self.previous and any(f in raw for f in CONTACT_FIELDS):
                out["continues"] = self.previous  # a log row under merged name/phone cells
            elif "name" not in errors:
                errors["name"] = Invalid("no_name_or_phone")
        if not out["name"] and out.get("phone"):
            out["name"] = catalog_text("import.unnamed", last4=out["phone"].digits[-4:])
            report.warn(n, column.get("name", column.get("phone", "")), Invalid("no_name", name=out["name"]))
        return out, errors



def catalog_text(key: str, **params) -> str:
    """A value the import writes into a record (a name for a row without one), in the current language."""
    from carcrm_tui.i18n import t

    return t(key, **params)


def _field_name(f: str) -> str:
    return {"contact_channel": "channel", "lost_reason": "lost_reason"}.get(f, f)


def _time_of(value) -> dt.time | None:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, float) and 0 <= value < 1:  # Excel keeps a time as a fraction of a day
        seconds = round(value * 86_400)
        return dt.time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    m = re.match(r"^(\d{1,2})[:时点](\d{1,2})", str(value).strip())
    if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
        return dt.time(int(m.group(1)), int(m.group(2)))
    return None


def _instant(day: dt.date, at: dt.time | None, policy) -> pendulum.DateTime:
    """A local date (at 10:00 when the sheet gives no time) as a UTC instant."""
    return _local_instant(day, at or dt.time(10, 0), policy.timezone)


@lru_cache(maxsize=4096)
def _local_instant(day: dt.date, at: dt.time, zone: str) -> pendulum.DateTime:
    """(a sheet repeats its dates: each is converted once)"""
    return pendulum.datetime(day.year, day.month, day.day, at.hour, at.minute, at.second,
                             tz=zone).in_timezone("UTC")


@lru_cache(maxsize=4096)
def _text(instant) -> str | None:
    """The stored form of an instant, once per instant (a 10,000-row sheet holds few distinct ones)."""
    return utc_text(instant) if instant is not None else None


def _unescape(value: str) -> str:
    """'=SUM(…) as exported (kept from becoming a formula) → =SUM(…) as typed."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


