"""The cart: quoted parts waiting to be ordered, each with its own options and quantity.

Lines are priced at the current rate card every time the cart is shown; placing the order
freezes what `price_cart` returns into the order's lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import func, select

from geometry.pricing import Quote, RateCard
from portal.core.forms import FieldError
from portal.core.i18n import N_
from portal.db.models import CartItem, ModelFile, User
from portal.db.turns import take_turns
from portal.orders.charges import charged, design_of, minimum_charge, setup_charge
from portal.orders.labels import percent
from portal.orders.services import LineDraft, PricedCart
from portal.quotes.labels import chosen_entries, options_of
from portal.quotes.services import CurrentCard, QuoteService
from portal.quotes.views import QuotePanel, quote_panel

MAX_ITEMS = 50
OPTION_KEYS = ("process", "material", "finish", "tolerance", "lead_time", "units", "infill", "layer", "orientation")
NOT_READY = N_("This model is not analysed yet: wait for its price, then add it.")
CART_FULL = N_("A cart holds at most 50 parts.")
ASSEMBLY = N_("This file holds several parts: quote each part on its own, or say it is one assembled item.")
BAD_QUANTITY = N_("Enter a whole number from 1 to 100,000.")


@dataclass
class CartLine:
    item: CartItem
    file: ModelFile
    panel: QuotePanel
    draft: LineDraft


@dataclass
class PricedLines:
    lines: list[CartLine]
    cart: PricedCart

    @property
    def charges(self) -> list[dict[str, Any]]:
        return charged(self.cart.charges)

    @property
    def total(self) -> Decimal:
        lines = sum((line.draft.quoted_total or Decimal(0) for line in self.lines), Decimal(0))
        return lines + sum((Decimal(charge["amount"]) for charge in self.cart.charges), Decimal(0))

    @property
    def needs_review(self) -> bool:
        return any(line.draft.quoted_total is None for line in self.lines)


def entry_names(entries: dict[str, Any], suffix: str = "", fallback: dict[str, Any] | None = None) -> dict[str, str]:
    """Each entry's name in English (`process{suffix}`) and in Russian (`process{suffix}_ru`)."""
    names = {}
    for key, entry in entries.items():
        names[f"{key}{suffix}"] = entry.name if entry else str((fallback or {}).get(key) or "")
        names[f"{key}{suffix}_ru"] = entry.name_ru if entry else ""
    return names


def quote_lines(quote: Quote, card: RateCard) -> list[dict[str, Any]]:
    """The quote's lines as plain data with the names their labels need, frozen with the order."""
    chosen = options_of(quote)
    entries = chosen_entries(card, chosen)
    args = entry_names(entries, fallback={**chosen, "finish": ""})
    lines = []
    for line in quote.lines:
        code = "no_finish" if line.code == "finish" and entries["finish"] is None else line.code
        rate = card.discount_for(quote.quantity) if code == "quantity_discount" else card.vat_rate
        lines.append({"code": code, "amount": str(line.amount), "args": {**args, "percent": percent(rate)}})
    return lines


def option_names(options: dict[str, Any], card: RateCard) -> dict[str, Any]:
    """The chosen options with the rate card's names beside them (the card may change later)."""
    return {**options, **entry_names(chosen_entries(card, options), "_name")}


def draft_of(file: ModelFile, panel: QuotePanel, quote: Quote | None) -> LineDraft:
    """The line as the order freezes it; `quote` prices it as one line of the order."""
    options = {**panel.form.as_dict(), "units": panel.units}
    quantity = int(options.pop("quantity"))
    review = panel.review
    if quote is not None:
        total, lines, lead = quote.total, quote_lines(quote, panel.card), quote.lead_time_days
    elif review is not None and review.status == "answered" and review.price is not None:
        total, lines, lead = review.price, [], None  # staff's answer to a manual-review request
    else:
        total, lines, lead = None, [], None
    return LineDraft(
        file_name=file.name,
        quantity=quantity,
        options=option_names(options, panel.card),
        price_lines=lines,
        quoted_total=total,
        review_reason=panel.outcome.review_reason,
        lead_time_days=lead,
        file_id=file.id,
        file_sha256=file.sha256,
        thumbnail_key=file.thumbnail_key,
    )


class CartRepository(SQLAlchemyAsyncRepository[CartItem]):
    model_type = CartItem


class CartService(SQLAlchemyAsyncRepositoryService[CartItem, CartRepository]):
    repository_type = CartRepository

    async def add(self, user: User, file: ModelFile, wanted: dict[str, Any]) -> CartItem:
        """`file` is one the user may see (the caller checked); its quote options as chosen.

        A line the cart already has (the same file, options and quantity: a double click, a form
        sent again) is not added twice; that line is returned. Adds to one cart take turns and
        are checked after the write (see `take_turns`), so a burst adds one such line and stops
        at MAX_ITEMS."""
        if file.status != "ready":
            raise FieldError("cart", NOT_READY)
        if file.is_assembly and not file.whole:
            raise FieldError("cart", ASSEMBLY)
        if await self.count(CartItem.user_id == user.id) >= MAX_ITEMS:
            raise FieldError("cart", CART_FULL)
        quantity = _quantity(wanted.get("quantity"))
        if quantity is None:
            raise FieldError("quantity", BAD_QUANTITY)
        options = {key: str(wanted.get(key) or "") for key in OPTION_KEYS}
        session = self.repository.session
        await take_turns(session, f"cart:{user.id}")
        item = CartItem(user_id=user.id, file_id=file.id, options=options, quantity=quantity)
        added = await session.begin_nested()
        session.add(item)
        await session.flush()
        full = await self.count(CartItem.user_id == user.id) > MAX_ITEMS
        same = await self._same_line(item)
        if full or same is not None:
            await added.rollback()
            if full:
                raise FieldError("cart", CART_FULL)
            return same
        await added.commit()
        return item

    async def _same_line(self, item: CartItem) -> CartItem | None:
        lines = await self.repository.session.scalars(select(CartItem).where(
            CartItem.user_id == item.user_id, CartItem.file_id == item.file_id, CartItem.quantity == item.quantity,
            CartItem.id != item.id))
        return next((line for line in lines if line.options == item.options), None)

    async def own_item(self, item_id: UUID, user: User) -> CartItem:
        item = await self.get_one_or_none(id=item_id)
        if item is None or item.user_id != user.id:
            raise NotFoundException()
        return item

    async def set_quantity(self, item_id: UUID, user: User, raw: Any) -> CartItem:
        item = await self.own_item(item_id, user)
        quantity = _quantity(raw)
        if quantity is None:
            raise FieldError("quantity", BAD_QUANTITY)
        return await self.update({"quantity": quantity}, item_id=item.id)

    async def remove(self, item_id: UUID, user: User) -> None:
        item = await self.own_item(item_id, user)
        await self.delete(item.id)

    async def count_for(self, user_id: UUID) -> int:
        return await self.repository.session.scalar(
            select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id)
        ) or 0

    async def priced(self, user: User, current: CurrentCard, quotes: QuoteService) -> PricedLines:
        """Every line priced at the current rate card, in the order it was added."""
        session = self.repository.session
        rows = (
            await session.execute(
                select(CartItem, ModelFile)
                .join(ModelFile, ModelFile.id == CartItem.file_id)
                .where(CartItem.user_id == user.id)
                .order_by(CartItem.created_at, CartItem.id)
            )
        ).all()
        card = current.card
        lines, charges, designs = [], [], set()
        for item, file in rows:
            wanted = {**item.options, "quantity": item.quantity}
            panel = await quote_panel(file, wanted, current, quotes, session)
            quote = None
            if panel.outcome.quote is not None:
                options = panel.form.options
                quote, setup_net = quotes.in_order(f"{file.sha256}:{panel.units}", panel.part, options, card,
                                                   current.key, sliced=panel.printing.sliced)
                design = design_of(file.sha256, {"units": panel.units, "process": options.process})
                if design not in designs and setup_net:
                    designs.add(design)
                    charges.append(setup_charge(file.name, setup_net, card.vat_rate))
            lines.append(CartLine(item, file, panel, draft_of(file, panel, quote)))
        priced = sum((line.draft.quoted_total or Decimal(0) for line in lines), Decimal(0))
        priced += sum((Decimal(charge["amount"]) for charge in charges), Decimal(0))
        if lines:
            charges.append(minimum_charge(card.minimum_order, card.vat_rate, priced))
        cart = PricedCart(
            lines=[line.draft for line in lines],
            rate_card_version=card.version,
            vat_rate=card.vat_rate,
            currency=card.currency,
            charges=charges,
            item_ids=tuple(line.item.id for line in lines),
        )
        return PricedLines(lines, cart)


def _quantity(raw: Any) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:  # "²" is a digit to isdigit()
        return None
    value = int(text)
    return value if 1 <= value <= 100_000 else None
