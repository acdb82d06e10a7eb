"""An httpx client for Bitrix24 inbound-webhook URLs (`https://<portal>/rest/<user>/<code>/`).

Every call is a JSON POST to `<webhook>/<method>`. Answers come in one of two envelopes:
`{"result": …, "total"?, "next"?, "time": {…}}` or `{"error": "CODE", "error_description": "…"}`.
Errors are raised as typed exceptions, split into two families:

    BitrixError
    ├── RetryableError      try again later: rate limit (503 QUERY_LIMIT_EXCEEDED), method time
    │                       budget (429 OPERATION_TIME_LIMIT), server faults (5xx), timeouts
    └── PermanentError      retrying cannot help: auth and scope, not found, validation,
                            the manual OVERLOAD_LIMIT block

`outcome_unknown` says that Bitrix24 may have carried out the request although we got no answer
(a timeout after sending, a 5xx): the caller must look the record up before adding it again.

A client-side leaky bucket keeps us under the portal's limit (2 requests/s, bursts of 50) so that
the 503s are the exception, not the flow control.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from portal.config import BitrixSettings

USER_AGENT = "manufacturing-portal/1.0"
MAX_BATCH = 50


class BitrixError(Exception):
    retryable = False
    outcome_unknown = False

    def __init__(self, code: str, description: str = "", status: int | None = None, method: str = "") -> None:
        self.code = code
        self.description = description
        self.status = status
        self.method = method
        super().__init__(f"{method}: {status or '-'} {code or '(no code)'} {description}".strip())


class RetryableError(BitrixError):
    retryable = True

    def __init__(self, *args: Any, retry_after: float | None = None, unknown: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after  # seconds, when Bitrix24 told us
        self.outcome_unknown = unknown


class RateLimited(RetryableError):
    """503 QUERY_LIMIT_EXCEEDED: the portal's leaky bucket is full; nothing was done."""


class OperationTimeLimit(RetryableError):
    """429 OPERATION_TIME_LIMIT: this method's time budget is spent until `operating_reset_at`."""


class ServerError(RetryableError):
    """5xx or an answer that is not JSON: the request may or may not have been carried out."""


class TransportError(RetryableError):
    """No answer (timeout, connection lost)."""


class PermanentError(BitrixError):
    pass


class AuthError(PermanentError):
    """Wrong or blocked webhook, missing scope, not allowed: the configuration must be fixed."""


class NotFound(PermanentError):
    pass


class MethodNotFound(PermanentError):
    pass


class InvalidRequest(PermanentError):
    """Validation errors and everything else Bitrix24 refuses for good."""


AUTH_CODES = {
    "NO_AUTH_FOUND", "INVALID_CREDENTIALS", "INSUFFICIENT_SCOPE", "ACCESS_DENIED", "USER_ACCESS_ERROR",
    "WRONG_AUTH_TYPE", "ALLOWED_ONLY_INTRANET_USER", "EXPIRED_TOKEN", "INVALID_TOKEN", "AUTHORIZATION_ERROR",
    "PAYMENT_REQUIRED", "ACCESS_ERROR", "METHOD_CONFIRM_DENIED", "METHOD_CONFIRM_WAITING", "NOT_INSTALLED",
}
SERVER_CODES = {"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER"}


def classify(status: int, code: str, description: str, method: str = "") -> BitrixError:
    """The typed error for an error envelope. Codes are compared in upper case (the docs mix cases)."""
    upper = (code or "").upper()
    args = (code, description, status, method)
    if upper == "QUERY_LIMIT_EXCEEDED":
        return RateLimited(*args)
    if upper == "OPERATION_TIME_LIMIT":
        return OperationTimeLimit(*args)
    if upper == "OVERLOAD_LIMIT":  # a manual block only support can lift
        return PermanentError(*args)
    if upper in AUTH_CODES or status == 401:
        return AuthError(*args)
    if upper == "ERROR_METHOD_NOT_FOUND":
        return MethodNotFound(*args)
    if upper == "NOT_FOUND" or (not upper and "not found" in description.lower()):
        return NotFound(*args)
    if upper in SERVER_CODES or status >= 500:
        return ServerError(*args, unknown=True)
    return InvalidRequest(*args)


class LeakyBucket:
    """Each request adds one; the level drains at `rate` per second; a request that would lift the
    level above `capacity` waits. One bucket per process, shared by every call through it."""

    def __init__(
        self,
        rate: float = 1.9,
        capacity: float = 40,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._last = clock()
        self._lock = asyncio.Lock()

    def _drain(self) -> None:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._last) * self.rate)
        self._last = now

    @property
    def level(self) -> float:
        self._drain()
        return self._level

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                self._drain()
                if self._level + 1 <= self.capacity:
                    self._level += 1
                    return
                await self._sleep((self._level + 1 - self.capacity) / self.rate)

    def fill(self) -> None:
        """The portal said its bucket is full: assume ours is too, so we slow to the drain rate."""
        self._drain()
        self._level = max(self._level, self.capacity)


_DRIP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, capacity, fill = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
level = math.max(0, level - (now - at) * rate)
local wait = 0
if fill then
  level = math.max(level, capacity)
elseif level + 1 <= capacity then
  level = level + 1
else
  wait = (level + 1 - capacity) / rate
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 5)
return tostring(wait)
"""


class RedisLeakyBucket:
    """The same bucket kept in Redis (its clock, one script at a time), shared by every worker
    process that talks to the same Bitrix24 portal: N workers still stay under one limit."""

    def __init__(self, redis: Any, key: str, rate: float = 1.9, capacity: float = 40) -> None:
        self.rate = rate
        self.capacity = capacity
        self._redis = redis
        self._key = key
        self._script = redis.register_script(_DRIP)
        self._pending_fill = False

    async def _drip(self, fill: bool) -> float:
        return float(await self._script(keys=[self._key], args=[self.rate, self.capacity, "1" if fill else "0"]))

    async def acquire(self) -> None:
        if self._pending_fill:
            self._pending_fill = False
            await self._drip(fill=True)
        while (wait := await self._drip(fill=False)) > 0:
            await asyncio.sleep(wait)

    def fill(self) -> None:
        """Applied at the next acquire (this is called where no await is possible)."""
        self._pending_fill = True

    async def aclose(self) -> None:
        await self._redis.aclose()


@dataclass
class Result:
    result: Any
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    result: dict[str, Any]
    errors: dict[str, BitrixError]
    total: dict[str, int]
    next: dict[str, int]


class Bitrix24Client:
    def __init__(
        self,
        webhook_url: str,
        *,
        bucket: LeakyBucket | RedisLeakyBucket | None = None,
        timeout: float = 30.0,
        rate_limit_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not webhook_url.endswith("/"):
            webhook_url += "/"
        self.webhook_url = webhook_url
        self.bucket = bucket or LeakyBucket()
        self.rate_limit_retries = rate_limit_retries
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self._paused_until: dict[str, float] = {}  # method → monotonic time (429 budgets)

    @property
    def user_id(self) -> str:
        """The webhook's user: the `<user>` in `/rest/<user>/<code>/`."""
        match = re.search(r"/rest/(\d+)/[^/]+/$", self.webhook_url)
        return match.group(1) if match else ""

    async def aclose(self) -> None:
        await self._http.aclose()
        if isinstance(self.bucket, RedisLeakyBucket):
            await self.bucket.aclose()

    async def __aenter__(self) -> Bitrix24Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Result:
        """One REST call. A 503 rate-limit answer (nothing was done) is retried here a few times
        with growing pauses; every other error goes to the caller."""
        attempt = 0
        while True:
            try:
                return await self._call_once(method, params or {})
            except RateLimited:
                attempt += 1
                if attempt > self.rate_limit_retries:
                    raise
                self.bucket.fill()
                await asyncio.sleep(min(0.5 * attempt, 2.0))

    async def _call_once(self, method: str, params: Mapping[str, Any]) -> Result:
        paused = self._paused_until.get(method, 0) - time.monotonic()
        if paused > 0:
            raise OperationTimeLimit("OPERATION_TIME_LIMIT", "paused until the budget resets", 429, method,
                                     retry_after=paused)
        await self.bucket.acquire()
        try:
            response = await self._http.post(self.webhook_url + method, json=dict(params))
        except httpx.ConnectError as error:  # nothing reached Bitrix24
            raise TransportError("CONNECT_ERROR", str(error), None, method) from error
        except httpx.TransportError as error:
            raise TransportError(type(error).__name__, str(error), None, method, unknown=True) from error
        return self._parse(method, response)

    def _parse(self, method: str, response: httpx.Response) -> Result:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise classify(response.status_code if response.status_code >= 400 else 502,
                           "ERROR_UNEXPECTED_ANSWER", response.text[:200], method)
        if "error" in body and "result" not in body:
            error = classify(response.status_code, str(body.get("error") or ""),
                             str(body.get("error_description") or ""), method)
            if isinstance(error, OperationTimeLimit):
                timing = body.get("time") if isinstance(body.get("time"), dict) else {}
                reset_at = timing.get("operating_reset_at")
                wait = max(1.0, float(reset_at) - time.time()) if reset_at else 60.0
                error.retry_after = wait
                self._paused_until[method] = time.monotonic() + wait
            raise error
        if response.status_code >= 400:
            raise classify(response.status_code, "", response.text[:200], method)
        return Result(body.get("result"), body.get("total"), body.get("next"), body.get("time") or {})

    async def list_all(self, method: str, params: Mapping[str, Any] | None = None, limit: int = 10_000) -> list:
        """Every page of a list method (`start` = the previous answer's `next`)."""
        params = dict(params or {})
        items: list = []
        start = 0
        while True:
            page = await self.call(method, {**params, "start": start})
            rows = page.result
            if isinstance(rows, dict):  # crm.item.list: {"items": [...]}
                rows = next(iter(rows.values()), [])
            items.extend(rows or [])
            if page.next is None or len(items) >= limit:
                return items
            start = page.next

    async def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], halt: bool = True) -> BatchResult:
        """Up to 50 calls in one request (one unit of the rate limit). A later command may use an
        earlier result as "$result[key]" (or "$result[key][FIELD]")."""
        if not commands or len(commands) > MAX_BATCH:
            raise InvalidRequest("ERROR_BATCH_LENGTH_EXCEEDED", f"{len(commands)} commands", None, "batch")
        cmd = {key: f"{method}?{build_query(params)}" for key, (method, params) in commands.items()}
        answer = (await self.call("batch", {"halt": 1 if halt else 0, "cmd": cmd})).result or {}
        results = _as_map(answer.get("result"))
        errors = {
            key: classify(400, str(err.get("error") or ""), str(err.get("error_description") or ""), commands[key][0])
            for key, err in _as_map(answer.get("result_error")).items()
            if key in commands
        }
        return BatchResult(results, errors, _as_map(answer.get("result_total")), _as_map(answer.get("result_next")))

    async def download(self, url: str) -> bytes:
        """A signed file link Bitrix24 gave us (e.g. a document's pdfUrlMachine), unchanged."""
        await self.bucket.acquire()
        try:
            response = await self._http.get(url, headers={"Accept": "*/*"})
        except httpx.TransportError as error:
            raise TransportError(type(error).__name__, str(error), None, "download") from error
        if response.status_code >= 500:
            raise ServerError("DOWNLOAD_FAILED", f"HTTP {response.status_code}", response.status_code, "download")
        if response.status_code >= 400:
            raise NotFound("DOWNLOAD_FAILED", f"HTTP {response.status_code}", response.status_code, "download")
        return response.content


def bitrix_client(settings: BitrixSettings, redis_url: str | None = None) -> Bitrix24Client | None:
    """The client the settings describe, or None while Bitrix24 is off. With Redis (services
    mode) the leaky bucket lives there, shared by every worker process."""
    if not settings.enabled:
        return None
    if redis_url:
        from redis.asyncio import Redis

        key = "bitrix:bucket:" + hashlib.sha256(settings.webhook_url.encode()).hexdigest()[:16]
        bucket: LeakyBucket | RedisLeakyBucket = RedisLeakyBucket(Redis.from_url(redis_url), key, settings.rate,
                                                                  settings.burst)
    else:
        bucket = LeakyBucket(settings.rate, settings.burst)
    return Bitrix24Client(settings.webhook_url, bucket=bucket, timeout=min(30.0, settings.lease_seconds / 4))


def _as_map(value: Any) -> dict:
    """Bitrix24 (PHP) writes an empty map as []."""
    return value if isinstance(value, dict) else {}


_REFERENCE = re.compile(r"^\$result\[[^\]]+\](\[[^\]]*\])*$")


def build_query(params: Mapping[str, Any]) -> str:
    """PHP bracket notation, as inside batch commands: fields[PHONE][0][VALUE]=…"""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), item)
        elif isinstance(value, list | tuple):
            if not value:
                pairs.append((prefix, ""))
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        elif value is None:
            pairs.append((prefix, ""))
        elif isinstance(value, bool):
            pairs.append((prefix, "Y" if value else "N"))
        else:
            pairs.append((prefix, str(value)))

    walk("", params)
    return "&".join(
        f"{quote(key, safe='[]')}={value if _REFERENCE.match(value) else quote(value, safe='')}"
        for key, value in pairs
    )
