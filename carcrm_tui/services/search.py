"""Find a customer from whatever the caller has: phone digits, a name, pinyin, WeChat,
the car they want, a VIN or plate, or words from the notes.

Results are ranked — exact phone, phone digits, exact name, name, pinyin,
WeChat, vehicle/VIN, notes — each with why it matched, and only ever include
customers the acting account may see. Fragments of 3+ characters use the
trigram FTS index; shorter ones (two-character Chinese names, "zw") scan the
base table with instr(), which treats the user's text literally.
"""

from __future__ import annotations

import re

from peewee import fn

from carcrm_tui.domain.validation import mask_phone, phone_digits
from carcrm_tui.services.scope import customer_filter, lead_filter
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import CustomerHit
from carcrm_tui.store import search_index
from carcrm_tui.store.queries import customer_by_phone
from carcrm_tui.store.models import Account, Customer, CustomerPhone, FollowUp, Lead, Vehicle, database

MAX_QUERY = 64
PHONE_LIKE = re.compile(r"^[\d\s+\-()]+$")
LATIN = re.compile(r"^[a-zA-Z ]+$")
CJK = re.compile(r"[\u3400-\u9fff]")
RECENT_BOOK = 300  # leads whose notes a two-character word reads through, the last contacted first


def _phrase(text: str) -> str:
    """A literal FTS5 phrase: the user's quotes and operators are just characters."""
    return '"' + text.replace('"', '""') + '"'


def _like(text: str) -> str:
    """A LIKE pattern that matches `text` anywhere, the user's % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(field, text: str):
    """`text` anywhere in `field`: instr() on SQLite (short queries scan the small indexes); on
    PostgreSQL ILIKE, which its trigram indexes (pg_trgm) answer for 3+ characters. Shorter text
    has no trigram to look up, so the server scans too: strpos, case-sensitive like instr (the
    same answers as a file) and a third of ILIKE's cost per row (50 → 15 ms over 100,000 names)."""
    if search_index.available(database.obj):
        return fn.instr(field, text) > 0
    if len(text) < 3:
        return fn.strpos(field, text) > 0
    return field ** _like(text)


class _Hits:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: dict[int, tuple[int, str, str]] = {}

    def add(self, rank: int, matched: str, rows) -> None:
        for cid, snippet in rows:
            if cid not in self.found or rank < self.found[cid][0]:
                self.found[cid] = (rank, matched, snippet or "")

    @property
    def full(self) -> bool:
        return len(self.found) >= self.limit

    def room(self) -> int:
        return max(self.limit * 2, 40)


def search(session: Session, query: str, limit: int = 20) -> list[CustomerHit]:
    text = " ".join((query or "").split())[:MAX_QUERY]
    if not text:
        return []
    hits = _Hits(limit)
    fts = search_index.available(database.obj)
    scope = customer_filter(session)

    def customers(cond, rank: int, matched: str) -> None:
        rows = Customer.select(Customer.id).where(cond & scope).limit(hits.room()).tuples()
        hits.add(rank, matched, ((cid, "") for (cid,) in rows))

    def fts_customers(column: str, needle: str, rank: int, matched: str) -> None:
        where, scoped = _raw_scope(session, "c", "c")
        sql = (f"SELECT c.id FROM customer_fts JOIN customer c ON c.id = customer_fts.rowid "
               f"WHERE customer_fts MATCH ? {where} LIMIT ?")
        params = [f"{column} : {_phrase(needle)}", *scoped]
        rows = database.execute_sql(sql, (*params, hits.room())).fetchall()
        hits.add(rank, matched, ((cid, "") for (cid,) in rows))

    def substring(column: str, field, needle: str, rank: int, matched: str) -> None:
        if fts and len(needle) >= 3:
            fts_customers(column, needle, rank, matched)
        else:
            customers(_contains(field, needle), rank, matched)

    digits = phone_digits(text)
    if PHONE_LIKE.match(text) and len(digits) < 3:
        return []  # one or two digits match half the showroom: wait for the next key
    if PHONE_LIKE.match(text):
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        exact = customer_by_phone(digits, customer_filter(session))
        hits.add(0, "phone", [(exact.id, "")] if exact else [])
        if not hits.full:
            if fts:
                fts_customers("phones", digits, 1, "phone")
            else:  # the few extra numbers first: an IN (subquery) inside the OR hid the trigram indexes from
                   # the planner, which scanned 85,000 customers for "13800" (52 ms → under 1 ms)
                more = [c for (c,) in CustomerPhone.select(CustomerPhone.customer)
                        .where(_contains(CustomerPhone.digits, digits)).tuples()]
                cond = _contains(Customer.phone_digits, digits) | _contains(Customer.phone2_digits, digits)
                customers(cond | Customer.id.in_(more) if more else cond, 1, "phone")
        return _views(hits, limit)

    customers(Customer.name == text, 2, "name")
    if not hits.full:
        substring("name", Customer.name, text, 3, "name")
    if not hits.full and LATIN.match(text):
        substring("name_pinyin", Customer.name_pinyin, text.lower().replace(" ", ""), 4, "pinyin")
    if not hits.full and not CJK.search(text):  # WeChat ids are Latin letters and digits
        substring("wechat", Customer.wechat, text, 5, "wechat")
    if not hits.full:
        _vehicle_and_vin(session, text, hits)
    if not hits.full and len(text) >= 3:
        substring("notes", Customer.notes, text, 7, "note")
        if not hits.full:
            _followup_notes(session, text, hits, fts)
    elif not hits.full and len(text) == 2 and CJK.search(text) and not session.sees_everyone:
        _own_notes_read(session, text, hits)
    return _views(hits, limit)


def _own_notes_read(session: Session, text: str, hits: _Hits) -> None:
    """A two-character word (首付, 贷款) has no trigram to look up: a consultant's notes are read
    through instead — every customer's note, and the contacts of the RECENT_BOOK leads they
    contacted last (every lead of most books; a book of 8,000 leads and 138,000 contacts took
    ~145 ms a keystroke read whole). Three characters search every note through the index."""
    rows = (Customer.select(Customer.id, Customer.notes).where(customer_filter(session) & _contains(Customer.notes, text))
            .limit(hits.room()).tuples())
    hits.add(7, "note", rows)
    if hits.full:
        return
    recent = [lead for (lead,) in Lead.select(Lead.id).where(lead_filter(session) & Lead.last_contact_at.is_null(False))
              .order_by(Lead.last_contact_at.desc()).limit(RECENT_BOOK).tuples()]  # (owner, last contact) index
    rows = (FollowUp.select(Lead.customer, FollowUp.summary).join(Lead, on=(FollowUp.lead == Lead.id))
            .where(FollowUp.lead.in_(recent) & (_contains(FollowUp.summary, text) | _contains(FollowUp.feedback, text)))
            # newest first, but by `id + 0`: ordered by the key itself PostgreSQL walked every
            # contact newest first looking for these leads' (~180 ms for a rare word)
            .order_by((FollowUp.id + 0).desc()).limit(hits.room()).tuples()) if recent else []
    hits.add(7, "note", rows)


def _raw_scope(session: Session, owner_alias: str, showroom_alias: str) -> tuple[str, list]:
    """scope.customer_filter / lead_filter for hand-written SQL (the FTS joins): the same rule."""
    if not session.sees_everyone:
        return f"AND {owner_alias}.owner_id = ?", [session.actor.id]
    if session.scope_showroom is not None:
        return f"AND {showroom_alias}.showroom_id = ?", [session.scope_showroom]
    return "", []


def _vehicle_and_vin(session: Session, text: str, hits: _Hits) -> None:
    lead_scope = lead_filter(session)
    vehicles = [v for (v,) in Vehicle.select(Vehicle.id).where(
        _contains(Vehicle.series, text) | _contains(Vehicle.brand, text) | _contains(Vehicle.model, text)).tuples()]
    if vehicles:
        rows = (Lead.select(Lead.customer, Vehicle.series).join(Vehicle)
                .where(Lead.vehicle.in_(vehicles) & (Lead.status == "open") & lead_scope)
                .limit(hits.room()).tuples())
        hits.add(6, "vehicle", rows)
    if len(text) >= 3 and not hits.full:
        upper = text.upper()
        rows = (Lead.select(Lead.customer, Lead.vin).where(
            (_contains(Lead.vin, upper) | _contains(Lead.plate, upper)) & lead_scope).limit(hits.room()).tuples())
        hits.add(6, "vin", rows)


def _followup_notes(session: Session, text: str, hits: _Hits, fts: bool) -> None:
    """What was said in a contact (summary or feedback): the FTS index on SQLite, trigram-indexed
    ILIKE on PostgreSQL — the same rows either way, newest first. On SQLite, notes still queued
    for the index (store/search_index.py) are read as they are, and their index entries skipped."""
    if not fts:
        scope = lead_filter(session)
        pattern = _like(text)
        rows = (FollowUp.select(Lead.customer, FollowUp.summary).join(Lead, on=(FollowUp.lead == Lead.id))
                .where(((FollowUp.summary ** pattern) | (FollowUp.feedback ** pattern)) & scope)
                .order_by(FollowUp.id.desc()).limit(hits.room()).tuples())
        hits.add(7, "note", rows)
        return
    where, scoped = _raw_scope(session, "l", "l")
    like = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    sql = (f"SELECT customer_id, summary FROM ("
           f"SELECT l.customer_id, f.summary, f.id FROM followup_fts JOIN follow_up f ON f.id = followup_fts.rowid "
           f"JOIN lead l ON l.id = f.lead_id WHERE followup_fts MATCH ? {where} "
           f"AND f.id NOT IN (SELECT id FROM followup_fts_pending) "
           f"UNION ALL "
           f"SELECT l.customer_id, f.summary, f.id FROM followup_fts_pending p JOIN follow_up f ON f.id = p.id "
           f"JOIN lead l ON l.id = f.lead_id WHERE (f.summary LIKE ? ESCAPE '\\' OR f.feedback LIKE ? ESCAPE '\\') "
           f"{where}) ORDER BY id DESC LIMIT ?")
    params = (_phrase(text), *scoped, like, like, *scoped, hits.room())
    hits.add(7, "note", database.execute_sql(sql, params).fetchall())


def _views(hits: _Hits, limit: int) -> list[CustomerHit]:
    ranked = sorted(hits.found.items(), key=lambda kv: (kv[1][0], kv[0]))[:limit]
    if not ranked:
        return []
    ids = [cid for cid, _ in ranked]
    rows = {c.id: c for c in Customer.select(Customer.id, Customer.name, Customer.phone,
                                             Account.name.alias("owner_name"))
            .join(Account, on=(Customer.owner == Account.id)).where(Customer.id.in_(ids)).objects()}
    leads = _latest_leads(ids)
    out = []
    for cid, (_rank, matched, snippet) in ranked:
        c = rows[cid]
        grade, stage = leads.get(cid, ("", ""))
        out.append(CustomerHit(cid, c.name, mask_phone(c.phone), c.owner_name, grade, stage, matched, snippet))
    return out


def _latest_leads(customer_ids: list[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    q = Lead.select(Lead.customer, Lead.grade, Lead.stage, Lead.status).where(
        Lead.customer.in_(customer_ids)).order_by(Lead.id)
    for lead in q:
        if lead.status == "open" or lead.customer_id not in out:
            out[lead.customer_id] = (lead.grade, lead.stage if lead.status == "open" else lead.status)
    return out


