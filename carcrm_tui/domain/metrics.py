"""The manager's numbers as arithmetic on counts: funnel, forecast, owner classes.

No I/O. The metrics service counts rows with GROUP BY; these functions turn the
counts into conversion rates, weighted forecasts and RFM classes, so the rules
are checked by hand-computed tests at a fixed clock, once.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

OWNER_CLASSES = ("high_value", "loyal", "potential", "lapsed")


def reached(rows: Iterable[tuple[str, str, int]], stages: Sequence[str]) -> list[int]:
    """How many leads reached each stage, from (stage, status, count) rows.

    A lead reached every stage up to the one it stands in (a move back is a
    correction, so it counts where it stands); a won lead reached them all.
    Stages the policy no longer knows count as the first.
    """
    counts = [0] * len(stages)
    for stage, status, n in rows:
        last = len(stages) - 1 if status == "won" else (stages.index(stage) if stage in stages else 0)
        for i in range(last + 1):
            counts[i] += n
    return counts


def rate(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None when there is nothing to divide by (shown as "—", never 0 %)."""
    return part / whole if whole else None


def conversions(counts: Sequence[int]) -> list[float | None]:
    """Stage-to-stage conversion: reached[i+1] / reached[i]."""
    return [rate(counts[i + 1], counts[i]) for i in range(len(counts) - 1)]


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def weighted(value: int, stage: str, win_rates: Mapping[str, float]) -> float:
    """An open lead's expected value times its stage's win rate."""
    return value * win_rates.get(stage, 0.0)


def month_of(day: dt.date | None, current: dt.date) -> dt.date | None:
    """The month (its first day) a lead's expected purchase falls in; past dates slip into the current month,
    no date → None (shown as "undated")."""
    if day is None:
        return None
    first = current.replace(day=1)
    return max(day.replace(day=1), first)


def add_months(first: dt.date, n: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class OwnerFacts:
    customer_id: int
    recent: bool  # bought or was in touch within the policy's recent_days
    purchases: int
    spent: int  # yuan, deal prices of won leads
    referrals: int


def owner_class(owner: OwnerFacts, high_value: int) -> str:
    """RFM, as the handbooks name the classes:

    - lapsed: neither bought nor heard from lately (recency first: a big
      spender nobody has spoken to in a year is a lapsed one);
    - high_value: recent, and bought `high_value` yuan or more in total;
    - loyal: recent, bought more than once or sent us a referral;
    - potential: recent, one modest purchase so far.
    """
    if not owner.recent:
        return "lapsed"
    if owner.spent >= high_value:
        return "high_value"
    if owner.purchases >= 2 or owner.referrals >= 1:
        return "loyal"
    return "potential"


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int | float]) -> str:
    """One character per value, scaled to the largest; zero is the lowest bar."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] for v in values)


def bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of `width` cells at most, in eighths of a cell."""
    if top <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, part = divmod(max(1, eighths), 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
