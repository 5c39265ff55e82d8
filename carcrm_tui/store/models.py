"""The tables: accounts, vehicle catalogue, customers, leads, follow-ups.

Shaped after the dealer's customer sheet (domain.md "The customer record").
Codes (grade, stage, channel …) are stored as short text; the policy and the
translation catalogs give them meaning. Indexes serve the two hot queries:
one consultant's open follow-ups by due time, and one board column page.
"""

from __future__ import annotations

from peewee import (
    SQL,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from carcrm_tui.store.fields import UTCDateTimeField

database = DatabaseProxy()
# columns added after 0.5 carry their default in the schema too, as the upgrade adds them
# (bulk loads that name older columns only keep working on new and upgraded files alike)
_BLANK = SQL("DEFAULT ''")


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Showroom(BaseModel):
    """One showroom of a dealer group. A site with one showroom has exactly this one (id 1)."""

    name = CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField()


DEFAULT_SHOWROOM = 1  # the showroom every record of a single-showroom site belongs to
_IN_DEFAULT_SHOWROOM = SQL(f"DEFAULT {DEFAULT_SHOWROOM}")  # raw bulk inserts (the demo) land there too


class Account(BaseModel):
    name = CharField(max_length=64, unique=True)
    role = CharField(max_length=16, default="consultant")  # consultant | manager | group_manager | admin
    # consultants and showroom managers work in one showroom; group managers and admins in all (null)
    showroom = ForeignKeyField(Showroom, null=True, default=DEFAULT_SHOWROOM, backref="staff", index=False,
                               constraints=[_IN_DEFAULT_SHOWROOM])
    seniority = IntegerField(default=0)  # years on the floor; senior staff get H leads
    active = BooleanField(default=True)
    created_at = UTCDateTimeField()
    pin_hash = CharField(max_length=255, default="")  # scrypt, salted; never the PIN itself
    failed_pins = IntegerField(default=0)
    locked_until = UTCDateTimeField(null=True)


class Vehicle(BaseModel):
    brand = CharField(max_length=64)
    series = CharField(max_length=64)
    model = CharField(max_length=128)
    guide_price = IntegerField()  # yuan (厂商指导价); 0 = not known yet (added from an import)
    retired = BooleanField(default=False, constraints=[SQL("DEFAULT FALSE")])  # no longer sold: kept for the leads that name it, offered to no new one
    origin = CharField(max_length=16, default="", constraints=[_BLANK])  # "" = the catalogue, "import" = named in a sheet, added then

    class Meta:
        indexes = ((("brand", "series", "model"), True),)


class Customer(BaseModel):
    # indexed: exact names are lookups, and 1–2 character searches (张伟, zw) scan the
    # small covering index instead of the wide table rows
    name = CharField(max_length=100, index=True)
    name_pinyin = CharField(max_length=255, default="", index=True)  # "zhangwei zw": search by pinyin
    gender = CharField(max_length=8, default="")
    age_range = CharField(max_length=16, default="")
    phone = CharField(max_length=32, default="")  # E.164
    phone_digits = CharField(max_length=20, default="", index=True)
    phone2 = CharField(max_length=32, default="")
    phone2_digits = CharField(max_length=20, default="", index=True)
    wechat = CharField(max_length=64, default="")
    qq = CharField(max_length=32, default="", constraints=[_BLANK])
    email = CharField(max_length=128, default="")
    source = CharField(max_length=32, default="")
    customer_type = CharField(max_length=16, default="prospect")
    birthday = DateField(null=True)
    do_not_contact = BooleanField(default=False)
    notes = TextField(default="")
    owner = ForeignKeyField(Account, backref="customers", index=True)
    # one phone may be a customer in two showrooms of a group: one record in each
    showroom = ForeignKeyField(Showroom, default=DEFAULT_SHOWROOM, backref="customers", index=True,
                               constraints=[_IN_DEFAULT_SHOWROOM])
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    updated_by = ForeignKeyField(Account, null=True, backref="+", index=False)
    version = IntegerField(default=1)  # optimistic locking: UPDATE … WHERE version = seen
    # 老客户转介绍: the owner who sent this customer, for the owners' referral counts
    referred_by = ForeignKeyField("self", null=True, backref="referrals", on_delete="SET NULL", index=True)


class CustomerPhone(BaseModel):
    """More numbers of one customer than the main and backup phone (kept when records merge)."""

    customer = ForeignKeyField(Customer, backref="extra_phones", on_delete="CASCADE", index=True)
    phone = CharField(max_length=32)  # E.164
    digits = CharField(max_length=20, index=True)


class Lead(BaseModel):
    customer = ForeignKeyField(Customer, backref="leads", on_delete="CASCADE", index=True)
    owner = ForeignKeyField(Account, backref="leads", index=False)
    showroom = ForeignKeyField(Showroom, default=DEFAULT_SHOWROOM, backref="+", index=False,  # its customer's
                               constraints=[_IN_DEFAULT_SHOWROOM])
    grade = CharField(max_length=4)
    score = IntegerField(default=0)
    stage = CharField(max_length=24)
    status = CharField(max_length=12, default="open")  # open | won | lost | dormant | merged (a duplicate)
    vehicle = ForeignKeyField(Vehicle, null=True, backref="leads", on_delete="SET NULL")
    budget_min = IntegerField(null=True)  # yuan
    budget_max = IntegerField(null=True)
    focus_points = TextField(default="")  # ranked, comma separated codes
    use = CharField(max_length=24, default="")
    urgency = CharField(max_length=16, default="")
    expected_purchase_date = DateField(null=True)
    competitor_models = TextField(default="")
    decision_maker = CharField(max_length=24, default="")
    objections = TextField(default="")
    spin_summary = TextField(default="")  # needs analysis, confirmed with the customer
    grade_reason = TextField(default="")  # why the consultant overrode the suggested grade
    expected_value = IntegerField(default=0)  # yuan
    deal_price = IntegerField(null=True)  # 成交价格: confidential, owner and managers only
    deposit = IntegerField(null=True)
    ordered_at = UTCDateTimeField(null=True)
    expected_delivery_date = DateField(null=True)
    delivered_on = DateField(null=True)
    service_advisor = CharField(max_length=64, default="")
    insurance_until = DateField(null=True)
    vin = CharField(max_length=17, default="")  # at delivery
    plate = CharField(max_length=16, default="")
    lost_reason = CharField(max_length=32, default="")
    lost_competitor = CharField(max_length=128, default="")
    # the rest of the dealer's sheet (客户信息管理表): needs, visits, the deal itself
    brands = TextField(default="", constraints=[_BLANK])  # brands of interest, several, as the customer named them
    configuration = TextField(default="", constraints=[_BLANK])  # configuration preferences (sunroof, seats, driver assistance …)
    colour = CharField(max_length=64, default="", constraints=[_BLANK])
    purchase_window = CharField(max_length=64, default="", constraints=[_BLANK])  # "年底", "春节前": expected purchase when not a date
    models_seen = TextField(default="", constraints=[_BLANK])  # 看车/试驾车型
    materials = TextField(default="", constraints=[_BLANK])  # handed over: brochure, spec sheet, quote (codes or words as typed)
    deal_configuration = CharField(max_length=128, default="", constraints=[_BLANK])
    deal_colour = CharField(max_length=64, default="", constraints=[_BLANK])
    sheet_notes = TextField(default="", constraints=[_BLANK])  # sheet values with no field of their own, kept as typed ("header: value")
    created_at = UTCDateTimeField()
    stage_changed_at = UTCDateTimeField()
    first_response_at = UTCDateTimeField(null=True)
    last_contact_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField()
    updated_by = ForeignKeyField(Account, null=True, backref="+", index=False)
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            # a manager's board column page: open leads of a stage, grade by grade;
            # expected_value rides along so the header sums never read the table
            (("status", "stage", "grade", "id", "expected_value"), False),
            # a consultant's board column page
            (("owner", "status", "stage", "grade", "id", "expected_value"), False),
            # a showroom manager's board in a dealer group
            (("showroom", "status", "stage", "grade", "id", "expected_value"), False),
            # a consultant's leads, the last contacted first (a two-character word reads their notes)
            (("owner", "last_contact_at"), False),
            # the manager's metrics read leads by when they came in and when they closed
            (("created_at",), False),
            (("closed_at",), False),
        )


class FollowUp(BaseModel):
    lead = ForeignKeyField(Lead, backref="followups", on_delete="CASCADE", index=False)
    owner = ForeignKeyField(Account, backref="followups", index=False)
    channel = CharField(max_length=16)
    due_at = UTCDateTimeField()
    done_at = UTCDateTimeField(null=True)
    summary = TextField(default="")
    feedback = TextField(default="")
    attitude = CharField(max_length=16, default="")
    outcome = CharField(max_length=24, default="")
    purpose = CharField(max_length=32, default="")  # thank_you, day1, insurance, holiday:… ("" = sales call)
    next_step = TextField(default="", constraints=[_BLANK])  # 下次跟进计划: what was agreed to do next
    created_at = UTCDateTimeField()


class CustomerTag(BaseModel):
    """家庭用户, 科技爱好者, 价格敏感型 …: one row per tag, so lists filter by tag on an index."""

    customer = ForeignKeyField(Customer, backref="tag_rows", on_delete="CASCADE", index=False)
    tag = CharField(max_length=32)

    class Meta:
        indexes = ((("customer", "tag"), True), (("tag", "customer"), False))


class TestDrive(BaseModel):
    __test__ = False  # a model, not a pytest test class
    lead = ForeignKeyField(Lead, backref="test_drives", on_delete="CASCADE")
    vehicle = ForeignKeyField(Vehicle, null=True, on_delete="SET NULL", backref="+")
    at = UTCDateTimeField()
    route = CharField(max_length=128, default="")
    feedback = TextField(default="")
    consultant = ForeignKeyField(Account, backref="+", index=False)
    created_at = UTCDateTimeField()


class Quote(BaseModel):
    lead = ForeignKeyField(Lead, backref="quotes", on_delete="CASCADE")
    vehicle = ForeignKeyField(Vehicle, null=True, on_delete="SET NULL", backref="+")
    configuration = CharField(max_length=128, default="")
    guide_price = IntegerField()
    discount = IntegerField(default=0)
    trade_in = IntegerField(default=0)
    finance_plan = CharField(max_length=128, default="")
    car_price = IntegerField()
    purchase_tax = IntegerField()
    insurance = IntegerField(default=0)
    plates = IntegerField(default=0)
    total = IntegerField()
    created_at = UTCDateTimeField()
    created_by = ForeignKeyField(Account, backref="+", index=False)


class ShowroomVisit(BaseModel):
    """Walk-in traffic: first visits and be-backs, for the showroom reports."""

    customer = ForeignKeyField(Customer, backref="visits", on_delete="CASCADE")
    lead = ForeignKeyField(Lead, null=True, backref="+", on_delete="SET NULL", index=False)
    at = UTCDateTimeField(index=True)
    kind = CharField(max_length=12)  # first | be_back
    consultant = ForeignKeyField(Account, backref="+", index=False)


class Complaint(BaseModel):
    customer = ForeignKeyField(Customer, backref="complaints", on_delete="CASCADE")
    lead = ForeignKeyField(Lead, null=True, backref="+", on_delete="SET NULL", index=False)
    channel = CharField(max_length=16)
    category = CharField(max_length=24)
    description = TextField()
    department = CharField(max_length=24)
    assignee = ForeignKeyField(Account, null=True, backref="+", index=False)
    opened_by = ForeignKeyField(Account, backref="+", index=False)
    created_at = UTCDateTimeField()
    due_at = UTCDateTimeField()  # the 24-hour resolution clock
    resolved_at = UTCDateTimeField(null=True)
    resolution = TextField(default="")
    callback_at = UTCDateTimeField(null=True)
    satisfaction = IntegerField(null=True)  # 1–5, asked on the call-back
    status = CharField(max_length=12, default="open")  # open | resolved | closed

    class Meta:
        indexes = ((("assignee", "status", "due_at"), False),)


class AuditLog(BaseModel):
    """Who did what, when, to which record: field, old value → new value.

    Append-only. `customer_id` lets a manager read one customer's history in
    one index range; the highest id doubles as the "something changed"
    signal other terminals poll for live refresh.
    """

    at = UTCDateTimeField()
    actor = ForeignKeyField(Account, null=True, backref="+", index=False)
    action = CharField(max_length=24)
    entity = CharField(max_length=16)
    entity_id = IntegerField(null=True)
    customer_id = IntegerField(null=True)
    field = CharField(max_length=48, default="")
    old = TextField(default="")
    new = TextField(default="")

    class Meta:
        indexes = ((("customer_id", "id"), False), (("actor", "at"), False))


class Notice(BaseModel):
    """Something a person must hear about that happened to their customers while they were
    elsewhere: a colleague's merge, a handed-over lead, a be-back at reception."""

    account = ForeignKeyField(Account, backref="notices", on_delete="CASCADE", index=False)
    at = UTCDateTimeField()
    kind = CharField(max_length=32)  # a translation key under notice_kind.
    customer_id = IntegerField(null=True)
    params = TextField(default="{}")  # JSON: the words the sentence needs (names, stages)
    read_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("account", "read_at", "id"), False),)


class UndoStep(BaseModel):
    """What one stage move, lost, dormant or grade change did to a lead, so its maker can take it
    back for a few minutes — unless someone changed the lead since (the version says)."""

    actor = ForeignKeyField(Account, backref="+", index=False)
    at = UTCDateTimeField()
    lead = ForeignKeyField(Lead, backref="+", on_delete="CASCADE", index=False)
    action = CharField(max_length=16)  # move | won | lost | dormant | grade
    before = TextField()  # JSON: the lead's columns (and the customer's type) before
    created = TextField(default="{}")  # JSON: ids of the follow-ups, quotes, test drives it made
    closed = TextField(default="[]")  # JSON: ids of the follow-ups it closed
    version = IntegerField()  # the lead's version right after
    undone_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("actor", "id"), False),)


class SitePolicy(BaseModel):
    """The dealership's policy as its admin set it (TOML text): grades, cadences, security.

    In the database, not a user's config file: a consultant must not be able to
    raise the PIN lockout or map their OS login to a manager by editing a file."""

    toml = TextField(default="")
    updated_at = UTCDateTimeField()
    updated_by = ForeignKeyField(Account, null=True, backref="+", index=False)


class ImportBatch(BaseModel):
    """One import of a sheet: who, when, which file, how far it got and what it did.

    Rows commit in chunks; `rows_done` is the last sheet row of the last committed
    chunk, so a batch that stopped half-way (status "running" with an old
    `updated_at`, or "incomplete") can be resumed from there or undone.
    """

    actor = ForeignKeyField(Account, backref="+", index=False)
    started_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()  # each committed chunk: a running batch whose clock stopped has died
    finished_at = UTCDateTimeField(null=True)
    file_name = CharField(max_length=255)
    file_hash = CharField(max_length=64, default="")  # sha256: a resume reads the same file
    sheet = CharField(max_length=64, default="")
    status = CharField(max_length=12, default="running")  # running | complete | incomplete | undone
    rows_done = IntegerField(default=0)
    rows = IntegerField(default=0)
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    skipped = IntegerField(default=0)
    rejected = IntegerField(default=0)
    contacts = IntegerField(default=0)
    warnings = IntegerField(default=0)
    summary = TextField(default="")  # JSON: unknown words, catalogue additions, consultants not found
    undone_at = UTCDateTimeField(null=True)
    undone_by = ForeignKeyField(Account, null=True, backref="+", index=False)


class ImportChange(BaseModel):
    """What a batch did to one record, so that undo can take it back.

    "create": the record is the batch's (a customer takes its leads, follow-ups
    and tags along). "update": `before` holds the old column values (JSON) and
    `version` the record's version right after the import — undo restores only
    a record nobody has saved since.
    """

    batch = ForeignKeyField(ImportBatch, backref="changes", on_delete="CASCADE", index=False)
    entity = CharField(max_length=16)  # customer | lead | followup | tag | test_drive | vehicle
    entity_id = IntegerField()
    action = CharField(max_length=8)  # create | update
    before = TextField(default="")
    version = IntegerField(null=True)

    class Meta:
        indexes = ((("batch", "entity", "action", "id"), False),)


# today's follow-ups for one consultant: only the open ones, by due time
FollowUp.add_index(
    FollowUp.index(FollowUp.owner, FollowUp.due_at, name="followup_open_by_owner_due").where(
        SQL("done_at IS NULL")
    )
)
# a lead's timeline
FollowUp.add_index(FollowUp.lead, FollowUp.due_at, name="followup_lead_due")
# a lead's next open follow-up in one seek (board cards, column health)
FollowUp.add_index(
    FollowUp.index(FollowUp.lead, FollowUp.due_at, name="followup_open_by_lead").where(SQL("done_at IS NULL"))
)
# contacts logged in a period, per consultant (the leaderboard), answered from the index alone
FollowUp.add_index(
    FollowUp.index(FollowUp.done_at, FollowUp.owner, FollowUp.outcome, name="followup_done_owner")
    .where(SQL("done_at IS NOT NULL"))
)

MODELS = (Showroom, Account, Vehicle, Customer, Lead, FollowUp, AuditLog, CustomerTag, TestDrive, Quote, ShowroomVisit,
          Complaint, CustomerPhone, Notice, SitePolicy, ImportBatch, ImportChange, UndoStep)
