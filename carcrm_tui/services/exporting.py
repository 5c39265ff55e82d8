"""Exporting customers, leads or follow-ups to CSV or XLSX — only what the acting
account may see, with the headers the import reads (a round trip loses nothing).
CSV is UTF-8 with a BOM so Excel opens Chinese correctly."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from carcrm_tui.domain.sheet import EXPORT_HEADERS
from carcrm_tui.files import whole
from carcrm_tui.services import audit
from carcrm_tui.domain.validation import format_budget
from carcrm_tui.i18n import label, set_language, language
from carcrm_tui.services.scope import customer_filter, lead_filter
from carcrm_tui.services.session import Session
from carcrm_tui.store.models import Account, Customer, CustomerTag, FollowUp, Lead, Vehicle, database

CUSTOMER_COLUMNS = ("name", "phone", "phone2", "gender", "age_range", "wechat", "email", "source", "customer_type",
                    "tags", "birthday", "do_not_contact", "notes", "owner", "grade", "stage", "status", "vehicle",
                    "budget", "urgency", "expected_purchase_date", "use", "focus_points", "competitor_models",
                    "decision_maker", "objections", "first_contact", "last_contact", "next_followup")
FOLLOWUP_COLUMNS = ("name", "phone", "channel", "due", "done", "summary", "feedback", "attitude", "outcome", "owner")
FOLLOWUP_HEADERS = {"zh": ("客户姓名", "联系电话", "跟进方式", "计划时间", "完成时间", "沟通内容摘要", "客户反馈", "客户态度",
                           "结果", "销售顾问"),
                    "en": ("name", "phone", "channel", "due", "done", "summary", "feedback", "attitude", "outcome",
                           "consultant")}
PAGE = 2000


def _national(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


def _date(value) -> str:
    return value.isoformat() if value else ""


def _local_day(instant, session: Session) -> str:
    return instant.in_timezone(session.policy.tz).date().isoformat() if instant else ""


def customer_rows(session: Session, lang: str) -> tuple[list[str], Iterator[list]]:
    headers = [EXPORT_HEADERS[lang][c] if c in EXPORT_HEADERS[lang] else c for c in CUSTOMER_COLUMNS]
    return headers, _customer_rows(session, lang)


def _customer_rows(session: Session, lang: str) -> Iterator[list]:
    previous = language()
    owners = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    vehicles = {v.id: f"{v.brand} {v.series} {v.model}" for v in Vehicle.select()}
    last_id = 0
    try:
        set_language(lang)
        while True:  # keyset pages: the whole table never sits in memory
            page = list(Customer.select().where(customer_filter(session) & (Customer.id > last_id))
                        .order_by(Customer.id).limit(PAGE))
            if not page:
                return
            ids = [c.id for c in page]
            tags: dict[int, list[str]] = {}
            for t in CustomerTag.select().where(CustomerTag.customer.in_(ids)).order_by(CustomerTag.id):
                tags.setdefault(t.customer_id, []).append(t.tag)
            leads: dict[int, Lead] = {}
            for lead in Lead.select().where(Lead.customer.in_(ids)).order_by(Lead.id):
                leads[lead.customer_id] = lead  # the newest lead per customer
            nexts = {}
            lead_ids = [lead.id for lead in leads.values()]
            if lead_ids:
                for f in (FollowUp.select(FollowUp.lead, FollowUp.due_at)
                          .where(FollowUp.lead.in_(lead_ids) & FollowUp.done_at.is_null() & (FollowUp.purpose == ""))
                          .order_by(FollowUp.due_at.desc())):
                    nexts[f.lead_id] = f.due_at
            for c in page:
                lead = leads.get(c.id)
                yield [
                    c.name, _national(c.phone), _national(c.phone2), label("gender", c.gender), c.age_range,
                    c.wechat, c.email, label("source", c.source), label("ctype", c.customer_type),
                    "、".join(tags.get(c.id, [])), _date(c.birthday),
                    label("yesno", "yes") if c.do_not_contact else "", c.notes, owners.get(c.owner_id, ""),
                    lead.grade if lead else "", label("stage", lead.stage) if lead else "",
                    label("status", lead.status) if lead else "",
                    vehicles.get(lead.vehicle_id, "") if lead else "",
                    format_budget(lead.budget_min, lead.budget_max) if lead else "",
                    label("urgency", lead.urgency) if lead else "", _date(lead.expected_purchase_date) if lead else "",
                    label("use", lead.use) if lead else "",
                    "、".join(label("focus", p) for p in lead.focus_points.split(",") if p) if lead else "",
                    lead.competitor_models if lead else "", label("decider", lead.decision_maker) if lead else "",
                    lead.objections if lead else "", _local_day(lead.created_at, session) if lead else "",
                    _local_day(lead.last_contact_at, session) if lead else "",
                    _local_day(nexts.get(lead.id), session) if lead else "",
                ]
            last_id = ids[-1]
    finally:
        set_language(previous)


def followup_rows(session: Session, lang: str) -> tuple[list[str], Iterator[list]]:
    def rows():
        owners = {a.id: a.name for a in Account.select(Account.id, Account.name)}
        previous = language()
        last_id = 0
        try:
            set_language(lang)
            while True:
                page = list(FollowUp.select(FollowUp, Lead, Customer).join(Lead).join(Customer)
                            .where(lead_filter(session) & (FollowUp.id > last_id)).order_by(FollowUp.id).limit(PAGE))
                if not page:
                    return
                for f in page:
                    c = f.lead.customer
                    yield [c.name, _national(c.phone), label("channel", f.channel), _local(f.due_at, session),
                           _local(f.done_at, session), f.summary, f.feedback, label("attitude", f.attitude),
                           label("outcome", f.outcome), owners.get(f.owner_id, "")]
                last_id = page[-1].id
        finally:
            set_language(previous)

    return list(FOLLOWUP_HEADERS[lang]), rows()


def _local(instant, session: Session) -> str:
    return instant.in_timezone(session.policy.tz).format("YYYY-MM-DD HH:mm") if instant else ""


def export(session: Session, path: str | Path, what: str = "customers", lang: str = "zh") -> int:
    """Write the file; returns the number of rows. The format follows the file's suffix."""
    path = Path(path)
    headers, rows = (customer_rows if what == "customers" else followup_rows)(session, lang)
    count = 0
    with whole(path) as tmp:  # a half-written export never takes the file's name, nor stays as .part
        if path.suffix.lower() == ".xlsx":
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet(what)
            sheet.append(headers)
            for row in rows:
                sheet.append([_xlsx_safe(_no_controls(v)) for v in row])
                count += 1
            book.save(tmp)
        else:
            with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(headers)
                for row in rows:
                    writer.writerow([_xlsx_safe(v) for v in row])  # Excel runs formulas from CSV too
                    count += 1
    with database.atomic():
        audit.record(session.actor.id, session.now(), "export", "file", None,
                     changes={"what": ("", what), "rows": ("", count), "file": ("", path.name)})
    return count


def _no_controls(value):
    """XLSX cannot store control characters: they become visible stand-ins (ESC → ␛), as on screen."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group(0))), value)


def _xlsx_safe(value):
    """Text that starts like a formula stays text in Excel (no formula injection); the
    import removes the apostrophe again, so a round trip changes nothing."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
