"""Staff's quotes pages: the rate card editor (its versions, and a preview of what recent quotes
would cost with the changes) and the manual quote requests."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from geometry.model import GeometryError
from portal.core.downloads import stored_download
from portal.core.flash import flash
from portal.core.forms import CONTROL_MESSAGE, FieldError, field_value, has_controls
from portal.core.guards import requires_staff
from portal.core.i18n import N_, gettext
from portal.core.templates import redirect_to, render, wants_fragment
from portal.files.services import ModelFileService
from portal.files.storage import Storage
from portal.quotes.ratecard_edit import EditedCard, field_id, field_label, read_editor
from portal.quotes.ratecard_entries import new_entries, removable, remove_key
from portal.quotes.ratecard_form import fields_of, group_title
from portal.quotes.ratecard_history import change_label
from portal.quotes.ratecard_panels import panels_of
from portal.quotes.ratecard_preview import PREVIEW_QUOTES, PreviewRow, preview_prices
from portal.quotes.reviews import ReviewService
from portal.quotes.services import CurrentCard, QuoteService, RateCardService

PER_PAGE = 30
RESTORE_RACED = N_("Another version was saved at the same moment, so this one was not restored: look at the "
                   "versions and restore it again if you still want it.")
PREVIEW_FRAGMENT = "quotes/_admin_rate_preview.html"


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
        """A new version from the editor. The form says which version it was opened at: when
        another save came in between, the page comes back with what was typed, the fields that
        differ from the card as it is now marked, and the version to save over."""
        form = await request.form()
        current = await rate_cards.current()
        edited = read_editor(form, current)
        base = opened_at(form)
        saved, status_code = None, None
        if edited.ok:
            try:
                saved = await rate_cards.save(edited.data, request.user.id, base)
            except GeometryError as error:
                edited.refuse(error)
            except FieldError as error:
                edited.general_error = gettext(error.message)
                current, base, status_code = await rate_cards.current(), None, 409
                edited.mark_differences(current.data)
        if not edited.ok:
            return rate_card_page(request, current, await rate_cards.history(), edited, base=base,
                                  status_code=status_code)
        if saved is None:
            flash(request, N_("Nothing was changed, so no new version was made."))
        else:
            flash(request, N_("The rate card is saved as a new version: new quotes use it now."), "success")
        return redirect_to(request, "rate_card")

    @post("/preview", name="rate_card_preview")
    async def preview(
        self, request: HTMXRequest, rate_cards: RateCardService, files: ModelFileService, quotes: QuoteService
    ) -> Template:
        """What the latest quotes would cost with the card as edited; nothing is saved. To htmx,
        the preview alone (refusals listed in it); without JavaScript, the editor as it was sent
        with the preview under its buttons."""
        current = await rate_cards.current()
        form = await request.form()
        edited = read_editor(form, current)
        rows = None
        if edited.ok and edited.card is not None:
            rows = await preview_prices(await files.recently_quoted(PREVIEW_QUOTES), current, edited.card, quotes)
        if wants_fragment(request):  # answered 200 even when refused: htmx swaps only a 2xx answer
            return render(request, "quotes/admin_rates.html", fragment=PREVIEW_FRAGMENT,
                          **preview_context(current, edited, rows))
        return rate_card_page(request, current, await rate_cards.history(), edited, rows, base=opened_at(form))

    @post("/versions/{number:int}/restore", name="rate_card_restore")
    async def restore(self, request: HTMXRequest, rate_cards: RateCardService, number: int) -> Redirect:
        try:
            restored = await rate_cards.restore(number, request.user.id)
        except FieldError:
            flash(request, RESTORE_RACED, "error")
            return redirect_to(request, "rate_card")
        if restored is None:
            flash(request, N_("That version is the rate card in use already."))
        else:
            flash(request, N_("The old version is saved again as the newest: new quotes use it now."), "success")
        return redirect_to(request, "rate_card")


def opened_at(form: Any) -> int | None:
    """The version the editor was opened at (None: a form without it is not checked)."""
    text = str(form.get("base", "")).strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def preview_context(current: CurrentCard, edited: EditedCard | None, rows: list[PreviewRow] | None) -> dict[str, Any]:
    """What the preview shows: old and new prices, or why the edited card cannot price."""
    errors = edited.errors if edited else {}
    refusals = [(field_id(key), field_label(current.data, key), message) for key, message in errors.items()]
    return {"preview": rows, "refusals": refusals, "preview_error": edited.general_error if edited else None,
            "previewed": edited is not None}


def rate_card_page(
    request: HTMXRequest,
    current: CurrentCard,
    history: list,
    edited: EditedCard | None = None,
    rows: list[PreviewRow] | None = None,
    query: str = "",
    base: int | None = None,
    status_code: int | None = None,
) -> Template:
    """The editor: a panel per process and list, the rows for new entries, what was typed when
    refused or previewed, the preview, and the versions with what each changed. `base`: the
    version the form saves over (the one it was opened at, when it comes back refused)."""
    errors = edited.errors if edited else {}
    general_error = edited.general_error if edited else None
    values = edited.values if edited else None
    entries = new_entries(current.data, values)
    panels = panels_of(current.data, fields_of(current.data, edited.typed if edited else None), entries,
                       lambda group: group_title(current.data, group), errors, query,
                       edited.changed(current.data) if edited else frozenset())
    return render(
        request, "quotes/admin_rates.html", status_code=status_code or (422 if errors or general_error else 200),
        base=current.number if base is None else base,
        panels=panels, removable=removable(current.data), removed=edited.removed if edited else [], query=query,
        current=current, history=history, errors=errors, general_error=general_error, change_label=change_label,
        remove_key=remove_key, field_id=field_id, **preview_context(current, edited, rows),
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
            request, "quotes/admin_reviews.html", requests=found, files=by_id, status=status, total=total,
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
                request, "quotes/admin_reviews.html", status_code=422, requests=[row], files={file.id: file},
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
