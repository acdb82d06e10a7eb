"""Helpers for the orders tests: customers, staff, and orders placed through the order service."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from sqlalchemy import select

from portal.db.models import Order, User
from portal.orders.services import LineDraft, OrderService, PricedCart
from tests.integration.conftest import COMPANY, PERSON, login, post_form, register

STAFF = {**PERSON, "email": "staff@example.com", "full_name": "Sasha Staff"}
OTHER = {**PERSON, "email": "other@example.com", "full_name": "Other Customer"}
DETAILS = {
    "delivery_address": "Moscow, Tverskaya st. 1",
    "contact_name": "Oleg Smirnov",
    "contact_phone": "+7 912 345-67-89",
    "comment": "",
    "po_number": "PO-77",
    "payment_method": "invoice",
}


def priced_line(name: str = "bracket.stl", total: str = "1220.00", quantity: int = 2) -> LineDraft:
    return LineDraft(
        file_name=name,
        quantity=quantity,
        options={"process": "cnc_milling", "process_name": "CNC milling", "material": "al_6061",
                 "material_name": "Aluminium 6061"},
        price_lines=[
            {"code": "material", "amount": "300.00", "args": {"material": "Aluminium 6061"}},
            {"code": "setup", "amount": "700.00", "args": {}},
        ],
        quoted_total=Decimal(total),
        lead_time_days=5,
    )


def review_line(name: str = "odd.step") -> LineDraft:
    return LineDraft(file_name=name, quantity=1, review_reason="no_solid")


def two_parts() -> list[LineDraft]:
    return [priced_line(), priced_line("plate.step", "610.00", 1)]


async def user_by_email(db, email: str) -> User:
    async with db() as session:
        return await session.scalar(select(User).where(User.email == email))


async def make_staff(db, email: str) -> None:
    async with db() as session:
        user = await session.scalar(select(User).where(User.email == email))
        user.is_staff = True
        user.session_version += 1
        await session.commit()


async def staff_login(client, db) -> None:
    await register(client, STAFF)
    await make_staff(db, STAFF["email"])
    assert (await login(client, STAFF["email"], STAFF["password"])).status_code == 303


async def place_order(db, email: str = COMPANY["email"], lines: list[LineDraft] | None = None,
                      key: str | None = None, language: str = "en") -> Order:
    async with db() as session:
        customer = await session.scalar(select(User).where(User.email == email))
        async with OrderService.new(session=session) as orders:
            order = await orders.place(
                customer,
                PricedCart(lines=lines if lines is not None else two_parts(), rate_card_version="2026-11.1",
                           vat_rate=Decimal("0.22")),
                DETAILS, key or secrets.token_urlsafe(24), language,
            )
        await session.commit()
        return order


async def order_row(db, order_id) -> Order:
    async with db() as session:
        return await session.get(Order, order_id, populate_existing=True)


VERSION_FIELD = re.compile(r'name="version" value="(\d+)"')


async def move(client, order, status: str, note: str = "", override: str = ""):
    """Staff change the order's status from its page, as the page showed it."""
    page = await client.get(f"/admin/orders/{order.id}")
    seen = VERSION_FIELD.search(page.text).group(1)
    return await post_form(client, f"/admin/orders/{order.id}/status",
                           {"status": status, "note": note, "version": seen, "override_reason": override},
                           f"/admin/orders/{order.id}")


async def awaiting_payment(client, order) -> None:
    for status in ("in_review", "awaiting_payment"):
        assert (await move(client, order, status)).status_code == 303
