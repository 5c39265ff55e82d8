"""The site's policy, kept in the database and changed only by an admin, audited.

Grades, cadences, the time zone and the security settings (PIN lockout, idle
lock, trusted OS logins, PIN lengths) are the dealership's rules, not a
person's preference: if they lived in a user's config file, a consultant could
raise the lockout to a hundred million tries or map their login to a manager.
The text is the same TOML a site used to keep in config.toml, so an old file
moves in with `carcrm policy set FILE`.
"""

from __future__ import annotations

import tomllib

from pendulum import DateTime

from carcrm_tui.domain.policy import Policy, PolicyError, policy_from_dict
from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotAllowed, ValidationFailed
from carcrm_tui.services.views import AccountView
from carcrm_tui.domain.validation import Invalid
from carcrm_tui.i18n import flatten
from carcrm_tui.store.models import SitePolicy, database

# sections of a site policy; a personal config holding any of these is refused (config.py)
SECTIONS = ("dealership", "grades", "stages", "followup", "lost_reasons", "urgency_grade", "security", "process",
            "holidays", "owners", "import")


def stored_text() -> str:
    row = SitePolicy.select().order_by(SitePolicy.id.desc()).first()
    return row.toml if row else ""


def load() -> Policy:
    """The policy in force: the admin's text over the shipped defaults."""
    text = stored_text()
    if not text.strip():
        return Policy()
    return policy_from_dict(tomllib.loads(text))


def parse(text: str) -> Policy:
    """Check a policy text the way `set_policy` will; raises PolicyError or ValueError (TOML)."""
    data = tomllib.loads(text)
    personal = {"keymap", "language", "theme"} & set(data)  # a user's own settings, not the site's
    for key in personal:
        raise PolicyError(key, "personal_key")
    return policy_from_dict(data)


def set_policy(actor: AccountView, text: str, now: DateTime) -> Policy:
    if actor.role != "admin" or not actor.active:
        raise NotAllowed()
    try:
        policy = parse(text)
    except tomllib.TOMLDecodeError as e:
        raise ValidationFailed({"policy": Invalid("bad_toml", detail=str(e))}) from None
    except PolicyError as e:
        raise ValidationFailed({"policy": Invalid("policy_key", key=e.key, reason=e.reason, **e.params)}) from None
    with database.atomic():
        before = flatten(tomllib.loads(stored_text() or ""))
        after = flatten(tomllib.loads(text))
        changes = {k: (before.get(k, ""), after.get(k, "")) for k in sorted(set(before) | set(after))
                   if before.get(k) != after.get(k)}
        row = SitePolicy.select().order_by(SitePolicy.id.desc()).first()
        if row is None:
            SitePolicy.insert(toml=text, updated_at=now, updated_by=actor.id).execute()
        else:
            SitePolicy.update(toml=text, updated_at=now, updated_by=actor.id).where(SitePolicy.id == row.id).execute()
        audit.record(actor.id, now, "policy", "site", None, changes=changes or {"policy": ("", "same")})
    return policy
