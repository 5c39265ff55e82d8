"""Importing the dealer's spreadsheet: every valid row in, every bad row explained.

One transaction for the whole file: a crash half-way leaves the database as it
was, and `dry_run` rolls back after showing what would happen. Rows match
existing customers by normalised phone, so importing the same file twice
creates no duplicates. Values are read in Chinese or English — the sheet's
own words and the app's labels in both languages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from carcrm_tui.domain import sheet
from carcrm_tui.domain.grading import expected_value, grade_for_urgency
from carcrm_tui.domain.names import pinyin_keys
from carcrm_tui.domain.schedule import next_due, on_local_date
from carcrm_tui.domain.validation import Invalid, clean_text, parse_email, parse_phone
from carcrm_tui.i18n import catalog
from carcrm_tui.services import audit
from carcrm_tui.services.session import Session
from carcrm_tui.store.bulk import Inserter
from carcrm_tui.store.models import Account, Customer, CustomerTag, FollowUp, Lead, Vehicle, database
from carcrm_tui.store.queries import customer_by_phone

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then what Excel in China writes


class SheetError(Exception):
    """The file itself cannot be read (not a row's problem)."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class RowProblem:
    row: int  # 1-based line of the sheet, the header being row 1
    column: str  # the sheet's own header
    error: Invalid


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rejected_rows: list[tuple[int, list]] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # header -> field
    unknown_columns: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    dry_run: bool = False
    encoding: str = ""


# ---- reading ------------------------------------------------------------------------
def read_sheet(path: str | Path) -> tuple[list[str], Iterator[list], str]:
    path = Path(path)
    if not path.exists():
        raise SheetError("file_missing", path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if path.suffix.lower() in (".csv", ".txt", ""):
        return _read_csv(path)
    raise SheetError("file_type", path=str(path))


def _read_csv(path: Path) -> tuple[list[str], Iterator[list], str]:
    data = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("encoding", path=str(path))
    if encoding == "utf-8-sig":
        encoding = "utf-8-bom" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, None)
    if not headers:
        raise SheetError("empty", path=str(path))
    return [h.strip() for h in headers], reader, encoding


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[list], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise SheetError("xlsx_unreadable", path=str(path), detail=str(e)) from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    headers = next(rows, None)
    if not headers:
        raise SheetError("empty", path=str(path))
    return [str(h or "").strip() for h in headers], (list(r) for r in rows), "xlsx"


# ---- values ---------------------------------------------------------------------------
def _labels(kind: str) -> dict[str, str]:
    """The app's own labels (zh and en) for codes, so exported sheets import back."""
    out = {}
    for lang in ("zh", "en"):
        for key, text in catalog(lang).items():
            if key.startswith(kind + "."):
                out[text.lower()] = key.split(".", 1)[1]
    return out


class _Vocab:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.kinds = {"gender": "gender", "urgency": "urgency", "source": "source", "customer_type": "ctype",
                      "use": "use", "decision_maker": "decider", "status": "status", "stage": "stage"}
        self.labels = {f: _labels(k) for f, k in self.kinds.items()}
        self.focus_labels = _labels("focus")
        self.accounts = {a.name: a for a in Account.select().where(Account.active)}
        self.vehicles = list(Vehicle.select())

    def code(self, field: str, value) -> str:
        raw = str(value or "").strip()
        if not raw:
            return ""
        found = self.labels[field].get(raw.lower())
        if found:
            return found
        if field == "stage":
            if raw in self.session.policy.stages:
                return raw
            raise Invalid("unknown_word", value=raw)
        return sheet.word(field, raw)

    def focus(self, value) -> str:
        parts = [p for p in str(value or "").replace("，", ",").replace("、", ",").split(",") if p.strip()]
        return ",".join(dict.fromkeys(self.focus_labels.get(p.strip().lower()) or sheet.word("focus", p)
                                      for p in parts))

    def vehicle(self, value) -> Vehicle | None:
        raw = " ".join(str(value or "").split())
        if not raw:
            return None
        lowered = raw.lower()
        exact = [v for v in self.vehicles if lowered in (f"{v.brand} {v.series} {v.model}".lower(),
                                                         f"{v.brand} {v.series}".lower(), v.series.lower())]
        if exact:
            return exact[0]
        partial = [v for v in self.vehicles if v.series.lower() in lowered or lowered in v.series.lower()]
        if len(partial) == 1:
            return partial[0]
        raise Invalid("unknown_vehicle", value=raw)


def _row_values(session: Session, vocab: _Vocab, fields: dict[str, object], today: dt.date):
    """One row's cells → clean values; every problem is collected (field -> Invalid)."""
    out: dict = {}
    errors: dict[str, Invalid] = {}

    def take(name, fn):
        if name not in fields:
            return
        try:
            out[name] = fn(fields[name])
        except Invalid as e:
            errors[name] = e

    take("name", lambda v: clean_text(str(v or ""), field="name", limit=100, required=True))
    if "name" not in fields:
        errors["name"] = Invalid("required", field="name")
    take("phone", lambda v: parse_phone(_cell_text(v)))
    if "phone" not in fields:
        errors["phone"] = Invalid("phone_empty")
    take("phone2", lambda v: parse_phone(_cell_text(v)) if _cell_text(v) else None)
    take("email", lambda v: parse_email(str(v or "")))
    for name in ("gender", "urgency", "source", "customer_type", "use", "decision_maker", "status", "stage"):
        take(name, lambda v, n=name: vocab.code(n, v))
    take("grade", lambda v: sheet.grade(v, session.policy.grade_order) if str(v or "").strip() else "")
    take("vehicle", vocab.vehicle)
    take("budget", sheet.budget)
    take("focus_points", vocab.focus)
    for name in ("birthday", "expected_purchase_date", "first_contact", "last_contact", "next_followup"):
        take(name, lambda v: sheet.sheet_date(v, today))
    take("do_not_contact", lambda v: bool(sheet.word("yesno", str(v or "").strip().lower())))
    for name, limit in (("age_range", 16), ("wechat", 64), ("notes", 10_000), ("competitor_models", 2000),
                        ("objections", 2000), ("followup", 10_000), ("tags", 500)):
        take(name, lambda v, n=name, lim=limit: clean_text(str(v or ""), field=n, limit=lim))
    if "owner" in fields:
        owner = str(fields["owner"] or "").strip()
        if owner and owner not in vocab.accounts:
            errors["owner"] = Invalid("unknown_account", value=owner)
        elif owner:
            out["owner"] = vocab.accounts[owner].id
    if out.get("owner") and not session.sees_everyone and out["owner"] != session.actor.id:
        errors["owner"] = Invalid("not_yours_to_assign")
    if "phone" in out and "phone" not in errors and out.get("phone2") and out["phone2"].digits == out["phone"].digits:
        out["phone2"] = None
    return out, errors


def _unescape(value):
    """'=SUM(…) as exported (kept from becoming a formula) → =SUM(…) as typed."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as a number
    return str(value or "").strip()


# ---- importing ------------------------------------------------------------------------
def import_rows(session: Session, headers: list[str], rows: Iterable[list], *, extra_map: dict[str, str] | None = None,
                on_duplicate: str = "update", dry_run: bool = False,
                progress: Callable[[int], None] | None = None, encoding: str = "") -> ImportReport:
    mapping, unknown = sheet.match_headers(headers, extra_map)
    report = ImportReport(mapping={headers[i]: f for i, f in mapping.items()}, unknown_columns=unknown,
                          headers=list(headers), dry_run=dry_run, encoding=encoding)
    for wanted in ("name", "phone"):
        if wanted not in mapping.values():
            raise SheetError("missing_column", field=wanted)
    now = session.now()
    today = now.in_timezone(session.policy.tz).date()
    column_of = {f: headers[i] for i, f in mapping.items()}
    with database.atomic() as tx:
        vocab = _Vocab(session)
        for n, row in enumerate(rows, start=2):
            if not any(str(c or "").strip() for c in row):
                continue  # blank lines in a sheet are not rows
            report.rows += 1
            cells = {f: _unescape(row[i] if i < len(row) else None) for i, f in mapping.items()}
            values, errors = _row_values(session, vocab, cells, today)
            if not errors:
                try:
                    outcome = _apply(session, values, on_duplicate, now)
                except Invalid as e:
                    errors = {"phone": e}
            if errors:
                report.problems += [RowProblem(n, column_of.get(f, f), e) for f, e in errors.items()]
                report.rejected_rows.append((n, list(row)))
            else:
                setattr(report, outcome, getattr(report, outcome) + 1)
            if progress and report.rows % 200 == 0:
                progress(report.rows)
        if dry_run:
            tx.rollback()
    if progress:
        progress(report.rows)
    return report


def _apply(session: Session, v: dict, on_duplicate: str, now) -> str:
    """Create or update one customer (+ lead, tags, follow-ups). Returns created/updated/skipped."""
    phone = v["phone"]
    existing = customer_by_phone(phone.digits)
    actor = session.actor.id
    if existing is not None:
        if on_duplicate == "skip":
            return "skipped"
        if not session.sees_everyone and existing.owner_id != actor:
            raise Invalid("phone_other_owner", owner=Account.get_by_id(existing.owner_id).name)
        _update(session, existing, v, now)
        return "updated"
    owner = v.get("owner") or actor
    name = v["name"]
    customer = _NEW_CUSTOMER(
        name=name, name_pinyin=pinyin_keys(name), gender=v.get("gender", ""), age_range=v.get("age_range", ""),
        phone=phone.e164, phone_digits=phone.digits,
        phone2=v["phone2"].e164 if v.get("phone2") else "", phone2_digits=v["phone2"].digits if v.get("phone2") else "",
        wechat=v.get("wechat", ""), email=v.get("email", ""), source=v.get("source", ""),
        customer_type=v.get("customer_type") or "prospect", birthday=v.get("birthday"),
        do_not_contact=v.get("do_not_contact", False), notes=v.get("notes", ""), owner=owner,
        created_at=now, updated_at=now, updated_by=actor,
    )
    _tags(customer, v.get("tags", ""))
    vehicle = v.get("vehicle")
    budget = v.get("budget") or (None, None)
    grade = v.get("grade") or grade_for_urgency(v.get("urgency"), session.policy)
    status = v.get("status") or "open"
    stage = v.get("stage") or ("delivery" if status == "won" else "new")
    created = _instant(v.get("first_contact"), session) or now
    last = _instant(v.get("last_contact"), session)
    lead = _NEW_LEAD(
        customer=customer, owner=owner, grade=grade, stage=stage, status=status,
        vehicle=vehicle.id if vehicle else None, budget_min=budget[0], budget_max=budget[1],
        focus_points=v.get("focus_points", ""), use=v.get("use", ""), urgency=v.get("urgency", ""),
        expected_purchase_date=v.get("expected_purchase_date"), competitor_models=v.get("competitor_models", ""),
        decision_maker=v.get("decision_maker", ""), objections=v.get("objections", ""),
        expected_value=expected_value(vehicle.guide_price if vehicle else None, budget[1]),
        created_at=created, stage_changed_at=created, last_contact_at=last, first_response_at=last,
        closed_at=now if status != "open" else None, updated_at=now, updated_by=actor,
    )
    _followups(session, lead, owner, grade, status, v, last, now)
    audit.record(actor, now, "import", "customer", customer, customer, {"name": ("", name), "phone": ("", phone.e164)})
    return "created"


def _update(session: Session, c: Customer, v: dict, now) -> None:
    """Fill in what the sheet says; a blank cell never erases what the CRM knows."""
    changes = {}
    for name in ("gender", "age_range", "wechat", "email", "source", "customer_type", "birthday", "notes"):
        if v.get(name) not in (None, "") and getattr(c, name) != v[name]:
            changes[name] = v[name]
    if v.get("name") and v["name"] != c.name:
        changes.update(name=v["name"], name_pinyin=pinyin_keys(v["name"]))
    if v.get("phone2") and v["phone2"].digits != c.phone2_digits:
        changes.update(phone2=v["phone2"].e164, phone2_digits=v["phone2"].digits)
    if changes:
        audit.record(session.actor.id, now, "import", "customer", c.id, c.id, audit.diff(c, changes))
        Customer.update({**changes, "updated_at": now, "updated_by": session.actor.id,
                         "version": Customer.version + 1}).where(Customer.id == c.id).execute()
    _tags(c.id, v.get("tags", ""))
    lead = Lead.select().where(Lead.customer == c.id).order_by(Lead.id.desc()).first()
    if lead is None:
        return
    lead_changes = {}
    for name in ("urgency", "use", "decision_maker", "competitor_models", "objections", "focus_points",
                 "expected_purchase_date", "grade"):
        if v.get(name) not in (None, "") and getattr(lead, name) != v[name]:
            lead_changes[name] = v[name]
    if v.get("vehicle") and lead.vehicle_id != v["vehicle"].id:
        lead_changes["vehicle"] = v["vehicle"].id
    if v.get("budget") and v["budget"] != (None, None):
        lead_changes.update(budget_min=v["budget"][0], budget_max=v["budget"][1])
    if lead_changes:
        audit.record(session.actor.id, now, "import", "lead", lead.id, c.id, audit.diff(lead, lead_changes))
        Lead.update({**lead_changes, "updated_at": now, "updated_by": session.actor.id,
                     "version": Lead.version + 1}).where(Lead.id == lead.id).execute()
    if v.get("followup"):
        last = _instant(v.get("last_contact"), session) or now
        known = FollowUp.select().where((FollowUp.lead == lead.id) & (FollowUp.summary == v["followup"])).exists()
        if not known:  # importing the same sheet again logs nothing twice
            FollowUp.insert(lead=lead.id, owner=lead.owner_id, channel="phone", due_at=last, done_at=last,
                            summary=v["followup"], outcome="reached", created_at=now).execute()


def _tags(customer_id: int, text: str) -> None:
    for tag in [t.strip() for t in str(text or "").replace("，", ",").replace("、", ",").split(",") if t.strip()]:
        _NEW_TAG(customer=customer_id, tag=tag[:32])


def _instant(day: dt.date | None, session: Session):
    return on_local_date(day, 10, session.policy) if day else None


def _followups(session: Session, lead: int, owner: int, grade: str, status: str, v: dict, last, now) -> None:
    if v.get("followup"):
        when = last or now
        _NEW_FOLLOWUP(lead=lead, owner=owner, channel="phone", due_at=when, done_at=when, summary=v["followup"],
                      outcome="reached", created_at=now)
    if status != "open":
        return
    if v.get("next_followup"):
        due = on_local_date(v["next_followup"], 10, session.policy)
    else:
        due = next_due(grade, last or now, session.policy)
    _NEW_FOLLOWUP(lead=lead, owner=owner, channel="phone", due_at=due, created_at=now)


# prepared inserts: a 10,000-row sheet is 50,000 rows, and peewee's per-insert SQL building dominates
_NEW_CUSTOMER = Inserter(Customer, tuple(f for f in Customer._meta.sorted_field_names if f != "id"))
_NEW_LEAD = Inserter(Lead, tuple(f for f in Lead._meta.sorted_field_names if f != "id"))
_NEW_FOLLOWUP = Inserter(FollowUp, tuple(f for f in FollowUp._meta.sorted_field_names if f != "id"))
_NEW_TAG = Inserter(CustomerTag, ("customer", "tag"), ignore_conflicts=True)


def import_file(session: Session, path: str | Path, **kwargs) -> ImportReport:
    headers, rows, encoding = read_sheet(path)
    return import_rows(session, headers, rows, encoding=encoding, **kwargs)


def write_errors(report: ImportReport, path: str | Path, describe: Callable[[RowProblem], str]) -> Path:
    """The rejected rows as the user sent them, plus why: fix and import this file again."""
    path = Path(path)
    reasons: dict[int, list[str]] = {}
    for p in report.problems:
        reasons.setdefault(p.row, []).append(describe(p))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*report.headers, "错误 / errors"])
        for n, row in report.rejected_rows:
            cells = [("" if c is None else c) for c in row] + [""] * (len(report.headers) - len(row))
            writer.writerow([*cells[:len(report.headers)], "; ".join(reasons.get(n, []))])
    return path


