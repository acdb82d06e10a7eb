"""Manual review: a customer asks staff to price a file (one the instant quote cannot, or any part
with something the options do not say), with a comment and a drawing or photo if they like; staff
answer. The attachment is checked by its content as an order's documents are
(`portal.core.documents`) and kept by its content in the storage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import anyio
from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import update

from portal.core.documents import check_document
from portal.core.flash import flash
from portal.core.i18n import N_
from portal.core.uploads import ReceivedDocument
from portal.crm.outbox import record_lead
from portal.db.models import ModelFile, ReviewRequest, User
from portal.files.storage import Storage, document_key

MAX_PRICE = Decimal("100000000")


@dataclass(frozen=True)
class Attachment:
    """A drawing or photo sent with a request, checked and stored."""

    name: str
    content_type: str
    size: int
    key: str

    @classmethod
    def from_dict(cls, kept: Any) -> Attachment | None:
        """One kept in a visitor's session (see `keep_pending`), or None."""
        if not isinstance(kept, dict):
            return None
        try:
            return cls(str(kept["name"]), str(kept["content_type"]), int(kept["size"]), str(kept["key"]))
        except (KeyError, TypeError, ValueError):
            return None


async def keep_attachment(received: ReceivedDocument, storage: Storage) -> Attachment:
    """Check the file by its content (raises DocumentRefused: a message for the person) and store it."""
    checked = await anyio.to_thread.run_sync(check_document, received.path, received.name)
    key = document_key(received.sha256)
    await storage.put_file(key, received.path)
    return Attachment(checked.name, checked.content_type, received.size, key)


class ReviewRepository(SQLAlchemyAsyncRepository[ReviewRequest]):
    model_type = ReviewRequest


class ReviewService(SQLAlchemyAsyncRepositoryService[ReviewRequest, ReviewRepository]):
    repository_type = ReviewRepository

    async def latest_for(self, file_id: Any) -> ReviewRequest | None:
        rows = await self.list(
            ReviewRequest.file_id == file_id,
            OrderBy(field_name="created_at", sort_order="desc"),
            LimitOffset(limit=1, offset=0),
        )
        return rows[0] if rows else None

    async def ask(self, file_id: Any, user_id: Any, options: dict, message: str,
                  attachment: Attachment | None = None) -> ReviewRequest:
        """One open request per file: asking again while one is open changes nothing."""
        open_request = await self.get_one_or_none(file_id=file_id, status="open")
        if open_request is not None:
            return open_request
        attached = {}
        if attachment is not None:
            attached = {"attachment_name": attachment.name, "attachment_type": attachment.content_type,
                        "attachment_size": attachment.size, "attachment_key": attachment.key}
        review = await self.create(
            {"file_id": file_id, "requested_by_id": user_id, "options": options, "message": message[:2000], **attached}
        )
        await self._record_lead(review)
        await self._renew_panels(file_id)
        return review

    async def _renew_panels(self, file_id: Any) -> None:
        """The file's quote panel shows its request: a new `updated_at` gives the kept panels a new
        key (see portal/quotes/panel_cache.py)."""
        session = self.repository.session
        await session.execute(update(ModelFile).where(ModelFile.id == file_id).values(updated_at=datetime.now(UTC)))

    async def _record_lead(self, review: ReviewRequest) -> None:
        """A request for a manual quote is also a Bitrix24 lead, in the same transaction."""
        session = self.repository.session
        user = await session.get(User, review.requested_by_id)
        file = await session.get(ModelFile, review.file_id)
        if user is None or file is None:
            return
        chosen = ", ".join(f"{key}: {value}" for key, value in sorted(review.options.items()))
        attached = f"Вложение: {review.attachment_name}" if review.attachment_name else ""
        comment = "\n".join(part for part in (review.message, f"Файл: {file.name}", attached, chosen) if part)
        record_lead(session, review.id, user.full_name, user.phone, user.email, comment,
                    title=f"Запрос ручного расчёта: {file.name}"[:255], customer_id=user.id,
                    source_description=f"/files/{file.id}")

    async def queue(self, status: str, page: int, per_page: int) -> tuple[list[ReviewRequest], int]:
        return await self.list_and_count(
            ReviewRequest.status == status,
            OrderBy(field_name="created_at", sort_order="asc" if status == "open" else "desc"),
            LimitOffset(limit=per_page, offset=(page - 1) * per_page),
        )

    async def answer(
        self, request_id: Any, price_text: str, currency: str, answer: str, staff_id: Any
    ) -> tuple[ReviewRequest | None, dict[str, str]]:
        errors: dict[str, str] = {}
        try:
            price = Decimal(price_text.replace(",", ".").replace(" ", "").strip())
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite() or price <= 0 or price >= MAX_PRICE:
            errors["price"] = N_("Enter the price as a positive number, for example 12500.00.")
        if errors:
            return None, errors
        row = await self.update(
            {
                "price": price.quantize(Decimal("0.01")),
                "currency": currency,
                "answer": answer[:4000],
                "status": "answered",
                "answered_by_id": staff_id,
                "answered_at": datetime.now(UTC),
            },
            item_id=request_id,
        )
        await self._renew_panels(row.file_id)
        return row, errors


PENDING = "pending_review"  # the session key of a request typed before logging in


def keep_pending(connection, file_id: Any, options: dict, message: str, attachment: Attachment | None = None) -> None:
    """A visitor asked for a manual quote: the request waits in their session for the sign-in
    (with its attachment, stored already: the session keeps where)."""
    connection.scope["session"][PENDING] = {"file_id": str(file_id), "options": options, "message": message[:2000],
                                            "attachment": asdict(attachment) if attachment else None}


async def send_pending_review(connection, user, db) -> None:
    """A sign-in step: the manual-quote request the visitor typed before is sent now."""
    session = connection.scope.get("session")
    pending = session.pop(PENDING, None) if isinstance(session, dict) else None
    if not isinstance(pending, dict):
        return
    try:
        file = await db.get(ModelFile, UUID(str(pending.get("file_id"))))
    except ValueError:
        return
    if file is None or file.status != "ready":
        return
    await ReviewService(session=db).ask(file.id, user.id, dict(pending.get("options") or {}),
                                        str(pending.get("message") or ""),
                                        Attachment.from_dict(pending.get("attachment")))
    flash(connection, N_("Your request for a manual quote is sent: staff will price the part and answer on its "
                         "page."), "success")
