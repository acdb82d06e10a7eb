"""The order's statuses and the only moves between them.

    submitted → in_review → awaiting_payment → in_production → shipped → completed
        └───────────┴──────────────┴──→ cancelled   (before production only)
"""

from __future__ import annotations

from portal.core.i18n import N_

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("in_review", "cancelled"),
    "in_review": ("awaiting_payment", "cancelled"),
    "awaiting_payment": ("in_production", "cancelled"),
    "in_production": ("shipped",),
    "shipped": ("completed",),
    "completed": (),
    "cancelled": (),
}
CANCELLABLE = tuple(status for status, moves in TRANSITIONS.items() if "cancelled" in moves)
PRICE_EDITABLE = ("submitted", "in_review")  # prices are settled before the order awaits payment
FINAL = ("completed", "cancelled")

STATUS_NAMES = {
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "awaiting_payment": N_("Awaiting payment"),
    "in_production": N_("In production"),
    "shipped": N_("Shipped"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}


def allowed(current: str, wanted: str) -> bool:
    return wanted in TRANSITIONS.get(current, ())
