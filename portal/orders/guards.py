"""Who may see an order or a document: its customer and staff. Everyone else gets 404, as if it
did not exist (an id says nothing about whether the order is there)."""

from __future__ import annotations

from portal.core.guards import requires_login, requires_staff
from portal.db.models import Document, Order, User

__all__ = ["can_see_document", "can_see_order", "requires_login", "requires_staff"]


def can_see_order(order: Order | None, viewer: User) -> bool:
    return order is not None and (viewer.is_staff or order.customer_id == viewer.id)


def can_see_document(document: Document | None, viewer: User) -> bool:
    return document is not None and (viewer.is_staff or document.owner_id == viewer.id)
