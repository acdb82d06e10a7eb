"""Order texts in the reader's language: statuses, events, frozen price lines, money."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from portal.core.documents import ACCEPT, KIND_LIST, MAX_DOCUMENT_BYTES
from portal.core.i18n import N_, current_language, gettext, local_money
from portal.orders.carriers import CARRIERS, tracking_url
from portal.orders.charges import charged
from portal.orders.lifecycle import STATUS_NAMES
from portal.orders.thumbnails import has_thumbnail
from portal.quotes.labels import LINES  # frozen price lines are worded as the quote panel words them

PAYMENT_NAMES = {
    "card": N_("Card or bank transfer after confirmation"),
    "invoice": N_("Invoice to the company"),
}

PAYMENT_WAYS = {
    "bank_transfer": N_("Bank transfer"),
    "card": N_("Card"),
    "cash": N_("Cash"),
    "yookassa": N_("Card, online"),
}

DOCUMENT_KINDS = {"drawing": N_("Drawing"), "invoice": N_("Invoice"), "other": N_("Document")}

REVIEW_REASONS = {
    "exceeds_envelope": N_("The part is too large for every process we offer."),
    "no_solid": N_("The file has surfaces but no closed solid, so its volume is unknown."),
    "not_manufacturable": N_("The part cannot be made with these options as it is."),
    "bad_part": N_("The part has no usable volume or surface to price."),
}


def new_pay_key() -> str:
    """The "Pay by card" form's key: the same form sent twice asks YooKassa for one payment."""
    return secrets.token_urlsafe(24)


def status_name(status: str) -> str:
    return gettext(STATUS_NAMES.get(status, status))


def payment_name(method: str) -> str:
    return gettext(PAYMENT_NAMES.get(method, method))


def payment_way_name(method: str) -> str:
    return gettext(PAYMENT_WAYS.get(method, method))


PAYMENT_FILTERS = {
    "unpaid": N_("Not paid in full"),
    "paid": N_("Paid in full"),
    "overdue": N_("Payment overdue"),
}


def payment_filter_name(name: str) -> str:
    return gettext(PAYMENT_FILTERS.get(name, name))


def carrier_name(carrier: str) -> str:
    known = CARRIERS.get(carrier)
    return gettext(known.name) if known else carrier


def document_kind_name(kind: str) -> str:
    return gettext(DOCUMENT_KINDS.get(kind, kind))


def review_reason_name(code: str | None) -> str:
    return gettext(REVIEW_REASONS.get(code or "", N_("The part needs a price from our staff.")))


def percent(fraction: Decimal | str) -> str:
    text = f"{Decimal(str(fraction)) * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(amount: Decimal | str | None, currency: str = "RUB") -> str:
    return "—" if amount is None else local_money(amount, currency)


def in_language(values: dict[str, Any], key: str) -> Any:
    """A frozen rate-card name in the reader's language: `{key}_ru` on Russian pages when set."""
    return values.get(f"{key}_{current_language.get()}") or values.get(key)


def price_line_label(line: dict[str, Any]) -> str:
    """A frozen quote line: {"code", "amount", "args"} → its label in the reader's language."""
    code = line.get("code", "")
    template = LINES.get(code)
    if template is None:
        return str(line.get("label") or code)
    args = line.get("args") or {}
    try:
        return gettext(template) % {key: in_language(args, key) for key in args}
    except (KeyError, TypeError, ValueError):
        return str(line.get("label") or code)


CHARGES = {
    "setup": N_("Setup and programming: %(part)s (once per part design)"),
    "minimum_order": N_("Minimum order top-up (the minimum order is %(minimum)s before VAT)"),
}


def charge_label(charge: dict[str, Any], currency: str = "RUB") -> str:
    """An order's charge (see `portal.orders.charges`) in the reader's language."""
    args = dict(charge.get("args") or {})
    if "minimum" in args:
        args["minimum"] = money(args["minimum"], currency)
    return gettext(CHARGES.get(charge["code"], charge["code"])) % args


def options_summary(options: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of a line's frozen options, for pages and the PDF."""
    rows = [
        (N_("Process"), in_language(options, "process_name") or options.get("process")),
        (N_("Material"), in_language(options, "material_name") or options.get("material")),
        (N_("Finish"), in_language(options, "finish_name") or options.get("finish") or gettext(N_("None (as made)"))),
        (N_("Tolerance"), in_language(options, "tolerance_name") or options.get("tolerance")),
        (N_("Lead time"), in_language(options, "lead_time_name") or options.get("lead_time")),
    ]
    return [(gettext(label), str(value)) for label, value in rows if value]


TEMPLATE_GLOBALS = {
    "status_name": status_name,
    "payment_name": payment_name,
    "document_kind_name": document_kind_name,
    "document_thumbnail": has_thumbnail,
    "document_accept": ACCEPT,
    "document_kinds": KIND_LIST,
    "document_limit_mb": MAX_DOCUMENT_BYTES // 2**20,
    "payment_way_name": payment_way_name,
    "carrier_name": carrier_name,
    "payment_filter_name": payment_filter_name,
    "tracking_url": tracking_url,
    "new_pay_key": new_pay_key,
    "review_reason_name": review_reason_name,
    "order_money": money,
    "price_line_label": price_line_label,
    "charge_label": charge_label,
    "charged": charged,
    "options_summary": options_summary,
}
