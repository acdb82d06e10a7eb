"""Charges that belong to the order, not to a part: setup and programming once per part design,
whatever its quantity and however many lines carry it, and the minimum order top-up once, on the
total. They are worked out when the cart is priced, frozen with the order as plain data
(`[{"code", "amount", "args"}]`, amounts with VAT), and the top-up follows when staff price a line
by hand."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def design_of(sha256: str, options: dict[str, Any]) -> tuple[str, str, str]:
    """One part design as the shop sets it up: the same geometry, read in the same units, made by
    the same process (another material or quantity needs no new program)."""
    return sha256, str(options.get("units") or "mm"), str(options.get("process") or "")


def setup_charge(part_name: str, net: Decimal, vat_rate: Decimal) -> dict[str, Any]:
    return {"code": "setup", "amount": str(money(net * (1 + vat_rate))), "args": {"part": part_name}}


def minimum_charge(minimum_net: Decimal, vat_rate: Decimal, priced: Decimal) -> dict[str, Any]:
    """The top-up that brings `priced` (with VAT) to the minimum order; kept even at zero, so the
    minimum is known when a price changes later."""
    floor = money(minimum_net * (1 + vat_rate))
    return {"code": "minimum_order", "amount": str(max(floor - priced, Decimal(0))),
            "args": {"minimum": str(minimum_net)}}


def amount(charge: dict[str, Any]) -> Decimal:
    return Decimal(charge["amount"])


def charged(charges: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The charges to show: a top-up of nothing is not a line."""
    return [charge for charge in charges if amount(charge) != 0]


def with_new_minimum(charges: list[dict[str, Any]], lines_total: Decimal, vat_rate: Decimal) -> list[dict[str, Any]]:
    """The charges after the lines' total changed: the top-up made again from the kept minimum."""
    others = [charge for charge in charges if charge["code"] != "minimum_order"]
    kept = next((charge for charge in charges if charge["code"] == "minimum_order"), None)
    if kept is None:
        return others
    priced = lines_total + sum((amount(charge) for charge in others), Decimal(0))
    return [*others, minimum_charge(Decimal(kept["args"]["minimum"]), vat_rate, priced)]
