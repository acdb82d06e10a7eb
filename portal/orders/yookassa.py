"""YooKassa's REST API v3 (card payments), as much of it as the portal uses: create a payment,
read one, refund one.

Every POST carries an Idempotence-Key: a request repeated with the same key (a retry after a
timeout, a second click) gives the same payment or refund, never a second charge. A 429 or a 5xx
answer, or no answer at all, is tried again with the portal's backoff and the same key; after the
last attempt it is a `YooKassaUnavailable`. Any other error answer is a `YooKassaRefused`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import anyio
import httpx

from portal.config import PaymentSettings
from portal.core.backoff import backoff

OBJECT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # YooKassa's ids; anything else never reaches a URL
RETRY_BASE_SECONDS = 0.5


class YooKassaError(Exception):
    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description


class YooKassaUnavailable(YooKassaError):
    """No answer, 429 or 5xx after every attempt: worth trying again later with the same key."""


class YooKassaRefused(YooKassaError):
    """An error answer that the same request will get again (bad request, credentials, not found)."""


class YooKassaRefundCanceled(YooKassaRefused):
    """A refund YooKassa answered `canceled`: no money went back. The reason is its
    `cancellation_details` (who refused, and why: e.g. yoo_money, insufficient_funds)."""

    @classmethod
    def of(cls, refund: dict[str, Any]) -> YooKassaRefundCanceled:
        details = refund.get("cancellation_details") or {}
        reason, party = str(details.get("reason") or "unknown"), str(details.get("party") or "")
        return cls("canceled", f"{reason} ({party})" if party else reason)


def amount_of(value: Decimal, currency: str = "RUB") -> dict[str, str]:
    return {"value": f"{value.quantize(Decimal('0.01')):f}", "currency": currency}


class YooKassa:
    def __init__(self, settings: PaymentSettings, transport: httpx.AsyncBaseTransport | None = None,
                 retry_base: float = RETRY_BASE_SECONDS) -> None:
        self._attempts = settings.yookassa_attempts
        self._retry_base = retry_base
        self._http = httpx.AsyncClient(
            base_url=settings.yookassa_api_url,
            auth=(settings.yookassa_shop_id or "", settings.yookassa_secret_key or ""),
            timeout=settings.yookassa_timeout,
            transport=transport,
        )

    async def __aenter__(self) -> YooKassa:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def create_payment(self, amount: Decimal, currency: str, order_id: str, description: str,
                             return_url: str, key: str, receipt: dict | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "amount": amount_of(amount, currency),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": return_url},
            "description": description[:128],
            "metadata": {"order_id": order_id},
        }
        if receipt is not None:
            body["receipt"] = receipt
        return await self._call("POST", "payments", body, key)

    async def payment(self, payment_id: str) -> dict[str, Any]:
        if not OBJECT_ID.match(payment_id):
            raise YooKassaRefused("not_found", "not a payment id")
        return await self._call("GET", f"payments/{payment_id}")

    async def refund(self, payment_id: str, amount: Decimal, currency: str, key: str,
                     receipt: dict | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"payment_id": payment_id, "amount": amount_of(amount, currency)}
        if receipt is not None:
            body["receipt"] = receipt
        return await self._call("POST", "refunds", body, key)

    async def _call(self, method: str, path: str, body: dict | None = None, key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotence-Key": key} if key else {}
        failure: YooKassaError = YooKassaUnavailable("no_attempt")
        for attempt in range(1, self._attempts + 1):
            if attempt > 1:
                await anyio.sleep(backoff(attempt - 1, self._retry_base, cap=10))
            try:
                response = await self._http.request(method, path, json=body, headers=headers)
            except httpx.TransportError as error:
                failure = YooKassaUnavailable("no_answer", str(error))
                continue
            answer = _json(response)
            if response.status_code == 429 or response.status_code >= 500:
                failure = YooKassaUnavailable(str(answer.get("code") or response.status_code),
                                              str(answer.get("description") or ""))
                continue
            if response.status_code >= 400 or answer.get("type") == "error":
                raise YooKassaRefused(str(answer.get("code") or response.status_code),
                                      str(answer.get("description") or ""))
            return answer
        raise failure


# YooKassa's vat_code by the order's VAT rate: the rouble amounts include VAT (54-FZ rates).
VAT_CODES = {Decimal("0.22"): 11, Decimal("0.20"): 4, Decimal("0.10"): 3, Decimal("0.05"): 7, Decimal("0.07"): 8,
             Decimal("0"): 2}


def receipt(email: str, description: str, amount: Decimal, currency: str, vat_rate: Decimal, full: bool) -> dict:
    """A 54-FZ receipt of one line: the order paid in advance, in full or in part (a refund's
    receipt is the same line for the amount given back)."""
    return {
        "customer": {"email": email},
        "items": [{
            "description": description[:128],
            "quantity": "1.00",
            "amount": amount_of(amount, currency),
            "vat_code": VAT_CODES.get(vat_rate.normalize() if vat_rate else Decimal("0"), 1),
            "payment_mode": "full_prepayment" if full else "partial_prepayment",
            "payment_subject": "commodity",
        }],
    }


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
