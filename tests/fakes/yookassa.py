"""A fake YooKassa that speaks its REST API v3 over HTTP on loopback.

What the portal uses, as the shared payments reference describes it: HTTP Basic auth with the
shop id and secret key; `POST /v3/payments` and `POST /v3/refunds`, each with a required
`Idempotence-Key` (the same key with the same body gives the same answer, with another body a
400); `GET /v3/payments/{id}`; the error envelope `{"type": "error", "id", "code", "description",
"parameter"}`; payments that start `pending` and that the test (as the card holder would) makes
`succeeded` or `canceled`; refunds of at most what was paid; a checkout page at the payment's
`confirmation_url` where "Pay" succeeds the payment and goes back to the return URL.

    with FakeYooKassa().running() as kassa:
        settings = PaymentSettings(yookassa_shop_id=kassa.shop_id, yookassa_secret_key=kassa.secret_key,
                                   yookassa_api_url=kassa.api_url)
        ...
        kassa.succeed(payment_id)      # the card holder paid
        kassa.fail_next(2, 500)        # the next two calls get internal_server_error
        kassa.stall_next(1, 2.0)       # the next call is carried out, its answer comes 2 s late
        kassa.cancel_next_refunds(1)   # the next refund is answered `canceled` (insufficient_funds)
        kassa.notification(payment_id) # the body YooKassa would post to the shop's URL

Everything the fake holds is guarded by one lock: the server runs on its own thread and event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import uvicorn

ERROR_STATUS = {
    "invalid_request": 400, "invalid_credentials": 401, "forbidden": 403, "not_found": 404,
    "too_many_requests": 429, "internal_server_error": 500,
}
CODE_OF_STATUS = {status: code for code, status in ERROR_STATUS.items()}


class Fail(Exception):
    def __init__(self, code: str, description: str, parameter: str | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameter = code, description, parameter


@dataclass
class Recorded:
    method: str
    path: str
    status: int
    key: str | None
    body: Any


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _amount(body: dict, name: str = "amount") -> Decimal:
    amount = body.get(name)
    if not isinstance(amount, dict) or amount.get("currency") != "RUB":
        raise Fail("invalid_request", "amount with value and currency RUB expected", name)
    try:
        value = Decimal(str(amount.get("value")))
    except InvalidOperation:
        raise Fail("invalid_request", "amount.value is not a number", f"{name}.value") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise Fail("invalid_request", "amount.value must be above zero with two decimal places", f"{name}.value")
    return value


class FakeYooKassa:
    def __init__(self, shop_id: str = "123456", secret_key: str | None = None, host: str = "127.0.0.1",
                 receipts: bool = False) -> None:
        self.shop_id = shop_id
        self.receipts = receipts  # the shop's settings ask for a 54-FZ receipt with every payment and refund
        self.secret_key = secret_key or f"test_{secrets.token_urlsafe(16)}"
        self.host, self.port = host, 0
        self.lock = threading.RLock()
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.keys: dict[tuple[str, str], tuple[str, int, dict]] = {}  # (path, key) → (body, status, answer)
        self.requests: list[Recorded] = []
        self.faults: list[list[Any]] = []  # [count, status]
        self.stalls: list[list[Any]] = []  # [count, seconds]
        self.refund_cancels: list[list[Any]] = []  # [count, party, reason]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ----- what a test does ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v3/"

    def succeed(self, payment_id: str) -> dict:
        """The card holder paid: the payment is `succeeded` (captured at once: capture=true)."""
        with self.lock:
            payment = self.payments[payment_id]
            payment.update(status="succeeded", paid=True, captured_at=_now())
            return json.loads(json.dumps(payment))

    def cancel(self, payment_id: str) -> None:
        with self.lock:
            self.payments[payment_id].update(
                status="canceled", paid=False,
                cancellation_details={"party": "payment_network", "reason": "card_expired"})

    def cancel_next_refunds(self, count: int = 1, party: str = "yoo_money", reason: str = "insufficient_funds") -> None:
        """The next `count` refunds are answered `canceled` (no money goes back), with YooKassa's
        `cancellation_details`: e.g. the shop's balance is short of the amount."""
        with self.lock:
            self.refund_cancels.append([count, party, reason])

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """The next `count` API calls get this error envelope instead of being carried out."""
        with self.lock:
            self.faults.append([count, status])

    def stall_next(self, count: int = 1, seconds: float = 2.0) -> None:
        """The next `count` API calls are carried out, but answered only after `seconds`: a client
        that gives up sooner never learns what happened (the refund is made all the same)."""
        with self.lock:
            self.stalls.append([count, seconds])

    def recover(self) -> None:
        """No more injected failures or stalls."""
        with self.lock:
            self.faults.clear()
            self.stalls.clear()
            self.refund_cancels.clear()

    def notification(self, payment_id: str, event: str = "payment.succeeded") -> dict:
        """The body YooKassa posts to the shop's notification URL."""
        with self.lock:
            return {"type": "notification", "event": event, "object": json.loads(json.dumps(self.payments[payment_id]))}

    def calls(self, method: str, path_start: str) -> list[Recorded]:
        with self.lock:
            return [call for call in self.requests if call.method == method and call.path.startswith(path_start)]

    # ----- server ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeYooKassa]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.asgi, interface="asgi3", log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake YooKassa did not start")
            time.sleep(0.01)
        try:
            yield self
        finally:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    async def asgi(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        status, content_type, payload, extra = self.handle(scope["method"], scope["path"], headers, body, query)
        stall = self._stall() if scope["path"].startswith("/v3/") else 0
        if stall:
            await asyncio.sleep(stall)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode()), *extra]})
        await send({"type": "http.response.body", "body": payload})

    def _stall(self) -> float:
        with self.lock:
            if not self.stalls:
                return 0
            stall = self.stalls[0]
            stall[0] -= 1
            if stall[0] <= 0:
                self.stalls.pop(0)
            return stall[1]

    # ----- the protocol ------------------------------------------------------------------------------

    def handle(self, verb: str, path: str, headers: dict, body: bytes, query: dict):
        checkout = re.fullmatch(r"/checkout/([A-Za-z0-9-]+)", path)
        if checkout:
            return self._checkout(verb, checkout.group(1))
        key = headers.get("idempotence-key")
        with self.lock:
            try:
                status, answer = self._api(verb, path, headers, body, key)
            except Fail as error:
                status = ERROR_STATUS[error.code]
                answer = {"type": "error", "id": str(uuid.uuid4()), "code": error.code,
                          "description": error.description}
                if error.parameter:
                    answer["parameter"] = error.parameter
            try:
                recorded = json.loads(body) if body else None
            except ValueError:
                recorded = body
            self.requests.append(Recorded(verb, path, status, key, recorded))
        return status, "application/json", json.dumps(answer).encode(), []

    def _api(self, verb: str, path: str, headers: dict, body: bytes, key: str | None) -> tuple[int, dict]:
        if not self._authorised(headers.get("authorization", "")):
            raise Fail("invalid_credentials", "Login or password is incorrect")
        if self.faults:
            fault = self.faults[0]
            fault[0] -= 1
            if fault[0] <= 0:
                self.faults.pop(0)
            raise Fail(CODE_OF_STATUS.get(fault[1], "internal_server_error"), "Injected failure")
        found = re.fullmatch(r"/v3/payments/([A-Za-z0-9-]+)", path)
        if verb == "GET" and found:
            payment = self.payments.get(found.group(1))
            if payment is None:
                raise Fail("not_found", "Payment doesn't exist or access denied", "payment_id")
            return 200, payment
        if verb == "POST" and path in ("/v3/payments", "/v3/refunds"):
            if not key or len(key) > 64:
                raise Fail("invalid_request", "Idempotence-Key header is missing or too long", "Idempotence-Key")
            seen = self.keys.get((path, key))
            if seen is not None:
                if seen[0] != body.decode("utf-8", "replace"):
                    raise Fail("invalid_request", "Idempotence key duplicated with another request",
                               "Idempotence-Key")
                return seen[1], seen[2]
            try:
                request = json.loads(body)
            except ValueError:
                raise Fail("invalid_request", "Request body is not JSON") from None
            if not isinstance(request, dict):
                raise Fail("invalid_request", "Request body is not a JSON object")
            status, answer = 200, (self._create(request) if path == "/v3/payments" else self._refund(request))
            self.keys[(path, key)] = (body.decode("utf-8", "replace"), status, answer)
            return status, answer
        raise Fail("not_found", f"No such method: {verb} {path}")

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            shop, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return shop == self.shop_id and secrets.compare_digest(secret, self.secret_key)

    def _create(self, request: dict) -> dict:
        value = _amount(request)
        self._check_receipt(request, value)
        confirmation = request.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect" \
                or not str(confirmation.get("return_url", "")).startswith(("http://", "https://")):
            raise Fail("invalid_request", "confirmation of type redirect with a return_url expected", "confirmation")
        payment_id = str(uuid.uuid4())
        payment = {
            "id": payment_id, "status": "pending", "paid": False,
            "amount": {"value": f"{value:f}", "currency": "RUB"},
            "confirmation": {"type": "redirect", "return_url": confirmation["return_url"],
                             "confirmation_url": f"{self.base_url}/checkout/{payment_id}"},
            "created_at": _now(), "description": str(request.get("description", ""))[:128],
            "metadata": request.get("metadata") or {}, "recipient": {"account_id": self.shop_id},
            "refundable": False, "test": True,
        }
        self.payments[payment_id] = payment
        return payment

    def _refund(self, request: dict) -> dict:
        payment = self.payments.get(str(request.get("payment_id")))
        if payment is None:
            raise Fail("not_found", "Payment doesn't exist", "payment_id")
        if payment["status"] != "succeeded":
            raise Fail("invalid_request", "Payment is not succeeded: nothing to refund", "payment_id")
        value = _amount(request)
        self._check_receipt(request, value)
        refunded = sum((Decimal(r["amount"]["value"]) for r in self.refunds.values()
                        if r["payment_id"] == payment["id"] and r["status"] == "succeeded"), Decimal(0))
        if refunded + value > Decimal(payment["amount"]["value"]):
            raise Fail("invalid_request", "Refund amount is more than the payment's rest", "amount.value")
        refund = {"id": str(uuid.uuid4()), "payment_id": payment["id"], "status": "succeeded",
                  "amount": {"value": f"{value:f}", "currency": "RUB"}, "created_at": _now()}
        if self.refund_cancels:
            cancel = self.refund_cancels[0]
            cancel[0] -= 1
            if cancel[0] <= 0:
                self.refund_cancels.pop(0)
            refund.update(status="canceled", cancellation_details={"party": cancel[1], "reason": cancel[2]})
            self.refunds[refund["id"]] = refund
            return refund
        self.refunds[refund["id"]] = refund
        payment["refunded_amount"] = {"value": f"{refunded + value:f}", "currency": "RUB"}
        return refund

    def _check_receipt(self, request: dict, value: Decimal) -> None:
        """With receipts on: a customer's e-mail or phone, and items (vat_code 1–12) adding up to the amount."""
        if not self.receipts:
            return
        receipt = request.get("receipt")
        if not isinstance(receipt, dict) or not isinstance(receipt.get("items"), list) or not receipt["items"]:
            raise Fail("invalid_request", "Receipt is missing or illegal", "receipt")
        customer = receipt.get("customer") or {}
        if not (customer.get("email") or customer.get("phone")):
            raise Fail("invalid_request", "Receipt customer contact is missing", "receipt.customer")
        total = Decimal(0)
        for item in receipt["items"]:
            if not isinstance(item, dict) or item.get("vat_code") not in range(1, 13) or not item.get("description"):
                raise Fail("invalid_request", "Receipt item is illegal", "receipt.items")
            total += _amount(item) * Decimal(str(item.get("quantity", "0")))
        if total != value:
            raise Fail("invalid_request", "Receipt items do not add up to the amount", "receipt.items")

    def _checkout(self, verb: str, payment_id: str):
        """The payment page: GET shows a "Pay" button, POST pays and goes back to the shop."""
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return 404, "text/plain", b"no such payment", []
            if verb == "POST":
                self.succeed(payment_id)
                target = payment["confirmation"]["return_url"].encode()
                return 303, "text/plain", b"", [(b"location", target)]
            page = (f'<!doctype html><title>YooKassa test checkout</title><form method="post">'
                    f'<p>{payment["amount"]["value"]} RUB</p><button>Pay</button></form>')
            return 200, "text/html; charset=utf-8", page.encode(), []
