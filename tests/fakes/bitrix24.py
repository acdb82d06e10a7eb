# ruff: noqa: E501 - the fake keeps its protocol tables and envelopes one per line
"""A fake Bitrix24 portal that speaks the REST protocol over HTTP on loopback.

It follows the protocol brief (shared reference `bitrix24.md`, §7): inbound-webhook URLs
`/rest/<user>/<code>/<method>[.json]`, JSON, form (PHP brackets), multipart and query parameters,
the success and error envelopes with `time`, list paging by 50 with `total`/`next` (and `start=-1`),
legacy crm.* entities stored as strings with Y/N flags and multi-field merge rules, product rows,
requisites and presets, requisite addresses keyed by (TYPE_ID, ENTITY_TYPE_ID, ENTITY_ID), deal stages with the `Cn:` prefix, `batch` with `$result[...]`, a leaky
bucket answering 503 QUERY_LIMIT_EXCEEDED, auth and scope errors, a document generator whose PDF
appears only after a few reads, and an event sender that posts form-encoded events.

    with FakeBitrix24().running() as fake:
        client = Bitrix24Client(fake.webhook_url)
        ...
        fake.entities("lead")          # what arrived
        fake.move_deal(5, "WON")       # sales move a deal: ONCRMDEALUPDATE goes to the bound handlers

Everything the fake holds is guarded by one lock: the server runs on its own thread and event loop.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn

PAGE = 50
MULTI_FIELDS = ("PHONE", "EMAIL", "WEB", "IM", "LINK")
LEGACY = {"lead": 1, "deal": 2, "contact": 3, "company": 4}
ITEM_TYPES = {1: "lead", 2: "deal", 3: "contact", 4: "company", 31: "invoice"}
PRESETS = [
    {"ID": "1", "NAME": "Организация", "COUNTRY_ID": "1", "ENTITY_TYPE_ID": "8", "ACTIVE": "Y", "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#"},
    {"ID": "3", "NAME": "ИП", "COUNTRY_ID": "1", "ENTITY_TYPE_ID": "8", "ACTIVE": "Y", "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#"},
    {"ID": "5", "NAME": "Физ. лицо", "COUNTRY_ID": "1", "ENTITY_TYPE_ID": "8", "ACTIVE": "Y", "XML_ID": "#CRM_REQUISITE_PRESET_DEF_RU_PERSON#"},
]
ADDRESS_TYPES = [  # crm.enum.addresstype
    ("1", "Фактический адрес"), ("4", "Адрес регистрации"), ("6", "Юридический адрес"), ("8", "Адрес для корреспонденции"),
    ("9", "Адрес бенефициара"), ("11", "Адрес доставки"),
]
ADDRESS_FIELDS = ("ADDRESS_1", "ADDRESS_2", "CITY", "POSTAL_CODE", "REGION", "PROVINCE", "COUNTRY", "COUNTRY_CODE")
DEAL_STAGES = [
    ("NEW", "Новая", None), ("PREPARATION", "Подготовка документов", None),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", None), ("EXECUTING", "В работе", None),
    ("FINAL_INVOICE", "Финальный счёт", None), ("WON", "Сделка успешна", "S"),
    ("LOSE", "Сделка провалена", "F"), ("APOLOGY", "Анализ причины провала", "F"),
]
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class Fail(Exception):
    def __init__(self, status: int, code: str, description: str = "") -> None:
        self.status, self.code, self.description = status, code, description


def not_found() -> Fail:
    return Fail(400, "", "Not found")


@dataclass
class Recorded:
    at: float  # monotonic seconds
    method: str
    status: int
    error: str = ""
    params: dict = field(default_factory=dict)


@dataclass
class Fault:
    count: int
    status: int
    code: str
    description: str
    method: str | None


def parse_brackets(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`fields[PHONE][0][VALUE]=1` → {"fields": {"PHONE": [{"VALUE": "1"}]}} (numeric keys make lists)."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        parts = re.findall(r"\[([^\]]*)\]", raw_key)
        head = raw_key.split("[", 1)[0]
        keys = [head, *parts]
        node: Any = root
        for depth, key in enumerate(keys):
            last = depth == len(keys) - 1
            if isinstance(node, dict):
                if last:
                    node[key] = value
                else:
                    node = node.setdefault(key, {})
        # numeric dicts become lists below
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {key: _listify(value) for key, value in node.items()}
        if converted and all(key.isdigit() or key == "" for key in converted):
            return [converted[key] for key in sorted(converted, key=lambda k: int(k or 0))]
        return converted
    return node


def _upper_keys(params: dict) -> dict:
    """Legacy crm.* methods take FIELDS, ID, FILTER … in any case."""
    return {str(key).lower(): value for key, value in params.items()}


def _now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_stringify(item) for item in value]
    if isinstance(value, dict):
        return {key: _stringify(item) for key, item in value.items()}
    return value


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(part.title() for part in rest)


class FakeBitrix24:
    def __init__(
        self,
        *,
        user_id: int = 1,
        code: str | None = None,
        application_token: str | None = None,
        auth_error: str = "NO_AUTH_FOUND",
        scopes: set[str] | None = None,
        bucket_capacity: float = 50,
        bucket_rate: float = 2.0,
        pdf_ready_after: int = 2,
        operating_limit: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.user_id = user_id
        self.code = code or secrets.token_hex(8)
        self.application_token = application_token or secrets.token_hex(16)
        self.auth_error = auth_error  # NO_AUTH_FOUND (401) or INVALID_CREDENTIALS (403)
        self.scopes = scopes if scopes is not None else {"crm", "documentgenerator", "user"}
        self.bucket_capacity = bucket_capacity
        self.bucket_rate = bucket_rate
        self.pdf_ready_after = pdf_ready_after  # reads of document.get before the PDF link appears
        self.operating_limit = operating_limit  # seconds per method per 10 min; None: no budget
        self.host, self.port = host, port
        self.lock = threading.RLock()
        self.reset()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ----- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.store: dict[str, dict[int, dict]] = {name: {} for name in (*LEGACY, "requisite", "invoice")}
            self.rows: dict[int, list[dict]] = {}
            self.address_book: dict[tuple[str, str, str], dict] = {}  # (TYPE_ID, ENTITY_TYPE_ID, ENTITY_ID) → address
            self.documents: dict[int, dict] = {}
            self.comments: dict[int, dict] = {}  # timeline comments, files decoded
            self.templates = {39: {"id": "39", "name": "Счёт", "region": "ru", "entityTypeId": ["2", "31"], "active": "Y"}}
            self.handlers: list[tuple[str, str]] = []  # (EVENT, url)
            self.requests: list[Recorded] = []
            self.faults: list[Fault] = []
            self.hooks: dict[str, Callable[[str, dict, Any], None]] = {}
            self.delays: dict[str, float] = {}
            self._next_id = 1
            self._multi_id = 100
            self._level = 0.0
            self._level_at = time.monotonic()
            self.max_level = 0.0
            self.bucket_refusals = 0  # 503s the bucket gave (injected faults are not counted)
            self._operating: dict[str, list[tuple[float, float]]] = {}

    def entities(self, kind: str) -> list[dict]:
        with self.lock:
            return [json.loads(json.dumps(item)) for item in self.store[kind].values()]

    def addresses(self) -> list[dict]:
        with self.lock:
            return [dict(address) for address in self.address_book.values()]

    def product_rows(self, deal_id: int) -> list[dict]:
        with self.lock:
            return list(self.rows.get(int(deal_id), []))

    def fail_next(self, count: int = 1, status: int = 503, code: str = "QUERY_LIMIT_EXCEEDED",
                  description: str = "Too many requests", method: str | None = None) -> None:
        """The next `count` calls (of `method`, or any) get this error instead of being carried out."""
        with self.lock:
            self.faults.append(Fault(count, status, code, description, method))

    def after(self, method: str, hook: Callable[[str, dict, Any], None]) -> None:
        """Run `hook(method, params, result)` after `method` is carried out, before the answer leaves."""
        with self.lock:
            self.hooks[method] = hook

    def slow(self, method: str, seconds: float) -> None:
        """Carry `method` out, then wait before answering (a client timeout with an unknown outcome)."""
        with self.lock:
            self.delays[method] = seconds

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/rest/{self.user_id}/{self.code}/"

    # ----- server ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeBitrix24]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def start(self) -> None:
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
                raise RuntimeError("the fake Bitrix24 did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

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
        query = scope.get("query_string", b"").decode("latin-1")
        status, content_type, payload, delay = self.handle(scope["method"], scope["path"], query, headers, body)
        if delay:
            import asyncio

            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type.encode())]})
        await send({"type": "http.response.body", "body": payload})

    # ----- request handling ----------------------------------------------------------------------

    def handle(self, verb: str, path: str, query: str, headers: dict, body: bytes) -> tuple[int, str, bytes, float]:
        match = re.fullmatch(r"/rest/(?:(\d+)/([^/]+)/)?([A-Za-z0-9_.]+?)(?:\.json)?/?", path)
        if path == "/" or path == "/fake/state":
            return 200, "application/json; charset=utf-8", self._state_json(), 0
        if path == "/fake/move" and verb == "POST":  # the demo's "a salesperson moves the deal"
            wanted = dict(parse_qsl(query))
            try:
                statuses = self.move_deal(int(wanted.get("deal", "0")), wanted.get("stage", "WON"))
            except (KeyError, ValueError):
                return 404, "application/json", b'{"error": "no such deal"}', 0
            return 200, "application/json", json.dumps({"event_statuses": statuses}).encode(), 0
        if not match:
            return self._error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!", "")
        user, code, method = match.groups()
        params = parse_brackets(parse_qsl(query, keep_blank_values=True))
        try:
            params.update(self._body_params(headers.get("content-type", ""), body))
        except ValueError:
            return self._error(400, "INVALID_REQUEST", "Request body is not valid", method)
        if method == "crm.documentgenerator.document.getPdf":
            return self._get_pdf(params)
        if user is None:  # OAuth form: /rest/<method>?auth=…
            authorised = params.pop("auth", None) == self.code
        else:
            authorised = int(user) == self.user_id and code == self.code
        with self.lock:
            if not authorised:
                status = 401 if self.auth_error == "NO_AUTH_FOUND" else 403
                return self._error(status, self.auth_error, "Wrong authorization data", method)
            fault = self._take_fault(method)
            if fault is not None:
                return self._error(fault.status, fault.code, fault.description, method)
            if not self._bucket_admits():
                self.bucket_refusals += 1
                return self._error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests", method)
            over = self._over_budget(method)
            if over is not None:
                return self._error(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit",
                                   method, {"operating_reset_at": over})
            started = time.time()
            try:
                envelope = self._dispatch(method, params)
            except Fail as failure:
                return self._error(failure.status, failure.code, failure.description, method, params=params)
            envelope["time"] = self._time(method, started)
            self.requests.append(Recorded(time.monotonic(), method, 200, params=params))
            hook = self.hooks.get(method)
            delay = self.delays.get(method, 0.0)
        if hook is not None:
            hook(method, params, envelope["result"])
        return 200, "application/json; charset=utf-8", json.dumps(envelope, ensure_ascii=False).encode(), delay

    def _body_params(self, content_type: str, body: bytes) -> dict:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            value = json.loads(body)
            if not isinstance(value, dict):
                raise ValueError("JSON body must be an object")
            return value
        if content_type.startswith("multipart/form-data"):
            return parse_brackets(_multipart_pairs(content_type, body))
        return parse_brackets(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

    def _error(self, status: int, code: str, description: str, method: str, time_extra: dict | None = None,
               params: dict | None = None):
        with self.lock:
            self.requests.append(Recorded(time.monotonic(), method, status, code or description, params or {}))
        envelope: dict[str, Any] = {"error": code, "error_description": description}
        if time_extra:
            envelope["time"] = time_extra
        return status, "application/json; charset=utf-8", json.dumps(envelope, ensure_ascii=False).encode(), 0

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and fault.method in (None, method):
                fault.count -= 1
                return fault
        return None

    def _bucket_admits(self) -> bool:
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._level_at) * self.bucket_rate)
        self._level_at = now
        if self._level + 1 > self.bucket_capacity:
            return False
        self._level += 1
        self.max_level = max(self.max_level, self._level)
        return True

    def _over_budget(self, method: str) -> float | None:
        if self.operating_limit is None:
            return None
        now = time.time()
        spent = [(at, cost) for at, cost in self._operating.get(method, []) if at > now - 600]
        self._operating[method] = spent
        if sum(cost for _, cost in spent) > self.operating_limit:
            return spent[0][0] + 600
        return None

    def _time(self, method: str, started: float) -> dict:
        finish = time.time()
        cost = max(finish - started, 0.01)
        self._operating.setdefault(method, []).append((finish, cost))
        spent = [entry for entry in self._operating[method] if entry[0] > finish - 600]
        return {
            "start": started, "finish": finish, "duration": finish - started, "processing": cost,
            "date_start": datetime.fromtimestamp(started, UTC).astimezone().isoformat(timespec="seconds"),
            "date_finish": datetime.fromtimestamp(finish, UTC).astimezone().isoformat(timespec="seconds"),
            "operating_reset_at": int(spent[0][0] + 600), "operating": round(sum(c for _, c in spent), 4),
        }

    def _state_json(self) -> bytes:
        with self.lock:
            state = {"webhook_url": self.webhook_url, **{kind: list(items.values()) for kind, items in self.store.items()}}
        return json.dumps(state, ensure_ascii=False, indent=1).encode()

    # ----- methods -------------------------------------------------------------------------------

    def _dispatch(self, method: str, params: dict, in_batch: bool = False) -> dict:
        scope = "basic" if method in ("batch", "event.bind", "event.get", "event.unbind", "profile") else method.split(".")[0]
        if scope == "crm" and method.startswith("crm.documentgenerator."):
            scope = "documentgenerator"
        if scope not in ("basic",) and scope not in self.scopes:
            raise Fail(403, "insufficient_scope",
                       "The request requires higher privileges than provided by the webhook token")
        if method == "batch":
            if in_batch:
                raise Fail(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
            return {"result": self._batch(params)}
        parts = method.split(".")
        if len(parts) >= 3 and parts[0] == "crm" and parts[1] in LEGACY and parts[2] in ("add", "update", "get", "list", "delete", "fields"):
            return self._legacy(parts[1], parts[2], _upper_keys(params))
        if method in ("crm.deal.productrows.set", "crm.deal.productrows.get"):
            return self._product_rows(parts[3], _upper_keys(params))
        if len(parts) == 3 and parts[:2] == ["crm", "requisite"]:
            return self._legacy("requisite", parts[2], _upper_keys(params))
        if len(parts) == 3 and parts[:2] == ["crm", "address"]:
            return self._address(parts[2], _upper_keys(params))
        if method == "crm.enum.addresstype":
            return {"result": [{"ID": int(ident), "NAME": name} for ident, name in ADDRESS_TYPES]}
        if method == "crm.requisite.preset.list":
            return self._list_of(list(PRESETS), _upper_keys(params))
        if method == "crm.status.list":
            return self._status_list(_upper_keys(params))
        if len(parts) == 3 and parts[:2] == ["crm", "item"]:
            return self._item(parts[2], params)
        if method.startswith("crm.documentgenerator."):
            return self._docgen(method.removeprefix("crm.documentgenerator."), params)
        if method in ("crm.timeline.comment.add", "crm.timeline.comment.list"):
            if in_batch and method.endswith(".add") and (params.get("fields") or {}).get("FILES"):
                raise Fail(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
            return self._comment(method.rsplit(".", 1)[1], params)
        if method == "event.bind":
            self.handlers.append((str(params.get("event", "")).upper(), str(params.get("handler", ""))))
            return {"result": True}
        if method == "event.get":
            return {"result": [{"event": e, "handler": h} for e, h in self.handlers]}
        if method == "profile":
            return {"result": {"ID": str(self.user_id), "ADMIN": True}}
        raise Fail(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")

    def _new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def _legacy(self, kind: str, action: str, params: dict) -> dict:
        items = self.store[kind]
        if action == "fields":
            return {"result": {"ID": {"type": "integer"}, "TITLE": {"type": "string"}}}
        if action == "list":
            return self._list_of(list(items.values()), params, multi_default=False)
        if action == "add":
            fields = params.get("fields")
            if not isinstance(fields, dict):
                raise Fail(400, "", "Parameter 'fields' must be array.")
            if kind == "requisite":
                self._check_requisite(fields)
            return {"result": self._create(kind, fields)}
        ident = params.get("id")
        if ident in (None, "") or not str(ident).isdigit():
            raise Fail(400, "", "ID is not defined or invalid")
        record = items.get(int(ident))
        if record is None:
            raise not_found()
        if action == "get":
            return {"result": record}
        if action == "delete":
            del items[int(ident)]
            return {"result": True}
        fields = params.get("fields")
        if not isinstance(fields, dict):
            raise Fail(400, "", "Parameter 'fields' must be array.")
        self._apply(kind, record, fields)
        return {"result": True}

    def _check_requisite(self, fields: dict) -> None:
        fields = {key.upper(): value for key, value in fields.items()}
        entity_type = str(fields.get("ENTITY_TYPE_ID", ""))
        if entity_type not in ("3", "4"):
            raise Fail(400, "", "ENTITY_TYPE_ID is not defined or invalid.")
        if not str(fields.get("ENTITY_ID", "")).isdigit():
            raise Fail(400, "", "ENTITY_ID is not defined or invalid.")
        if str(fields.get("PRESET_ID", "")) not in {p["ID"] for p in PRESETS}:
            raise Fail(400, "", "PRESET_ID is not defined or invalid.")
        if not fields.get("NAME"):
            raise Fail(400, "", "NAME is not defined.")
        owner = "contact" if entity_type == "3" else "company"
        if int(fields["ENTITY_ID"]) not in self.store[owner]:
            raise Fail(400, "", "Entity not found.")

    def _address(self, action: str, params: dict) -> dict:
        """Addresses have no ID: TYPE_ID, ENTITY_TYPE_ID and ENTITY_ID name one, on add, update and
        delete alike (they cannot be changed). add/update/delete answer `true`."""
        if action not in ("list", "fields", "add", "update", "delete"):
            raise Fail(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        if action == "list":
            return self._list_of(list(self.address_book.values()), params)
        if action == "fields":
            return {"result": {key: {"type": "string"} for key in ("TYPE_ID", "ENTITY_TYPE_ID", "ENTITY_ID", *ADDRESS_FIELDS)}}
        fields = params.get("fields")
        if not isinstance(fields, dict):
            raise Fail(400, "", "Parameter 'fields' must be array.")
        fields = {str(key).upper(): value for key, value in fields.items()}
        key = tuple(str(fields.get(name, "")) for name in ("TYPE_ID", "ENTITY_TYPE_ID", "ENTITY_ID"))
        if key[0] not in {ident for ident, _ in ADDRESS_TYPES}:
            raise Fail(400, "", "TYPE_ID is not defined or invalid.")
        if key[1] != "8" or not key[2].isdigit():  # requisite addresses only (the fake's scope)
            raise Fail(400, "", "ENTITY_TYPE_ID is not defined or invalid.")
        requisite = self.store["requisite"].get(int(key[2]))
        if requisite is None:
            raise Fail(400, "", "Entity not found.")
        if action == "add":
            if key in self.address_book:
                raise Fail(400, "", "Address already exists.")
            self.address_book[key] = {"TYPE_ID": key[0], "ENTITY_TYPE_ID": key[1], "ENTITY_ID": key[2],
                                      **{name: None for name in ADDRESS_FIELDS}, "LOC_ADDR_ID": "0",
                                      "ANCHOR_TYPE_ID": requisite["ENTITY_TYPE_ID"], "ANCHOR_ID": requisite["ENTITY_ID"]}
        elif key not in self.address_book:
            raise not_found()
        if action == "delete":
            del self.address_book[key]
            return {"result": True}
        self.address_book[key].update({name: str(fields[name]) for name in ADDRESS_FIELDS if name in fields})
        return {"result": True}

    def _create(self, kind: str, fields: dict) -> int:
        ident = self._new_id()
        now = _now_iso()
        record: dict[str, Any] = {
            "ID": str(ident), "DATE_CREATE": now, "DATE_MODIFY": now, "CREATED_BY_ID": str(self.user_id),
            "MODIFY_BY_ID": str(self.user_id), "ASSIGNED_BY_ID": str(self.user_id), "OPENED": "Y",
            "ORIGINATOR_ID": None, "ORIGIN_ID": None,
        }
        if kind == "deal":
            record.update({"TITLE": f"Сделка #{ident}", "CATEGORY_ID": "0", "STAGE_ID": "NEW", "CURRENCY_ID": "RUB",
                           "OPPORTUNITY": "0.00", "CLOSED": "N", "STAGE_SEMANTIC_ID": "P", "CONTACT_ID": None,
                           "COMPANY_ID": None})
        elif kind == "lead":
            record.update({"STATUS_ID": "NEW", "SOURCE_ID": None, "TITLE": f"Лид #{ident}"})
        elif kind in ("contact", "company"):
            record.update({"HAS_PHONE": "N", "HAS_EMAIL": "N"})
            if kind == "contact":
                record["COMPANY_ID"] = None
        self.store[kind][ident] = record
        self._apply(kind, record, fields, creating=True)
        return ident

    def _apply(self, kind: str, record: dict, fields: dict, creating: bool = False) -> None:
        for key, value in fields.items():
            key = str(key).upper()
            if key in ("ID", "DATE_CREATE", "CREATED_BY_ID"):
                continue
            if key in MULTI_FIELDS:
                self._merge_multi(record, key, value if isinstance(value, list) else [value])
                continue
            if kind == "deal" and key == "OPPORTUNITY":
                record[key] = f"{float(value or 0):.2f}"
                continue
            record[key] = _stringify(value)
        if kind == "deal":
            category = int(record.get("CATEGORY_ID") or 0)
            stage = str(record.get("STAGE_ID") or "NEW")
            bare = stage.split(":", 1)[-1]
            record["STAGE_ID"] = f"C{category}:{bare}" if category else bare
            semantics = {s: m for s, _, m in DEAL_STAGES}.get(bare)
            record["STAGE_SEMANTIC_ID"] = semantics or "P"
            record["CLOSED"] = "Y" if semantics else "N"
        if kind in ("contact", "company", "lead"):
            record["HAS_PHONE"] = "Y" if record.get("PHONE") else "N"
            record["HAS_EMAIL"] = "Y" if record.get("EMAIL") else "N"
        record["DATE_MODIFY"] = _now_iso()
        record["MODIFY_BY_ID"] = str(self.user_id)

    def _merge_multi(self, record: dict, key: str, items: list) -> None:
        """Without ID: appended. With ID and a value: replaced. With ID and DELETE=Y or no value: removed."""
        current: list[dict] = record.setdefault(key, [])
        for item in items:
            if not isinstance(item, dict):
                continue
            item = {k.upper(): v for k, v in item.items()}
            if item.get("ID"):
                existing = next((entry for entry in current if entry["ID"] == str(item["ID"])), None)
                if existing is None:
                    continue
                if item.get("DELETE") == "Y" or not item.get("VALUE"):
                    current.remove(existing)
                else:
                    existing["VALUE"] = str(item["VALUE"])
                    existing["VALUE_TYPE"] = str(item.get("VALUE_TYPE") or existing["VALUE_TYPE"])
            elif item.get("VALUE"):
                self._multi_id += 2
                current.append({"ID": str(self._multi_id), "VALUE_TYPE": str(item.get("VALUE_TYPE") or "WORK"),
                                "VALUE": str(item["VALUE"]), "TYPE_ID": key})
        if not current:
            record.pop(key, None)

    def _list_of(self, rows: list[dict], params: dict, multi_default: bool = True) -> dict:
        filters = params.get("filter") or {}
        order = params.get("order") or {"ID": "ASC"}
        select = params.get("select") or ["*"]
        start = int(params.get("start") or 0)
        matched = [row for row in rows if all(_matches(row, key, value) for key, value in filters.items())]
        for key, direction in reversed(list(order.items())):
            key = key.upper()
            matched.sort(key=lambda row, key=key: _sort_key(row.get(key)), reverse=str(direction).upper() == "DESC")
        if start == -1:
            page, envelope = matched[:PAGE], {"total": 0}
        else:
            page = matched[start:start + PAGE]
            envelope = {"total": len(matched)}
            if start + PAGE < len(matched):
                envelope["next"] = start + PAGE
        return {"result": [_select(row, select, multi_default) for row in page], **envelope}

    def _product_rows(self, action: str, params: dict) -> dict:
        ident = params.get("id")
        if not str(ident or "").isdigit():
            raise Fail(400, "", "The parameter id is invalid or not defined.")
        if int(ident) not in self.store["deal"]:
            raise not_found()
        if action == "get":
            return {"result": self.rows.get(int(ident), [])}
        rows = []
        for number, row in enumerate(params.get("rows") or []):
            row = {k.upper(): v for k, v in row.items()}
            price = float(row.get("PRICE") or 0)
            quantity = float(row.get("QUANTITY") or 1)
            rows.append({"ID": str(self._new_id()), "OWNER_ID": str(ident), "OWNER_TYPE": "D",
                         "PRODUCT_ID": int(row.get("PRODUCT_ID") or 0), "PRODUCT_NAME": str(row.get("PRODUCT_NAME") or ""),
                         "PRICE": price, "QUANTITY": quantity, "TAX_RATE": row.get("TAX_RATE"),
                         "TAX_INCLUDED": row.get("TAX_INCLUDED", "N"), "MEASURE_CODE": int(row.get("MEASURE_CODE") or 796),
                         "MEASURE_NAME": row.get("MEASURE_NAME") or "шт", "SORT": int(row.get("SORT") or (number + 1) * 10)})
        self.rows[int(ident)] = rows
        return {"result": True}

    def _status_list(self, params: dict) -> dict:
        entity = (params.get("filter") or {}).get("ENTITY_ID", "DEAL_STAGE")
        rows = []
        if str(entity).startswith("DEAL_STAGE"):
            category = str(entity).removeprefix("DEAL_STAGE").removeprefix("_")
            prefix = f"C{category}:" if category else ""
            for number, (status_id, name, semantics) in enumerate(DEAL_STAGES, start=1):
                rows.append({"ID": str(100 + number), "ENTITY_ID": entity, "STATUS_ID": prefix + status_id, "NAME": name,
                             "NAME_INIT": name, "SORT": str(number * 10), "SYSTEM": "Y" if status_id in ("NEW", "WON", "LOSE") else "N",
                             "CATEGORY_ID": category or None, "SEMANTICS": semantics})
        return {"result": rows, "total": len(rows)}

    def _item(self, action: str, params: dict) -> dict:
        entity_type = int(params.get("entityTypeId") or 0)
        kind = ITEM_TYPES.get(entity_type)
        if kind is None:
            raise Fail(400, "NOT_FOUND", "Smart process not found")

        def as_item(record: dict) -> dict:
            item = {_camel(key): value for key, value in record.items() if key not in MULTI_FIELDS}
            item["id"] = int(record["ID"])
            item["entityTypeId"] = entity_type
            return item

        items = self.store[kind]
        if action == "list":
            listed = self._list_of(list(items.values()), {k.lower(): v for k, v in params.items()})
            return {"result": {"items": [as_item(row) for row in listed["result"]]},
                    **{k: v for k, v in listed.items() if k != "result"}}
        if action == "add":
            fields = params.get("fields") or {}
            upper = {re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper(): value for key, value in fields.items()}
            return {"result": {"item": as_item(self.store[kind][self._create(kind, upper)])}}
        record = items.get(int(params.get("id") or 0))
        if record is None:
            raise Fail(400, "NOT_FOUND", "Элемент не найден")
        if action == "get":
            return {"result": {"item": as_item(record)}}
        if action == "update":
            fields = params.get("fields") or {}
            self._apply(kind, record, {re.sub(r"(?<!^)(?=[A-Z])", "_", k).upper(): v for k, v in fields.items()})
            return {"result": {"item": as_item(record)}}
        if action == "delete":
            del items[int(record["ID"])]
            return {"result": []}
        raise Fail(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")

    def _docgen(self, name: str, params: dict) -> dict:
        if name == "template.list":
            return {"result": {"templates": {str(k): v for k, v in self.templates.items()}}, "total": len(self.templates)}
        if name == "document.add":
            template = params.get("templateId")
            if template in (None, ""):
                raise Fail(400, "100", "Required parameter templateId is missing")
            if int(template) not in self.templates:
                raise Fail(400, "0", "Шаблон не найден")
            entity_type, entity_id = int(params.get("entityTypeId") or 0), int(params.get("entityId") or 0)
            kind = ITEM_TYPES.get(entity_type)
            if kind is None:
                raise Fail(400, "0", f"No provider for entityTypeId {entity_type}")
            if entity_id not in self.store[kind]:
                raise Fail(400, "0", "Entity not found")
            ident = self._new_id()
            self.documents[ident] = {
                "id": ident, "title": f"Счёт {ident}", "number": str(ident), "templateId": int(template),
                "entityTypeId": entity_type, "entityId": entity_id, "createTime": _now_iso(), "updateTime": _now_iso(),
                "values": params.get("values") or {}, "isTransformationError": False, "reads": 0,
                "pdfUrl": "", "imageUrl": "", "pullTag": f"TRANSFORMDOCUMENT{ident}",
            }
            return {"result": {"document": self._document_view(ident)}}
        if name == "document.get":
            document = self.documents.get(int(params.get("id") or 0))
            if document is None:
                raise Fail(400, "0", "Документ не найден")
            document["reads"] += 1
            return {"result": {"document": self._document_view(document["id"])}}
        if name == "document.list":
            filters = params.get("filter") or {}
            documents = [self._document_view(d) for d in self.documents
                         if all(str(self.documents[d].get(k)) == str(v) for k, v in filters.items())]
            return {"result": {"documents": documents}, "total": len(documents)}
        raise Fail(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")

    def _comment(self, action: str, params: dict) -> dict:
        """Timeline comments: `fields` in lower case only (since crm 23.100.0); FILES as [name, base64]."""
        if action == "list":  # 50 a page, like every list method
            rows = [{k: v for k, v in c.items() if k != "files"} for c in self.comments.values()]
            return self._list_of(rows, {str(k).lower(): v for k, v in params.items()})
        fields = params.get("fields")
        if not isinstance(fields, dict):
            raise Fail(400, "100", "Required fields: fields")
        kind = str(fields.get("ENTITY_TYPE", "")).lower()
        owner = int(fields.get("ENTITY_ID") or 0)
        if kind not in ("lead", "deal", "contact", "company") or owner not in self.store[kind]:
            raise Fail(400, "OWNER_NOT_FOUND", "Owner entity not found")
        if not str(fields.get("COMMENT") or "").strip():
            raise Fail(400, "INVALID_ARG_VALUE", "Comment is empty")
        import base64

        files = []
        for pair in fields.get("FILES") or []:
            name, data = (pair if isinstance(pair, list) else [pair.get("0"), pair.get("1")])[:2]
            files.append((str(name), base64.b64decode(str(data))))
        ident = self._new_id()
        self.comments[ident] = {"ID": str(ident), "ENTITY_ID": str(owner), "ENTITY_TYPE": kind,
                                "COMMENT": str(fields["COMMENT"]), "CREATED": _now_iso(), "files": files}
        return {"result": ident}

    def _document_view(self, ident: int) -> dict:
        document = {k: v for k, v in self.documents[ident].items() if k != "reads"}
        if self.documents[ident]["reads"] >= self.pdf_ready_after:
            token = f"pdf{ident}x{self.code}"
            document["pdfUrl"] = f"{self.base_url}/bitrix/services/main/ajax.php?action=documentgenerator.api.document.getPdf&id={ident}"
            document["pdfUrlMachine"] = f"{self.base_url}/rest/crm.documentgenerator.document.getPdf.json?auth={self.code}&token={token}&id={ident}"
        return document

    def _get_pdf(self, params: dict):
        ident = int(params.get("id") or 0)
        with self.lock:
            document = self.documents.get(ident)
            ready = document is not None and document["reads"] >= self.pdf_ready_after
            valid = params.get("token") == f"pdf{ident}x{self.code}"
        if not (ready and valid):
            return 404, "text/html", b"<html>Not found</html>", 0
        return 200, "application/pdf", MINIMAL_PDF, 0

    def _batch(self, params: dict) -> dict:
        commands = params.get("cmd") or {}
        if isinstance(commands, list):
            commands = {str(i): c for i, c in enumerate(commands)}
        halt = str(params.get("halt", "0")).lower() in ("1", "true", "y")
        out: dict[str, dict] = {"result": {}, "result_error": {}, "result_total": {}, "result_next": {}, "result_time": {}}
        for number, (key, command) in enumerate(commands.items()):
            method, _, query = str(command).partition("?")
            if number >= PAGE:
                out["result_error"][key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
                continue
            resolved = [(k, _substitute(v, out["result"])) for k, v in parse_qsl(query, keep_blank_values=True)]
            started = time.time()
            try:
                envelope = self._dispatch(method, parse_brackets(resolved), in_batch=True)
            except Fail as failure:
                out["result_error"][key] = {"error": failure.code, "error_description": failure.description}
                if halt:
                    break
                continue
            out["result"][key] = envelope["result"]
            out["result_time"][key] = self._time(method, started)
            if "total" in envelope:
                out["result_total"][key] = envelope["total"]
            if "next" in envelope:
                out["result_next"][key] = envelope["next"]
        return {name: (value if value else []) for name, value in out.items()}

    # ----- what sales do ---------------------------------------------------------------------------

    def bind(self, event: str, url: str) -> None:
        with self.lock:
            self.handlers.append((event.upper(), url))

    def move_deal(self, deal_id: int, stage: str, send: bool = True) -> list[int]:
        """A salesperson drags the deal to `stage`; the bound handlers get ONCRMDEALUPDATE."""
        with self.lock:
            record = self.store["deal"][int(deal_id)]
            self._apply("deal", record, {"STAGE_ID": stage})
        return self.send_event("ONCRMDEALUPDATE", deal_id) if send else []

    def send_event(self, event: str, entity_id: int, token: str | None = None, url: str | None = None) -> list[int]:
        """POST the event, form-encoded as Bitrix24 does, once (no redelivery). Returns the statuses."""
        with self.lock:
            targets = [url] if url else [h for e, h in self.handlers if e == event.upper()]
        form = self.event_form(event, entity_id, token)
        statuses = []
        for target in targets:
            try:
                statuses.append(httpx.post(target, data=form, timeout=10).status_code)
            except httpx.HTTPError:
                statuses.append(0)  # lost: Bitrix24 does not redeliver
        return statuses

    def event_form(self, event: str, entity_id: int, token: str | None = None) -> dict[str, str]:
        """The form fields of an outbound-webhook event, as Bitrix24 posts them."""
        domain = urlsplit(self.base_url).netloc
        return {
            "event": event.upper(), "event_handler_id": "975", "data[FIELDS][ID]": str(entity_id), "ts": str(int(time.time())),
            "auth[domain]": domain, "auth[client_endpoint]": f"{self.base_url}/rest/",
            "auth[server_endpoint]": "https://oauth.bitrix.info/rest/", "auth[member_id]": "d897063e1ce7c5eb9f04b9751eef5915",
            "auth[application_token]": token if token is not None else self.application_token,
        }


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, str]]:
    from email.parser import BytesParser
    from email.policy import default

    message = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            pairs.append((name, part.get_content() if part.get_content_maintype() == "text" else part.get_payload(decode=True).decode("latin-1")))
    return pairs


def _substitute(value: str, results: dict) -> str:
    """`$result[key][FIELD][0]` → that earlier result's value."""

    def lookup(match: re.Match) -> str:
        path = re.findall(r"\[([^\]]*)\]", match.group(0))
        node: Any = results
        for key in path:
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, dict) and key in node:
                node = node[key]
            else:
                return ""
        return "" if isinstance(node, dict | list) else str(node)

    return re.sub(r"\$result(\[[^\]]*\])+", lookup, value)


def _multi_values(row: dict, key: str) -> list[str]:
    return [entry["VALUE"] for entry in row.get(key, []) if isinstance(entry, dict)]


def _matches(row: dict, raw_key: str, expected: Any) -> bool:
    match = re.match(r"^(>=|<=|!@|!=|=%|%=|>|<|@|%|=|!)?(.+)$", str(raw_key))
    op, key = match.group(1) or "=", match.group(2).upper()
    values = _multi_values(row, key) if key in MULTI_FIELDS else [row.get(key)]
    wanted = expected if isinstance(expected, list) else [expected]
    wanted = [None if w is None else str(w) for w in wanted]
    actual = [None if v is None else str(v) for v in values]

    def number(text: str | None) -> float | str | None:
        try:
            return float(text) if text is not None else None
        except ValueError:
            return text

    if op in ("=",):
        return any(a in wanted for a in actual) if wanted != [""] else all(a in (None, "") for a in actual)
    if op in ("!", "!="):
        return not any(a in wanted for a in actual)
    if op == "@":
        return any(a in wanted for a in actual)
    if op == "!@":
        return not any(a in wanted for a in actual)
    if op in ("%", "=%", "%="):
        return any(a is not None and str(wanted[0]).lower().strip("%") in a.lower() for a in actual)
    comparisons = {">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b}
    target = number(wanted[0])
    for a in actual:
        value = number(a)
        if value is None or type(value) is not type(target):
            continue
        if comparisons[op](value, target):
            return True
    return False


def _sort_key(value: Any) -> tuple:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value or ""))


def _select(row: dict, select: list, multi_default: bool) -> dict:
    select = [str(s).upper() for s in select]
    chosen = {k: v for k, v in row.items() if k not in MULTI_FIELDS or multi_default} if "*" in select else {}
    for key in select:
        if key != "*" and key in row:
            chosen[key] = row[key]
    chosen.setdefault("ID", row.get("ID"))
    return chosen
