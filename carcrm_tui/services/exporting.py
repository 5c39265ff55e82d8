"""Exporting customers, leads or follow-ups to CSV or XLSX — only what the acting
account may see, with the headers the import reads (a round trip loses nothing:
lost reasons and competitors, the deal, the sheet's own fields). The deal
price and the deal's dates go out only to those who may see them
(customers.deal_price_visible). CSV is UTF-8 with a BOM so Excel opens
Chinese correctly."""

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

CUSTOMER_COLUMNS = ("name", "phone", "phone2", "gender", "age_range", "wechat", "qq", "email", "source",
                    "customer_type", "tags", "birthday", "do_not_contact", "notes", "owner", "grade", "stage",
                    "status", "vehicle", "brands", "configuration", "colour", "budget", "urgency",
                    "expected_purchase_date", "use", "focus_points", "competitor_models", "models_seen", "materials",
                    "decision_maker", "objections", "lost_reason", "lost_competitor", "deal_configuration",
                    "deal_colour", "deal_price", "ordered_on", "delivered_on", "first_contact", "next_followup")
LEAD_COLUMNS = ("name", "phone", "owner", "grade", "stage", "status", "vehicle", "brands", "budget", "urgency",
                "expected_purchase_date", "use", "focus_points", "competitor_models", "decision_maker", "objections",
                "lost_reason", "lost_competitor", "deal_configuration", "deal_colour", "deal_price", "ordered_on",
                "delivered_on", "first_contact")
# a follow-up log the import reads back: done contacts with their time, planned calls as next dates
FOLLOWUP_COLUMNS = ("name", "phone", "contact_channel", "contact_at", "summary", "feedback", "attitude", "next_step",
                    "next_followup", "contact_owner")
PAGE = 2000


def _national(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


def _date(value) -> str:
    return value.isoformat() if value else ""


def _local_day(instant, session: Session) -> str:
    return instant.in_timezone(session.policy.tz).date().isoformat() if instant else ""


def customer_rows(session: Session, lang: str) -> tuple[list[str], Iterator[list]]:
    return _headers(CUSTOMER_COLUMNS, lang), _rows(session, lang, CUSTOMER_COLUMNS, newest_only=True)


def lead_rows(session: Session, lang: str) -> tuple[list[str], Iterator[list]]:
    """One row per lead: stage, grade, status, lost reason and competitor, the deal (where visible)."""
    return _headers(LEAD_COLUMNS, lang), _rows(session, lang, LEAD_COLUMNS, newest_only=False)


def _headers(columns: tuple[str, ...], lang: str) -> list[str]:
    return [EXPORT_HEADERS[lang].get(c, c) for c in columns]


def _rows(session: Session, lang: str, columns: tuple[str, ...], *, newest_only: bool) -> Iterator[list]:
    from carcrm_tui.services.customers import deal_price_visible

    previous = language()
    owners = {a.id: a.name for a in Account.select(Account.id, Account.name)}
    vehicles = {v.id: " ".join(p for p in (v.brand, v.series, v.model) if p) for v in Vehicle.select()}
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
            leads: dict[int, list[Lead]] = {}
            for lead in Lead.select().where(Lead.customer.in_(ids) & lead_filter(session)).order_by(Lead.id):
                leads.setdefault(lead.customer_id, []).append(lead)
            nexts = {}
            lead_ids = [lead.id for group in leads.values() for lead in group]
            if lead_ids:
                for f in (FollowUp.select(FollowUp.lead, FollowUp.due_at)
                          .where(FollowUp.lead.in_(lead_ids) & FollowUp.done_at.is_null() & (FollowUp.purpose == ""))
                          .order_by(FollowUp.due_at.desc())):
                    nexts[f.lead_id] = f.due_at
            for c in page:
                group = leads.get(c.id, [])
                chosen = group[-1:] if newest_only else group  # the customer sheet: the newest lead
                if not chosen and newest_only:
                    chosen = [None]
                for lead in chosen:
                    deal = lead is not None and deal_price_visible(session, lead)
                    cells = _cells(c, lead, deal, tags.get(c.id, []), owners, vehicles, nexts, session)
                    yield [cells.get(col, "") for col in columns]
            last_id = ids[-1]
    finally:
        set_language(previous)


def _cells(c: Customer, lead: Lead | None, deal: bool, tags: list[str], owners, vehicles, nexts,
           session: Session) -> dict:
    out = {
        "name": c.name, "phone": _national(c.phone), "phone2": _national(c.phone2), "gender": label("gender", c.gender),
        "age_range": c.age_range, "wechat": c.wechat, "qq": c.qq, "email": c.email, "source": label("source", c.source),
        "customer_type": label("ctype", c.customer_type), "tags": "、".join(tags), "birthday": _date(c.birthday),
        "do_not_contact": label("yesno", "yes") if c.do_not_contact else "", "notes": c.notes,
        "owner": owners.get(c.owner_id, ""),
    }
    if lead is None:
        return out
    out.update({
        "owner": owners.get(lead.owner_id, ""), "grade": lead.grade, "stage": label("stage", lead.stage),
        "status": label("status", lead.status), "vehicle": vehicles.get(lead.vehicle_id, ""), "brands": lead.brands,
        "configuration": lead.configuration, "colour": lead.colour,
        "budget": format_budget(lead.budget_min, lead.budget_max), "urgency": label("urgency", lead.urgency),
        "expected_purchase_date": _date(lead.expected_purchase_date) or lead.purchase_window,
        "use": label("use", lead.use),
        "focus_points": "、".join(label("focus", p) for p in lead.focus_points.split(",") if p),
        "competitor_models": lead.competitor_models, "models_seen": lead.models_seen,
        "materials": "、".join(label("material", p) for p in lead.materials.split(",") if p),
        "decision_maker": label("decider", lead.decision_maker), "objections": lead.objections,
        "lost_reason": label("lost", lead.lost_reason) if lead.status == "lost" else "",
        "lost_competitor": lead.lost_competitor if lead.status == "lost" else "",
        "first_contact": _local_day(lead.created_at, session), "next_followup": _local_day(nexts.get(lead.id), session),
    })
    if deal:  # 成交价格 and the deal's dates: the owning consultant and managers only
        out.update({"deal_price": lead.deal_price or "", "deal_configuration": lead.deal_configuration,
                    "deal_colour": lead.deal_colour, "ordered_on": _local_day(lead.ordered_at, session),
                    "delivered_on": _date(lead.delivered_on)})
    return out


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
                    planned = f.done_at is None
                    yield [c.name, _national(c.phone), label("channel", f.channel) if not planned else "",
                           _local(f.done_at, session), f.summary if not planned else "", f.feedback,
                           label("attitude", f.attitude), f.next_step if not planned else f.summary,
                           _local(f.due_at, session) if planned and not f.purpose else "", owners.get(f.owner_id, "")]
                last_id = page[-1].id
        finally:
            set_language(previous)

    return _headers(FOLLOWUP_COLUMNS, lang), rows()


def _local(instant, session: Session) -> str:
    return instant.in_timezone(session.policy.tz).format("YYYY-MM-DD HH:mm") if instant else ""


def export(session: Session, path: str | Path, what: str = "customers", lang: str = "zh") -> int:
    """Write the file; returns the number of rows. The format follows the file's suffix."""
    path = Path(path)
    headers, rows = {"customers": customer_rows, "leads": lead_rows, "followups": followup_rows}[what](session, lang)
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
