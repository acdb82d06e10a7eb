"""The live quote of a file and the customer's request for a manual quote (staff's pages are in
`admin.py`)."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import Settings
from portal.core.documents import DocumentRefused, refused_text
from portal.core.downloads import stored_download
from portal.core.flash import flash
from portal.core.forms import CONTROL_MESSAGE, Form, field_value, has_controls
from portal.core.i18n import N_
from portal.core.security import client_address
from portal.core.templates import redirect_to, render, wants_fragment
from portal.core.uploads import BODY_LIMIT, received_document
from portal.files.guards import can_change, ensure_visitor_key, viewer_of
from portal.files.services import ModelFileService
from portal.files.storage import Storage
from portal.files.throttle import UploadThrottle
from portal.quotes.panels import OPTION_FIELDS, FileQuotes, chosen_options, panel_response, wanted_options
from portal.quotes.reviews import ReviewService, keep_attachment, keep_pending
from portal.quotes.services import UNITS

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

    @get("/files/{file_id:uuid}/reviews/{request_id:uuid}/attachment", name="review_own_attachment")
    async def own_attachment(
        self, request: HTMXRequest, files: ModelFileService, reviews: ReviewService, storage: Storage,
        file_id: UUID, request_id: UUID,
    ) -> Response:
        """The drawing or photo a customer sent with their request for a manual quote, back to
        them as a download (staff's is on the queue's page); anyone else's is not found."""
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        row = await reviews.get_one_or_none(id=request_id, file_id=file.id)
        if row is None or not row.attachment_key or viewer.user is None or row.requested_by_id != viewer.user.id:
            raise NotFoundException()
        return stored_download(storage, row.attachment_key, row.attachment_name or "attachment",
                               row.attachment_type or "application/octet-stream")
