"""The Bitrix24 client against the fake portal over real HTTP on loopback."""

from __future__ import annotations

import asyncio

import pytest

from portal.crm.client import (
    AuthError,
    Bitrix24Client,
    InvalidRequest,
    LeakyBucket,
    MethodNotFound,
    NotFound,
    OperationTimeLimit,
    RateLimited,
    ServerError,
    TransportError,
    build_query,
)
from tests.fakes.bitrix24 import FakeBitrix24


@pytest.fixture(scope="module")
def fake():
    with FakeBitrix24().running() as server:
        yield server


@pytest.fixture
async def client(fake):
    fake.reset()
    async with Bitrix24Client(fake.webhook_url, bucket=LeakyBucket(rate=1000, capacity=1000)) as bitrix:
        yield bitrix


async def test_add_get_update_round_trip_with_strings_and_multifields(client, fake) -> None:
    contact_id = (await client.call("crm.contact.add", {"fields": {
        "NAME": "Мария", "LAST_NAME": "Иванова", "OPENED": True,
        "PHONE": [{"VALUE": "+79123456789", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "maria@example.com", "VALUE_TYPE": "WORK"}],
    }})).result
    assert isinstance(contact_id, int)
    contact = (await client.call("crm.contact.get", {"id": contact_id})).result
    assert contact["ID"] == str(contact_id) and contact["OPENED"] == "Y" and contact["HAS_PHONE"] == "Y"
    phone_id = contact["PHONE"][0]["ID"]
    assert contact["PHONE"][0]["TYPE_ID"] == "PHONE"

    # replace by ID, append without ID, delete by ID + DELETE=Y
    assert (await client.call("crm.contact.update", {"id": contact_id, "fields": {
        "PHONE": [{"ID": phone_id, "VALUE": "+79000000000", "VALUE_TYPE": "MOBILE"}, {"VALUE": "+78000000000"}],
        "EMAIL": [{"ID": contact["EMAIL"][0]["ID"], "DELETE": "Y"}],
    }})).result is True
    contact = (await client.call("crm.contact.get", {"id": contact_id})).result
    assert [p["VALUE"] for p in contact["PHONE"]] == ["+79000000000", "+78000000000"]
    assert "EMAIL" not in contact and contact["HAS_EMAIL"] == "N"


async def test_time_is_in_every_success(client) -> None:
    answer = await client.call("crm.lead.add", {"fields": {"TITLE": "x"}})
    assert {"start", "finish", "duration", "operating", "operating_reset_at"} <= set(answer.time)


async def test_list_pages_by_fifty_and_filters_by_our_external_id(client) -> None:
    commands = {f"l{i}": ("crm.lead.add", {"fields": {"TITLE": f"lead {i}", "ORIGINATOR_ID": "portal",
                                                         "ORIGIN_ID": f"id-{i}"}}) for i in range(49)}
    await client.batch(commands)
    await client.batch({f"m{i}": ("crm.lead.add", {"fields": {"TITLE": f"more {i}"}}) for i in range(21)})
    first = await client.call("crm.lead.list", {"select": ["ID"]})
    assert len(first.result) == 50 and first.total == 70 and first.next == 50
    last = await client.call("crm.lead.list", {"select": ["ID"], "start": 50})
    assert len(last.result) == 20 and last.next is None
    assert len(await client.list_all("crm.lead.list", {"select": ["ID"]})) == 70
    found = await client.call("crm.lead.list", {"filter": {"ORIGINATOR_ID": "portal", "ORIGIN_ID": "id-7"},
                                                "select": ["ID", "TITLE"]})
    assert [row["TITLE"] for row in found.result] == ["lead 7"]
    fast = await client.call("crm.lead.list", {"order": {"ID": "ASC"}, "filter": {">ID": 0}, "start": -1})
    assert fast.total == 0 and fast.next is None and len(fast.result) == 50


async def test_batch_substitutes_earlier_results_and_reports_errors(client, fake) -> None:
    answer = await client.batch({
        "company": ("crm.company.add", {"fields": {"TITLE": "OOO Zavod"}}),
        "requisite": ("crm.requisite.add", {"fields": {
            "ENTITY_TYPE_ID": 4, "ENTITY_ID": "$result[company]", "PRESET_ID": 1, "NAME": "OOO Zavod",
            "RQ_INN": "7707083893", "RQ_KPP": "773601001", "RQ_OGRN": "1027700132195"}}),
    })
    assert not answer.errors
    requisite = fake.entities("requisite")[0]
    assert requisite["ENTITY_ID"] == str(answer.result["company"]) and requisite["RQ_INN"] == "7707083893"

    halted = await client.batch({
        "bad": ("crm.requisite.add", {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": 999, "PRESET_ID": 1, "NAME": "x"}}),
        "never": ("crm.lead.add", {"fields": {"TITLE": "never"}}),
    })
    assert isinstance(halted.errors["bad"], NotFound) and "never" not in halted.result
    assert not any(lead["TITLE"] == "never" for lead in fake.entities("lead"))


async def test_errors_are_typed(client, fake) -> None:
    with pytest.raises(NotFound) as missing:
        await client.call("crm.deal.get", {"id": 12345})
    assert missing.value.status == 400 and missing.value.code == "" and not missing.value.retryable
    with pytest.raises(MethodNotFound):
        await client.call("crm.nothing.here")
    with pytest.raises(InvalidRequest):
        await client.call("crm.requisite.add", {"fields": {"ENTITY_TYPE_ID": 7}})

    fake.fail_next(1, 500, "INTERNAL_SERVER_ERROR", "Internal server error")
    with pytest.raises(ServerError) as fault:
        await client.call("crm.lead.add", {"fields": {"TITLE": "x"}})
    assert fault.value.retryable and fault.value.outcome_unknown

    fake.fail_next(1, 503, "OVERLOAD_LIMIT", "REST API is blocked due to overload")
    with pytest.raises(Exception) as blocked:
        await client.call("crm.lead.add", {"fields": {"TITLE": "x"}})
    assert not blocked.value.retryable

    fake.fail_next(1, 403, "insufficient_scope", "The request requires higher privileges")
    with pytest.raises(AuthError):
        await client.call("crm.lead.list")


async def test_wrong_webhook_code_is_an_auth_error(fake) -> None:
    wrong = fake.webhook_url.replace(fake.code, "not-the-code")
    async with Bitrix24Client(wrong) as bitrix:
        with pytest.raises(AuthError) as error:
            await bitrix.call("crm.lead.list")
    assert error.value.code == "NO_AUTH_FOUND" and error.value.status == 401


async def test_missing_scope_is_an_auth_error(fake) -> None:
    fake.scopes.discard("crm")
    try:
        async with Bitrix24Client(fake.webhook_url) as bitrix:
            with pytest.raises(AuthError) as error:
                await bitrix.call("crm.lead.list")
        assert error.value.code == "insufficient_scope" and error.value.status == 403
    finally:
        fake.scopes.add("crm")


async def test_rate_limit_answers_are_retried_inside_the_client(client, fake) -> None:
    fake.fail_next(2)
    assert isinstance((await client.call("crm.lead.add", {"fields": {"TITLE": "after 503"}})).result, int)
    assert [r.status for r in fake.requests] == [503, 503, 200]
    fake.fail_next(10)
    client.rate_limit_retries = 1
    with pytest.raises(RateLimited) as error:
        await client.call("crm.lead.add", {"fields": {"TITLE": "x"}})
    assert error.value.retryable and not error.value.outcome_unknown


async def test_operation_time_limit_pauses_that_method_only(client, fake) -> None:
    fake.fail_next(1, 429, "OPERATION_TIME_LIMIT", "Method is blocked", method="crm.deal.list")
    with pytest.raises(OperationTimeLimit) as error:
        await client.call("crm.deal.list")
    assert error.value.retry_after >= 1
    with pytest.raises(OperationTimeLimit):  # paused on our side: no request leaves
        await client.call("crm.deal.list")
    assert sum(1 for r in fake.requests if r.method == "crm.deal.list") == 1
    assert (await client.call("crm.lead.list")).result == []


async def test_timeout_after_sending_is_an_unknown_outcome(fake) -> None:
    fake.reset()
    fake.slow("crm.lead.add", 1.0)
    async with Bitrix24Client(fake.webhook_url, timeout=0.3) as bitrix:
        with pytest.raises(TransportError) as error:
            await bitrix.call("crm.lead.add", {"fields": {"TITLE": "slow"}})
    assert error.value.retryable and error.value.outcome_unknown
    assert len(fake.entities("lead")) == 1  # it was carried out all the same


async def test_unreachable_portal_is_retryable_and_known_not_done() -> None:
    async with Bitrix24Client("http://127.0.0.1:9/rest/1/x/") as bitrix:
        with pytest.raises(TransportError) as error:
            await bitrix.call("crm.lead.list")
    assert error.value.retryable and not error.value.outcome_unknown


async def test_the_fake_bucket_refuses_a_burst_over_its_capacity(fake) -> None:
    fake.reset()
    fake.bucket_capacity = 5
    try:
        async with Bitrix24Client(fake.webhook_url, bucket=LeakyBucket(1000, 1000), rate_limit_retries=0) as bitrix:
            outcomes = await asyncio.gather(*(bitrix.call("crm.lead.list") for _ in range(8)), return_exceptions=True)
        assert sum(isinstance(o, RateLimited) for o in outcomes) == 3
    finally:
        fake.bucket_capacity = 50


async def test_client_bucket_keeps_a_burst_under_the_portal_limit(fake) -> None:
    fake.reset()
    fake.bucket_capacity, fake.bucket_rate = 10, 20
    try:
        bucket = LeakyBucket(rate=10, capacity=4)  # half the portal's: room for a busy machine's jitter
        async with Bitrix24Client(fake.webhook_url, bucket=bucket, rate_limit_retries=0) as bitrix:
            await asyncio.gather(*(bitrix.call("crm.lead.list") for _ in range(30)))
        assert all(r.status == 200 for r in fake.requests) and fake.max_level <= 10
    finally:
        fake.bucket_capacity, fake.bucket_rate = 50, 2.0


async def test_leaky_bucket_waits_only_when_full() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = LeakyBucket(rate=2, capacity=3, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await bucket.acquire()
    assert waits == []
    await bucket.acquire()
    assert waits == [0.5]
    now[0] += 10
    await bucket.acquire()
    assert waits == [0.5] and bucket.level == 1


async def test_document_pdf_appears_late_and_downloads(client, fake) -> None:
    deal = (await client.call("crm.deal.add", {"fields": {"TITLE": "Order 1"}})).result
    document = (await client.call("crm.documentgenerator.document.add",
                                  {"templateId": 39, "entityTypeId": 2, "entityId": deal})).result["document"]
    assert not document["pdfUrl"]
    first = (await client.call("crm.documentgenerator.document.get", {"id": document["id"]})).result["document"]
    assert not first.get("pdfUrlMachine")
    second = (await client.call("crm.documentgenerator.document.get", {"id": document["id"]})).result["document"]
    assert (await client.download(second["pdfUrlMachine"])).startswith(b"%PDF-")


def test_build_query_uses_php_brackets() -> None:
    query = build_query({"id": 5, "fields": {"TITLE": "a&b", "PHONE": [{"VALUE": "+7 1"}], "OPENED": True,
                                             "COMPANY_ID": "$result[company]"}})
    assert query == ("id=5&fields[TITLE]=a%26b&fields[PHONE][0][VALUE]=%2B7%201&fields[OPENED]=Y"
                     "&fields[COMPANY_ID]=$result[company]")


def test_the_fake_reads_form_multipart_and_query_parameters_in_any_case(fake) -> None:
    import httpx

    fake.reset()
    url = fake.webhook_url
    form = httpx.post(url + "crm.lead.add.json", data={"FIELDS[TITLE]": "form", "FIELDS[PHONE][0][VALUE]": "+7 1"})
    multipart = httpx.post(url + "crm.lead.add", files={"fields[TITLE]": (None, "multipart")})
    query = httpx.get(url + "crm.lead.add", params={"fields[TITLE]": "query"})
    assert [r.status_code for r in (form, multipart, query)] == [200, 200, 200]
    assert [lead["TITLE"] for lead in fake.entities("lead")] == ["form", "multipart", "query"]
    assert fake.entities("lead")[0]["PHONE"][0]["VALUE"] == "+7 1"
    unknown = httpx.post(url + "crm.unknown.method", json={})
    assert unknown.status_code == 404 and unknown.json()["error"] == "ERROR_METHOD_NOT_FOUND"
