"""The orders domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.datastructures import State
from litestar.di import Provide

from portal.orders.services import NotificationService, OrderService
from portal.orders.storage import LocalDocumentStorage

DUPLICATE = "This order was placed already."

provide_orders = create_service_provider(
    OrderService, error_messages={"duplicate_key": DUPLICATE, "integrity": DUPLICATE}
)
provide_notices = create_service_provider(NotificationService)


def provide_documents(state: State) -> LocalDocumentStorage:
    return state.documents


dependencies = {
    "orders": Provide(provide_orders),
    "notices": Provide(provide_notices),
    "documents": Provide(provide_documents, sync_to_thread=False),
}
