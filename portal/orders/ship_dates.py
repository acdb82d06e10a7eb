"""The date an order should ship by, as its quote promised: the longest lead time of its parts in
Russian working days from the day it was placed. Missed while the order is not shipped yet.

When that date cannot be kept, staff promise a new one (`OrderService.promise_ship_by`): it is
the order's ship-by date from then on, everywhere, and the date it replaced stays beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from portal.db.orders import Order
from portal.quotes.services import ship_by

NOT_SHIPPED = ("submitted", "in_review", "awaiting_payment", "in_production")


def quoted_ship_by(order: Order) -> date | None:
    """None while no part has a lead time (all wait for a manual price)."""
    days = [line.lead_time_days for line in order.lines if line.lead_time_days is not None]
    if not days:
        return None
    placed = (order.created_at or datetime.now(UTC)).astimezone().date()
    return ship_by(placed, max(days))


def order_ship_by(order: Order) -> date | None:
    """The date staff promised last, else the quote's."""
    return order.promised_ship_by or quoted_ship_by(order)


def ship_by_missed(order: Order, today: date | None = None) -> bool:
    due = order_ship_by(order)
    return due is not None and order.status in NOT_SHIPPED and (today or date.today()) > due


TEMPLATE_GLOBALS = {"order_ship_by": order_ship_by, "ship_by_missed": ship_by_missed, "parse_date": date.fromisoformat}
