"""Structured (JSON) logs carrying the request id."""

from __future__ import annotations

import json
import logging
import secrets
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")

auth_log = logging.getLogger("portal.auth")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("portal")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False


def log_event(logger: logging.Logger, event: str, **fields: object) -> None:
    logger.info(event, extra={"fields": {"event": event, **fields}})


class RequestIdMiddleware:
    """Gives each request an id that every log line of the request carries."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = request_id.set(_request_id_of(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            request_id.reset(token)


def _request_id_of(scope) -> str:
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = secrets.token_hex(8)
    return state["request_id"]


async def request_id_header(message, scope) -> None:
    """A before-send hook, so that responses for unknown paths carry the id too."""
    if message["type"] == "http.response.start":
        rid = _request_id_of(scope).encode()
        message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]
