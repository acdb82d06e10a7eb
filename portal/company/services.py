"""Our company's details: one row, replaced as a whole by a superuser; read by every document."""

from __future__ import annotations

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.orm import undefer

from portal.db.company import CompanyDetails


class CompanyRepository(SQLAlchemyAsyncRepository[CompanyDetails]):
    model_type = CompanyDetails


class CompanyService(SQLAlchemyAsyncRepositoryService[CompanyDetails, CompanyRepository]):
    repository_type = CompanyRepository

    async def current(self, with_logo: bool = False) -> CompanyDetails | None:
        """The details, or None while nobody has filled them in (no document can be produced)."""
        query = select(CompanyDetails).order_by(CompanyDetails.created_at).limit(1)
        if with_logo:
            query = query.options(undefer(CompanyDetails.logo))
        return await self.repository.session.scalar(query)

    async def save(self, values: dict) -> CompanyDetails:
        """Replace the details with cleaned values; a logo not sent again is kept."""
        details = await self.current()
        if details is None:
            return await self.create(values)
        for name, value in values.items():
            setattr(details, name, value)
        return await self.update(details)

    async def remove_logo(self) -> None:
        details = await self.current()
        if details is not None:
            details.logo, details.logo_type = None, ""
            await self.update(details)
