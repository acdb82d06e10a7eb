"""The invoice (счёт на оплату) the portal issues when Bitrix24 does not: the usual Russian layout
(bank block, supplier, buyer, numbered lines, VAT, total in words, signatures) and a payment QR code
in the GOST R 56042-2014 format that banking apps read.

`order_invoice(...)` gathers the data during the request; `render_invoice_pdf(invoice)` only lays it
out (pure, run in a worker thread). The invoice is a Russian document: it stays in Russian.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import segno

from portal.db.company import CompanyDetails
from portal.db.models import Order, User
from portal.orders.charges import charged
from portal.orders.charges import money as round_money
from portal.orders.quote_pdf import PortalPdf
from portal.orders.words import roubles_in_words

# From "awaiting payment" on, the order's prices are settled and the customer may pay.
INVOICE_STATUSES = ("awaiting_payment", "in_production", "shipped", "completed")
QR_MM = 32  # banking apps want at least 25 mm printed
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")
CHARGE_NAMES = {"setup": "Подготовка производства", "minimum_order": "Доплата до минимальной суммы заказа"}


@dataclass
class InvoiceLine:
    name: str
    quantity: int
    unit: str
    price: Decimal
    amount: Decimal


@dataclass
class PdfInvoice:
    number: int
    issued: date
    supplier: CompanyDetails
    buyer: list[str]
    basis: str
    lines: list[InvoiceLine]
    total: Decimal
    vat: Decimal
    vat_label: str  # "НДС 22%" or "Без НДС"
    qr_text: str


def invoice_due(order: Order) -> bool:
    return order.status in INVOICE_STATUSES and not order.needs_review


def long_russian_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year} г."


def rubles(amount: Decimal) -> str:
    """1 234,50: the way Russian documents print sums."""
    return f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")


def vat_label(details: CompanyDetails, rate: Decimal) -> str:
    if details.vat_mode == "none" or rate == 0:
        return "Без НДС"
    return f"НДС {(rate * 100).normalize():f}%"


def payment_qr_text(details: CompanyDetails, number: int, issued: date, total: Decimal, vat_text: str) -> str:
    """The ST00012 string: required fields in their order, then the payee's INN/KPP, the sum in
    kopecks and the purpose. Values cannot hold "|" (the details form refuses it)."""
    purpose = f"Оплата по счёту № {number} от {issued:%d.%m.%Y}, {vat_text.replace('Без НДС', 'без НДС')}"
    fields = [
        ("Name", details.legal_name),
        ("PersonalAcc", details.settlement_account),
        ("BankName", details.bank_name),
        ("BIC", details.bik),
        ("CorrespAcc", details.correspondent_account or "0"),
        ("PayeeINN", details.inn),
        *((("KPP", details.kpp),) if details.kpp else ()),
        ("Sum", str(int(total * 100))),
        ("Purpose", purpose[:210]),
    ]
    return "ST00012|" + "|".join(f"{key}={value.replace('|', ' ')}" for key, value in fields)


def buyer_lines(customer: User) -> list[str]:
    if not customer.is_business:
        return [customer.full_name]
    parts = [customer.company_name, f"ИНН {customer.inn}"]
    if customer.kpp:
        parts.append(f"КПП {customer.kpp}")
    if customer.legal_address:
        parts.append(customer.legal_address)
    return [", ".join(parts)]


def _line_name(line) -> str:
    options = line.options or {}
    details = [options.get(key) for key in ("process_name", "material_name") if options.get(key)]
    return f"Изготовление детали «{line.file_name}»" + (f" ({', '.join(details)})" if details else "")


def _charge_name(charge: dict) -> str:
    name = CHARGE_NAMES.get(charge["code"], charge["code"])
    part = (charge.get("args") or {}).get("part")
    return f"{name}: «{part}»" if part else name


def order_invoice(order: Order, details: CompanyDetails, issued: date) -> PdfInvoice:
    lines = [
        InvoiceLine(_line_name(line), line.quantity, "шт", round_money(line.total / line.quantity), line.total)
        for line in order.lines
    ]
    lines += [
        InvoiceLine(_charge_name(charge), 1, "усл", Decimal(charge["amount"]), Decimal(charge["amount"]))
        for charge in charged(order.charges)
    ]
    label = vat_label(details, order.vat_rate)
    return PdfInvoice(
        number=order.number,
        issued=issued,
        supplier=details,
        buyer=buyer_lines(order.customer),
        basis=f"Заказ № {order.number}" + (f", заявка покупателя № {order.po_number}" if order.po_number else ""),
        lines=lines,
        total=order.total,
        vat=order.vat if label != "Без НДС" else Decimal(0),
        vat_label=label,
        qr_text=payment_qr_text(details, order.number, issued, order.total, label),
    )


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def render_invoice_pdf(invoice: PdfInvoice) -> bytes:
    supplier = invoice.supplier
    pdf = PortalPdf(f"Счёт № {invoice.number}")
    pdf.set_title(f"Счёт на оплату № {invoice.number}")
    pdf.set_creator("Manufacturing portal")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw
    if supplier.logo:
        try:
            pdf.image(io.BytesIO(supplier.logo), x=pdf.l_margin, y=pdf.get_y(), h=14, keep_aspect_ratio=True)
            pdf.ln(16)
        except Exception:  # noqa: BLE001 - a logo the PDF library cannot place must not cost the invoice
            pass
    _bank_block(pdf, supplier, width)
    pdf.ln(5)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(width, 8, f"Счёт на оплату № {invoice.number} от {long_russian_date(invoice.issued)}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.l_margin + width, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(4)
    supplier_text = ", ".join(part for part in (
        supplier.legal_name, f"ИНН {supplier.inn}", f"КПП {supplier.kpp}" if supplier.kpp else "",
        supplier.legal_address) if part)
    _party(pdf, "Поставщик (Исполнитель):", supplier_text, width)
    _party(pdf, "Покупатель (Заказчик):", "; ".join(invoice.buyer), width)
    _party(pdf, "Основание:", invoice.basis, width)
    pdf.ln(2)
    _lines_table(pdf, invoice, width)
    _totals(pdf, invoice, width)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, f"Всего наименований {len(invoice.lines)}, на сумму {rubles(invoice.total)} руб.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(width, 5, roubles_in_words(invoice.total, "ru"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _signatures_and_qr(pdf, invoice, width)
    return bytes(pdf.output())


def _bank_block(pdf: PortalPdf, supplier: CompanyDetails, width: float) -> None:
    """The bank block of the standard form: the payee's bank, BIK and accounts, INN/KPP, payee."""
    left, label, right = width * 0.55, width * 0.1, width * 0.35
    x, y = pdf.l_margin, pdf.get_y()
    pdf.set_font("DejaVu", "", 9)
    pdf.set_draw_color(0, 0, 0)
    pdf.rect(x, y, left, 14)
    pdf.set_xy(x + 1, y + 1)
    pdf.multi_cell(left - 2, 4.5, supplier.bank_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    pdf.set_xy(x + 1, y + 10)
    pdf.cell(left - 2, 4, "Банк получателя")
    pdf.set_font("DejaVu", "", 9)
    for row, (name, value) in enumerate((("БИК", supplier.bik), ("Сч. №", supplier.correspondent_account))):
        pdf.set_xy(x + left, y + row * 7)
        pdf.cell(label, 7, name, border=1)
        pdf.cell(right, 7, value, border=1 if row == 0 else "LRT")
    y2 = y + 14
    half = left / 2
    pdf.set_xy(x, y2)
    pdf.cell(half, 6, f"ИНН {supplier.inn}", border=1)
    pdf.cell(half, 6, f"КПП {supplier.kpp}" if supplier.kpp else "КПП", border=1)
    pdf.cell(label, 6, "Сч. №", border="LRT")
    pdf.cell(right, 6, supplier.settlement_account, border="LRT")
    pdf.rect(x, y2 + 6, left, 14)
    pdf.set_xy(x + 1, y2 + 7)
    pdf.multi_cell(left - 2, 4.5, supplier.legal_name, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    pdf.set_xy(x + 1, y2 + 16)
    pdf.cell(left - 2, 4, "Получатель")
    pdf.rect(x + left, y2 + 6, label, 14)
    pdf.rect(x + left + label, y2 + 6, right, 14)
    pdf.set_xy(x, y2 + 20)


PARTY_LABEL_MM = 46


def _party(pdf: PortalPdf, title: str, text: str, width: float) -> None:
    pdf.set_font("DejaVu", "", 9)
    y = pdf.get_y()
    pdf.cell(PARTY_LABEL_MM, 5, title)
    pdf.set_xy(pdf.l_margin + PARTY_LABEL_MM, y)
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(width - PARTY_LABEL_MM, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


COLUMNS = (("№", 8, "C"), ("Товары (работы, услуги)", 0, "L"), ("Кол-во", 16, "R"), ("Ед.", 12, "C"),
           ("Цена", 28, "R"), ("Сумма", 30, "R"))


def _lines_table(pdf: PortalPdf, invoice: PdfInvoice, width: float) -> None:
    fixed = sum(column[1] for column in COLUMNS)
    widths = [column[1] or width - fixed for column in COLUMNS]
    pdf.set_font("DejaVu", "B", 8.5)
    for (title, _, _), column_width in zip(COLUMNS, widths, strict=True):
        pdf.cell(column_width, 6, title, border=1, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", 8.5)
    for number, line in enumerate(invoice.lines, start=1):
        values = (str(number), line.name, str(line.quantity), line.unit, rubles(line.price), rubles(line.amount))
        name_lines = pdf.multi_cell(widths[1] - 1, 4.5, line.name, dry_run=True, output="LINES")
        height = 4.5 * max(1, len(name_lines)) + 1
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        for value, column_width, (_, _, align) in zip(values, widths, COLUMNS, strict=True):
            pdf.rect(x, y, column_width, height)
            pdf.set_xy(x + 0.5, y + 0.5)
            pdf.multi_cell(column_width - 1, 4.5, value, align=align)
            x += column_width
        pdf.set_xy(pdf.l_margin, y + height)


def _totals(pdf: PortalPdf, invoice: PdfInvoice, width: float) -> None:
    rows = [("Итого:", rubles(invoice.total))]
    if invoice.vat_label == "Без НДС":
        rows.append(("Без налога (НДС)", "—"))
    else:
        rows.append((f"В том числе {invoice.vat_label}:", rubles(invoice.vat)))
    rows.append(("Всего к оплате:", rubles(invoice.total)))
    pdf.ln(1)
    pdf.set_font("DejaVu", "B", 9)
    for label, value in rows:
        pdf.cell(width - 30, 5.5, label, align="R")
        pdf.cell(30, 5.5, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _signatures_and_qr(pdf: PortalPdf, invoice: PdfInvoice, width: float) -> None:
    if pdf.get_y() + QR_MM + 10 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, top, pdf.l_margin + width, top)
    pdf.set_line_width(0.2)
    pdf.ln(6)
    text_width = width - QR_MM - 6
    pdf.set_font("DejaVu", "B", 9)
    for role in ("Руководитель", "Бухгалтер"):
        y = pdf.get_y()
        pdf.cell(30, 6, role)
        pdf.line(pdf.l_margin + 32, y + 5, pdf.l_margin + 72, y + 5)
        pdf.set_font("DejaVu", "", 9)
        pdf.set_xy(pdf.l_margin + 76, y)
        pdf.multi_cell(text_width - 76, 6, invoice.supplier.signatory, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 9)
        pdf.ln(4)
    pdf.image(io.BytesIO(qr_png(invoice.qr_text)), x=pdf.l_margin + width - QR_MM, y=top + 3, w=QR_MM, h=QR_MM)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_xy(pdf.l_margin + width - QR_MM - 4, top + QR_MM + 3)
    pdf.cell(QR_MM + 4, 4, "Оплата по QR-коду", align="C")


def invoice_state(order: Order, documents: list, details: CompanyDetails | None) -> str | None:
    """What the order page offers: "uploaded" (an invoice from Bitrix24 or staff is among the
    documents, and it wins), "ready" (the portal makes one), "missing_details" (due, but our
    company's details are not filled in), or None (not due yet)."""
    if any(document.kind == "invoice" for document in documents):
        return "uploaded"
    if not invoice_due(order):
        return None
    return "ready" if details is not None else "missing_details"


def invoice_date(order: Order, events: list) -> date:
    """The day the order began to await payment: the invoice keeps its date when fetched again."""
    moved = next((event.created_at for event in events if event.to_status == "awaiting_payment"), None)
    return (moved or order.created_at).astimezone().date()
