"""Bitrix24 sync end to end: the app writes, a real arq worker (a separate process) on real Redis
sends to the fake Bitrix24 over HTTP. Faults: 503 bursts, a worker killed between Bitrix24's answer
and "sent", a flushed Redis, a wrong event token."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from jobs.inline import InlineRunner
from portal.app import create_app
from portal.config import BitrixSettings
from portal.core.queue import QUEUE_NAME, JobQueue
from portal.crm import deals, outbox
from portal.db.models import BitrixSyncRow, CallRequest, User
from tests.fakes.bitrix24 import FakeBitrix24
from tests.integration.conftest import COMPANY, ENTREPRENEUR, post_form, register

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fake():
    with FakeBitrix24().running() as server:
        yield server


@pytest.fixture
def settings(settings, fake):
    fake.reset()
    fake.bucket_capacity, fake.bucket_rate = 50, 2.0
    return replace(settings, bitrix=BitrixSettings(webhook_url=fake.webhook_url, app_token=fake.application_token,
                                                   lease_seconds=5, max_attempts=8))


@pytest.fixture
def app(settings):
    return create_app(settings)


class Workers:
    """`python -m tests.integration.crm_worker` processes on the test's database and Redis."""

    def __init__(self, settings, tmp_path: Path) -> None:
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
        self.env.update(
            PYTHONPATH=str(REPO_ROOT), PORTAL_DATABASE_URL=settings.database.url, PORTAL_REDIS_URL=settings.redis.url,
            PORTAL_SECRET_KEY=settings.server.secret_key, PORTAL_DATA_DIR=str(tmp_path),
            PORTAL_SITE_URL=settings.mail.site_url,
            PORTAL_BITRIX_WEBHOOK_URL=settings.bitrix.webhook_url, PORTAL_BITRIX_APP_TOKEN=settings.bitrix.app_token,
            PORTAL_BITRIX_LEASE_SECONDS=str(settings.bitrix.lease_seconds),
        )
        self.log = tmp_path / "worker.log"
        self.running: list[subprocess.Popen] = []

    def start(self, crash_on: str | None = None, **env: str) -> subprocess.Popen:
        args = [sys.executable, "-m", "tests.integration.crm_worker"] + (["--crash-on", crash_on] if crash_on else [])
        with self.log.open("ab") as log:
            process = subprocess.Popen(args, env={**self.env, **env}, cwd=REPO_ROOT, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # what a killed worker left (its sandbox)
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def workers(settings, tmp_path):
    started = Workers(settings, tmp_path)
    yield started
    for process in started.running:
        started.stop(process)


async def wait_until(check, timeout: float, workers: Workers, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout}s; worker log:\n{workers.tail()}")


async def statuses(db) -> list[str]:
    async with db() as session:
        return list(await session.scalars(select(BitrixSyncRow.status).order_by(BitrixSyncRow.id)))


async def all_sent(db) -> bool:
    found = await statuses(db)
    return bool(found) and all(status in ("sent", "superseded") for status in found)


async def test_a_company_customer_and_a_call_request_arrive_once_each(client, db, fake, workers):
    assert (await register(client, COMPANY)).status_code == 303
    answer = await post_form(client, "/call-request", {"name": "Анна Петрова", "phone": "8 (912) 345-67-00",
                                                       "email": "", "comment": "Фрезеровка", "preferred_time": "утром",
                                                       "page": "/"})
    assert answer.status_code == 303
    workers.start()
    await wait_until(lambda: all_sent(db), 60, workers, "every row sent")

    [contact] = fake.entities("contact")
    [company] = fake.entities("company")
    [requisite] = fake.entities("requisite")
    [lead] = fake.entities("lead")
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == COMPANY["email"]))
        call = await session.scalar(select(CallRequest))
    assert contact["ORIGIN_ID"] == str(user.id) and contact["COMPANY_ID"] == company["ID"]
    assert [e["VALUE"] for e in contact["EMAIL"]] == [COMPANY["email"]]
    assert company["TITLE"] == COMPANY["company_name"] and requisite["ENTITY_ID"] == company["ID"]
    assert (requisite["RQ_INN"], requisite["RQ_KPP"], requisite["RQ_OGRN"]) == (
        COMPANY["inn"], COMPANY["kpp"], COMPANY["ogrn"])
    [address] = fake.addresses()
    assert (address["TYPE_ID"], address["ENTITY_ID"], address["ADDRESS_1"]) == (
        "6", requisite["ID"], COMPANY["legal_address"])
    assert lead["ORIGIN_ID"] == str(call.id) and [p["VALUE"] for p in lead["PHONE"]] == ["+79123456700"]
    assert lead["NAME"] == "Анна" and "Фрезеровка" in lead["COMMENTS"]
    assert lead["CONTACT_ID"] == contact["ID"]  # the customer was logged in

    # a deal for this customer's order, through the same worker
    async with db() as session:
        deals.record_deal(session, deals.order_payload(
            {"id": "order-7", "number": "7", "total": "5000.00", "currency": "RUB"},
            [{"name": "Flange", "unit_price": "2500.00", "quantity": 2}], str(user.id), company=True))
        await session.commit()
    await wait_until(lambda: all_sent(db), 60, workers, "the deal sent")
    [deal] = fake.entities("deal")
    assert deal["COMPANY_ID"] == company["ID"] and deal["CONTACT_IDS"] == [contact["ID"]]
    assert len(fake.product_rows(int(deal["ID"]))) == 1


async def test_an_entrepreneur_registers_and_arrives_with_the_entrepreneur_preset(client, db, fake, workers):
    assert (await register(client, ENTREPRENEUR)).status_code == 303
    workers.start()
    await wait_until(lambda: all_sent(db), 60, workers, "every row sent")
    [contact] = fake.entities("contact")
    [company] = fake.entities("company")
    [requisite] = fake.entities("requisite")
    assert contact["COMPANY_ID"] == company["ID"] and requisite["PRESET_ID"] == "3"
    assert (requisite["RQ_INN"], requisite["RQ_OGRNIP"]) == (ENTREPRENEUR["inn"], ENTREPRENEUR["ogrn"])
    assert "RQ_KPP" not in requisite


async def test_a_503_burst_slows_us_down_and_everything_still_arrives_once(settings, db, fake, workers):
    fake.bucket_capacity, fake.bucket_rate = 10, 5.0  # a small portal bucket, so the test is quick
    async with db() as session:
        for number in range(24):
            outbox.record(session, "lead", f"burst-{number}", {"name": f"Lead {number}", "phone": "+79120000000"})
        await session.commit()
    fake.fail_next(6)  # the portal answers a burst of 503 QUERY_LIMIT_EXCEEDED
    workers.start(PORTAL_BITRIX_RATE="4", PORTAL_BITRIX_BURST="5")  # under the portal, with room for jitter
    await wait_until(lambda: all_sent(db), 90, workers, "every lead sent")

    origins = [lead["ORIGIN_ID"] for lead in fake.entities("lead")]
    assert sorted(origins) == sorted(f"burst-{n}" for n in range(24))
    injected = sum(1 for r in fake.requests if r.error == "QUERY_LIMIT_EXCEEDED")
    assert injected == 6
    assert fake.bucket_refusals == 0 and fake.max_level <= fake.bucket_capacity  # we stayed under its limit


async def test_a_worker_killed_after_bitrix_answered_leaves_no_duplicate_deal(settings, db, fake, workers):
    async with db() as session:
        outbox.record(session, "contact", "customer-1", {
            "id": "customer-1", "full_name": "Мария Иванова", "email": "m@example.com", "phone": "+79120000001",
            "account_type": "individual"})
        await session.commit()
    first = workers.start()
    await wait_until(lambda: all_sent(db), 30, workers, "the contact sent")
    workers.stop(first)

    async with db() as session:
        row = deals.record_deal(session, deals.order_payload(
            {"id": "order-1", "number": "1", "total": "990.00"},
            [{"name": "Shaft", "unit_price": "990", "quantity": 1}],
            "customer-1", company=False))
        await session.commit()
    doomed = workers.start(crash_on="deal")
    assert doomed.wait(timeout=30) == -signal.SIGKILL
    [deal] = fake.entities("deal")  # Bitrix24 made it, the worker died before "sent"
    async with db() as session:
        row = await session.get(BitrixSyncRow, row.id)
        assert (row.status, row.attempts, row.bitrix_id) == ("pending", 1, None)

    workers.start()  # after arq's in-progress timeout the job runs again
    await wait_until(lambda: all_sent(db), 60, workers, "the deal marked sent after the restart")
    assert [d["ID"] for d in fake.entities("deal")] == [deal["ID"]]
    async with db() as session:
        row = await session.get(BitrixSyncRow, row.id)
    assert row.bitrix_id == deal["ID"] and row.attempts == 2
    assert sum(1 for r in fake.requests if r.method == "batch" and r.status == 200) == 2  # add once, update once


async def test_when_redis_loses_the_queue_the_relay_puts_the_rows_back(settings, db, fake, workers):
    queue = JobQueue(settings, inline_runner=InlineRunner)
    async with db() as session:
        rows = [outbox.record(session, "lead", f"lost-{n}", {"name": f"L{n}", "phone": "+79120000002"})
                for n in range(5)]
        await session.commit()
    await outbox.kick(queue, True, [row.id for row in rows])
    await queue.close()
    redis = Redis.from_url(settings.redis.url)
    assert await redis.zcard(QUEUE_NAME) == 5
    await redis.flushdb()  # Redis restarted empty
    assert await redis.zcard(QUEUE_NAME) == 0
    await redis.aclose()

    workers.start()
    await wait_until(lambda: all_sent(db), 60, workers, "the relay re-enqueued every row")
    assert sorted(lead["ORIGIN_ID"] for lead in fake.entities("lead")) == [f"lost-{n}" for n in range(5)]


async def test_an_event_with_a_wrong_token_is_refused_and_changes_nothing(client, db, fake):
    refused = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", 5, token="wrong"))
    assert refused.status_code == 401
    missing = await client.post("/crm/bitrix/events", data={"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "5"})
    assert missing.status_code == 401
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(BitrixSyncRow)) == 0

    accepted = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", 5))
    again = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", 5))
    assert accepted.status_code == again.status_code == 200
    async with db() as session:
        rows = list(await session.scalars(select(BitrixSyncRow)))
    assert [(r.entity_type, r.action, r.bitrix_id) for r in rows] == [("deal", "pull", "5")]


@pytest.mark.parametrize("deal_id", ["²", "١٢", "٣", "1" * 19, "9" * 40, "-5", " 5", "5\n"])
async def test_an_event_whose_id_is_not_plain_ascii_digits_is_ignored(client, db, fake, deal_id):
    answer = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", deal_id))
    assert answer.status_code == 200 and answer.json()["ignored"] == "ONCRMDEALUPDATE"
    longest = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", "9" * 18))
    assert longest.status_code == 200 and "ignored" not in longest.json()
    async with db() as session:
        assert list(await session.scalars(select(BitrixSyncRow.bitrix_id))) == ["9" * 18]


async def test_an_order_becomes_a_deal_and_follows_sales_to_the_invoice(client, db, fake, workers, settings):
    from decimal import Decimal

    from portal.db.orders import Document, Order
    from portal.orders.services import LineDraft, OrderService, PricedCart

    assert (await register(client, COMPANY)).status_code == 303
    async with db() as session:
        customer = await session.scalar(select(User).where(User.email == COMPANY["email"]))
        cart = PricedCart([LineDraft("bracket.step", 10, {"process_name": "CNC milling", "material_name": "Al 6061"},
                                     quoted_total=Decimal("12000.00"))], "v1", Decimal("0.20"))
        order = await OrderService(session=session).place(customer, cart, {"delivery_address": "Moscow"}, "k1", "en")
        await session.commit()
    workers.start(PORTAL_BITRIX_INVOICE_TEMPLATE_ID="39")
    await wait_until(lambda: all_sent(db), 60, workers, "customer and order sent")
    [deal] = fake.entities("deal")
    [company] = fake.entities("company")
    assert (deal["ORIGIN_ID"], deal["OPPORTUNITY"], deal["STAGE_ID"], deal["COMPANY_ID"]) == (
        str(order.id), "12000.00", "NEW", company["ID"])
    [row] = fake.product_rows(int(deal["ID"]))
    assert (row["PRODUCT_NAME"], row["PRICE"], row["QUANTITY"]) == ("bracket.step (CNC milling, Al 6061)", 1200.0, 10)

    async def status() -> str:
        async with db() as session:
            return (await session.get(Order, order.id)).status

    async def sales_move(stage: str) -> None:
        fake.move_deal(int(deal["ID"]), stage, send=False)
        answer = await client.post("/crm/bitrix/events", data=fake.event_form("ONCRMDEALUPDATE", deal["ID"]))
        assert answer.status_code == 200

    await sales_move("PREPARATION")
    await wait_until(lambda: _is(status, "in_review"), 60, workers, "the order in review")
    await sales_move("PREPAYMENT_INVOICE")
    await wait_until(lambda: _is(status, "awaiting_payment"), 60, workers, "the order awaiting payment")

    async def invoice():
        async with db() as session:
            return await session.scalar(select(Document).where(Document.order_id == order.id,
                                                               Document.kind == "invoice"))

    document = await wait_until(invoice, 60, workers, "the invoice PDF on the order")
    assert document.name.endswith(".pdf") and document.uploaded_by_id is None
    await wait_until(lambda: all_sent(db), 30, workers, "every row done")
    async with db() as session:  # sales' changes were not written back to the deal (no echo)
        deal_rows = await session.scalar(select(func.count()).select_from(BitrixSyncRow).where(
            BitrixSyncRow.entity_type == "deal", BitrixSyncRow.action == "upsert"))
    assert deal_rows == 1 and len(fake.entities("deal")) == 1
    [quote] = fake.comments.values()  # the order's quote PDF on the deal's timeline
    [(name, content)] = quote["files"]
    assert quote["ENTITY_ID"] == deal["ID"] and name == f"quote-{order.number}.pdf" and content.startswith(b"%PDF-")


async def test_the_quote_pdf_and_the_customers_documents_reach_the_deal_once_each(client, db, fake, workers,
                                                                                  settings, tmp_path):
    import hashlib
    from decimal import Decimal

    from portal.files.storage import build_storage
    from portal.orders.services import LineDraft, OrderService, PricedCart
    from tests.integration.test_order_documents import PDF, upload

    assert (await register(client, COMPANY)).status_code == 303
    drawing = tmp_path / "drawing.pdf"
    drawing.write_bytes(PDF)
    async with db() as session:
        customer = await session.scalar(select(User).where(User.email == COMPANY["email"]))
        orders = OrderService(session=session)
        await orders.attach_document(None, customer, customer, "drawing", drawing, "чертёж.pdf",
                                     hashlib.sha256(PDF).hexdigest(), build_storage(settings.storage))
        cart = PricedCart([LineDraft("flange.step", 4, quoted_total=Decimal("8000.00"))], "v1", Decimal("0.20"))
        order = await orders.place(customer, cart, {"delivery_address": "Moscow"}, "k1", "ru")
        await session.commit()

    # the worker dies after Bitrix24 took the first file, before the row is marked sent
    doomed = workers.start(crash_on="deal:attach")
    assert doomed.wait(timeout=60) == -signal.SIGKILL
    assert fake.comments
    workers.start()
    await wait_until(lambda: all_sent(db), 60, workers, "the quote and the drawing attached")

    later = PDF.replace(b"1 0 obj", b"1 0 obj % specification")  # the customer uploads after placing
    assert (await upload(client, order, "specification.pdf", later)).status_code == 303
    await wait_until(lambda: all_sent(db), 60, workers, "the later document attached")

    [deal] = fake.entities("deal")
    files = [file for comment in fake.comments.values() for file in comment["files"]]
    assert sorted(name for name, _ in files) == sorted([f"quote-{order.number}.pdf", "чертёж.pdf", "specification.pdf"])
    assert {comment["ENTITY_ID"] for comment in fake.comments.values()} == {deal["ID"]}
    assert dict(files)["чертёж.pdf"] == PDF and dict(files)["specification.pdf"] == later
    assert dict(files)[f"quote-{order.number}.pdf"].startswith(b"%PDF-")


async def _is(read, wanted: str) -> bool:
    return await read() == wanted
