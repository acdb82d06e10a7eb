"""Demo data: an admin whose password is printed once, and a few customers to look at."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.accounts.passwords import Passwords
from portal.config import Settings
from portal.db.models import User

DEMO_ADMIN_EMAIL = "admin@example.com"

DEMO_CUSTOMERS = [
    {"email": "anna.petrova@example.com", "full_name": "Anna Petrova", "phone": "+7 912 000-11-22"},
    {
        "email": "orders@vector-mech.example.com",
        "full_name": "Ivan Sokolov",
        "phone": "+7 495 000-33-44",
        "account_type": "legal",
        "company_name": "OOO Vector Mechanics",
        "inn": "7707083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        "legal_address": "Moscow, Vavilova st. 19",
    },
]


async def load_demo_data(sessionmaker: async_sessionmaker, settings: Settings) -> tuple[str, str] | None:
    """Returns the admin's e-mail and password when it was created now; None when already there."""
    passwords = Passwords(settings.auth)
    async with sessionmaker() as db:
        if await db.scalar(select(func.count()).select_from(User).where(User.email == DEMO_ADMIN_EMAIL)):
            return None
        admin_password = secrets.token_urlsafe(12)
        db.add(
            User(
                email=DEMO_ADMIN_EMAIL,
                full_name="Portal Admin",
                password_hash=await passwords.hash(admin_password),
                is_staff=True,
            )
        )
        for customer in DEMO_CUSTOMERS:
            exists = await db.scalar(select(User.id).where(User.email == customer["email"]))
            if not exists:
                db.add(User(**customer, password_hash=await passwords.hash(secrets.token_urlsafe(16))))
        await db.commit()
    return DEMO_ADMIN_EMAIL, admin_password
