"""Plain objects the UI receives: no Peewee model ever leaves the service layer.

Read-only views are NamedTuples: frozen dataclasses cost ~0.8 ms each to
create on Python 3.11, and this module loads before the first screen. The
two form inputs the UI fills in field by field stay (mutable) dataclasses.
"""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from pendulum import DateTime

from carcrm_tui.domain.schedule import DueGroup, DueReason


class AccountView(NamedTuple):
    id: int
    name: str
    role: str
    seniority: int
    active: bool
    showroom_id: int | None = 1  # None: group managers and admins work across the showrooms


class VehicleView(NamedTuple):
    id: int
    brand: str
    series: str
    model: str
    guide_price: int

    @property
    def label(self) -> str:
        return f"{self.brand} {self.series} {self.model}".strip()

    @property
    def short(self) -> str:
        return self.series or self.model


class DueRow(NamedTuple):
    """One line of the Today pane."""

    followup_id: int
    lead_id: int
    customer_id: int
    customer_name: str
    phone: str
    grade: str
    stage: str
    vehicle: str
    channel: str
    due_at: DateTime
    group: DueGroup
    reason: DueReason
    purpose: str = ""  # thank_you, day1, insurance, holiday:… ("" = a sales follow-up)
    response: object = None  # ResponseClock while the lead awaits its first response
    urgency: str = ""  # why an urgent row is at the top: response, overdue, silent


class NoticeView(NamedTuple):
    """A message for the signed-in person (a colleague's merge, a handed-over lead, a be-back)."""

    id: int
    at: DateTime
    kind: str  # translation key under notice_kind.
    customer_id: int | None
    params: dict


class TodayView(NamedTuple):
    groups: dict[DueGroup, list[DueRow]]
    totals: dict[DueGroup, int]  # may exceed the rows loaded
    complaints: tuple | list = ()  # open complaints routed to the actor
    notices: tuple | list = ()  # unread messages for the actor, newest first


class BoardCard(NamedTuple):
    lead_id: int
    customer_id: int
    customer_name: str
    owner_name: str
    grade: str
    stage: str
    vehicle: str
    expected_value: int
    next_due: DateTime | None
    version: int
    response: object = None  # ResponseClock while awaiting the first response

    @property
    def key(self) -> tuple[str, int]:
        return (self.grade, self.lead_id)


class Tally(NamedTuple):
    count: int = 0
    value: int = 0


class BoardFilter(NamedTuple):
    """Which leads the board shows: any combination; None = all."""

    tag: str | None = None
    owner: str | None = None  # consultant's name
    source: str | None = None
    grade: str | None = None
    series: str | None = None  # vehicle series of interest (汉, Model Y …)
    showroom: str | None = None  # a group manager's choice: every pane then shows that showroom only

    @property
    def active(self) -> bool:
        return any((self.tag, self.owner, self.source, self.grade, self.series))


class Health(NamedTuple):
    """A column's leads by their next open follow-up; plus how long they have sat in the stage."""

    overdue: int = 0
    today: int = 0
    planned: int = 0
    unplanned: int = 0  # no open follow-up at all
    days_in_stage: float | None = None  # average

    @property
    def total(self) -> int:
        return self.overdue + self.today + self.planned + self.unplanned


class BoardSummary(NamedTuple):
    cells: dict[tuple[str, str], Tally]  # (stage, grade) -> tally

    def stage(self, stage: str) -> Tally:
        c = v = 0
        for (s, _g), t in self.cells.items():
            if s == stage:
                c += t.count
                v += t.value
        return Tally(c, v)

    def cell(self, stage: str, grade: str) -> Tally:
        return self.cells.get((stage, grade), Tally())


class LateLead(NamedTuple):
    """A row of the manager's "who is late" list."""

    lead_id: int
    customer_id: int
    customer_name: str
    owner_name: str
    grade: str
    stage: str
    minutes: int  # how late (response) or how many days (quiet, stale)


class LateReport(NamedTuple):
    response: list[LateLead]
    overdue_by_consultant: list[tuple[str, int]]
    quiet: list[LateLead]
    stale: list[LateLead]
    orphaned: list[LateLead]


class TimelineEntry(NamedTuple):
    followup_id: int
    lead_id: int
    owner_name: str
    channel: str
    due_at: DateTime
    done_at: DateTime | None
    summary: str
    feedback: str
    attitude: str
    outcome: str
    purpose: str = ""
    next_step: str = ""


class LeadView(NamedTuple):
    id: int
    owner_name: str
    grade: str
    score: int
    stage: str
    status: str
    vehicle: VehicleView | None
    budget_min: int | None
    budget_max: int | None
    focus_points: tuple[str, ...]
    use: str
    urgency: str
    expected_purchase_date: dt.date | None
    competitor_models: str
    decision_maker: str
    objections: str
    expected_value: int
    deal_price: int | None  # None unless the actor may see it (owner or manager)
    lost_reason: str
    lost_competitor: str
    created_at: DateTime
    stage_changed_at: DateTime
    last_contact_at: DateTime | None
    version: int
    spin_summary: str = ""
    grade_reason: str = ""
    deposit: int | None = None
    ordered_at: DateTime | None = None
    expected_delivery_date: dt.date | None = None
    delivered_on: dt.date | None = None
    service_advisor: str = ""
    vin: str = ""
    plate: str = ""
    test_drives: tuple = ()
    quotes: tuple = ()
    # the rest of the dealer's sheet
    brands: str = ""
    configuration: str = ""
    colour: str = ""
    purchase_window: str = ""
    models_seen: str = ""
    materials: tuple[str, ...] = ()
    deal_configuration: str = ""
    deal_colour: str = ""
    sheet_notes: str = ""


class TestDriveView(NamedTuple):
    at: DateTime
    vehicle: str
    route: str
    feedback: str
    consultant: str


class QuoteView(NamedTuple):
    created_at: DateTime
    vehicle: str
    configuration: str
    guide_price: int
    discount: int
    trade_in: int
    finance_plan: str
    car_price: int
    purchase_tax: int
    insurance: int
    plates: int
    total: int


class CustomerDetail(NamedTuple):
    id: int
    name: str
    gender: str
    age_range: str
    phone: str
    phone2: str
    wechat: str
    email: str
    source: str
    customer_type: str
    tags: tuple[str, ...]
    birthday: dt.date | None
    do_not_contact: bool
    notes: str
    owner_name: str
    version: int
    phones_revealed: bool  # False: phone and phone2 hold masked numbers
    leads: tuple[LeadView, ...]
    timeline: tuple[TimelineEntry, ...]
    timeline_total: int
    complaints: tuple = ()
    referrer_name: str = ""  # the owner who sent this customer (老客户转介绍)
    referrer_phone: str = ""  # masked like the customer's own phones
    referrals: int = 0  # customers this one has sent us
    more_phones: tuple[str, ...] = ()  # numbers beyond main and backup (kept by merges), masked like them
    showroom: str = ""  # for people who work across a group's showrooms: which one this record is in
    also_in: tuple[str, ...] = ()  # …and the other showrooms where the same number is a customer too
    qq: str = ""

    @property
    def lead(self) -> LeadView | None:
        """The lead the screen works on: the newest open one, else the newest."""
        for lead in self.leads:
            if lead.status == "open":
                return lead
        return self.leads[0] if self.leads else None


class RevealedPhones(NamedTuple):
    """A customer's full numbers as revealed (audited) at one version of the record."""

    customer_id: int
    version: int
    phone: str
    phone2: str
    more_phones: tuple[str, ...]
    referrer_phone: str = ""


class CustomerHit(NamedTuple):
    customer_id: int
    name: str
    phone: str
    owner_name: str
    grade: str
    stage: str
    matched: str  # phone | name | pinyin | wechat | vehicle | vin | note
    snippet: str = ""  # the matching note or vehicle, when that is why


class NameMatch(NamedTuple):
    """Someone already on file under the same name: only what a stranger's record may show."""

    customer_id: int
    masked_phone: str
    owner_name: str


class PhoneMatch(NamedTuple):
    customer_id: int
    name: str
    owner_name: str
    visible: bool


@dataclass
class ContactInput:
    channel: str = "phone"
    summary: str = ""
    feedback: str = ""
    attitude: str = ""
    outcome: str = "reached"
    grade: str | None = None  # None = unchanged
    next_in_days: int | None = None  # None = the grade's cadence
    next_on: dt.date | None = None  # a picked date wins over next_in_days
    no_next: bool = False
    followup_id: int | None = None  # the due follow-up this contact answers


@dataclass
class WalkInInput:
    phone: str = ""
    name: str = ""
    gender: str = ""
    source: str = "walk_in"
    vehicle_id: int | None = None
    urgency: str = ""
    grade: str | None = None
    budget: str = ""
    summary: str = ""
