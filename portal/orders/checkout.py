"""The cart and the checkout: add quoted parts, change quantities, attach documents, download the
quote, place the order (once per form), and order a past order again."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Stream, Template

from portal.company.services import CompanyService
from portal.core.documents import DocumentRefused, refused_text
from portal.core.flash import flash
from portal.core.forms import FieldError, Form, FormData
from portal.core.i18n import N_, current_language
from portal.core.logging import log_event
from portal.core.templates import redirect_to, render
from portal.core.uploads import BODY_LIMIT, received_document
from portal.files.guards import viewer_of
from portal.files.services import ModelFileService
from portal.files.storage import Storage
from portal.orders.cart import CartService, PricedLines
from portal.orders.controllers import pdf_response, thumbnails
from portal.orders.guards import requires_login
from portal.orders.quote_pdf import cart_quote
from portal.orders.schemas import checkout_defaults, clean_checkout, field_value
from portal.orders.services import OrderService
from portal.quotes.services import QuoteService, RateCardService

_log = logging.getLogger("portal.orders")
OPTION_FIELDS = ("process", "material", "finish", "tolerance", "lead_time", "units", "quantity", "infill", "layer",
                 "orientation")


def stored_image(storage: Storage, key: str | None) -> Response:
    if not key:
        raise NotFoundException()
    headers = {"cache-control": "private, max-age=86400", "x-content-type-options": "nosniff"}
    path = storage.local_path(key)
    if path is not None:
        return File(path=path, media_type="image/png", headers=headers, content_disposition_type="inline")
    return Stream(storage.stream(key), media_type="image/png", headers=headers)


class CartAddController(Controller):
    """Adding to the cart answers like every file route: 404 for a file the visitor may not see."""

    @post("/cart/add/{file_id:uuid}", name="cart_add")
    async def add(
        self, request: HTMXRequest, cart: CartService, files: ModelFileService, file_id: UUID, data: FormData
    ) -> Redirect:
        file = await files.get_visible_or_404(file_id, viewer_of(request))  # as for every file route
        if request.scope.get("user") is None:  # a visitor's own upload: log in, then order
            login = request.app.route_reverse("login")
            next_page = request.app.route_reverse("file", file_id=file_id)
            return Redirect(path=f"{login}?{urlencode({'next': next_page})}", status_code=303)
        try:
            await cart.add(request.user, file, {key: field_value(data, key) for key in OPTION_FIELDS})
        except FieldError as error:
            flash(request, error.message, "error")
            return redirect_to(request, "file", file_id=file_id)
        flash(request, N_("The part is in your cart."), "success")
        return redirect_to(request, "cart")


class CartController(Controller):
    guards = [requires_login]

    async def _cart_page(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService, status_code: int = 200, **forms: Any,
    ) -> Template:
        priced = await cart.priced(request.user, await rate_cards.current(), quotes)
        forms.setdefault("upload_form", Form())
        forms.setdefault("quantity_form", Form())
        return render(
            request, "orders/cart.html", status_code=status_code, priced=priced,
            cart_documents=await orders.cart_documents(request.user.id), **forms,
        )

    @get("/cart", name="cart")
    async def show_cart(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService,
    ) -> Template:
        return await self._cart_page(request, cart, orders, rate_cards, quotes)

    @post("/cart/items/{item_id:uuid}", name="cart_item")
    async def set_quantity(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService, item_id: UUID, data: FormData,
    ) -> Template | Redirect:
        try:
            await cart.set_quantity(item_id, request.user, field_value(data, "quantity"))
        except FieldError as error:
            form = Form(values={"quantity": field_value(data, "quantity")[:12]}, errors={"quantity": error.message})
            return await self._cart_page(request, cart, orders, rate_cards, quotes, status_code=422,
                                         quantity_form=form, quantity_item=item_id)
        return redirect_to(request, "cart")

    @post("/cart/items/{item_id:uuid}/remove", name="cart_item_remove")
    async def remove(self, request: HTMXRequest, cart: CartService, item_id: UUID) -> Redirect:
        await cart.remove(item_id, request.user)
        flash(request, N_("The part is removed from your cart."))
        return redirect_to(request, "cart")

    @post("/cart/documents", name="cart_document_add", request_max_body_size=BODY_LIMIT)
    async def add_document(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService, storage: Storage,
    ) -> Template | Redirect:
        form = Form()
        try:
            async with received_document(request, storage.temp_dir()) as (received, fields):
                kind = "other" if fields.get("kind") == "other" else "drawing"
                await orders.attach_document(None, request.user, request.user, kind, received.path,
                                             received.name, received.sha256, storage)
        except DocumentRefused as refused:
            form.errors["document"] = refused_text(refused)
        except FieldError as error:
            form.add(error)
        if not form.ok:
            return await self._cart_page(request, cart, orders, rate_cards, quotes, status_code=422, upload_form=form)
        flash(request, N_("The document is attached; it goes with your next order."), "success")
        return redirect_to(request, "cart")

    @post("/cart/documents/{document_id:uuid}/remove", name="cart_document_remove")
    async def remove_document(self, request: HTMXRequest, orders: OrderService, document_id: UUID) -> Redirect:
        await orders.remove_cart_document(document_id, request.user)
        return redirect_to(request, "cart")

    @get("/cart/quote.pdf", name="cart_quote_pdf")
    async def quote_pdf(
        self, request: Request, cart: CartService, rate_cards: RateCardService, quotes: QuoteService,
        storage: Storage, company: CompanyService,
    ) -> Response:
        priced = await cart.priced(request.user, await rate_cards.current(), quotes)
        if not priced.lines:
            raise NotFoundException()
        images = await thumbnails(storage, [line.draft.thumbnail_key for line in priced.lines])
        quote = cart_quote(priced.cart, request.user, images, date.today(), await company.current(with_logo=True))
        return await pdf_response(quote, f"quote-{date.today():%Y-%m-%d}.pdf")

    @get("/checkout", name="checkout")
    async def checkout_page(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService,
    ) -> Template | Redirect:
        priced = await cart.priced(request.user, await rate_cards.current(), quotes)
        if not priced.lines:
            flash(request, N_("Your cart is empty: add quoted parts first."))
            return redirect_to(request, "cart")
        return await _checkout(request, priced, orders, checkout_defaults(request.user))

    @post("/checkout", name="place_order")
    async def place(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, rate_cards: RateCardService,
        quotes: QuoteService, data: FormData,
    ) -> Template | Redirect:
        form = clean_checkout(data, request.user)
        priced = await cart.priced(request.user, await rate_cards.current(), quotes)
        if form.ok:
            try:
                order = await orders.place(request.user, priced.cart, form.values, form.values["submit_key"],
                                           current_language.get())
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return await _checkout(request, priced, orders, form, status_code=422)
        log_event(_log, "order_placed", order_id=str(order.id), number=order.number, user_id=str(request.user.id))
        flash(request, N_("Thank you! Your order is placed. We will check it and tell you the next step."), "success")
        return redirect_to(request, "order", order_id=order.id)

    @post("/orders/{order_id:uuid}/reorder", name="order_reorder")
    async def reorder(
        self, request: HTMXRequest, cart: CartService, orders: OrderService, files: ModelFileService,
        order_id: UUID,
    ) -> Redirect:
        order = await orders.visible(order_id, request.user)
        added = missing = 0
        for line in order.lines:
            file = await files.get_visible(line.file_id, viewer_of(request)) if line.file_id else None
            if file is None or file.status != "ready":
                missing += 1
                continue
            try:
                await cart.add(request.user, file, {**line.options, "quantity": str(line.quantity)})
            except FieldError:
                missing += 1
                continue
            added += 1
        if added:
            flash(request, N_("The parts are in your cart, priced at today's rates."), "success")
        if missing:
            flash(request, N_("Some parts could not be added: their model files are no longer here."), "error")
        return redirect_to(request, "cart")

    @get("/orders/{order_id:uuid}/lines/{line_id:uuid}/thumbnail.png", name="order_line_thumbnail")
    async def line_thumbnail(
        self, request: Request, orders: OrderService, storage: Storage, order_id: UUID, line_id: UUID
    ) -> Response:
        order = await orders.visible(order_id, request.user)
        line = next((line for line in order.lines if line.id == line_id), None)
        if line is None:
            raise NotFoundException()
        return stored_image(storage, line.thumbnail_key)


async def _checkout(
    request: HTMXRequest, priced: PricedLines, orders: OrderService, form: Form, status_code: int = 200
) -> Template:
    return render(
        request, "orders/checkout.html", status_code=status_code, priced=priced, form=form,
        cart_documents=await orders.cart_documents(request.user.id),
    )
