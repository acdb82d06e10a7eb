"""The orders domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide

from portal.orders.cart import CartService
from portal.orders.payments import PaymentService, ShipmentService
from portal.orders.services import NotificationService, OrderService

DUPLICATE = "This order was placed already."

provide_orders = create_service_provider(
    OrderService, error_messages={"duplicate_key": DUPLICATE, "integrity": DUPLICATE}
)
provide_notices = create_service_provider(NotificationService)


dependencies = {
    "orders": Provide(provide_orders),
    "notices": Provide(provide_notices),
    "cart": Provide(create_service_provider(CartService)),
    "payments": Provide(create_service_provider(PaymentService)),
    "shipments": Provide(create_service_provider(ShipmentService)),
}
