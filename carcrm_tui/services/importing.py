"""Importing the dealer's sheet: every customer in, every field a home, the floor keeps working.

- Rows commit in chunks of a few hundred, each its own short transaction, so
  another terminal's save waits for one chunk, never for the whole file
  (design.md: one 20,000-row transaction made a colleague wait 22 s). Each
  row is parsed before its chunk takes the write lock; a short pause between
  chunks lets a waiting terminal in.
- Every import is a batch (who, when, which file, counts), with a journal of
  what it created and what it changed, so it can be undone (import_batches). A
  crash leaves whole chunks and a batch marked incomplete: resume or undo it.
- A dry run reads and never writes: no transaction, no write lock.
- Rows are read by import_rows: a row is rejected only when it cannot be a
  customer; a word the vocabulary does not know is kept as typed and counted.
  Here, a model missing from the catalogue is added ("from import") and a
  consultant with no account leaves the customer with the importing manager,
  listed for reassignment.
- One row per contact (a follow-up log) gives one customer per phone and one
  logged contact per row; the latest row's next date becomes the open
  follow-up; importing the same log again adds nothing.
- A won row becomes a won lead as a delivery in the app would: the customer
  becomes an owner and the after-sales schedule is created (what falls due
  after today). A lost row becomes a lost lead with its reason and competitor.
- Importing is for managers and admins: a consultant's import would show which
  phone numbers belong to colleagues' customers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

import pendulum
from peewee import SqliteDatabase, fn

from carcrm_tui.domain import sheet
from carcrm_tui.domain.grading import expected_value, grade_for_urgency
from carcrm_tui.domain.names import pinyin_keys
from carcrm_tui.domain.process import add_years, after_sales_plan
from carcrm_tui.domain.schedule import next_due
from carcrm_tui.domain.validation import Invalid
from carcrm_tui.services.errors import NotAllowed, NotFound, Rejected, ServiceError
from carcrm_tui.services.import_rows import (  # noqa: F401 (RowProblem re-exported)
    CONTACT_FIELDS, RowProblem, RowReader, _instant, _text, catalog_text,
)
from carcrm_tui.services.session import Session
from carcrm_tui.services.sheet_files import Limits, SheetError, open_sheet  # noqa: F401 (SheetError re-exported)
from carcrm_tui.store.bulk import Inserter
from carcrm_tui.store.fields import utc_text
from carcrm_tui.store.models import (
    Customer, CustomerTag, FollowUp, ImportBatch, ImportChange, Lead, TestDrive, Vehicle, database,
)

CHUNK_ROWS = 500  # rows per transaction at most: ~0.1 s of writing on a quiet machine
LOCK_TARGET = 0.25  # seconds a chunk may hold the write lock; on a busy machine chunks shrink to keep to it
CHUNK_PAUSE = 0.005  # seconds between chunks, for a terminal waiting to save
STALE_SECONDS = 60  # a running batch whose last chunk is older than this has died


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    contacts: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rejected_rows: list[tuple[int, list]] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    unknown_words: Counter = field(default_factory=Counter)  # (column, word) -> rows
    mapping: dict[str, str] = field(default_factory=dict)  # header -> field
    unknown_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    new_vehicles: list[str] = field(default_factory=list)
    unassigned: dict[str, list[int]] = field(default_factory=dict)  # consultant as typed -> rows
    owner_name: str = ""  # who holds the unassigned customers
    no_schedule: int = 0  # won rows without a delivery date: no after-sales schedule
    dry_run: bool = False
    encoding: str = ""
    sheet: str = ""
    header_row: int = 1
    batch_id: int | None = None
    status: str = ""  # complete | incomplete (dry runs: "")

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    def warn(self, row: int, column: str, error: Invalid) -> None:
        self.warnings.append(RowProblem(row, column, error))

    def summary(self) -> dict:
        """What the batch record keeps (JSON): enough to say later what this import did."""
        return {"unknown_words": [[c, w, n] for (c, w), n in self.unknown_words.most_common(200)],
                "new_vehicles": self.new_vehicles[:200], "unassigned": {k: v[:50] for k, v in self.unassigned.items()},
                "unknown_columns": self.unknown_columns, "owner": self.owner_name, "no_schedule": self.no_schedule,
                "encoding": self.encoding, "header_row": self.header_row}


class ImportNotAllowed(NotAllowed):
    code = "import_managers_only"


def require_importer(session: Session) -> None:
    """Imports are for managers and admins: a consultant's would reveal colleagues' customers by phone."""
    if not session.sees_everyone:
        raise ImportNotAllowed()


def limits_for(session: Session) -> Limits:
    p = session.policy
    mb = 1024 * 1024
    return Limits(max_file_bytes=p.import_max_file_mb * mb, max_rows=p.import_max_rows,
                  max_cell_chars=p.import_max_cell_chars, max_unzipped_bytes=p.import_max_unzipped_mb * mb)


def import_file(session: Session, path: str | Path, *, sheet_name: str | None = None,
                extra_map: dict[str, str] | None = None, on_duplicate: str = "update", dry_run: bool = False,
                progress: Callable[[int, int | None], None] | None = None, resume: int | None = None) -> ImportReport:
    """Import a CSV/XLSX/XLS file (see the module docstring); `resume` continues a stopped batch."""
    require_importer(session)
    path = Path(path)
    batch = None
    if resume is not None:
        batch = resumable(session, resume, path)
        sheet_name = sheet_name or batch.sheet or None
    opened = open_sheet(path, sheet_name, limits_for(session), lambda row: sheet.is_header(row, extra_map))
    importer = _Importer(session, opened.headers, extra_map, on_duplicate, dry_run, limits_for(session))
    importer.total = opened.total
    report = importer.report
    report.encoding, report.sheet, report.header_row = opened.encoding, opened.name, opened.header_row
    if dry_run:
        importer.run(opened.rows, progress)
        return report
    if batch is None:
        batch = _new_batch(session, path, opened.name)
    else:
        importer.resume_from(batch)
    importer.batch = batch
    report.batch_id = batch.id
    try:
        importer.run(opened.rows, progress)
    except BaseException as e:
        _mark(batch.id, "incomplete", session.now())
        if isinstance(e, SystemExit):
            raise
        done = ImportBatch.select(ImportBatch.rows_done).where(ImportBatch.id == batch.id).scalar() or 0
        reason = (e.code if isinstance(e, SheetError) else "ctrl+c" if isinstance(e, KeyboardInterrupt)
                  else f"{type(e).__name__}: {e}")
        raise ImportStopped(batch.id, done, str(reason), e) from e
    _finish(batch.id, report, session.now())
    return report


class ImportStopped(ServiceError):
    """An import that stopped half-way: its whole chunks are in, the batch is marked incomplete."""

    code = "import_stopped"

    def __init__(self, batch_id: int, rows_done: int, reason: str, cause: BaseException) -> None:
        super().__init__(reason)
        self.batch_id, self.rows_done, self.reason, self.cause = batch_id, rows_done, reason, cause


# ---- the batch record ---------------------------------------------------------------------
def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _new_batch(session: Session, path: Path, sheet_name: str) -> ImportBatch:
    now = session.now()
    digest = _file_hash(path) if path.is_file() else ""
    with database.atomic():
        return ImportBatch.create(actor=session.actor.id, started_at=now, updated_at=now, file_name=str(path)[:255],
                                  file_hash=digest, sheet=sheet_name[:64], status="running")


def _mark(batch_id: int, status: str, now) -> None:
    try:
        with database.atomic():
            ImportBatch.update(status=status, updated_at=now).where(
                (ImportBatch.id == batch_id) & (ImportBatch.status == "running")).execute()
    except Exception:  # the database itself may be what failed; the batch then shows as stale
        pass


def _finish(batch_id: int, report: ImportReport, now) -> None:
    with database.atomic():
        ImportBatch.update(status="complete", finished_at=now, updated_at=now,
                           summary=json.dumps(report.summary(), ensure_ascii=False)).where(
            ImportBatch.id == batch_id).execute()
    report.status = "complete"


def resumable(session: Session, batch_id: int, path: Path) -> ImportBatch:
    batch = ImportBatch.get_or_none(ImportBatch.id == batch_id)
    if batch is None:
        raise NotFound(batch_id)
    if batch.status not in ("running", "incomplete") or (
            batch.status == "running" and (session.now() - batch.updated_at).total_seconds() < STALE_SECONDS):
        raise Rejected("batch_not_resumable", batch=batch_id, status=batch.status)
    if not path.is_file() or (batch.file_hash and _file_hash(path) != batch.file_hash):
        raise Rejected("batch_other_file", batch=batch_id, file=batch.file_name)
    with database.atomic():
        ImportBatch.update(status="running", updated_at=session.now()).where(ImportBatch.id == batch_id).execute()
    return batch


# ---- one row's values ---------------------------------------------------------------------
@lru_cache(maxsize=1 << 16)
def _pinyin(name: str) -> str:
    return pinyin_keys(name)


# ---- the import itself ----------------------------------------------------------------------
class _Importer:
    def __init__(self, session: Session, headers: list[str], extra_map, on_duplicate: str, dry_run: bool,
                 limits: Limits) -> None:
        self.session = session
        self.policy = session.policy
        self.showroom = session.home_showroom  # a group's showroom imports its own sheet
        self.on_duplicate = on_duplicate
        self.dry = dry_run
        self.limits = limits
        self.now = session.now()
        self.now_text = utc_text(self.now)
        self.today = self.now.in_timezone(self.policy.tz).date()
        mapping, unknown, ignored = sheet.match_headers(headers, extra_map)
        fields = set(mapping.values())
        if "name" not in fields and "phone" not in fields:
            raise SheetError("missing_column", field="name / phone")
        self.mapping = mapping
        self.column = {f: str(headers[i]).strip() for i, f in mapping.items()}
        self.report = ImportReport(mapping={str(headers[i]).strip(): f for i, f in mapping.items()},
                                   unknown_columns=unknown, ignored_columns=ignored,
                                   headers=[str(h) for h in headers], dry_run=dry_run,
                                   owner_name=session.actor.name)
        is_log = bool(fields & {"contact_at", "summary", "contact_channel"})
        self.reader = RowReader(session, mapping, self.column, self.report, limits, is_log)
        self.vocab = self.reader.vocab
        self.vehicles = {}  # normalised name -> id (None: ambiguous)
        self.brands: set[str] = set()
        self._load_vehicles()
        self.batch: ImportBatch | None = None
        self.seen: dict[str, int] = {}  # phone digits (or "name:…" without a phone) -> customer id, this batch
        self.own_customers: set[int] = set()  # created by this batch
        self.leads: dict[int, dict] = {}  # lead id -> what this batch knows of it (open follow-up, contacts)
        self.pending: dict[str, list] = {"customer": [], "lead": [], "followup": [], "drive": [], "tag": [],
                                         "change": [], "audit": []}
        self.sqlite = isinstance(database.obj, SqliteDatabase)
        self.next_id: dict[str, int] = {}
        self.unflushed: set[int] = set()  # customers of this chunk not written yet
        self.pending_next: list[dict] = []  # lead states whose open follow-up waits in `pending`
        self._cadences: dict = {}

    # ---- vehicles ---------------------------------------------------------------------------
    def _load_vehicles(self) -> None:
        self.prices: dict[int, int] = {}
        for v in Vehicle.select(Vehicle.id, Vehicle.brand, Vehicle.series, Vehicle.model, Vehicle.guide_price):
            self._index_vehicle(v.id, v.brand, v.series, v.model)
            self.prices[v.id] = v.guide_price

    def _index_vehicle(self, vid: int, brand: str, series: str, model: str) -> None:
        self.brands.add(brand.lower())
        for key in {_norm(f"{brand} {series} {model}"), _norm(f"{brand} {series}"), _norm(f"{series} {model}"),
                    _norm(series), _norm(f"{brand}{series}")}:
            if not key:
                continue
            if key in self.vehicles and self.vehicles[key] != vid:
                self.vehicles[key] = None  # two models answer to this name
            else:
                self.vehicles[key] = vid

    def vehicle(self, text: str, brand_hint: str, n: int, column: str) -> int | None:
        """The catalogue entry a sheet names; one it lacks is added, marked as from the import."""
        key = _norm(text)
        if not key:
            return None
        if key in self.vehicles:
            vid = self.vehicles[key]
            if vid is None:
                self.report.warn(n, column, Invalid("vehicle_ambiguous", value=text))
            return vid
        partial = {vid for name, vid in self.vehicles.items() if vid and len(name) >= 2
                   and (name in key or key in name) and not name.isdigit()}
        if len(partial) == 1:
            vid = partial.pop()
            self.vehicles[key] = vid
            return vid
        brand, series = brand_hint, " ".join(text.split())
        first, _, rest = series.partition(" ")
        if not brand and rest and first.lower() in self.brands:
            brand, series = first, rest
        elif brand and series.lower().startswith(brand.lower() + " "):
            series = series[len(brand) + 1:]
        series = series[:64]
        label = f"{brand} {series}".strip()
        if self.dry:
            vid = -(len(self.report.new_vehicles) + 1)
        else:
            existing = Vehicle.get_or_none((Vehicle.brand == brand[:64]) & (Vehicle.series == series)
                                           & (Vehicle.model == ""))
            if existing is not None:
                vid = existing.id
            else:
                vid = _NEW_VEHICLE(brand=brand[:64], series=series, model="", guide_price=0, origin="import")
                self._change("vehicle", vid, "create")
                self.pending["audit"].append((self.session.actor.id, self.now_text, "import", "vehicle", vid, None,
                                              "vehicle", "", label))
        if vid is not None and vid > 0 or self.dry:
            self.report.new_vehicles.append(label)
        self.vehicles[key] = vid
        self._index_vehicle(vid, brand, series, "")
        return vid

    # ---- running ----------------------------------------------------------------------------
    def resume_from(self, batch: ImportBatch) -> None:
        """Carry on a stopped batch: its counts, its customers, and its clock (undo compares against it)."""
        self.now = batch.started_at
        self.now_text = utc_text(self.now)
        r = self.report
        self.skip_to = batch.rows_done
        r.rows, r.created, r.updated, r.skipped = batch.rows, batch.created, batch.updated, batch.skipped
        r.contacts = batch.contacts
        for cid, digits in (Customer.select(Customer.id, Customer.phone_digits)
                            .join(ImportChange, on=((ImportChange.entity_id == Customer.id)
                                                    & (ImportChange.entity == "customer")))
                            .where((ImportChange.batch == batch.id) & (ImportChange.action == "create")).tuples()):
            self.own_customers.add(cid)
            if digits:
                self.seen[digits] = cid

    skip_to = 0
    total: int | None = None
    locked_for = 0.0  # how long the last chunk held the write lock (s)

    def run(self, rows: Iterable[tuple[int, list]], progress: Callable[[int, int | None], None] | None) -> None:
        chunk: list[tuple[int, list]] = []
        size = CHUNK_ROWS
        for n, cells in rows:
            if n <= self.skip_to:
                continue
            chunk.append((n, cells))
            if len(chunk) >= size:
                self._chunk(chunk)
                chunk = []
                # another terminal's save waits for at most one chunk: keep each under LOCK_TARGET
                if self.locked_for > LOCK_TARGET:
                    size = max(20, int(size * LOCK_TARGET / self.locked_for))
                elif self.locked_for < LOCK_TARGET / 2:
                    size = min(CHUNK_ROWS, size * 2)
                if progress:
                    progress(self.report.rows, self.total)
                if not self.dry:
                    time.sleep(CHUNK_PAUSE)  # a terminal waiting to save takes its turn here
        if chunk:
            self._chunk(chunk)
        if progress:
            progress(self.report.rows, self.total)

    def _chunk(self, chunk: list[tuple[int, list]]) -> None:
        parsed = []
        for n, cells in chunk:  # parsing needs no lock: done before the transaction
            values, errors = self.reader.parse(n, cells)
            parsed.append((n, cells, values, errors))
            if not errors and "continues" not in values:
                self.reader.previous = {"phone": values.get("phone"), "name": values["name"]}
        if self.dry:  # reads only: no transaction, no write lock
            self._prefetch([v for _n, _c, v, e in parsed if not e])
            for item in parsed:
                self._row(*item)
            return
        started = time.monotonic()
        with database.atomic():
            if self.sqlite:  # under the write lock, new rows take the next ids: inserted many at a time
                for table, model in (("customer", Customer), ("lead", Lead)):
                    self.next_id[table] = (model.select(fn.MAX(model.id)).scalar() or 0) + 1
            self._prefetch([v for _n, _c, v, e in parsed if not e])
            for item in parsed:
                self._row(*item)
            self._flush()
            r = self.report
            ImportBatch.update(rows_done=chunk[-1][0], rows=r.rows, created=r.created, updated=r.updated,
                               skipped=r.skipped, rejected=r.rejected, contacts=r.contacts,
                               warnings=len(r.warnings), updated_at=self.session.now()).where(
                ImportBatch.id == self.batch.id).execute()
        self.locked_for = time.monotonic() - started

    def _prefetch(self, values: list[dict]) -> None:
        """The chunk's known phones in two indexed queries instead of two per row."""
        digits = [v["phone"].digits for v in values if v.get("phone") and v["phone"].digits not in self.seen]
        if not digits:
            return
        found: dict[str, int] = {}
        db = database.obj
        marks = ", ".join([db.param] * len(digits))
        for column in ("phone_digits", "phone2_digits"):  # a main phone wins over a backup
            # The phone index, always: a showroom_id term would draw SQLite's planner to the showroom's
            # index (every customer of a one-showroom site), and ANALYZE's figures for phone2 — nearly
            # all empty — make it scan the table (53 ms a chunk at 100,000 customers, not 0.3 ms).
            # The showroom is checked here (one record per showroom); no ORDER BY for the same reason.
            hint = f" INDEXED BY customer_{column}" if isinstance(db, SqliteDatabase) else ""
            rows = db.execute_sql(f"SELECT id, {column}, showroom_id FROM customer{hint} WHERE {column} IN ({marks})",
                                  digits).fetchall()
            matches: dict[str, int] = {}
            for cid, d, showroom in rows:
                if showroom == self.showroom:
                    matches[d] = min(cid, matches.get(d, cid))
            for d, cid in matches.items():
                found.setdefault(d, cid)
        self.seen.update(found)

    def _row(self, n: int, cells: list, v: dict, errors: dict[str, Invalid]) -> None:
        r = self.report
        r.rows += 1
        if errors:
            r.problems += [RowProblem(n, self.column.get(f, f), e) for f, e in errors.items()]
            r.rejected_rows.append((n, list(cells)))
            return
        if "continues" in v:
            v["phone"], v["name"] = v["continues"]["phone"], v["continues"]["name"]
        key = v["phone"].digits if v.get("phone") else f"name:{v['name']}"
        customer_id = self.seen.get(key)
        if customer_id in self.unflushed:
            self._flush()  # a second row of a customer this chunk created: write the first one now
        if customer_id is None and not v.get("phone") and not self.dry:
            customer_id = (Customer.select(Customer.id).where((Customer.name == v["name"])
                                                              & (Customer.phone_digits == "")
                                                              & (Customer.showroom == self.showroom))
                           .order_by(Customer.id).scalar())
        if customer_id is None:
            self.seen[key] = self._create(v) if not self.dry else self._dry_create(v)
            r.created += 1
            return
        if self.on_duplicate == "skip" and customer_id not in self.own_customers and customer_id != -1:
            r.skipped += 1
            return
        if self.dry:
            changed = self._dry_update(v) if customer_id == -1 else self._would_change(customer_id, v)
        else:
            changed = self._update(customer_id, v)
        if changed:
            r.updated += 1
        else:
            r.unchanged += 1

    # ---- writing ----------------------------------------------------------------------------
    def _owner(self, v: dict) -> int:
        if v.get("owner"):
            return v["owner"]
        if v.get("owner_unknown"):
            self.report.unassigned.setdefault(v["owner_unknown"], []).append(v["row"])
        return self.session.actor.id

    def _status(self, v: dict) -> str:
        status = v.get("status", "")
        if not status:
            if v.get("delivered_on") or v.get("deal_price") or v.get("deal_vehicle"):
                status = "won"
            elif v.get("lost_reason") or v.get("lost_competitor"):
                status = "lost"
        return status or "open"

    def _insert(self, table: str, values: dict) -> int:
        """A new customer or lead: given the next id and written with its chunk (SQLite), or at once."""
        if not self.sqlite:
            return (_NEW_CUSTOMER if table == "customer" else _NEW_LEAD)(**values)
        values["id"] = new_id = self.next_id[table]
        self.next_id[table] += 1
        self.pending[table].append((_CUSTOMER_ROW if table == "customer" else _LEAD_ROW).params(values))
        return new_id

    def _create(self, v: dict) -> int:
        owner = self._owner(v)
        now, actor = self.now_text, self.session.actor.id
        phone, phone2 = v.get("phone"), v.get("phone2")
        status = self._status(v)
        won, lost = status == "won", status == "lost"
        delivered = v.get("delivered_on") or (v.get("order_delivery") if won else None)
        ordered = v.get("ordered_on") or v.get("order_delivery")
        # a won lead makes an owner and a lost one a lost customer, as in the app, whatever the sheet's type says
        customer_type = "owner" if won else "lost" if lost else v.get("customer_type") or "prospect"
        cid = self._insert("customer", dict(
            name=v["name"], name_pinyin=_pinyin(v["name"]), gender=v.get("gender", ""),
            age_range=v.get("age_range", ""), phone=phone.e164 if phone else "", phone_digits=phone.digits if phone else "",
            phone2=phone2.e164 if phone2 else "", phone2_digits=phone2.digits if phone2 else "",
            wechat=v.get("wechat", ""), qq=v.get("qq", ""), email=v.get("email", ""), source=v.get("source", ""),
            customer_type=customer_type, birthday=v.get("birthday"), do_not_contact=v.get("do_not_contact", False),
            notes=v.get("notes", ""), owner=owner, showroom=self.showroom, created_at=now, updated_at=now,
            updated_by=actor,
        ))
        self.own_customers.add(cid)
        self.unflushed.add(cid)
        self._change("customer", cid, "create")
        self.pending["audit"].append((actor, now, "import", "customer", cid, cid, "", "", f"#{self.batch.id}"))
        for tag in v.get("tags", ()):
            self.pending["tag"].append((cid, tag))
        brand_hint = _single_brand(v.get("brands", ""))
        vehicle = self.vehicle(v["deal_vehicle"], brand_hint, v["row"], self.column["deal_vehicle"]) \
            if won and v.get("deal_vehicle") else None
        if vehicle is None and v.get("vehicle"):
            vehicle = self.vehicle(v["vehicle"], brand_hint, v["row"], self.column["vehicle"])
        budget = v.get("budget") or (None, None)
        grade = v.get("grade") or grade_for_urgency(v.get("urgency"), self.policy)
        stage = v.get("stage") or ("delivery" if won else "order" if status == "ordered" else "new")
        if status == "ordered":
            status, grade = "open", ("O" if "O" in self.policy.grades else grade)
        first = v.get("first_contact")
        contact = v.get("contact_at")
        created = _instant(first, None, self.policy) if first else (contact or self.now)
        closed = None
        if won:
            closed = _instant(delivered, None, self.policy) if delivered else (contact or self.now)
        elif lost or status == "dormant":
            closed = contact or self.now
        price = self._vehicle_price(vehicle)
        lead = self._insert("lead", dict(
            customer=cid, owner=owner, showroom=self.showroom, grade=grade, stage=stage, status=status,
            vehicle=vehicle if vehicle and vehicle > 0 else None,
            budget_min=budget[0], budget_max=budget[1], focus_points=v.get("focus_points", ""), use=v.get("use", ""),
            urgency=v.get("urgency", ""), expected_purchase_date=v.get("expected_purchase_date"),
            purchase_window=v.get("purchase_window", ""), competitor_models=v.get("competitor_models", ""),
            decision_maker=v.get("decision_maker", ""), objections=v.get("objections", ""),
            brands=v.get("brands", ""), configuration=v.get("configuration", ""), colour=v.get("colour", ""),
            models_seen=v.get("models_seen", ""), materials=v.get("materials", ""),
            deal_configuration=v.get("deal_configuration", ""), deal_colour=v.get("deal_colour", ""),
            deal_price=v.get("deal_price"), ordered_at=_instant(ordered, None, self.policy) if ordered else None,
            delivered_on=delivered if won else None,
            insurance_until=add_years(delivered, 1) if won and delivered else None,
            lost_reason=v.get("lost_reason", "") or ("competitor" if lost and v.get("lost_competitor") else ""),
            lost_competitor=v.get("lost_competitor", "") if lost else "",
            sheet_notes="\n".join(v["notes_kept"]),
            expected_value=v.get("deal_price") or expected_value(price, budget[1]),
            created_at=_text(created), stage_changed_at=_text(created), last_contact_at=_text(contact),
            first_response_at=_text(contact),
            closed_at=closed, updated_at=now, updated_by=actor,
        ))
        state = self.leads[lead] = {"open": None, "latest": None, "keys": set(), "grade": grade, "owner": owner,
                                    "status": status, "customer": cid, "new": True}
        self._contacts(lead, state, v, customer_id=cid)
        if won:
            self._after_sales(lead, owner, delivered, v)
        return cid

    def _vehicle_price(self, vid: int | None) -> int | None:
        return self.prices.get(vid) or None if vid else None

    def _contacts(self, lead: int, state: dict, v: dict, *, customer_id: int) -> bool:
        """The row's contact, test drive, after-sales call and next follow-up on `lead`. True if any was added."""
        added = False
        owner = v.get("contact_owner") or state["owner"]
        contact = v.get("contact_at")
        summary, feedback = v.get("summary", ""), v.get("feedback", "")
        attitude = v.get("attitude", "")
        if not attitude and feedback:  # 客户反馈与态度 holding just the attitude: 积极, 犹豫 …
            code, known = sheet.word("attitude", feedback, self.vocab.labels["attitude"])
            attitude = code if known else ""
        if summary or feedback or (v.get("contact_channel") and contact):  # a date alone is not a contact
            when = contact or self.now
            key = ("c", utc_text(when) if contact else "", summary, feedback)
            if not self._known_contact(lead, state, key, summary, feedback, when if contact else None):
                self._followup(state, lead=lead, owner=owner, channel=v.get("contact_channel") or "phone",
                               due_at=_text(when), done_at=_text(when), summary=summary, feedback=feedback,
                               attitude=attitude,
                               outcome="reached", next_step=v.get("next_step", ""))
                state["keys"].add(key)
                self.report.contacts += 1
                added = True
                if contact and (state.get("last") is None or contact > state["last"]):
                    state["last"] = contact
        if v.get("drive_feedback"):
            added |= self._test_drive(lead, state, v, owner)
        if v.get("aftersales_log"):
            when = contact or self.now
            key = ("a", v["aftersales_log"])
            if not self._known_contact(lead, state, key, v["aftersales_log"], "", None):
                self._followup(state, lead=lead, owner=owner, channel="phone", due_at=when, done_at=when,
                               summary=v["aftersales_log"], outcome="reached", purpose="after_sales")
                state["keys"].add(key)
                added = True
        if v.get("maintenance") and v["maintenance"] > self.today:
            when = _instant(v["maintenance"], None, self.policy)
            key = ("m", utc_text(when))
            if not self._known_contact(lead, state, key, "", "", None, due=when, purpose="maintenance"):
                self._followup(state, lead=lead, owner=state["owner"], channel="phone", due_at=when,
                               purpose="maintenance")
                state["keys"].add(key)
                added = True
        added |= self._next(lead, state, v)
        return added

    def _known_contact(self, lead: int, state: dict, key: tuple, summary: str, feedback: str, done_at,
                       *, due=None, purpose: str = "") -> bool:
        """Importing the same log again logs nothing twice."""
        if key in state["keys"]:
            return True
        if state.get("new"):  # a lead this batch created knows all its contacts in memory
            return False
        q = FollowUp.select(FollowUp.id).where(FollowUp.lead == lead)
        if due is not None:
            q = q.where((FollowUp.due_at == due) & (FollowUp.purpose == purpose))
        else:
            q = q.where((FollowUp.summary == summary) & (FollowUp.feedback == feedback) & FollowUp.done_at.is_null(False))
            if done_at is not None:
                q = q.where(FollowUp.done_at == done_at)
        found = q.exists()
        if found:
            state["keys"].add(key)
        return found

    def _test_drive(self, lead: int, state: dict, v: dict, owner: int) -> bool:
        key = ("d", v["drive_feedback"])
        if key in state["keys"] or (not state.get("new") and TestDrive.select().where(
                (TestDrive.lead == lead) & (TestDrive.feedback == v["drive_feedback"])).exists()):
            return False
        vid = None
        seen = v.get("models_seen") or v.get("vehicle")
        if seen and len([p for p in sheet.SPLIT.split(seen) if p.strip()]) == 1:
            col = self.column["models_seen" if v.get("models_seen") else "vehicle"]
            vid = self.vehicle(seen, _single_brand(v.get("brands", "")), v["row"], col)
        when = v.get("contact_at") or (_instant(v["first_contact"], None, self.policy) if v.get("first_contact")
                                       else self.now)
        drive = dict(lead=lead, vehicle=vid if vid and vid > 0 else None, at=when, route="",
                     feedback=v["drive_feedback"], consultant=owner, created_at=self.now)
        if state.get("new"):
            self.pending["drive"].append(_NEW_DRIVE.params(drive))
        else:
            self._change("test_drive", _NEW_DRIVE(**drive), "create")
        state["keys"].add(key)
        return True

    def _next(self, lead: int, state: dict, v: dict) -> bool:
        """The open follow-up: the latest row's next date (or the grade's cadence from its contact)."""
        if state["status"] != "open":
            return False
        contact = v.get("contact_at")
        latest = state.get("latest")
        if latest is not None and contact is not None and contact < latest:
            return False  # an older row of the log: its next date has passed already
        if contact is not None:
            state["latest"] = contact
        planned = state["open"] is not None or state.get("next") is not None or state.get("next_written")
        if v.get("next_date"):
            due = _instant(v["next_date"], None, self.policy)
        elif not planned or contact is not None:
            due = self._cadence(state["grade"], contact)
        else:
            return False
        step = v.get("next_step", "")
        if state.get("next") is not None:  # still waiting in this chunk's rows
            state["next"].update(due_at=due, summary=step)
            return True
        if state.get("next_written") and state["open"] is None:  # written with an earlier chunk
            state["open"] = (FollowUp.select(FollowUp.id).where(
                (FollowUp.lead == lead) & FollowUp.done_at.is_null() & (FollowUp.purpose == "")
                & (FollowUp.created_at == self.now)).order_by(FollowUp.id.desc()).scalar())
        if state["open"] is not None:
            FollowUp.update(due_at=due, summary=step).where(FollowUp.id == state["open"]).execute()
            return True
        if state.get("app_open"):  # a follow-up a consultant planned in the app stays as they planned it
            return False
        values = dict(lead=lead, owner=state["owner"], channel="phone", due_at=due, summary=step, created_at=self.now)
        if state.get("new"):
            state["next"] = values
            self.pending["followup"].append(values)
            self.pending_next.append(state)
        else:
            state["open"] = _NEW_FOLLOWUP(**values)
            self._change("followup", state["open"], "create")
        return True

    def _cadence(self, grade: str, contact) -> pendulum.DateTime:
        key = (grade, contact)
        if key not in self._cadences:
            self._cadences[key] = next_due(grade, contact or self.now, self.policy)
        return self._cadences[key]

    def _followup(self, state: dict, **values) -> None:
        """A follow-up on a lead: batched for the batch's own leads, journaled one by one on others."""
        values["created_at"] = self.now
        if state.get("new"):
            self.pending["followup"].append(values)
        else:
            self._change("followup", _NEW_FOLLOWUP(**values), "create")

    def _after_sales(self, lead: int, owner: int, delivered: dt.date | None, v: dict) -> None:
        """As a delivery in the app: the after-sales schedule, from today on (older dates have passed)."""
        if delivered is None:
            self.report.no_schedule += 1
            return
        plan = after_sales_plan(delivered, v.get("birthday"), add_years(delivered, 1), v.get("do_not_contact", False),
                                self.policy)
        replaced = {"maintenance"} if v.get("maintenance") else set()
        state = self.leads[lead]
        for p in plan:
            if p.due_at > self.now and p.purpose not in replaced:
                self._followup(state, lead=lead, owner=owner, channel=p.channel, due_at=p.due_at, purpose=p.purpose)

    def _update(self, cid: int, v: dict) -> bool:
        """Fill in what the sheet says; a blank cell never erases what the CRM knows."""
        own = cid in self.own_customers
        c = Customer.get_by_id(cid)
        changes: dict = {}
        for f in CUSTOMER_COPIED:
            if v.get(f) not in (None, "") and getattr(c, f) != v[f] and not _outcome_decides(self, f, v):
                changes[f] = v[f]
        if v.get("name") and v["name"] != c.name and "continues" not in v and not v["name"].startswith(
                catalog_text("import.unnamed", last4="")):
            changes.update(name=v["name"], name_pinyin=_pinyin(v["name"]))
        if v.get("phone2") and v["phone2"].digits not in (c.phone2_digits, c.phone_digits):
            changes.update(phone2=v["phone2"].e164, phone2_digits=v["phone2"].digits)
        if v.get("do_not_contact") and not c.do_not_contact:
            changes["do_not_contact"] = True
        changed = False
        if changes:
            if not own:
                self._change("customer", cid, "update", c, changes, c.version + 1)
                self.pending["audit"] += _audit_rows(self.session.actor.id, self.now_text, "customer", cid, cid, c,
                                                     changes)
            Customer.update({**changes, "updated_at": self.now, "updated_by": self.session.actor.id,
                             "version": Customer.version + 1}).where(Customer.id == cid).execute()
            changed = True
        known_tags = {t for (t,) in CustomerTag.select(CustomerTag.tag).where(CustomerTag.customer == cid).tuples()}
        for tag in v.get("tags", ()):
            if tag not in known_tags:
                tid = _NEW_TAG(customer=cid, tag=tag)
                if tid and not own:
                    self._change("tag", tid, "create")
                changed = True
        lead = Lead.select().where(Lead.customer == cid).order_by(Lead.id.desc()).first()
        if lead is None:
            grade = v.get("grade") or grade_for_urgency(v.get("urgency"), self.policy)
            values = dict(customer=cid, owner=c.owner_id, showroom=c.showroom_id, grade=grade, stage="new",
                          status="open", created_at=self.now, stage_changed_at=self.now, updated_at=self.now_text,
                          updated_by=self.session.actor.id)
            if self.sqlite:  # written now (read back below), with the next of the ids this chunk gives out
                values["id"] = lid = self.next_id["lead"]
                self.next_id["lead"] += 1
                _LEAD_ROW(**values)
            else:
                lid = _NEW_LEAD(**values)
            self._change("lead", lid, "create")
            lead = Lead.get_by_id(lid)
            self.leads[lid] = {"open": None, "latest": None, "keys": set(), "grade": grade, "owner": lead.owner_id,
                               "status": "open", "customer": cid, "new": True}
        return self._update_lead(lead, v, own) or changed

    def _update_lead(self, lead: Lead, v: dict, own: bool) -> bool:
        state = self.leads.get(lead.id)
        if state is None:
            has_open = FollowUp.select().where((FollowUp.lead == lead.id) & FollowUp.done_at.is_null()
                                               & (FollowUp.purpose == "")).exists()
            state = self.leads[lead.id] = {"open": None, "latest": lead.last_contact_at, "keys": set(),
                                           "grade": lead.grade, "owner": lead.owner_id, "status": lead.status,
                                           "customer": lead.customer_id, "app_open": has_open,
                                           "last": lead.last_contact_at}
        changes: dict = {}
        for f in ("urgency", "use", "decision_maker", "competitor_models", "objections", "focus_points",
                  "expected_purchase_date", "purchase_window", "grade", "brands", "configuration", "colour",
                  "models_seen", "materials"):
            if v.get(f) not in (None, "") and getattr(lead, f) != v[f]:
                changes[f] = v[f]
        if v.get("budget") and v["budget"] != (None, None) and (lead.budget_min, lead.budget_max) != v["budget"]:
            changes.update(budget_min=v["budget"][0], budget_max=v["budget"][1])
        brand_hint = _single_brand(v.get("brands", "") or lead.brands)
        if v.get("vehicle") and not (self._status(v) == "won" and v.get("deal_vehicle")):
            vid = self.vehicle(v["vehicle"], brand_hint, v["row"], self.column["vehicle"])
            if vid and vid > 0 and lead.vehicle_id != vid:
                changes["vehicle"] = vid
        kept = [line for line in v["notes_kept"] if line not in lead.sheet_notes.split("\n")]
        if kept:
            changes["sheet_notes"] = "\n".join(filter(None, [lead.sheet_notes, *kept]))
        says = ("status", "delivered_on", "order_delivery", "lost_reason", "lost_competitor", "deal_price",
                "deal_vehicle")
        status = self._status(v) if any(v.get(f) for f in says) else ""
        won = False
        if status in ("won", "lost", "dormant") and lead.status == "open":
            changes.update(self._closing(lead, v, status, brand_hint))
            won = status == "won"
        elif status == "won" and lead.status == "won":
            for f in ("deal_price", "deal_configuration", "deal_colour"):
                if v.get(f) not in (None, "") and getattr(lead, f) != v[f]:
                    changes[f] = v[f]
        elif status == "lost" and lead.status == "lost":
            for f in ("lost_reason", "lost_competitor"):
                if v.get(f) and getattr(lead, f) != v[f]:
                    changes[f] = v[f]
        contact = v.get("contact_at")
        if contact and (lead.last_contact_at is None or contact > lead.last_contact_at):
            changes["last_contact_at"] = contact
            if lead.first_response_at is None:
                changes["first_response_at"] = contact
        if state.get("new") or lead.customer_id in self.own_customers:
            if contact and lead.created_at and contact < lead.created_at and not v.get("first_contact"):
                changes.update(created_at=contact, stage_changed_at=contact)
        changed = False
        if changes:
            quiet = own or state.get("new")
            if not quiet:
                self._change("lead", lead.id, "update", lead, changes, lead.version + 1)
                self.pending["audit"] += _audit_rows(self.session.actor.id, self.now_text, "lead", lead.id,
                                                     lead.customer_id, lead, changes)
            Lead.update({**changes, "updated_at": self.now, "updated_by": self.session.actor.id,
                         "version": Lead.version + 1}).where(Lead.id == lead.id).execute()
            for k in ("grade", "status"):
                if k in changes:
                    state[k] = changes[k]
            changed = True
        if won:
            delivered = changes.get("delivered_on")
            self._after_sales(lead.id, lead.owner_id, delivered, v)
        return self._contacts(lead.id, state, v, customer_id=lead.customer_id) or changed

    def _closing(self, lead: Lead, v: dict, status: str, brand_hint: str) -> dict:
        """An open lead the sheet says was won or lost: closed as the app would close it."""
        contact = v.get("contact_at")
        changes: dict = {"status": status}
        for f in FollowUp.select().where((FollowUp.lead == lead.id) & FollowUp.done_at.is_null()):
            if not (lead.customer_id in self.own_customers):
                self._change("followup", f.id, "update", f, {"done_at": None, "outcome": f.outcome}, None)
        FollowUp.update(done_at=self.now, outcome=status).where(
            (FollowUp.lead == lead.id) & FollowUp.done_at.is_null()).execute()
        state = self.leads[lead.id]
        state["open"] = None
        if status == "won":
            delivered = v.get("delivered_on") or v.get("order_delivery")
            ordered = v.get("ordered_on") or v.get("order_delivery")
            changes.update(stage="delivery", closed_at=_instant(delivered, None, self.policy) if delivered
                           else (contact or self.now), delivered_on=delivered,
                           insurance_until=add_years(delivered, 1) if delivered else None)
            if ordered and lead.ordered_at is None:
                changes["ordered_at"] = _instant(ordered, None, self.policy)
            for f in ("deal_price", "deal_configuration", "deal_colour"):
                if v.get(f) not in (None, ""):
                    changes[f] = v[f]
            if v.get("deal_price"):
                changes["expected_value"] = v["deal_price"]
            if v.get("deal_vehicle"):
                vid = self.vehicle(v["deal_vehicle"], brand_hint, v["row"], self.column["deal_vehicle"])
                if vid and vid > 0:
                    changes["vehicle"] = vid
            self._customer_type(lead.customer_id, "owner")
        else:
            changes["closed_at"] = contact or self.now
            if status == "lost":
                changes["lost_reason"] = v.get("lost_reason", "") or ("competitor" if v.get("lost_competitor") else "")
                changes["lost_competitor"] = v.get("lost_competitor", "")
                others = Lead.select().where((Lead.customer == lead.customer_id) & (Lead.status == "open")
                                             & (Lead.id != lead.id)).exists()
                if not others:
                    self._customer_type(lead.customer_id, "lost")
        return changes

    def _customer_type(self, cid: int, kind: str) -> None:
        c = Customer.get_by_id(cid)
        if c.customer_type == kind:
            return
        if cid not in self.own_customers:
            self._change("customer", cid, "update", c, {"customer_type": kind}, c.version + 1)
        Customer.update(customer_type=kind, updated_at=self.now, version=Customer.version + 1).where(
            Customer.id == cid).execute()

    def _dry_create(self, v: dict) -> int:
        """What a dry run learns from a new customer's row: catalogue additions, consultants, contacts."""
        self._owner(v)
        brand = _single_brand(v.get("brands", ""))
        for f in ("deal_vehicle", "vehicle"):
            if v.get(f):
                self.vehicle(v[f], brand, v["row"], self.column[f])
        if any(v.get(f) for f in ("summary", "feedback", "contact_at", "contact_channel")):
            self.report.contacts += 1
        return -1

    def _would_change(self, cid: int, v: dict) -> bool:
        """A dry run's row for a known customer: would it change anything? (reads only)"""
        c = Customer.get_by_id(cid)
        for f in CUSTOMER_COPIED:
            if v.get(f) not in (None, "") and getattr(c, f) != v[f] and not _outcome_decides(self, f, v):
                return True
        if v.get("tags") and set(v["tags"]) - {t for (t,) in CustomerTag.select(CustomerTag.tag)
                                               .where(CustomerTag.customer == cid).tuples()}:
            return True
        lead = Lead.select().where(Lead.customer == cid).order_by(Lead.id.desc()).first()
        if lead is None:
            return True
        for f in ("urgency", "use", "decision_maker", "competitor_models", "objections", "focus_points",
                  "expected_purchase_date", "grade", "brands", "configuration", "colour", "models_seen", "materials"):
            if v.get(f) not in (None, "") and getattr(lead, f) != v[f]:
                return True
        if v.get("budget") and (lead.budget_min, lead.budget_max) != v["budget"]:
            return True
        summary, feedback = v.get("summary", ""), v.get("feedback", "")
        if summary or feedback:
            state = {"keys": set()}
            key = ("c", "", summary, feedback)
            if not self._known_contact(lead.id, state, key, summary, feedback, v.get("contact_at")):
                self.report.contacts += 1
                return True
        return False

    def _dry_update(self, v: dict) -> bool:
        """A dry run's later row for a customer an earlier row would create: it would add its contact."""
        if any(v.get(f) for f in CONTACT_FIELDS + ("contact_at",)):
            self.report.contacts += 1
            return True
        return False

    # ---- journal and deferred inserts -------------------------------------------------------
    def _change(self, entity: str, entity_id: int, action: str, row=None, changes: dict | None = None,
                version: int | None = None) -> None:
        before = ""
        if row is not None and changes:
            fields = type(row)._meta.fields
            before = json.dumps({name: _jsonable(fields[name].db_value(getattr(row, fields[name].name)))
                                 for name in changes if name in fields}, ensure_ascii=False)
        self.pending["change"].append((self.batch.id, entity, entity_id, action, before, version))

    def _flush(self) -> None:
        """Write what the chunk's rows gathered, parents before children."""
        p = self.pending
        _CUSTOMER_ROW.many(p["customer"])
        _LEAD_ROW.many(p["lead"])
        if p["followup"]:
            _FOLLOWUP_ROW.many([_FOLLOWUP_ROW.params(r) for r in p["followup"]])
        _NEW_DRIVE.many(p["drive"])
        if p["tag"]:
            _executemany('INSERT OR IGNORE INTO "customer_tag" ("customer_id", "tag") VALUES (?, ?)',
                         'INSERT INTO "customer_tag" ("customer_id", "tag") VALUES (%s, %s) ON CONFLICT DO NOTHING',
                         p["tag"])
        if p["change"]:
            _executemany('INSERT INTO "import_change" ("batch_id", "entity", "entity_id", "action", "before", '
                         '"version") VALUES (?, ?, ?, ?, ?, ?)', None, p["change"])
        if p["audit"]:
            _executemany('INSERT INTO "audit_log" ("actor_id", "at", "action", "entity", "entity_id", "customer_id", '
                         '"field", "old", "new") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', None, p["audit"])
        for k in p:
            p[k] = []
        for state in self.pending_next:
            state["next"], state["next_written"] = None, True
        self.pending_next = []
        self.unflushed.clear()


CUSTOMER_COPIED = ("gender", "age_range", "wechat", "qq", "email", "source", "customer_type", "birthday", "notes")


def _outcome_decides(importer: _Importer, f: str, v: dict) -> bool:
    """A won or lost row makes an owner or a lost customer: the sheet's 客户类型 does not undo that."""
    return f == "customer_type" and importer._status(v) in ("won", "lost")


def _norm(text: str) -> str:
    return sheet.simplified(" ".join(str(text or "").lower().split()))


def _single_brand(brands: str) -> str:
    parts = [p.strip() for p in sheet.SPLIT.split(brands or "") if p.strip()]
    return parts[0][:64] if len(parts) == 1 else ""


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
    return value


def _audit_rows(actor: int, at: str, entity: str, entity_id: int, customer_id: int, row, changes: dict) -> list:
    from carcrm_tui.services.audit import _text, diff

    return [(actor, at, "import", entity, entity_id, customer_id, f, _text(old), _text(new))
            for f, (old, new) in diff(row, changes).items() if f not in ("deal_price",)]


def _executemany(sqlite_sql: str, postgres_sql: str | None, rows: list) -> None:
    from peewee import SqliteDatabase

    if isinstance(database.obj, SqliteDatabase):
        database.cursor().executemany(sqlite_sql, rows)
    else:
        database.cursor().executemany(postgres_sql or sqlite_sql.replace("?", "%s"), rows)


# prepared inserts: peewee's per-insert SQL building would dominate a 10,000-row sheet
_NEW_CUSTOMER = Inserter(Customer, tuple(f for f in Customer._meta.sorted_field_names if f != "id"))
_NEW_LEAD = Inserter(Lead, tuple(f for f in Lead._meta.sorted_field_names if f != "id"))
_NEW_FOLLOWUP = Inserter(FollowUp, tuple(f for f in FollowUp._meta.sorted_field_names if f != "id"))
_NEW_TAG = Inserter(CustomerTag, ("customer", "tag"), ignore_conflicts=True)
_NEW_DRIVE = Inserter(TestDrive, ("lead", "vehicle", "at", "route", "feedback", "consultant", "created_at"))
_NEW_VEHICLE = Inserter(Vehicle, ("brand", "series", "model", "guide_price", "origin", "retired"))
# the same with the id given (SQLite, under the chunk's write lock), for executemany
_CUSTOMER_ROW = Inserter(Customer, tuple(Customer._meta.sorted_field_names))
_LEAD_ROW = Inserter(Lead, tuple(Lead._meta.sorted_field_names))
_FOLLOWUP_ROW = Inserter(FollowUp, ("lead", "owner", "channel", "due_at", "done_at", "summary", "feedback", "attitude",
                                    "outcome", "purpose", "next_step", "created_at"))


# ---- the error file -------------------------------------------------------------------------
def write_errors(report: ImportReport, path: str | Path, describe: Callable[[RowProblem], str]) -> Path:
    """The rejected rows as the user sent them, plus why: fix and import this file again.

    Formula-safe like exports (a cell starting with = + - @ stays text in Excel;
    the import reads it back as typed), written to a temporary file and renamed,
    so a full disk never leaves a truncated file under the final name.
    """
    import csv
    import os

    from carcrm_tui.services.exporting import _xlsx_safe

    path = Path(path)
    reasons: dict[int, list[str]] = {}
    for p in report.problems:
        reasons.setdefault(p.row, []).append(describe(p))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*(_xlsx_safe(h) for h in report.headers), "行号 / row", "错误 / errors"])
            width = len(report.headers)
            for n, row in report.rejected_rows:
                cells = [("" if c is None else c) for c in row] + [""] * (width - len(row))
                writer.writerow([*(_xlsx_safe(c) for c in cells[:width]), n, _xlsx_safe("; ".join(reasons.get(n, [])))])
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
