"""Demo data: an admin whose password is printed once, and a few customers to look at."""

from __future__ import annotations

import secrets

from portal.accounts.passwords import Passwords
from portal.accounts.services import UserService
from portal.config import Settings

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


async def load_demo_data(users: UserService, settings: Settings) -> tuple[str, str] | None:
    """Returns the admin's e-mail and password when it was created now; None when already there."""
    if await users.exists(email=DEMO_ADMIN_EMAIL):
        return None
    passwords = Passwords(settings.auth)
    admin_password = secrets.token_urlsafe(12)
    await users.ensure_admin(DEMO_ADMIN_EMAIL, admin_password, "Portal Admin", passwords)
    for customer in DEMO_CUSTOMERS:
        if not await users.exists(email=customer["email"]):
            await users.register(customer, secrets.token_urlsafe(16), passwords)
    return DEMO_ADMIN_EMAIL, admin_password
