"""What one account may keep stored: refused over its quota before anything is stored, exactly at
the quota under a burst, shown to the customer and to staff, raised by staff; failed files purged."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from jobs.context import build_context, close_context
from jobs.files import purge_failed_files
from jobs.inline import InlineRunner
from portal.app import create_app
from portal.core.queue import JobQueue
from portal.db.models import ModelFile, User
from portal.files.storage import LocalStorage, model_key
from tests.integration.conftest import PERSON, login, post_form, register, run_queued_jobs
from tests.integration.test_admin import ADMIN, make_staff
from tests.integration.test_bursts import at_once
from tests.integration.test_upload_bursts import browser
from tests.integration.uploads import upload

pytestmark = pytest.mark.parametrize("mode", ["services", "embedded"], indirect=True)

MB = 1024 * 1024


def not_a_model(n: int, size: int = 100) -> bytes:
    """Distinct bytes that are refused by content at once (a failed file: it counts all the same)."""
    return f"not a model {n} ".encode().ljust(size, b".")


def with_quota(settings, mb: int = 2048, files: int = 500):
    return replace(settings, uploads=replace(settings.uploads, account_quota_mb=mb, account_quota_files=files))


async def stored_files(db) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(ModelFile))


def is_stored(settings, content: bytes) -> bool:
    return LocalStorage(settings.storage.root).local_path(model_key(hashlib.sha256(content).hexdigest())) is not None


async def test_an_upload_over_the_file_quota_is_refused_with_what_to_delete(settings, db) -> None:
    app = create_app(with_quota(settings, files=2))
    async with app.lifespan(), browser(app, "10.2.0.1") as client:
        await register(client)
        for n in range(2):
            assert (await upload(client, f"part{n}.stl", not_a_model(n))).status_code == 201
        refused = await upload(client, "third.stl", not_a_model(3))
        assert refused.status_code == 413
        answer = refused.json()
        assert answer["error"] == (
            "You have used 0.0 MB of your 2 GB and 2 of 2 files, and this upload does not fit: "
            "delete files you no longer need on the Files page."
        )
        assert answer["link"]["url"] == "/files"
        page = await upload(client, "third.stl", not_a_model(3), scripted=False)  # the plain form
        assert page.status_code == 413
        assert "2 of 2 files" in page.text and 'href="/files"' in page.text
    assert await stored_files(db) == 2
    assert not is_stored(settings, not_a_model(3))


async def test_an_upload_over_the_byte_quota_is_refused_and_nothing_stored(settings, db) -> None:
    app = create_app(with_quota(settings, mb=1))
    big = not_a_model(1, size=600 * 1024)
    async with app.lifespan(), browser(app, "10.2.0.2") as client:
        await register(client)
        assert (await upload(client, "first.stl", not_a_model(0, size=600 * 1024))).status_code == 201
        refused = await upload(client, "second.stl", big)
        assert refused.status_code == 413
        assert refused.json()["error"].startswith("You have used 0.6 MB of your 1 MB and 1 of 500 files")
    assert await stored_files(db) == 1
    assert not is_stored(settings, big)


async def test_twenty_uploads_at_once_at_the_edge_store_no_more_than_the_quota(settings, db) -> None:
    app = create_app(with_quota(settings, files=5))
    async with app.lifespan(), browser(app, "10.2.0.3") as client:
        await register(client)
        for n in range(3):
            assert (await upload(client, f"part{n}.stl", not_a_model(n))).status_code == 201
        answers = await at_once(*(upload(client, f"burst{n}.stl", not_a_model(100 + n)) for n in range(20)))
    assert Counter(answer.status_code for answer in answers) == {201: 2, 413: 18}
    assert await stored_files(db) == 5
    accepted = [n for n, answer in enumerate(answers) if answer.status_code == 201]
    assert [n for n in range(20) if is_stored(settings, not_a_model(100 + n))] == accepted


async def test_uploads_per_account_are_throttled(settings) -> None:
    few = replace(settings, uploads=replace(settings.uploads, account_uploads=3))
    app = create_app(few)
    async with app.lifespan():
        async with browser(app, "10.2.0.4") as client:
            await register(client)
            answers = await at_once(*(upload(client, f"part{n}.stl", not_a_model(n)) for n in range(10)))
        # the same account from another address counts against the same limit
        async with browser(app, "10.2.0.5") as elsewhere:
            assert (await login(elsewhere, PERSON["email"], PERSON["password"])).status_code == 303
            later = await upload(elsewhere, "later.stl", not_a_model(99))
    assert Counter(answer.status_code for answer in answers) == {201: 3, 429: 7}
    assert later.status_code == 429
    assert "Too many uploads from this account" in later.json()["error"]


async def test_usage_is_shown_to_the_customer_and_to_staff(settings, db) -> None:
    app = create_app(settings)
    async with app.lifespan(), browser(app, "10.2.0.6") as customer, browser(app, "10.2.0.7") as staff:
        await register(customer)
        for n in range(2):
            assert (await upload(customer, f"part{n}.stl", not_a_model(n, size=300 * 1024))).status_code == 201
        usage = "0.6 MB of 2 GB, 2 of 500 files"
        assert f"Your storage: {usage}" in (await customer.get("/files")).text
        await register(staff, ADMIN)
        await make_staff(db, ADMIN["email"])
        assert (await login(staff, ADMIN["email"], ADMIN["password"])).status_code == 303
        listing = (await staff.get("/admin/users")).text
        assert usage in listing and "0.0 MB of 2 GB, 0 of 500 files" in listing  # the customer; staff's own
        customer_id = await user_id(db, PERSON["email"])
        assert usage in (await staff.get(f"/admin/users/{customer_id}")).text


async def test_staff_raise_an_accounts_quota_and_the_upload_passes(settings, db) -> None:
    app = create_app(with_quota(settings, files=1))
    async with app.lifespan(), browser(app, "10.2.0.8") as customer, browser(app, "10.2.0.9") as staff:
        await register(customer)
        assert (await upload(customer, "first.stl", not_a_model(0))).status_code == 201
        assert (await upload(customer, "second.stl", not_a_model(1))).status_code == 413
        await register(staff, ADMIN)
        await make_staff(db, ADMIN["email"], superuser=False)
        assert (await login(staff, ADMIN["email"], ADMIN["password"])).status_code == 303
        customer_id = await user_id(db, PERSON["email"])
        page = f"/admin/users/{customer_id}"
        bad = await post_form(staff, f"{page}/quota", {"quota_mb": "", "quota_files": "lots"}, page)
        assert bad.status_code == 303
        assert "Enter a whole number" in (await staff.get(page)).text
        saved = await post_form(staff, f"{page}/quota", {"quota_mb": "", "quota_files": "3"}, page)
        assert saved.status_code == 303
        assert "1 of 3 files" in (await staff.get(page)).text
        assert (await upload(customer, "second.stl", not_a_model(1))).status_code == 201
        assert "2 of 3 files" in (await customer.get("/files")).text
    async with db() as session:
        user = await session.get(User, customer_id)
        assert (user.quota_mb, user.quota_files) == (None, 3)


async def test_customers_cannot_set_quotas(settings, db) -> None:
    app = create_app(settings)
    async with app.lifespan(), browser(app, "10.2.0.10") as customer:
        await register(customer)
        customer_id = await user_id(db, PERSON["email"])
        answer = await post_form(customer, f"/admin/users/{customer_id}/quota", {"quota_files": "100000"}, "/files")
        assert answer.status_code == 404
    async with db() as session:
        assert (await session.get(User, customer_id)).quota_files is None


async def user_id(db, email: str):
    async with db() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def test_failed_files_older_than_seven_days_are_purged_and_the_owner_mailed(mailing, db) -> None:
    settings, mailbox = mailing
    app = create_app(settings)
    async with app.lifespan(), browser(app, "10.2.0.11") as client:
        await register(client)
    owner = await user_id(db, PERSON["email"])
    storage = LocalStorage(settings.storage.root)
    now = datetime.now(UTC)

    async def add(name: str, content: bytes, status: str, days_ago: float, owner_id=owner) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        path = settings.storage.root / "tmp" / name
        path.write_bytes(content)
        await storage.put_file(model_key(sha256), path)
        async with db() as session:
            file = ModelFile(name=name, sha256=sha256, size_bytes=len(content), owner_id=owner_id, status=status,
                             analysed_at=now - timedelta(days=days_ago))
            session.add(file)
            await session.commit()
            return str(file.id)

    old_failed = await add("broken.step", b"broken", "failed", 8)
    shared_failed = await add("shared.stl", b"shared bytes", "failed", 8)
    await add("shared copy.stl", b"shared bytes", "ready", 8, owner_id=None)  # an anonymous upload, same bytes
    young_failed = await add("recent.stl", b"recent", "failed", 6)
    old_ready = await add("good.stl", b"good", "ready", 30)

    # the mail job runs in-process in the embedded default, as the app would run it
    ctx = build_context(settings, queue=JobQueue(settings, inline_runner=InlineRunner), owns_queue=True)
    try:
        assert await purge_failed_files(ctx) == 2
    finally:
        await close_context(ctx)  # the embedded default's runner delivers the mail before it closes
    await run_queued_jobs(settings)

    async with db() as session:
        left = {str(file_id) for file_id in await session.scalars(select(ModelFile.id))}
    assert old_failed not in left and shared_failed not in left
    assert {young_failed, old_ready} <= left
    assert not is_stored(settings, b"broken")
    assert is_stored(settings, b"shared bytes") and is_stored(settings, b"recent")
    [message] = await mailbox.await_for(PERSON["email"])
    body = message.get_content()
    assert "- broken.step" in body and "- shared.stl" in body
    assert "recent.stl" not in body and "good.stl" not in body
    assert "/files" in body
