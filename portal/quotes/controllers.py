"""The live quote of a file, manual-review requests, and staff's rate card and review pages."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from geometry.model import GeometryError
from portal.config import Settings
from portal.core.documents import DocumentRefused, refused_text
from portal.core.downloads import stored_download
from portal.core.flash import flash
from portal.core.forms import CONTROL_MESSAGE, Form, field_value, has_controls
from portal.core.guards import requires_staff
from portal.core.i18n import N_, gettext
from portal.core.security import client_address
from portal.core.templates import redirect_to, render, wants_fragment
from portal.core.uploads import BODY_LIMIT, received_document
from portal.files.catalogue import text_of
from portal.files.guards import can_change, ensure_visitor_key, viewer_of
from portal.files.services import ModelFileService
from portal.files.storage import Storage
from portal.files.throttle import UploadThrottle
from portal.quotes.panels import OPTION_FIELDS, FileQuotes, chosen_options, panel_response, wanted_options
from portal.quotes.ratecard_entries import edit_entries, form_key, new_entries, removable
from portal.quotes.ratecard_form import data_from_form, fields_of, group_title
from portal.quotes.ratecard_history import change_label
from portal.quotes.ratecard_panels import panels_of
from portal.quotes.reviews import ReviewService, keep_attachment, keep_pending
from portal.quotes.services import UNITS, CurrentCard, RateCardService

PER_PAGE = 30
TOO_MANY_ATTACHMENTS = N_("Too many uploads from here: please wait a while, or log in and attach the file then.")


async def kept_panel(request: HTMXRequest) -> Response | None:
    """A quote panel already rendered for this very request is sent without opening the database."""
    file_quotes: FileQuotes = request.app.state.file_quotes
    html = file_quotes.kept_html(request)
    return panel_response(request, html) if html is not None else None


class QuoteController(Controller):
    @get("/files/{file_id:uuid}/quote", name="file_quote", before_request=kept_panel)
    async def quote_fragment(
        self, request: HTMXRequest,
        db_session: AsyncSession, files: ModelFileService, file_quotes: FileQuotes, file_id: UUID
    ) -> Response:
        """The quote panel for the options in the query (or the file's last ones): what the panel's
        form asks for on every change."""
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        if file.status != "ready":
            raise NotFoundException()
        html = await file_quotes.panel_html(request, file, dict(request.query_params), db_session)
        return panel_response(request, html)

    @post("/files/{file_id:uuid}/quote", name="file_quote_update")
    async def update_quote(
        self, request: HTMXRequest,
        db_session: AsyncSession, files: ModelFileService, file_quotes: FileQuotes, file_id: UUID
    ) -> Response | Redirect:
        """Keep the owner's choice as the file's last quote. The panel sends it a moment after the
        customer settles (and answers nothing back); the form without JavaScript is sent to the
        file page with the options in its address."""
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        if file.status != "ready":
            return redirect_to(request, "file", file_id=file.id)
        panel = await file_quotes.panel(file, wanted_options(dict(await request.form())), db_session)
        chosen = chosen_options(panel)
        if panel.form.errors:  # nothing to keep: the page shows what to correct
            chosen["quantity"] = panel.form.quantity_text
        elif can_change(file, viewer) and not file.is_demo:
            priced = panel.outcome.quote
            await files.remember_quote(
                file, chosen, priced.total if priced else None, priced.currency if priced else None
            )
        if wants_fragment(request):
            return Response(content=None, status_code=204)
        return redirect_to(request, "file", query=urlencode(chosen), file_id=file.id)

    @post("/files/{file_id:uuid}/units", name="file_units")
    async def answer_units(
        self, request: HTMXRequest,
        db_session: AsyncSession, files: ModelFileService, file_quotes: FileQuotes, file_id: UUID
    ) -> Response | Redirect:
        """The owner's answer to "millimetres or inches?": kept for the file, and the panel priced
        again in those units (the options the form carries stay as they were)."""
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        if file.status != "ready":
            return redirect_to(request, "file", file_id=file.id)
        asked = wanted_options(dict(await request.form()))
        if asked.get("units") not in UNITS:
            asked.pop("units", None)  # no answer: the panel keeps asking
        elif can_change(file, viewer) and not file.is_demo and asked["units"] != file.units:
            file = await files.set_units(file, asked["units"])
        if wants_fragment(request):
            html = await file_quotes.panel_html(request, file, asked, db_session)
            return panel_response(request, html, asked)
        return redirect_to(request, "file", query=urlencode(asked), file_id=file.id)

    @post("/files/{file_id:uuid}/review", name="file_review", request_max_body_size=BODY_LIMIT)
    async def ask_review(
        self, request: HTMXRequest, files: ModelFileService, reviews: ReviewService, storage: Storage,
        upload_throttle: UploadThrottle, settings: Settings, file_id: UUID
    ) -> Template | Redirect:
        """A request for a manual quote of the part with the options chosen, a comment and, if the
        customer likes, a drawing or photo; a refused file is shown next to its field, with the
        comment kept."""
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        form = await request.form()
        if has_controls(form, "message", multiline=True):  # refused, never sent with them dropped
            flash(request, CONTROL_MESSAGE, "error")
            return redirect_to(request, "file", file_id=file.id)
        options = {key: field_value(form, key) for key in OPTION_FIELDS if field_value(form, key)}
        message = field_value(form, "message", multiline=True)
        attachment = None
        try:
            async with received_document(request, storage.temp_dir(), required=False) as (received, _):
                if received is not None:
                    if viewer.user is None and not await upload_throttle.admit(
                            client_address(request, settings.server.trusted_proxies), ensure_visitor_key(request)):
                        raise DocumentRefused(TOO_MANY_ATTACHMENTS)
                    attachment = await keep_attachment(received, storage)
        except DocumentRefused as refused:
            asked = Form(values={"message": message}, errors={"document": refused_text(refused)})
            return render(request, "quotes/review_request.html", status_code=422, file=file, options=options,
                          review_form=asked)
        if request.user is None:  # staff need someone to answer to: the request waits for the sign-in
            keep_pending(request, file.id, options, message, attachment)
            flash(request, N_("Log in or register to send your request for a manual quote: it is kept until "
                              "then, and your file stays with you."))
            back = request.app.route_reverse("file", file_id=file.id)
            return redirect_to(request, "login", query=urlencode({"next": back}))
        await reviews.ask(file.id, request.user.id, options, message, attachment)
        flash(request, N_("Your request is sent: staff will price the part and answer here."), "success")
        return redirect_to(request, "file", file_id=file.id)


class RateCardAdminController(Controller):
    path = "/admin/rates"
    guards = [requires_staff]

    @get("/", name="rate_card")
    async def rate_card(
        self, request: HTMXRequest, rate_cards: RateCardService, q: Annotated[str, Parameter(max_length=100)] = ""
    ) -> Template:
        current = await rate_cards.current()
        return rate_card_page(request, current, await rate_cards.history(), query=q.strip())

    @post("/", name="rate_card_save")
    async def save_rate_card(self, request: HTMXRequest, rate_cards: RateCardService) -> Template | Redirect:
        current = await rate_cards.current()
        form = await request.form()
        values, removed = dict(form), [str(v) for v in form.getall("remove", [])]
        for key in form.getall("flag", []):  # an unticked checkbox sends nothing
            values[str(key)] = "true" if form.get(str(key)) == "true" else "false"
        data, typed = data_from_form(values, current.data)
        edited = edit_entries(data, values, removed)
        errors, general_error, saved = edited.errors, None, None
        # staff's text too: a control character is refused next to its field, as on every form
        errors.update({key: gettext(CONTROL_MESSAGE) for key in values if has_controls(values, key)})
        if not errors:
            try:
                saved = await rate_cards.save(edited.data, request.user.id)
            except GeometryError as exc:
                key = form_key(str(exc.params.get("key")), edited.origins)
                message = text_of(exc.code, exc.params, exc.message)
                errors = {key: message} if key in typed or key.startswith("new.") else {}
                general_error = None if errors else message
        if errors or general_error:
            return rate_card_page(
                request, current, await rate_cards.history(), values, typed, removed, errors, general_error
            )
        if saved is None:
            flash(request, N_("Nothing was changed, so no new version was made."))
        else:
            flash(request, N_("The rate card is saved as a new version: new quotes use it now."), "success")
        return redirect_to(request, "rate_card")

    @post("/versions/{number:int}/restore", name="rate_card_restore")
    async def restore(self, request: HTMXRequest, rate_cards: RateCardService, number: int) -> Redirect:
        if await rate_cards.restore(number, request.user.id) is None:
            flash(request, N_("That version is the rate card in use already."))
        else:
            flash(request, N_("The old version is saved again as the newest: new quotes use it now."), "success")
        return redirect_to(request, "rate_card")


def rate_card_page(
    request: HTMXRequest,
    current: CurrentCard,
    history: list,
    values: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
    removed: list[str] | None = None,
    errors: dict[str, str] | None = None,
    general_error: str | None = None,
    query: str = "",
) -> Template:
    """The editor: a panel per process and list, the rows for new entries, what was typed when
    refused, and the versions with what each changed."""
    errors = errors or {}
    entries = new_entries(current.data, values)
    panels = panels_of(current.data, fields_of(current.data, typed), entries,
                       lambda group: group_title(current.data, group), errors, query)
    return render(
        request, "quotes/rates.html", status_code=422 if errors or general_error else 200,
        panels=panels, removable=removable(current.data), removed=removed or [], query=query,
        current=current, history=history, errors=errors, general_error=general_error, change_label=change_label,
    )


class ReviewAdminController(Controller):
    path = "/admin/reviews"
    guards = [requires_staff]

    @get("/", name="reviews")
    async def review_queue(
        self,
        request: HTMXRequest,
        reviews: ReviewService,
        files: ModelFileService,
        rate_cards: RateCardService,
        status: str = "open",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> Template:
        status = status if status in ("open", "answered") else "open"
        found, total = await reviews.queue(status, page, PER_PAGE)
        wanted = [r.file_id for r in found]
        by_id = {f.id: f for f in await files.list(files.model_type.id.in_(wanted))} if found else {}
        return render(
            request, "quotes/reviews.html", requests=found, files=by_id, status=status, total=total,
            page=page, pages=max(1, -(-total // PER_PAGE)), errors={}, card=(await rate_cards.current()).card,
        )

    @post("/{request_id:uuid}", name="review_answer")
    async def answer_review(
        self, request: HTMXRequest, reviews: ReviewService, files: ModelFileService, rate_cards: RateCardService,
        request_id: UUID,
    ) -> Template | Redirect:
        row = await reviews.get_one_or_none(id=request_id)
        if row is None:
            raise NotFoundException()
        form = await request.form()
        file = await files.get(row.file_id)
        currency = file.last_currency or "RUB"
        if has_controls(form, "answer", multiline=True):
            answered, errors = None, {"answer": CONTROL_MESSAGE}
        else:
            answered, errors = await reviews.answer(
                row.id, field_value(form, "price"), currency, field_value(form, "answer", multiline=True),
                request.user.id,
            )
        if answered is None:
            return render(
                request, "quotes/reviews.html", status_code=422, requests=[row], files={file.id: file},
                status="open", total=1, page=1, pages=1, errors={row.id: errors},
                card=(await rate_cards.current()).card,
            )
        flash(request, N_("The answer is sent."), "success")
        return redirect_to(request, "reviews")

    @get("/{request_id:uuid}/attachment", name="review_attachment")
    async def attachment(self, reviews: ReviewService, storage: Storage, request_id: UUID) -> Response:
        """The drawing or photo the customer sent with the request, as a download."""
        row = await reviews.get_one_or_none(id=request_id)
        if row is None or not row.attachment_key:
            raise NotFoundException()
        return stored_download(storage, row.attachment_key, row.attachment_name or "attachment",
                               row.attachment_type or "application/octet-stream")
