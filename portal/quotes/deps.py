"""The quotes domain's providers, declared once; `create_app()` merges `dependencies`."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.datastructures import State
from litestar.di import Provide

from portal.quotes.panels import FileQuotes
from portal.quotes.reviews import ReviewService
from portal.quotes.services import QuoteService, RateCardService


def provide_quote_service(state: State) -> QuoteService:
    return state.quotes


def provide_file_quotes(state: State) -> FileQuotes:
    return state.file_quotes


dependencies = {
    "rate_cards": create_service_provider(RateCardService),
    "reviews": create_service_provider(ReviewService),
    "quotes": Provide(provide_quote_service, sync_to_thread=False),
    "file_quotes": Provide(provide_file_quotes, sync_to_thread=False),
}
