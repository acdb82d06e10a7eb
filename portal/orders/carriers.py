"""The carriers staff ship with, and the tracking link each one gives a customer.

A carrier's `url` has `{number}` where the tracking number goes; None: nothing to follow
(a pickup from our workshop)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from portal.core.i18n import N_


@dataclass(frozen=True)
class Carrier:
    name: str  # English source text, translated where shown
    url: str | None


CARRIERS: dict[str, Carrier] = {
    "cdek": Carrier(N_("CDEK"), "https://www.cdek.ru/ru/tracking?order_id={number}"),
    "pochta": Carrier(N_("Russian Post"), "https://www.pochta.ru/tracking#{number}"),
    "dellin": Carrier(N_("Delovye Linii"), "https://www.dellin.ru/tracker/orders/{number}/"),
    "pickup": Carrier(N_("Pickup from our workshop"), None),
}

TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")  # letters, digits, single dashes
MAX_TRACKING = 40


def tracking_url(carrier: str, number: str) -> str | None:
    """The carrier's page for this shipment; the number is checked when recorded and quoted anyway."""
    known = CARRIERS.get(carrier)
    if known is None or known.url is None or not number:
        return None
    return known.url.format(number=quote(number, safe=""))
