"""The company domain's providers, declared once; create_app() registers them for every route."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide

from portal.company.services import CompanyService

dependencies = {
    "company": Provide(create_service_provider(CompanyService)),
}
