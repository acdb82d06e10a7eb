"""Deals: an order as a deal with product rows, a stage change as an order status, the invoice PDF.

Orders are plain data here (the outbox payload), so the orders domain wires in by
  * writing `record_deal(session, order_payload(...))` in the transaction that places or changes
    an order, and
  * giving the sync job an `OrderSide` that applies a status and stores a document.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import BitrixSettings
from portal.crm.client import Bitrix24Client, InvalidRequest, RetryableError
from portal.crm.mapping import deal_fields, is_invoice_stage, order_status_for_stage, product_rows
from portal.crm.outbox import ATTACH, DEAL, INVOICE, record
from portal.db.models import BitrixSyncRow


class OrderSide(Protocol):
    """What the orders domain gives the sync job."""

    def order_url(self, order_id: str) -> str:
        """The order's page on the portal, for its deal."""
        ...

    async def status_from_crm(self, db: AsyncSession, order_id: str, status: str, stage_id: str) -> bool:
        """Apply a status that sales set in Bitrix24, without writing a deal update back (that
        would echo). Return False when the order already has it (our own echo) or may not move."""
        ...

    async def status_told(self, db: AsyncSession, order_id: str) -> None:
        """After that change is committed: the customer's e-mail, as for a change staff make."""
        ...

    async def attach_invoice(self, db: AsyncSession, order_id: str, filename: str, content: bytes) -> None: ...

    async def document_content(self, db: AsyncSession, order_id: str, document_id: str) -> tuple[str, bytes] | None:
        """A document of an order to attach to its deal (name, bytes): a customer's drawing, say,
        or for QUOTE the order's quote PDF. None when it is gone."""
        ...


def order_payload(order: dict[str, Any], lines: list[dict[str, Any]], customer_id: str, company: bool) -> dict:
    """order: id, number, title, total, currency, comment; lines: name, unit_price, quantity, vat_rate."""
    plain = {key: (str(value) if key == "total" else value) for key, value in order.items()}
    return {"order": plain, "lines": [{**line, "unit_price": str(line["unit_price"])} for line in lines],
            "customer_id": str(customer_id), "company": company}


def record_deal(session: AsyncSession, payload: dict) -> BitrixSyncRow:
    return record(session, DEAL, payload["order"]["id"], payload)


async def push_deal(client: Bitrix24Client, settings: BitrixSettings, payload: dict, deal_id: str | None,
                    contact_id: str | None, company_id: str | None, link: str | None = None) -> int:
    """Add or update the deal and replace its product rows, in one batch. `link`: the order's page."""
    fields = deal_fields(payload["order"], settings, contact_id, company_id, link)
    rows = product_rows(payload.get("lines") or [])
    if deal_id is None:
        commands = {
            "deal": ("crm.deal.add", {"fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}}),
            "rows": ("crm.deal.productrows.set", {"id": "$result[deal]", "rows": rows}),
        }
    else:
        commands = {
            "deal": ("crm.deal.update", {"id": deal_id, "fields": fields}),
            "rows": ("crm.deal.productrows.set", {"id": deal_id, "rows": rows}),
        }
    answer = await client.batch(commands)
    if answer.errors:  # a deal that was added is found by its ORIGIN_ID on the next attempt
        raise next(iter(answer.errors.values()))
    return int(answer.result["deal"]) if deal_id is None else int(deal_id)


@dataclass
class DealChange:
    deal_id: str
    order_id: str
    stage_id: str
    status: str
    invoice: bool


async def read_deal_change(client: Bitrix24Client, settings: BitrixSettings, deal_id: str) -> DealChange | None:
    """Fetch the deal an event named; None when it is not one of ours or its stage is not mapped."""
    deal = (await client.call("crm.deal.get", {"id": deal_id})).result
    if deal.get("ORIGINATOR_ID") != settings.originator or not deal.get("ORIGIN_ID"):
        return None
    stage = str(deal.get("STAGE_ID") or "")
    status = order_status_for_stage(stage, settings.stage_map)
    if status is None:
        return None
    return DealChange(str(deal["ID"]), str(deal["ORIGIN_ID"]), stage, status,
                      is_invoice_stage(stage, settings.invoice_stages))


QUOTE = "quote"  # the document id that stands for the order's quote PDF (rendered when it is sent)


def record_attachment(session: AsyncSession, order_id: str, document_id: str) -> BitrixSyncRow:
    """An order's document goes to its deal's timeline (once the deal exists). The row, once
    sent, holds the comment's id: each document is attached once."""
    return record(session, DEAL, order_id, {"order_id": str(order_id), "document_id": str(document_id)},
                  action=ATTACH)


def attachment_marker(document_id: str) -> str:
    return f"[portal-document:{document_id}]"


async def attach_to_deal(client: Bitrix24Client, deal_id: str, document_id: str, name: str, content: bytes,
                         might_exist: bool) -> int:
    """A timeline comment with the file (the simplest way to attach a file to a deal without a custom
    field). The comment carries a marker with our document id, so that after an unknown outcome
    the comment is found instead of posted twice. Files are not allowed inside batch."""
    marker = attachment_marker(document_id)
    if might_exist:
        found = await client.list_all("crm.timeline.comment.list", {
            "filter": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal"}, "select": ["ID", "COMMENT"]})
        for comment in found:
            if marker in str(comment.get("COMMENT") or ""):
                return int(comment["ID"])
    added = await client.call("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": int(deal_id), "ENTITY_TYPE": "deal", "COMMENT": f"{name} {marker}",
        "FILES": [[name, base64.b64encode(content).decode("ascii")]],
    }})
    return int(added.result)


def record_invoice_fetch(session: AsyncSession, order_id: str, deal_id: str) -> BitrixSyncRow:
    return record(session, DEAL, order_id, {"order_id": order_id, "deal_id": str(deal_id)}, action=INVOICE)


class PdfNotReady(RetryableError):
    """The document generator has not converted the document yet (its PDF link is empty)."""


@dataclass
class Pdf:
    filename: str
    content: bytes


async def fetch_invoice_pdf(
    client: Bitrix24Client,
    settings: BitrixSettings,
    payload: dict,
    save_payload: Callable[[dict], Awaitable[None]] | None = None,
) -> Pdf:
    """One step of getting the invoice PDF: create the document once (its id kept in the payload),
    then read it; while its PDF link is empty, raise PdfNotReady so that the job comes back later
    with backoff (the docs advise 30-40 s)."""
    if settings.invoice_template_id is None:
        raise InvalidRequest("NO_TEMPLATE", "PORTAL_BITRIX_INVOICE_TEMPLATE_ID is not set", None, "document.add")
    document_id = payload.get("document_id")
    if document_id is None:
        existing = await client.call("crm.documentgenerator.document.list", {
            "select": ["id"], "order": {"id": "desc"},
            "filter": {"entityTypeId": 2, "entityId": payload["deal_id"], "templateId": settings.invoice_template_id},
        })
        documents = (existing.result or {}).get("documents") or []
        if documents:
            document_id = documents[0]["id"]
        else:
            added = await client.call("crm.documentgenerator.document.add", {
                "templateId": settings.invoice_template_id, "entityTypeId": 2, "entityId": payload["deal_id"],
                "values": {}, "stampsEnabled": 1})
            document_id = added.result["document"]["id"]
        payload["document_id"] = document_id
        if save_payload is not None:
            await save_payload(dict(payload))
    document = (await client.call("crm.documentgenerator.document.get", {"id": document_id})).result["document"]
    if document.get("isTransformationError"):
        raise InvalidRequest("TRANSFORMATION_ERROR", str(document.get("transformationErrorMessage") or ""),
                             None, "document.get")
    url = document.get("pdfUrlMachine")
    if not url:
        raise PdfNotReady("PDF_NOT_READY", f"document {document_id}: the PDF is not ready yet", None,
                          "document.get", retry_after=None)
    content = await client.download(url)
    if not content.startswith(b"%PDF-"):
        raise PdfNotReady("NOT_A_PDF", "the PDF link did not give a PDF", None, "download")
    number = document.get("number") or document_id
    return Pdf(f"invoice-{number}.pdf", content)
