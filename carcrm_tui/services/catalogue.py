"""The vehicle catalogue (brand, series, model, guide price)."""

from __future__ import annotations

from carcrm_tui.services.views import VehicleView
from carcrm_tui.store.models import Vehicle


def vehicle_view(v: Vehicle | None) -> VehicleView | None:
    if v is None:
        return None
    return VehicleView(v.id, v.brand, v.series, v.model, v.guide_price)


def list_vehicles() -> list[VehicleView]:
    q = Vehicle.select().order_by(Vehicle.brand, Vehicle.series, Vehicle.guide_price)
    return [vehicle_view(v) for v in q]


def series() -> list[str]:
    """The vehicle series on offer, for the board's filter."""
    return [name for (name,) in Vehicle.select(Vehicle.series).distinct().order_by(Vehicle.series).tuples()]
