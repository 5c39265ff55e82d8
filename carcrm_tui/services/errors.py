"""What a service can refuse, in terms the UI can explain."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from carcrm_tui.domain.validation import Invalid


class ServiceError(Exception):
    code = "error"


class NotFound(ServiceError):
    code = "not_found"


class NotAllowed(ServiceError):
    code = "not_allowed"


@dataclass
class Conflict(ServiceError):
    """Someone else saved the record since it was read; nothing was written."""

    who: str
    when: pendulum.DateTime

    def __str__(self) -> str:
        return f"changed by {self.who} at {self.when}"


@dataclass
class FieldConflicts(ServiceError):
    """Colleagues changed these fields to other values since the form opened; nothing was written."""

    who: str
    when: pendulum.DateTime
    fields: tuple[str, ...]
    code = "field_conflicts"

    def __str__(self) -> str:
        return f"{', '.join(self.fields)} changed by {self.who} at {self.when}"


class ValidationFailed(ServiceError):
    code = "invalid"

    def __init__(self, errors: dict[str, Invalid]) -> None:
        super().__init__(", ".join(f"{k}: {v.code}" for k, v in errors.items()))
        self.errors = errors


class Rejected(ServiceError):
    """A rule of the process refuses the action (e.g. no stage before the first)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
