"""Turning service values into the words and times a person reads (zh/en)."""

from __future__ import annotations

import datetime as dt

from pendulum import DateTime

from carcrm_tui.domain.policy import Policy
from carcrm_tui.domain.schedule import DueReason
from carcrm_tui.domain.validation import format_budget
from carcrm_tui.i18n import humanize, label, t


def local(instant: DateTime | None, policy: Policy, fmt: str = "YYYY-MM-DD HH:mm") -> str:
    if instant is None:
        return ""
    return instant.in_timezone(policy.tz).format(fmt)


def date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def phone_text(e164: str) -> str:
    """+8613800138000 → 138 0013 8000 (other countries keep their + form)."""
    if e164.startswith("+86") and len(e164) == 14:
        d = e164[3:]
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    return e164


def why_due(reason: DueReason, now: DateTime) -> str:
    """"H · last contact 2 days ago · every 2 days"."""
    if reason.days_since_contact is None:
        contact = t("why.never")
    elif reason.days_since_contact == 0:
        contact = t("why.today")
    elif reason.days_since_contact == 1:
        contact = t("why.yesterday")
    else:
        contact = t("why.days_ago", n=reason.days_since_contact)
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
    return humanize(instant, now)


def budget_text(lo: int | None, hi: int | None) -> str:
    return format_budget(lo, hi)


def codes(kind: str, values) -> str:
    return "、".join(label(kind, v) for v in values) if values else ""


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
