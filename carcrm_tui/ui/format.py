"""Turning service values into the words and times a person reads (zh/en)."""

from __future__ import annotations

import datetime as dt

from pendulum import DateTime

from carcrm_tui.domain.policy import Policy
from carcrm_tui.domain.schedule import DueReason
from carcrm_tui.domain.validation import format_budget
from carcrm_tui.i18n import humanize, label, listed, money, t


def local(instant: DateTime | None, policy: Policy, fmt: str = "YYYY-MM-DD HH:mm") -> str:
    if instant is None:
        return ""
    return instant.in_timezone(policy.tz).format(fmt)


def date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


LEAD_STATUSES = ("won", "lost", "dormant", "merged")


def stage_text(code: str) -> str:
    """Where a lead stands, in words: its sales stage while open, else its status ("Won", "已战败")."""
    return label("status", code) if code in LEAD_STATUSES else label("stage", code)


def phone_text(e164: str) -> str:
    """+8613800138000 → 138 0013 8000 (other countries keep their + form)."""
    if e164.startswith("+86") and len(e164) == 14:
        d = e164[3:]
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    return e164


def why_due(reason: DueReason, now: DateTime) -> str:
    """"H · last contact 3 days ago · every 2 days": the same humanising rule as the due column
    and the board (i18n.span), so one instant never reads as two different numbers."""
    if reason.last_contact is None:
        contact = t("why.never")
    else:
        contact = t("why.last_contact", ago=humanize(reason.last_contact, now))
    return t("why.line", grade=reason.grade, contact=contact, every=t("why.every", n=reason.cadence_days))


def contact_short(reason: DueReason) -> str:
    """"12d no contact" / "12天未联系": the number first, for a column that may be cut."""
    days = reason.days_since_contact
    if days is None:
        return t("why.never")
    if days == 0:
        return t("why.today")
    return t("why.days_short", n=days)


def due_text(instant: DateTime, now: DateTime) -> str:
    """"in 2 hours" / "3 days ago": the long spelling of the board's "in 2h" / "3d ago"."""
    return humanize(instant, now)


def budget_text(lo: int | None, hi: int | None) -> str:
    """The budget as typed into forms ("15-20万"): what the edit form shows and reads back."""
    return format_budget(lo, hi)


def budget_money(lo: int | None, hi: int | None) -> str:
    """The budget as money on the record: "¥15万–¥20万" / "¥150k–¥200k", "≤¥20万", "≥¥30万"."""
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f"≤{money(hi)}"
    if hi is None:
        return f"≥{money(lo)}"
    return money(lo) if lo == hi else f"{money(lo)}–{money(hi)}"


def codes(kind: str, values) -> str:
    return listed(label(kind, v) for v in values) if values else ""


# audit fields whose values are codes, and the catalog kind that names them
HISTORY_KINDS = {"gender": "gender", "source": "source", "customer_type": "ctype", "stage": "stage",
                 "status": "status", "channel": "channel", "outcome": "outcome", "urgency": "urgency", "use": "use",
                 "decision_maker": "decider", "lost_reason": "lost", "attitude": "attitude", "role": "role",
                 "category": "category", "department": "department"}


def history_value(field: str, value: str, policy: Policy) -> str:
    """One old or new value of the audit trail in words: codes as labels, instants in the
    dealership's local time, yes/no for flags, "—" for nothing."""
    if value in ("", None):
        return "—"
    if field in HISTORY_KINDS:
        return label(HISTORY_KINDS[field], value) or value
    if field == "focus_points":
        return codes("focus", [p for p in value.split(",") if p])
    if value in ("True", "False"):
        return label("yesno", "yes" if value == "True" else "no")
    if len(value) >= 19 and value[4] == "-" and value[10] in " T" and value[13] == ":":
        try:
            instant = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.timezone.utc)
        import pendulum

        return local(pendulum.instance(instant), policy)
    return value
