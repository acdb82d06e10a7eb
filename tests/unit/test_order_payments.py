"""Pure parts of payments and shipments: amounts as typed, tracking links, the shipment form,
and the YooKassa client's retries (on an httpx mock transport)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from uuid import uuid4

import httpx
import pytest

from portal.config import PaymentSettings
from portal.orders.carriers import tracking_url
from portal.orders.schemas import clean_payment, clean_shipment, parse_amount
from portal.orders.yookassa import YooKassa, YooKassaRefused, YooKassaUnavailable

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(("text", "amount"), [
    ("1830", Decimal("1830")), ("1 830,50", Decimal("1830.50")), ("1\u00a0830.5", Decimal("1830.5")),
    ("0.01", Decimal("0.01")), ("0", None), ("-1", None), ("1.001", None), ("NaN", None), ("Infinity", None),
    ("1e999999", None), ("100000000", None), ("", None), ("12 руб", None),
])
def test_amounts_are_read_as_people_type_them(text: str, amount: Decimal | None) -> None:
    assert parse_amount(text) == amount


def test_a_payment_date_in_the_future_or_unreadable_is_refused() -> None:
    form, _, paid_on = clean_payment({"amount": "10", "method": "cash", "paid_on": "2026-12-08"}, TODAY)
    assert form.ok and paid_on == date(2026, 12, 8)  # tomorrow: a time zone ahead of ours
    form, _, _ = clean_payment({"amount": "10", "method": "cash", "paid_on": "2026-12-09"}, TODAY)
    assert "paid_on" in form.errors
    form, _, _ = clean_payment({"amount": "10", "method": "cash", "paid_on": "07.12.2026"}, TODAY)
    assert "paid_on" in form.errors
    form, _, paid_on = clean_payment({"amount": "10", "method": "cash"}, TODAY)
    assert form.ok and paid_on == TODAY


def test_tracking_links_follow_each_carriers_template() -> None:
    assert tracking_url("cdek", "1234567890") == "https://www.cdek.ru/ru/tracking?order_id=1234567890"
    assert tracking_url("pochta", "RA123456789RU") == "https://www.pochta.ru/tracking#RA123456789RU"
    assert tracking_url("pickup", "1") is None and tracking_url("nope", "1") is None
    assert tracking_url("cdek", "") is None


@pytest.mark.parametrize(("number", "ok"), [
    ("1234567890", True), ("RA123456789RU", True), ("AB-12-C", True), ("-12", False), ("12-", False),
    ("1--2", False), ("<b>1</b>", False), ("12 34", False), ("1/2", False), ("Ж123", False), ("A" * 41, False),
])
def test_tracking_numbers_are_letters_digits_and_dashes(number: str, ok: bool) -> None:
    line = uuid4()
    form, _, quantities = clean_shipment(
        {"carrier": "cdek", "tracking_number": number, f"quantity-{line}": "2"}, [line], TODAY
    )
    assert ("tracking_number" not in form.errors) is ok
    assert quantities == {line: 2}


def kassa(handler) -> YooKassa:
    settings = PaymentSettings(yookassa_shop_id="1", yookassa_secret_key="s", yookassa_api_url="https://kassa.test/v3/",
                               yookassa_attempts=3)
    return YooKassa(settings, transport=httpx.MockTransport(handler), retry_base=0.01)


async def test_the_client_retries_429_and_5xx_with_the_same_key_then_gives_up() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["Idempotence-Key"], json.loads(request.content)))
        return httpx.Response(429 if len(seen) == 1 else 500, json={"type": "error", "code": "too_many_requests"})

    async with kassa(handler) as client:
        with pytest.raises(YooKassaUnavailable):
            await client.refund("pay-1", Decimal("10"), "RUB", key="refund-1")
    assert [key for key, _ in seen] == ["refund-1"] * 3
    assert seen[0][1] == {"payment_id": "pay-1", "amount": {"value": "10.00", "currency": "RUB"}}


async def test_the_client_does_not_retry_a_refusal_or_put_a_strange_id_in_a_url() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(401, json={"type": "error", "code": "invalid_credentials", "description": "no"})

    async with kassa(handler) as client:
        with pytest.raises(YooKassaRefused) as refused:
            await client.payment("abc-1")
        assert refused.value.code == "invalid_credentials"
        with pytest.raises(YooKassaRefused):
            await client.payment("../refunds")
    assert calls == ["/v3/payments/abc-1"]
