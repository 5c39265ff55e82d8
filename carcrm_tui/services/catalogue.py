"""The vehicle catalogue (brand, series, model, guide price): kept by managers, audited.

A new site fills it from the maker's price list (`import_catalogue`), or one
model at a time. A model a customer sheet names but the catalogue lacks is
added by the import, marked "from import" with no price; when the price list
later brings that series, the placeholder becomes the real entry, so the leads
that name it keep their vehicle. A retired model stays on the leads that name
it and is offered to no new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from carcrm_tui.domain.validation import Invalid, clean_text
from carcrm_tui.services import audit
from carcrm_tui.services.errors import NotAllowed, NotFound, Rejected, ValidationFailed
from carcrm_tui.services.session import Session
from carcrm_tui.services.views import VehicleView
from carcrm_tui.store.models import Vehicle, database


class CatalogueEntry(NamedTuple):
    id: int
    brand: str
    series: str
    model: str
    guide_price: int
    retired: bool
    from_import: bool

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.brand, self.series, self.model) if p)


class CatalogueReport(NamedTuple):
    added: int
    updated: int
    unchanged: int
    problems: list  # (row, column, Invalid)


class CatalogueNotAllowed(NotAllowed):
    code = "catalogue_managers_only"


def vehicle_view(v: Vehicle | None) -> VehicleView | None:
    if v is None:
        return None
    return VehicleView(v.id, v.brand, v.series, v.model, v.guide_price)


def list_vehicles() -> list[VehicleView]:
    """The models offered for new leads: retired ones are left out."""
    q = Vehicle.select().where(~Vehicle.retired).order_by(Vehicle.brand, Vehicle.series, Vehicle.guide_price)
    return [vehicle_view(v) for v in q]


def series() -> list[str]:
    """The vehicle series on offer, for the board's filter."""
    return [name for (name,) in Vehicle.select(Vehicle.series).distinct().order_by(Vehicle.series).tuples()]


def entries() -> list[CatalogueEntry]:
    """Everything, retired models and imported placeholders included (the catalogue screen, `catalogue list`)."""
    q = Vehicle.select().order_by(Vehicle.retired, Vehicle.brand, Vehicle.series, Vehicle.model)
    return [CatalogueEntry(v.id, v.brand, v.series, v.model, v.guide_price, bool(v.retired), v.origin == "import")
            for v in q]


def _require(session: Session) -> None:
    if not session.sees_everyone:
        raise CatalogueNotAllowed()


def _price(text) -> int:
    from carcrm_tui.domain import sheet  # (its patterns take ~6 ms to compile: not at every start)

    try:
        price = sheet.money(text)
    except Invalid:
        raise ValidationFailed({"price": Invalid("money_invalid", value=text)}) from None
    if not price:
        raise ValidationFailed({"price": Invalid("required", field="guide_price")})
    return price


def _names(brand: str, series_: str, model: str) -> tuple[str, str, str]:
    errors = {}
    out = []
    for name, value, required in (("brand", brand, False), ("series", series_, True), ("model", model, False)):
        try:
            out.append(clean_text(" ".join(str(value or "").split()), field=name, limit=64 if name != "model" else 128,
                                  required=required))
        except Invalid as e:
            errors[name] = e
    if errors:
        raise ValidationFailed(errors)
    return out[0], out[1], out[2]


def add(session: Session, brand: str, series_: str, model: str, price) -> CatalogueEntry:
    _require(session)
    brand, series_, model = _names(brand, series_, model)
    guide = _price(price)
    now = session.now()
    with database.atomic():
        found = Vehicle.get_or_none((Vehicle.brand == brand) & (Vehicle.series == series_) & (Vehicle.model == model))
        if found is not None:
            raise Rejected("vehicle_exists", label=" ".join(p for p in (brand, series_, model) if p))
        v = Vehicle.create(brand=brand, series=series_, model=model, guide_price=guide)
        audit.record(session.actor.id, now, "create", "vehicle", v.id, None,
                     {"vehicle": ("", f"{brand} {series_} {model}".strip()), "guide_price": ("", guide)})
    return _entry(v)


def set_price(session: Session, vehicle_id: int, price, seen: int) -> CatalogueEntry:
    """A new guide price; refused if someone changed the price since it was shown (`seen`)."""
    _require(session)
    guide = _price(price)
    with database.atomic():
        v = _get(vehicle_id)
        if v.guide_price != seen:
            raise Rejected("price_changed", price=v.guide_price)
        Vehicle.update(guide_price=guide).where(Vehicle.id == v.id).execute()
        audit.record(session.actor.id, session.now(), "update", "vehicle", v.id, None, {"guide_price": (seen, guide)})
    return _entry(_get(vehicle_id))


def set_retired(session: Session, vehicle_id: int, retired: bool) -> CatalogueEntry:
    _require(session)
    with database.atomic():
        v = _get(vehicle_id)
        if bool(v.retired) != retired:
            Vehicle.update(retired=retired).where(Vehicle.id == v.id).execute()
            audit.record(session.actor.id, session.now(), "update", "vehicle", v.id, None,
                         {"retired": (bool(v.retired), retired)})
    return _entry(_get(vehicle_id))


def _get(vehicle_id: int) -> Vehicle:
    v = Vehicle.get_or_none(Vehicle.id == vehicle_id)
    if v is None:
        raise NotFound(vehicle_id)
    return v


def _entry(v: Vehicle) -> CatalogueEntry:
    return CatalogueEntry(v.id, v.brand, v.series, v.model, v.guide_price, bool(v.retired), v.origin == "import")


def import_catalogue(session: Session, path: str | Path, sheet_name: str | None = None) -> CatalogueReport:
    """A price list (brand, series, model, guide price; Chinese or English headers) into the catalogue.

    Known models get the new price; new ones are added; a placeholder an import
    added for the same brand and series becomes the real model. One transaction:
    a price list is small.
    """
    from carcrm_tui.services.importing import limits_for
    from carcrm_tui.domain import sheet
    from carcrm_tui.services.sheet_files import open_sheet

    _require(session)
    opened = open_sheet(path, sheet_name, limits_for(session), is_header=sheet.is_catalogue_header)
    columns = sheet.match_catalogue(opened.headers)
    names = {f: opened.headers[i] for i, f in columns.items()}
    added = updated = unchanged = 0
    problems: list = []
    now = session.now()
    with database.atomic():
        for n, cells in opened.rows:
            cell = {f: (cells[i] if i < len(cells) else None) for i, f in columns.items()}
            try:
                brand, series_, model = _names(*(str(cell.get(f) or "") for f in ("brand", "series", "model")))
                guide = _price(cell.get("price"))
            except ValidationFailed as e:
                problems += [(n, names.get(k if k != "price" else "price", k), err) for k, err in e.errors.items()]
                continue
            v = Vehicle.get_or_none((Vehicle.brand == brand) & (Vehicle.series == series_) & (Vehicle.model == model))
            if v is None:
                v = (Vehicle.select().where((Vehicle.origin == "import") & (Vehicle.series == series_)
                                            & (Vehicle.model == "") & Vehicle.brand.in_([brand, ""])).first())
                if v is not None:  # the import's placeholder becomes this model
                    Vehicle.update(brand=brand, model=model, guide_price=guide, origin="").where(
                        Vehicle.id == v.id).execute()
                    audit.record(session.actor.id, now, "update", "vehicle", v.id, None,
                                 {"vehicle": (f"{v.brand} {v.series}".strip(), f"{brand} {series_} {model}".strip()),
                                  "guide_price": (v.guide_price, guide)})
                    updated += 1
                    continue
                v = Vehicle.create(brand=brand, series=series_, model=model, guide_price=guide)
                audit.record(session.actor.id, now, "create", "vehicle", v.id, None,
                             {"vehicle": ("", f"{brand} {series_} {model}".strip()), "guide_price": ("", guide)})
                added += 1
            elif v.guide_price != guide:
                Vehicle.update(guide_price=guide).where(Vehicle.id == v.id).execute()
                audit.record(session.actor.id, now, "update", "vehicle", v.id, None,
                             {"guide_price": (v.guide_price, guide)})
                updated += 1
            else:
                unchanged += 1
    return CatalogueReport(added, updated, unchanged, problems)
