"""One outbox row at a time against the fake Bitrix24: what arrives, once, with which fields."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from jobs.context import build_context, close_context
from portal.app import create_app
from portal.config import BitrixSettings
from portal.crm import deals, outbox
from portal.crm.client import Bitrix24Client, LeakyBucket
from portal.crm.sync import process
from portal.db.models import BitrixSyncRow
from tests.fakes.bitrix24 import FakeBitrix24
from tests.integration.conftest import COMPANY as COMPANY_FORM
from tests.integration.conftest import register, run_queued_jobs
from tests.integration.orders import place_order
from tests.smtp import body_of

COMPANY = dict(full_name="Смирнов Олег Петрович", email="oleg@zavod.example.com", phone="+7 912 345-67-89",
               account_type="legal", company_name="ООО Завод", inn="7707083893", kpp="773601001",
               ogrn="1027700132195", legal_address="Москва, ул. Вавилова, 19", is_staff=False)


@pytest.fixture(scope="module")
def fake():
    with FakeBitrix24().running() as server:
        yield server


@pytest.fixture
def bitrix(fake) -> BitrixSettings:
    fake.reset()
    return BitrixSettings(webhook_url=fake.webhook_url, app_token=fake.application_token, max_attempts=3,
                          invoice_template_id=39)


@pytest.fixture
async def client(bitrix):
    async with Bitrix24Client(bitrix.webhook_url, bucket=LeakyBucket(100, 100), timeout=2) as bitrix_client:
        yield bitrix_client


def person(**changes):
    return SimpleNamespace(**{**COMPANY, "id": uuid4(), **changes})


async def add_rows(db, make) -> list[int]:
    async with db() as session:
        rows = make(session)
        if inspect.isawaitable(rows):
            rows = await rows
        await session.commit()
        return [row.id for row in rows]


async def run_all(db, client, bitrix, orders=None, rounds: int = 5) -> None:
    """Process every open row until nothing is due (what the worker does, minus the queue)."""
    for _ in range(rounds):
        async with db() as session:
            ids = list(await session.scalars(select(BitrixSyncRow.id).where(BitrixSyncRow.status.in_(outbox.OPEN))
                                             .order_by(BitrixSyncRow.id)))
            for row in await session.scalars(select(BitrixSyncRow).where(BitrixSyncRow.id.in_(ids))):
                row.next_attempt_at = outbox.now() - timedelta(seconds=1)
            await session.commit()
        if not ids:
            return
        for row_id in ids:
            await process(db, client, bitrix, row_id, orders)


async def rows_of(db) -> list[BitrixSyncRow]:
    async with db() as session:
        return list(await session.scalars(select(BitrixSyncRow).order_by(BitrixSyncRow.id)))


async def test_a_company_customer_arrives_once_as_contact_company_and_requisites(settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)

    [contact] = fake.entities("contact")
    assert (contact["NAME"], contact["LAST_NAME"], contact["SECOND_NAME"]) == ("Олег", "Смирнов", "Петрович")
    assert [p["VALUE"] for p in contact["PHONE"]] == ["+79123456789"]
    assert [e["VALUE"] for e in contact["EMAIL"]] == ["oleg@zavod.example.com"]
    assert (contact["ORIGINATOR_ID"], contact["ORIGIN_ID"]) == ("portal", str(user.id))
    [company] = fake.entities("company")
    assert company["TITLE"] == "ООО Завод" and contact["COMPANY_ID"] == company["ID"]
    [requisite] = fake.entities("requisite")
    assert (requisite["ENTITY_TYPE_ID"], requisite["ENTITY_ID"], requisite["PRESET_ID"]) == ("4", company["ID"], "1")
    assert (requisite["RQ_INN"], requisite["RQ_KPP"], requisite["RQ_OGRN"]) == (
        "7707083893", "773601001", "1027700132195")
    [address] = fake.addresses()  # the legal address, on the requisite
    assert (address["TYPE_ID"], address["ENTITY_TYPE_ID"], address["ENTITY_ID"], address["ADDRESS_1"]) == (
        "6", "8", requisite["ID"], "Москва, ул. Вавилова, 19")
    assert (address["ANCHOR_TYPE_ID"], address["ANCHOR_ID"]) == ("4", company["ID"])
    rows = await rows_of(db)
    assert [(r.entity_type, r.status, r.bitrix_id) for r in rows] == [
        ("contact", "sent", contact["ID"]), ("company", "sent", company["ID"])]


async def test_an_entrepreneur_gets_the_entrepreneur_preset(settings, db, fake, bitrix, client):
    user = person(account_type="entrepreneur", company_name="", inn="500100732259", kpp="", ogrn="304500116000157",
                  full_name="Петров Иван Сергеевич")
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    [company] = fake.entities("company")
    [requisite] = fake.entities("requisite")
    assert company["TITLE"] == "ИП Петров Иван Сергеевич"
    assert requisite["PRESET_ID"] == "3" and requisite["RQ_INN"] == "500100732259"
    assert requisite["RQ_OGRNIP"] == "304500116000157" and requisite["RQ_LAST_NAME"] == "Петров"
    [address] = fake.addresses()  # an entrepreneur's address is that of their registration
    assert (address["TYPE_ID"], address["ENTITY_ID"]) == ("4", requisite["ID"])


async def test_a_profile_change_updates_instead_of_adding(settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    user.phone, user.company_name, user.kpp = "+7 900 000-00-00", "ООО Новый Завод", "773601002"
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)

    [contact] = fake.entities("contact")
    assert [p["VALUE"] for p in contact["PHONE"]] == ["+79000000000"]  # replaced, not appended
    [company] = fake.entities("company")
    [requisite] = fake.entities("requisite")
    assert company["TITLE"] == "ООО Новый Завод" and requisite["RQ_KPP"] == "773601002"
    # unchanged data writes no row
    assert await add_rows(db, lambda s: outbox.record_customer(s, user)) == []


async def test_a_new_legal_address_updates_the_requisites_address(settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    user.legal_address = "Санкт-Петербург, Невский пр., 1"
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    [requisite] = fake.entities("requisite")
    [address] = fake.addresses()
    assert (address["TYPE_ID"], address["ENTITY_ID"], address["ADDRESS_1"]) == (
        "6", requisite["ID"], "Санкт-Петербург, Невский пр., 1")
    assert {r.status for r in await rows_of(db)} == {"sent"}

    # the company becomes an entrepreneur: the address moves to the registration address
    user.account_type, user.inn, user.ogrn = "entrepreneur", "500100732259", "304500116000157"
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    [address] = fake.addresses()
    assert (address["TYPE_ID"], address["ADDRESS_1"]) == ("4", "Санкт-Петербург, Невский пр., 1")
    assert {r.status for r in await rows_of(db)} == {"sent"}


async def test_after_an_unknown_outcome_the_company_and_its_address_arrive_once(settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    fake.slow("batch", 3)  # the company's batch is carried out, its answer comes too late
    await run_all(db, client, bitrix, rounds=1)
    fake.slow("batch", 0)
    assert [r.status for r in await rows_of(db)] == ["sent", "failed"]
    await run_all(db, client, bitrix)
    assert len(fake.entities("company")) == len(fake.entities("requisite")) == len(fake.addresses()) == 1
    assert {r.status for r in await rows_of(db)} == {"sent"}


async def test_an_older_unsent_change_is_superseded_by_a_newer_one(settings, db, fake, bitrix, client):
    user = person(account_type="individual")
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    user.full_name = "Мария Иванова"
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    [contact] = fake.entities("contact")
    assert contact["NAME"] == "Мария"
    assert [r.status for r in await rows_of(db)] == ["superseded", "sent"]


async def test_after_an_unknown_outcome_the_lead_is_looked_up_not_added_again(settings, db, fake, bitrix, client):
    fake.slow("crm.lead.add", 3)  # carried out, but the answer comes after the client gave up
    [row_id] = await add_rows(db, lambda s: [outbox.record(s, "lead", uuid4(), {
        "name": "Анна", "phone": "+79001234567", "email": "", "comment": "Перезвоните",
        "preferred_time": "после 15"})])
    outcome = await process(db, client, bitrix, row_id)
    assert outcome.retry_in is not None
    [row] = await rows_of(db)
    assert row.status == "failed" and row.attempts == 1 and "ReadTimeout" in row.last_error
    fake.slow("crm.lead.add", 0)
    await run_all(db, client, bitrix)
    [lead] = fake.entities("lead")
    [row] = await rows_of(db)
    assert row.status == "sent" and row.bitrix_id == lead["ID"]
    assert "Перезвоните" in lead["COMMENTS"] and "после 15" in lead["COMMENTS"] and lead["SOURCE_ID"] == "WEB"
    assert [r.method for r in fake.requests if r.status == 200].count("crm.lead.list") == 1


async def test_retryable_errors_back_off_then_the_row_dies_after_n_attempts(settings, db, fake, bitrix, client):
    fake.fail_next(100, 500, "INTERNAL_SERVER_ERROR", "Internal server error")
    [row_id] = await add_rows(db, lambda s: [outbox.record(s, "lead", "x", {"id": "x", "name": "A", "phone": "+7900"})])
    delays = []
    for _ in range(3):
        outcome = await process(db, client, bitrix, row_id)
        delays.append(outcome.retry_in)
        async with db() as session:
            row = await session.get(BitrixSyncRow, row_id)
            row.next_attempt_at = outbox.now()
            await session.commit()
    assert delays[0] is not None and delays[1] is not None and delays[2] is None
    assert 2.5 <= delays[0] <= 5 and 5 <= delays[1] <= 10
    [row] = await rows_of(db)
    assert row.status == "dead" and row.attempts == 3 and "INTERNAL_SERVER_ERROR" in row.last_error

    async with db() as session:
        assert await outbox.SyncQueueService(session=session).retry(row_id)
        await session.commit()
    fake.faults.clear()
    await run_all(db, client, bitrix)
    assert [r.status for r in await rows_of(db)] == ["sent"] and len(fake.entities("lead")) == 1


async def test_a_permanent_error_makes_the_row_dead_at_once(settings, db, fake, bitrix, client):
    fake.fail_next(1, 401, "NO_AUTH_FOUND", "Wrong authorization data")
    [row_id] = await add_rows(db, lambda s: [outbox.record(s, "lead", "x", {"id": "x", "name": "A", "phone": "+7900"})])
    assert (await process(db, client, bitrix, row_id)).done
    [row] = await rows_of(db)
    assert row.status == "dead" and "NO_AUTH_FOUND" in row.last_error and row.attempts == 1


async def test_with_bitrix_off_rows_stay_pending(settings, db):
    [row_id] = await add_rows(db, lambda s: [outbox.record(s, "lead", "x", {"id": "x", "name": "A", "phone": "+7900"})])
    assert (await process(db, None, BitrixSettings(), row_id)).done
    assert [(r.status, r.attempts) for r in await rows_of(db)] == [("pending", 0)]


async def test_a_held_row_is_not_sent_twice(settings, db, fake, bitrix, client):
    [row_id] = await add_rows(db, lambda s: [outbox.record(s, "lead", "x", {"id": "x", "name": "A", "phone": "+7900"})])
    async with db() as session:
        row = await session.get(BitrixSyncRow, row_id)
        row.lease_until = outbox.now() + timedelta(seconds=60)  # another worker is on it
        await session.commit()
    outcome = await process(db, client, bitrix, row_id)
    assert not outcome.done and fake.entities("lead") == []


class Orders:
    """What the orders domain will give the sync job: here, a dict of statuses and documents."""

    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self.documents: dict[str, list[tuple[str, bytes]]] = {}
        self.told: list[str] = []

    def order_url(self, order_id) -> str:
        return f"https://portal.example.com/orders/{order_id}"

    async def status_from_crm(self, db, order_id, status, stage_id) -> bool:
        if self.status.get(order_id) == status:
            return False
        self.status[order_id] = status
        return True

    async def status_told(self, db, order_id) -> None:
        self.told.append(order_id)

    async def attach_invoice(self, db, order_id, filename, content) -> None:
        self.documents.setdefault(order_id, []).append((filename, content))

    async def document_content(self, db, order_id, document_id):
        return ("quote-2026-1.pdf", b"%PDF-1.4 quote") if document_id == "doc-1" else None


def an_order(customer_id: str, company: bool = True) -> dict:
    return deals.order_payload(
        {"id": "ord-1", "number": "2026-0001", "total": "12345.60", "currency": "RUB"},
        [{"name": "Bracket, CNC, Al 6061", "unit_price": "1234.56", "quantity": 10, "vat_rate": 20}],
        customer_id, company)


async def test_an_order_becomes_one_deal_with_product_rows_linked_to_contact_and_company(
        settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await add_rows(db, lambda s: [deals.record_deal(s, an_order(str(user.id)))])
    await run_all(db, client, bitrix, Orders())
    [deal] = fake.entities("deal")
    [contact] = fake.entities("contact")
    [company] = fake.entities("company")
    assert deal["OPPORTUNITY"] == "12345.60" and deal["CURRENCY_ID"] == "RUB" and deal["ORIGIN_ID"] == "ord-1"
    assert deal["CONTACT_IDS"] == [contact["ID"]] and deal["COMPANY_ID"] == company["ID"]
    assert "https://portal.example.com/orders/ord-1" in deal["COMMENTS"]
    [row] = fake.product_rows(int(deal["ID"]))
    assert (row["PRODUCT_NAME"], row["PRICE"], row["QUANTITY"]) == ("Bracket, CNC, Al 6061", 1234.56, 10)

    changed = an_order(str(user.id))
    changed["order"]["total"] = "100.00"
    changed["lines"] = []
    await add_rows(db, lambda s: [deals.record_deal(s, changed)])
    await run_all(db, client, bitrix)
    [deal] = fake.entities("deal")
    assert deal["OPPORTUNITY"] == "100.00" and fake.product_rows(int(deal["ID"])) == []


async def test_a_deal_waits_for_its_contact(settings, db, fake, bitrix, client):
    user = person(account_type="individual")
    await add_rows(db, lambda s: [deals.record_deal(s, an_order(str(user.id), company=False))])
    await run_all(db, client, bitrix, rounds=1)
    [row] = await rows_of(db)
    assert row.status == "pending" and row.attempts == 0 and "contact" in row.last_error
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await run_all(db, client, bitrix)
    assert len(fake.entities("deal")) == 1 and {r.status for r in await rows_of(db)} == {"sent"}


async def test_a_stage_change_reaches_the_order_and_the_invoice_pdf_lands(settings, db, fake, bitrix, client):
    user = person()
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await add_rows(db, lambda s: [deals.record_deal(s, an_order(str(user.id)))])
    await run_all(db, client, bitrix)
    [deal] = fake.entities("deal")
    orders = Orders()

    fake.move_deal(int(deal["ID"]), "PREPAYMENT_INVOICE", send=False)
    await add_rows(db, lambda s: [outbox.record_pull(s, deal["ID"])])
    await run_all(db, client, bitrix, orders, rounds=6)
    assert orders.status == {"ord-1": "awaiting_payment"} and orders.told == ["ord-1"]
    [(name, pdf)] = orders.documents["ord-1"]
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF-")
    assert len(fake.documents) == 1

    # our own echo (same stage again) changes nothing and fetches no second invoice
    await add_rows(db, lambda s: [outbox.record_pull(s, deal["ID"])])
    await run_all(db, client, bitrix, orders)
    assert len(orders.documents["ord-1"]) == 1 and len(fake.documents) == 1
    assert orders.told == ["ord-1"]  # nor a second e-mail


async def test_a_stage_sales_set_tells_the_customer_as_a_staff_change_does(settings, db, fake, bitrix, client, smtp):
    url, mailbox = smtp
    settings = replace(settings, bitrix=bitrix,
                       mail=replace(settings.mail, smtp_url=url, site_url="https://portal.example.com"))
    app = create_app(settings)
    async with AsyncTestClient(app=app) as customer:
        await register(customer, COMPANY_FORM)
        order = await place_order(db, language="ru")
        context = build_context(settings)  # what the bitrix_sync job gets: the real orders side
        try:
            await run_all(db, client, bitrix, context["crm_orders"])
            [deal] = fake.entities("deal")
            assert "https://portal.example.com" + app.route_reverse("order", order_id=order.id) in deal["COMMENTS"]
            fake.move_deal(int(deal["ID"]), "PREPARATION", send=False)
            await add_rows(db, lambda s: [outbox.record_pull(s, deal["ID"])])
            await run_all(db, client, bitrix, context["crm_orders"])
        finally:
            await close_context(context)
        assert "is now:" in (await customer.get("/notifications")).text  # the in-portal notice
    await run_queued_jobs(settings)

    [message] = [m for m in await mailbox.await_for(COMPANY_FORM["email"]) if "Заказ" in m["Subject"]]
    assert message["Subject"] == f"Заказ {order.number}: На проверке"
    assert "https://portal.example.com" + app.route_reverse("order", order_id=order.id) in body_of(message)


async def test_a_deal_that_is_not_ours_is_ignored(settings, fake, bitrix, client):
    deal_id = (await client.call("crm.deal.add", {"fields": {"TITLE": "made by sales", "STAGE_ID": "WON"}})).result
    assert await deals.read_deal_change(client, bitrix, str(deal_id)) is None
    ours = (await client.call("crm.deal.add", {"fields": {"TITLE": "x", "STAGE_ID": "C2:WON", "CATEGORY_ID": 2,
                                                          "ORIGINATOR_ID": "portal", "ORIGIN_ID": "o-9"}})).result
    change = await deals.read_deal_change(client, replace(bitrix, invoice_stages=("WON",)), str(ours))
    assert (change.order_id, change.stage_id, change.status, change.invoice) == ("o-9", "C2:WON", "completed", True)


async def test_a_request_for_a_manual_quote_becomes_a_lead(settings, db, fake, bitrix, client):
    from portal.db.models import ModelFile, User
    from portal.quotes.reviews import ReviewService

    async with db() as session:
        user = User(email="buyer@example.com", full_name="Пётр Сидоров", phone="+79120000009", password_hash="x")
        session.add(user)
        await session.flush()
        model = ModelFile(owner_id=user.id, name="bracket.step", sha256="0" * 64, size_bytes=100)
        session.add(model)
        await session.flush()
        review = await ReviewService(session=session).ask(model.id, user.id, {"material": "al_6061"}, "Срочно")
        await ReviewService(session=session).ask(model.id, user.id, {}, "again")  # one open request, one lead
        await session.commit()
    await run_all(db, client, bitrix)
    [lead] = fake.entities("lead")
    assert lead["TITLE"] == "Запрос ручного расчёта: bracket.step" and lead["ORIGIN_ID"] == str(review.id)
    assert (lead["NAME"], lead["LAST_NAME"]) == ("Пётр", "Сидоров") and lead["PHONE"][0]["VALUE"] == "+79120000009"
    assert "Срочно" in lead["COMMENTS"] and "material: al_6061" in lead["COMMENTS"]
    assert lead["SOURCE_DESCRIPTION"] == f"/files/{model.id}"


async def test_an_order_document_lands_on_the_deal_timeline_once(settings, db, fake, bitrix, client):
    user = person(account_type="individual")
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await add_rows(db, lambda s: [deals.record_attachment(s, "ord-1", "doc-1")])  # before the deal exists
    await add_rows(db, lambda s: [deals.record_deal(s, an_order(str(user.id), company=False))])
    fake.slow("crm.timeline.comment.add", 3)  # the first answer comes too late: outcome unknown
    await run_all(db, client, bitrix, Orders(), rounds=3)
    fake.slow("crm.timeline.comment.add", 0)
    await run_all(db, client, bitrix, Orders())
    [deal] = fake.entities("deal")
    [comment] = fake.comments.values()
    assert comment["ENTITY_ID"] == deal["ID"] and comment["files"] == [("quote-2026-1.pdf", b"%PDF-1.4 quote")]
    assert {r.status for r in await rows_of(db)} == {"sent"}


async def test_a_customers_lead_waits_for_their_contact_and_is_linked_to_it(settings, db, fake, bitrix, client):
    user = person(account_type="individual")
    await add_rows(db, lambda s: [outbox.record_lead(s, uuid4(), "Мария", "+79001234567", customer_id=user.id)])
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    async with db() as session:  # the contact is slow to arrive: the lead is asked first
        contact_row = await session.scalar(select(BitrixSyncRow).where(BitrixSyncRow.entity_type == "contact"))
        contact_row.next_attempt_at = outbox.now() + timedelta(hours=1)
        await session.commit()
    [lead_id, _] = [r.id for r in await rows_of(db)]
    await process(db, client, bitrix, lead_id)
    lead_row = (await rows_of(db))[0]
    assert (lead_row.status, lead_row.attempts) == ("pending", 0) and "contact" in lead_row.last_error
    assert fake.entities("lead") == []

    await run_all(db, client, bitrix)
    [contact] = fake.entities("contact")
    [lead] = fake.entities("lead")
    assert lead["CONTACT_ID"] == contact["ID"]
    assert {r.status for r in await rows_of(db)} == {"sent"}


async def test_a_lead_is_not_held_back_by_a_contact_that_is_not_coming(settings, db, fake, bitrix, client):
    staff, gone = person(is_staff=True), person(account_type="individual")
    await add_rows(db, lambda s: outbox.record_customer(s, gone))
    async with db() as session:
        row = await session.scalar(select(BitrixSyncRow))
        row.status = "dead"
        await session.commit()
    await add_rows(db, lambda s: [outbox.record_lead(s, "from-staff", "Олег", "+79001234567", customer_id=staff.id),
                                  outbox.record_lead(s, "from-gone", "Мария", "+79001234568", customer_id=gone.id)])
    await run_all(db, client, bitrix, rounds=1)
    leads = fake.entities("lead")
    assert sorted(lead["ORIGIN_ID"] for lead in leads) == ["from-gone", "from-staff"]
    assert all("CONTACT_ID" not in lead for lead in leads)


async def test_a_document_is_found_among_many_comments_after_an_unknown_outcome(settings, db, fake, bitrix, client):
    user = person(account_type="individual")
    await add_rows(db, lambda s: outbox.record_customer(s, user))
    await add_rows(db, lambda s: [deals.record_deal(s, an_order(str(user.id), company=False))])
    await run_all(db, client, bitrix)
    [deal] = fake.entities("deal")
    fake.bucket_capacity = 1000
    for number in range(60):  # sales talk on the deal: its comments fill more than one page
        await client.call("crm.timeline.comment.add", {"fields": {
            "ENTITY_ID": deal["ID"], "ENTITY_TYPE": "deal", "COMMENT": f"Call {number}"}})
    await add_rows(db, lambda s: [deals.record_attachment(s, "ord-1", "doc-1")])
    fake.slow("crm.timeline.comment.add", 3)  # added, but the answer comes too late
    await run_all(db, client, bitrix, Orders(), rounds=1)
    fake.slow("crm.timeline.comment.add", 0)
    await run_all(db, client, bitrix, Orders())
    ours = [c for c in fake.comments.values() if c["files"]]
    assert len(fake.comments) == 61 and [c["files"] for c in ours] == [[("quote-2026-1.pdf", b"%PDF-1.4 quote")]]
    assert {r.status for r in await rows_of(db)} == {"sent"}
