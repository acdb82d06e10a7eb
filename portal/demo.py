"""Demo data: an admin whose password is printed once, a few customers, and five sample models."""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from pathlib import Path

import anyio

from portal.accounts.passwords import Passwords
from portal.accounts.services import UserService
from portal.config import Settings
from portal.db.models import ModelFile
from portal.files.guards import Viewer
from portal.files.services import ModelFileService
from portal.files.storage import Storage

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


async def load_demo_files(files: ModelFileService, storage: Storage, settings: Settings) -> list[ModelFile]:
    """The five demo models (built with cadquery), visible to everyone; None made twice.

    Returns the files added now; their analysis is for the caller to enqueue.
    """
    from portal.files.demo_models import DEMO_MODELS, export

    present = {file.name for file in await files.demo_files()}
    added = []
    with tempfile.TemporaryDirectory(dir=storage.temp_dir()) as folder:
        for model in DEMO_MODELS:
            if model.file_name in present:
                continue
            path = await anyio.to_thread.run_sync(export, model, Path(folder))
            content = path.read_bytes()
            file = await files.add_upload(
                name=model.file_name,
                temp_path=path,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                viewer=Viewer(user=None, visitor_key=None),
                visitor_key=None,
                storage=storage,
                anonymous_days=settings.uploads.anonymous_days,
                is_demo=True,
            )
            added.append(await files.update({"quote_options": dict(model.options)}, item_id=file.id))
    return added
