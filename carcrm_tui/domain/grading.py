"""Grade defaults: the sheet's urgency field suggests the grade (domain.md)."""

from __future__ import annotations

from carcrm_tui.domain.policy import Policy


def grade_for_urgency(urgency: str | None, policy: Policy) -> str:
    """近期 → A, 中期 → B, 远期/暂不确定 → C by default; H is a consultant's call."""
    if urgency and urgency in policy.urgency_grade:
        return policy.urgency_grade[urgency]
    return "C" if "C" in policy.grades else policy.grade_order[-1]


def expected_value(guide_price: int | None, budget_max: int | None) -> int:
    """Expected deal value in yuan: the model's guide price, else the top of the budget."""
    return int(guide_price or budget_max or 0)
