"""Service refusals as sentences, for the CLI and the UI alike (no Textual here)."""

from __future__ import annotations

from carcrm_tui.domain.validation import Invalid
from carcrm_tui.i18n import money, t
from carcrm_tui.services.errors import Conflict, NotFound, Rejected, ValidationFailed
from carcrm_tui.store.faults import StorageFault


def invalid_sentence(err: Invalid) -> str:
    params = dict(err.params)
    if "field" in params:
        params["field"] = t(f"field.{params['field']}")
    if err.code == "policy_key":  # a site policy value: the policy's own reason, in words
        params["reason"] = t(f"policy.{params.get('reason', '')}", **{k: str(v) for k, v in params.items()})
    return t(f"error.{err.code}", **params)


def error_sentence(exc: Exception, policy=None) -> str:
    if isinstance(exc, StorageFault):
        return t(f"error.storage.{exc.kind}")
    if isinstance(exc, OSError) and getattr(exc, "errno", None) in (28, 27, 122):
        return t("error.storage.disk_full")
    if isinstance(exc, Conflict):
        when = exc.when.in_timezone(policy.tz).format("HH:mm") if policy else exc.when.format("YYYY-MM-DD HH:mm")
        return t("error.conflict", who=exc.who, when=when)
    if isinstance(exc, NotFound):
        return t("error.not_found")
    if isinstance(exc, Rejected):
        params = dict(exc.params)
        if isinstance(params.get("price"), int):  # an amount reads as money, with ¥
            params["price"] = money(params["price"])
        return t(f"error.{exc.code}", **params)
    if isinstance(exc, ValidationFailed):
        return " ".join(invalid_sentence(e) for e in exc.errors.values())
    code = getattr(exc, "code", "unexpected")
    return t(f"error.{code}")
