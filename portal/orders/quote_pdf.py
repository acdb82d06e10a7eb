"""The formal quote as a PDF (fpdf2): parts with thumbnails, options, price lines, VAT, validity.
With our company's details filled in it is a commercial offer (КП): the supplier with its bank
details, the total in words, the ship-by date and a signature block.

`build_quote(...)` gathers the text in the reader's language during the request;
`render_quote_pdf(quote)` only lays it out (pure, run in a worker thread). DejaVu Sans carries
Cyrillic (Debian's fonts-dejavu-core, installed by .ci/run and the Dockerfile).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from portal.core.i18n import N_, current_language, gettext
from portal.db.company import CompanyDetails
from portal.db.models import Order, User
from portal.orders.charges import charged
from portal.orders.labels import (
    charge_label,
    money,
    options_summary,
    percent,
    price_line_label,
    review_reason_name,
)
from portal.orders.services import PricedCart
from portal.orders.services import money as round_money
from portal.orders.ship_dates import order_ship_by
from portal.orders.words import roubles_in_words
from portal.quotes.services import ship_by

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
VALID_DAYS = 30
THUMB_MM = 28


@dataclass
class PdfPart:
    name: str
    quantity_text: str
    options: list[tuple[str, str]]
    lines: list[tuple[str, str]]  # label, amount as shown
    total_text: str
    note: str = ""  # e.g. why the part waits for a manual price
    thumbnail: bytes | None = None  # PNG


@dataclass
class PdfOffer:
    supplier: list[str]
    total_words: str
    signatory: str
    logo: bytes | None = None


@dataclass
class PdfQuote:
    title: str
    reference: str
    issued: date
    texts: dict[str, str]  # the fixed words, already translated
    customer: list[str]
    parts: list[PdfPart]
    totals: list[tuple[str, str]]
    footer: list[str] = field(default_factory=list)
    ship_by: date | None = None
    offer: PdfOffer | None = None  # the supplier's part, when our details are known

    @property
    def valid_until(self) -> date:
        return self.issued + timedelta(days=VALID_DAYS)


class PortalPdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def render_quote_pdf(quote: PdfQuote) -> bytes:
    pdf = PortalPdf(quote.reference)
    pdf.set_title(quote.title)
    pdf.set_creator("Manufacturing portal")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw
    offer = quote.offer
    if offer and offer.logo:
        _logo(pdf, offer.logo)

    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, quote.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(80, 80, 80)
    pdf.cell(width, 5, quote.reference, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 5, f"{quote.texts['issued']}: {quote.issued:%d.%m.%Y} · "
                       f"{quote.texts['valid_until']}: {quote.valid_until:%d.%m.%Y}", new_x="LMARGIN", new_y="NEXT")
    if quote.ship_by:
        pdf.cell(width, 5, f"{quote.texts['ship_by']}: {quote.ship_by:%d.%m.%Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    if offer:
        _block(pdf, quote.texts["supplier"], offer.supplier, width)
    if quote.customer:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 6, quote.texts["customer"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for text in quote.customer:
            pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    for number, part in enumerate(quote.parts, start=1):
        _part(pdf, number, part, width)

    pdf.ln(2)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2)
    for index, (label, amount) in enumerate(quote.totals):
        last = index == len(quote.totals) - 1
        pdf.set_font("DejaVu", "B" if last else "", 11 if last else 10)
        pdf.cell(width - 45, 6, label, align="R")
        pdf.cell(45, 6, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    if offer:
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(width, 5, f"{quote.texts['total_words']}: {offer.total_words}", align="L",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if offer:
        _signature(pdf, quote.texts["signature"], offer.signatory, width)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(80, 80, 80)
    for text in quote.footer:
        pdf.multi_cell(width, 4.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _logo(pdf: PortalPdf, logo: bytes) -> None:
    try:
        pdf.image(io.BytesIO(logo), x=pdf.l_margin, y=pdf.get_y(), h=14, keep_aspect_ratio=True)
    except Exception:  # noqa: BLE001 - a logo the PDF library cannot place must not cost the offer
        return
    pdf.ln(16)


def _block(pdf: PortalPdf, title: str, lines: list[str], width: float) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(width, 6, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for text in lines:
        pdf.multi_cell(width, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _signature(pdf: PortalPdf, title: str, signatory: str, width: float) -> None:
    if pdf.get_y() + 16 > pdf.page_break_trigger:
        pdf.add_page()
    y = pdf.get_y() + 6
    pdf.set_font("DejaVu", "", 9)
    pdf.set_xy(pdf.l_margin, y)
    pdf.cell(40, 6, title)
    pdf.line(pdf.l_margin + 42, y + 5, pdf.l_margin + 90, y + 5)
    pdf.set_xy(pdf.l_margin + 94, y)
    pdf.multi_cell(width - 94, 6, signatory, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _part(pdf: PortalPdf, number: int, part: PdfPart, width: float) -> None:
    needed = 12 + 5 * (len(part.options) + len(part.lines)) + (THUMB_MM if part.thumbnail else 0) / 3
    if pdf.get_y() + min(needed, 120) > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, top, pdf.l_margin + width, top)
    pdf.ln(2)
    text_x = pdf.l_margin
    if part.thumbnail:
        try:
            pdf.image(io.BytesIO(part.thumbnail), x=pdf.l_margin, y=pdf.get_y(), w=THUMB_MM, h=THUMB_MM,
                      keep_aspect_ratio=True)
            text_x = pdf.l_margin + THUMB_MM + 4
        except Exception:  # noqa: BLE001 - a broken preview must not cost the customer the quote
            text_x = pdf.l_margin
    text_width = width - (text_x - pdf.l_margin)
    pdf.set_x(text_x)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(text_width, 6, f"{number}. {part.name}", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.set_x(text_x)
    pdf.cell(text_width, 5, part.quantity_text, new_x="LEFT", new_y="NEXT")
    for label, value in part.options:
        pdf.set_x(text_x)
        pdf.multi_cell(text_width, 5, f"{label}: {value}", new_x="LEFT", new_y="NEXT")
    if part.note:
        pdf.set_x(text_x)
        pdf.set_text_color(150, 70, 0)
        pdf.multi_cell(text_width, 5, part.note, new_x="LEFT", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    for label, amount in part.lines:
        pdf.set_x(text_x)
        pdf.cell(text_width - 45, 5, label)
        pdf.cell(45, 5, amount, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_x(text_x)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(text_width - 45, 6, "")
    pdf.cell(45, 6, part.total_text, align="R", new_x="LMARGIN", new_y="NEXT")
    if part.thumbnail and pdf.get_y() < top + THUMB_MM + 4:
        pdf.set_y(top + THUMB_MM + 4)
    pdf.ln(2)


TEXTS = {
    "issued": N_("Issued"),
    "valid_until": N_("Valid until"),
    "customer": N_("Customer"),
    "supplier": N_("Supplier"),
    "ship_by": N_("Ships by"),
    "total_words": N_("Total in words"),
    "signature": N_("Signature"),
}


def _texts() -> dict[str, str]:
    return {key: gettext(text) for key, text in TEXTS.items()}


def customer_lines(customer: User) -> list[str]:
    lines = [f"{customer.full_name} · {customer.email}"]
    if customer.is_legal:
        lines.append(customer.company_name)
        lines.append(gettext(N_("INN %(inn)s, KPP %(kpp)s")) % {"inn": customer.inn, "kpp": customer.kpp})
        if customer.legal_address:
            lines.append(customer.legal_address)
    return lines


def pdf_part(name: str, quantity: int, options: dict, price_lines: list[dict], total: Decimal | None,
             currency: str, review_reason: str | None, thumbnail: bytes | None) -> PdfPart:
    shown = [line for line in price_lines if line.get("code") not in ("subtotal", "vat", "total")
             and (Decimal(str(line.get("amount", "0"))) != 0 or line.get("code") in ("material", "machine_time"))]
    return PdfPart(
        name=name,
        quantity_text=gettext(N_("Quantity: %(quantity)s")) % {"quantity": quantity} if total is None or not quantity
        else gettext(N_("Quantity: %(quantity)s, %(price)s each")) % {
            "quantity": quantity, "price": money(round_money(total / quantity), currency)},
        options=options_summary(options),
        lines=[(price_line_label(line), money(line.get("amount"), currency)) for line in shown],
        total_text=money(total, currency) if total is not None else gettext(N_("price to be confirmed")),
        note="" if total is not None else review_reason_name(review_reason),
        thumbnail=thumbnail,
    )


def totals_rows(subtotal: Decimal, vat: Decimal, vat_rate: Decimal, total: Decimal, currency: str,
                unpriced: bool, charges: list[dict] = (), without_vat: bool = False) -> list[tuple[str, str]]:
    if without_vat:  # the supplier pays no VAT (the simplified tax system)
        tax = [(gettext(N_("Without VAT (simplified tax system)")), ""), (gettext(N_("Total")), money(total, currency))]
    else:
        tax = [(gettext(N_("Subtotal")), money(subtotal, currency)),
               (gettext(N_("VAT %(percent)s %%")) % {"percent": percent(vat_rate)}, money(vat, currency)),
               (gettext(N_("Total, with VAT")), money(total, currency))]
    rows = [
        *((charge_label(charge, currency), money(charge["amount"], currency)) for charge in charged(charges)),
        *tax,
    ]
    if unpriced:
        note = N_("Some parts are priced later by our staff; the total is for the priced parts.")
        rows.insert(0, (gettext(note), ""))
    return rows


def footer_lines(rate_card_version: str) -> list[str]:
    return [
        gettext(N_("Prices include VAT where shown. This quote is valid for %(days)s days from its date.")) % {
            "days": VALID_DAYS},
        gettext(N_("Priced with rate card version %(version)s.")) % {"version": rate_card_version or "—"},
    ]


def supplier_lines(details: CompanyDetails) -> list[str]:
    tax_ids = gettext(N_("INN %(inn)s, KPP %(kpp)s")) % {"inn": details.inn, "kpp": details.kpp} if details.kpp \
        else gettext(N_("INN %(inn)s")) % {"inn": details.inn}
    bank = gettext(N_("Account %(account)s at %(bank)s, BIK %(bik)s, correspondent account %(corr)s")) % {
        "account": details.settlement_account, "bank": details.bank_name, "bik": details.bik,
        "corr": details.correspondent_account}
    return [details.legal_name, f"{tax_ids}, {gettext(N_('OGRN'))} {details.ogrn}", details.legal_address, bank]


def offer(details: CompanyDetails | None, total: Decimal) -> PdfOffer | None:
    if details is None:
        return None
    return PdfOffer(supplier=supplier_lines(details), total_words=roubles_in_words(total, current_language.get()),
                    signatory=details.signatory, logo=details.logo)


def _longest_lead(days: list[int | None]) -> int | None:
    known = [day for day in days if day is not None]
    return max(known) if known else None


def order_quote(order: Order, thumbnails: dict[str, bytes], issued: date,
                details: CompanyDetails | None = None) -> PdfQuote:
    """The quote of a placed order, at its frozen prices; a commercial offer with our details."""
    parts = [
        pdf_part(line.file_name, line.quantity, line.options, line.price_lines if line.override_total is None else [],
                 line.total, order.currency, line.review_reason,
                 thumbnails.get(line.thumbnail_key or ""))
        for line in order.lines
    ]
    for part, line in zip(parts, order.lines, strict=True):
        if line.override_total is not None:
            part.note = gettext(N_("Price set by our staff."))  # the reason stays with staff
    title = N_("Commercial offer No. %(number)s") if details else N_("Quote for order %(number)s")
    return PdfQuote(
        title=gettext(title) % {"number": order.number},
        reference=gettext(N_("Order %(number)s")) % {"number": order.number}
        + (f" · PO {order.po_number}" if order.po_number else ""),
        issued=issued,
        texts=_texts(),
        customer=customer_lines(order.customer),
        parts=parts,
        totals=totals_rows(order.subtotal, order.vat, order.vat_rate, order.total, order.currency, order.needs_review,
                           order.charges, without_vat=bool(details and details.vat_mode == "none")),
        footer=footer_lines(order.rate_card_version),
        ship_by=order_ship_by(order) if order.status != "cancelled" else None,
        offer=offer(details, order.total),
    )


def cart_quote(cart: PricedCart, customer: User, thumbnails: dict[str, bytes], issued: date,
               details: CompanyDetails | None = None) -> PdfQuote:
    """The quote of the cart at the current rate card; a commercial offer with our details."""
    total = sum((line.quoted_total for line in cart.lines if line.quoted_total is not None), Decimal(0))
    total += sum((Decimal(charge["amount"]) for charge in cart.charges), Decimal(0))
    vat = round_money(total * cart.vat_rate / (1 + cart.vat_rate))
    parts = [
        pdf_part(line.file_name, line.quantity, line.options, line.price_lines, line.quoted_total, cart.currency,
                 line.review_reason, thumbnails.get(line.thumbnail_key or ""))
        for line in cart.lines
    ]
    lead = _longest_lead([line.lead_time_days for line in cart.lines])
    # a cart has no number of its own: the day and the customer make one a buyer can refer to
    number = f"{issued:%y%m%d}-{customer.id.hex[:6].upper()}"
    title = gettext(N_("Commercial offer No. %(number)s")) % {"number": number} if details else gettext(N_("Quote"))
    return PdfQuote(
        title=title,
        reference=gettext(N_("Quote of %(date)s")) % {"date": f"{issued:%d.%m.%Y}"},
        issued=issued,
        texts=_texts(),
        customer=customer_lines(customer),
        parts=parts,
        totals=totals_rows(total - vat, vat, cart.vat_rate, total, cart.currency,
                           any(line.quoted_total is None for line in cart.lines), cart.charges,
                           without_vat=bool(details and details.vat_mode == "none")),
        footer=footer_lines(cart.rate_card_version),
        ship_by=ship_by(issued, lead) if lead else None,
        offer=offer(details, total),
    )
