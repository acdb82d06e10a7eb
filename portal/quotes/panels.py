"""The one path that renders a file's quote panel: the file page, its status poll, the panel's own
GET (every option change) and the no-JavaScript form all come through `FileQuotes`.

A panel once rendered is kept (see `panel_cache`) under everything it depends on; the panel's GET
answers from it in a before-request hook without opening the database when the options are in
the query (the page always sends them). Remembering the owner's choice is a separate, debounced
POST the panel sends after the customer settles, so pricing never waits on a write.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import MediaType, Response
from litestar.plugins.htmx import HTMXRequest, ReplaceUrl

from portal.core.csrf import csrf_token_of
from portal.core.i18n import current_language
from portal.core.templates import render_html
from portal.db.models import ModelFile
from portal.files.guards import can_see, viewer_of
from portal.quotes.panel_cache import RenderedPanels
from portal.quotes.services import QuoteService, RateCardService
from portal.quotes.views import QuotePanel, quote_panel, rate_card_summary

OPTION_FIELDS = ("process", "material", "finish", "tolerance", "quantity", "lead_time", "units", "infill", "layer",
                 "orientation")


def wanted_options(form: dict[str, Any]) -> dict[str, Any]:
    """The options a quote form asks for; a "cheaper if" button (`apply=quantity:10`) changes
    one of them."""
    wanted = {key: str(form.get(key, "")) for key in OPTION_FIELDS if form.get(key) is not None}
    apply = str(form.get("apply", ""))
    option, _, value = apply.partition(":")
    if option in OPTION_FIELDS and value:
        wanted[option] = value
    return wanted


def chosen_options(panel: QuotePanel) -> dict[str, Any]:
    """What the panel priced: the options as made valid, and the units."""
    return {**panel.form.as_dict(), "units": panel.units}


def panel_key(request: HTMXRequest, file_id: UUID, changed_at: Any, card_key: Any, wanted: dict) -> tuple:
    """Everything a rendered quote panel depends on; the ship-by date moves with the day."""
    return (file_id, changed_at, card_key, tuple(sorted(wanted.items())), current_language.get(),
            request.user is not None, date.today())


def priced_as_asked(panel: QuotePanel, wanted: dict) -> bool:
    """Whether the panel used every option the request asked for. Only such a panel is kept:
    options it had to correct or ignore (a typo, a value no form sends, a 20 KB string) would each
    make an entry of their own, holding a copy of the same panel and filling memory."""
    if panel.outcome.quote is None:  # a review's answer changes no key
        return False
    used = chosen_options(panel)
    return all(value == "" or (key in used and str(used[key]) == value) for key, value in wanted.items())


def panel_response(request: HTMXRequest, html: str, asked: dict | None = None) -> Response:
    """The panel; to htmx, with the page's address following the options asked for (the query's
    unless given: a reload or a shared link shows the same price)."""
    if not request.htmx:
        return Response(html, media_type=MediaType.HTML, headers={"Vary": "HX-Request"})
    wanted = wanted_options(asked if asked is not None else dict(request.query_params))
    page = request.app.route_reverse("file", file_id=request.path_params["file_id"])
    response = ReplaceUrl(html, replace_url=f"{page}?{urlencode(wanted)}" if wanted else page,
                          media_type=MediaType.HTML)
    response.headers["Vary"] = "HX-Request"
    return response


class FileQuotes:
    """Prices a file's options and renders its panel; one per app (see `create_app`)."""

    def __init__(self, quotes: QuoteService, kept: RenderedPanels) -> None:
        self.quotes = quotes
        self.kept = kept

    async def panel(self, file: ModelFile, wanted: dict | None, db) -> QuotePanel:
        current = await RateCardService(session=db).current()
        return await quote_panel(file, wanted, current, self.quotes, db)

    async def panel_html(self, request: HTMXRequest, file: ModelFile, asked: dict | None, db) -> str:
        """The rendered panel for the options a query or form asks for (none: the file's remembered
        ones)."""
        wanted = wanted_options(asked or {}) or None
        current = await RateCardService(session=db).current()
        self.kept.keep_stamp(file, current.key)
        key = panel_key(request, file.id, file.updated_at, current.key, wanted) if wanted else None
        token = csrf_token_of(request)
        html = self.kept.get(key, token) if key else None
        if html is not None:
            return html
        panel = await quote_panel(file, wanted, current, self.quotes, db)
        html = render_html(request, "quotes/_quote.html", panel=panel)
        if key and priced_as_asked(panel, wanted) and not panel.slicing:  # a slice on its way changes it
            self.kept.put(key, html, token)
        return html

    def kept_html(self, request: HTMXRequest) -> str | None:
        """The panel asked for, if one was rendered for the same key: read without the database.
        Only for requests that name their options; the file's remembered ones need its row."""
        file_id = request.path_params["file_id"]
        stamp = self.kept.stamp(file_id)
        if stamp is None or stamp.status != "ready" or not can_see(stamp, viewer_of(request)):
            return None
        wanted = wanted_options(dict(request.query_params))
        if not wanted:
            return None
        return self.kept.get(panel_key(request, file_id, stamp.updated_at, stamp.card_key, wanted),
                             csrf_token_of(request))

    async def first_price(self, file: ModelFile, db) -> tuple[Decimal, str] | None:
        priced = (await self.panel(file, None, db)).outcome.quote
        return (priced.total, priced.currency) if priced is not None else None

    async def offer(self, db) -> dict[str, Any]:
        """Processes, materials and lead times on offer, for the upload page."""
        return rate_card_summary((await RateCardService(session=db).current()).card)
