"""What the files domain needs from others, as interfaces: `create_app` wires the implementations
(the quotes domain prices a file; files never imports it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from litestar.plugins.htmx import HTMXRequest

from portal.db.models import ModelFile


@runtime_checkable
class QuotePanels(Protocol):
    async def panel_html(self, request: HTMXRequest, file: ModelFile, asked: dict | None, db) -> str:
        """A ready file's quote panel, rendered, for the options a query asks for (none: the
        file's remembered ones)."""

    async def first_price(self, file: ModelFile, db) -> tuple[Decimal, str] | None:
        """(total, currency) of a ready file at its remembered options (or the shop's defaults);
        None when it needs a manual quote."""

    async def offer(self, db) -> dict[str, Any]:
        """What the shop offers (processes, materials, lead times), for the upload page."""
