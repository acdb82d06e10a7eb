"""Model files: store an upload, who sees it, its analysis lifecycle, rename, delete, claim."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import InvalidRequestError

from portal.core.paging import Page, limit_offset
from portal.db.models import ModelFile, User
from portal.db.turns import take_turns
from portal.db.unit_of_work import commit_now
from portal.files.analysis import AnalysisResult, check_type
from portal.files.guards import Viewer, can_see, viewer_of
from portal.files.quota import Quota, QuotaExceeded, Usage
from portal.files.status_watch import StatusWatch
from portal.files.storage import Storage, model_key, preview_key
from portal.files.uploads import Received

MAX_NAME = 255
TWIN_PACE_SECONDS = 10.0  # within the analysis lease, and within the in-process runner's grace at shutdown


MAX_PARTS = 50  # files one split makes at the most; a larger assembly is better sent in pieces


def extraction_job_id(file_id: Any) -> str:
    return f"extract_part:{file_id}"


def analysis_job_id(file_id: Any, attempt: int) -> str:
    """One job id per attempt: enqueueing the same attempt twice runs it once."""
    return f"analyze_model:{file_id}:{attempt}"


def clean_name(name: str) -> str:
    """A display name: the last path segment, printable, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "model")[:MAX_NAME]


class ModelFileRepository(SQLAlchemyAsyncRepository[ModelFile]):
    model_type = ModelFile


class ModelFileService(SQLAlchemyAsyncRepositoryService[ModelFile, ModelFileRepository]):
    repository_type = ModelFileRepository

    # ----------------------------------------------------------------- upload

    async def add_upload(
        self,
        *,
        name: str,
        temp_path: Path,
        sha256: str,
        size: int,
        viewer: Viewer,
        visitor_key: str | None,
        storage: Storage,
        anonymous_days: int,
        is_demo: bool = False,
    ) -> ModelFile:
        """Store the bytes under their hash and add the row (pending, for the analysis job; a file
        that is no model format we read fails at once)."""
        await storage.put_file(model_key(sha256), temp_path)
        return await self._add_row(name, temp_path, sha256, size, viewer, visitor_key, anonymous_days, is_demo)

    async def add_uploads(
        self,
        received: list[Received],
        *,
        viewer: Viewer,
        visitor_key: str | None,
        storage: Storage,
        anonymous_days: int,
        quota: Quota | None,
    ) -> list[ModelFile]:
        """Add a row for each received file, then store the bytes. With a `quota` (an account's
        upload), the account's files are counted after the rows are written, while its other
        uploads wait (see `take_turns`): over the quota the rows are taken back, nothing is stored
        and QuotaExceeded is raised."""
        session = self.repository.session
        owner_id = viewer.user_id
        if quota is not None:
            await take_turns(session, f"files-quota:{owner_id}")
        added = await session.begin_nested()
        files = [
            await self._add_row(item.name, item.path, item.sha256, item.size, viewer, visitor_key, anonymous_days)
            for item in received
        ]
        if quota is not None:
            usage = await self.usage_of(owner_id)
            if not quota.allows(usage):
                await added.rollback()
                before = Usage(usage.bytes - sum(item.size for item in received), usage.files - len(received))
                raise QuotaExceeded(before, quota)
        await added.commit()
        for item in received:
            await storage.put_file(model_key(item.sha256), item.path)
        return files

    async def _add_row(
        self, name: str, temp_path: Path, sha256: str, size: int, viewer: Viewer, visitor_key: str | None,
        anonymous_days: int, is_demo: bool = False,
    ) -> ModelFile:
        """Every upload starts `pending`, even when the same bytes were analysed before: the job
        takes that analysis then, so that the answer does not tell whether the file is known."""
        anonymous = viewer.user is None and not is_demo
        data: dict[str, Any] = {
            "name": clean_name(name),
            "sha256": sha256,
            "size_bytes": size,
            "owner_id": None if is_demo else viewer.user_id,
            "visitor_key": visitor_key if anonymous else None,
            "is_demo": is_demo,
            "expires_at": datetime.now(UTC) + timedelta(days=anonymous_days) if anonymous else None,
        }
        refused = await anyio.to_thread.run_sync(check_type, temp_path)
        if refused is not None:
            data.update(
                status="failed",
                failure_code=refused.code,
                failure_message=refused.message,
                failure_params=refused.params,
                analysed_at=datetime.now(UTC),
            )
        return await self.create(data)

    async def analysed_twin(self, file: ModelFile) -> ModelFile | None:
        """Another file of the same bytes whose analysis is done, the latest: a failure is final
        too (it comes from the bytes), except giving up on trouble of our own."""
        rows = await self.list(
            ModelFile.sha256 == file.sha256,
            ModelFile.id != file.id,
            ModelFile.status.in_(("ready", "failed")),
            or_(ModelFile.failure_code.is_(None), ModelFile.failure_code != "unavailable"),
            OrderBy(field_name="analysed_at", sort_order="desc"),
            LimitOffset(limit=1, offset=0),
        )
        return rows[0] if rows else None

    async def take_analysis_of(self, file: ModelFile, twin: ModelFile) -> ModelFile:
        """The file gets the analysis (and pictures) of the same bytes uploaded before, about as
        long after its upload as that one's analysis took (up to TWIN_PACE_SECONDS), so that the
        time it takes does not tell either. No database connection is held while waiting."""
        session = self.repository.session
        await commit_now(session)  # nothing written: this only gives the connection back
        took = min((twin.analysed_at - twin.created_at).total_seconds(), TWIN_PACE_SECONDS)
        await anyio.sleep(max(took - (datetime.now(UTC) - file.created_at).total_seconds(), 0.0))
        with contextlib.suppress(InvalidRequestError):  # deleted meanwhile: what was read stands
            await session.refresh(twin)  # its pictures may have come meanwhile
        return await self.update({**_results_of(twin), "lease_until": None}, item_id=file.id, auto_commit=True)

    # ----------------------------------------------------------------- quota

    async def usage_of(self, owner_id: Any) -> Usage:
        return (await self.usage_by_owner([owner_id])).get(owner_id, Usage())

    async def usage_by_owner(self, owner_ids: list[Any]) -> dict[Any, Usage]:
        """What each account keeps stored: its files' sizes and their number, failed ones too."""
        if not owner_ids:
            return {}
        rows = await self.repository.session.execute(
            select(ModelFile.owner_id, func.coalesce(func.sum(ModelFile.size_bytes), 0), func.count())
            .where(ModelFile.owner_id.in_(owner_ids))
            .group_by(ModelFile.owner_id)
        )
        return {owner: Usage(int(size), int(count)) for owner, size, count in rows.all()}

    # ----------------------------------------------------------------- access

    async def get_visible(self, file_id: Any, viewer: Viewer) -> ModelFile | None:
        file = await self.get_one_or_none(id=file_id)
        return file if file is not None and can_see(file, viewer) else None

    async def next_state(self, file: ModelFile, watch: StatusWatch, within_seconds: float) -> ModelFile:
        """The file as soon as its analysis moves on, or as it is after `within_seconds`: a status
        poll answers with the news at once rather than on its next tick. No database connection
        is held while waiting. Raises NotFoundException when the file is deleted meanwhile."""
        session = self.repository.session
        await commit_now(session)  # nothing written: this only gives the connection back
        status = await watch.next_status(file.id, file.status, within_seconds)
        if status is None:
            raise NotFoundException()
        if status != file.status:
            await session.refresh(file)
        return file

    async def get_visible_or_404(self, file_id: Any, viewer: Viewer) -> ModelFile:
        file = await self.get_visible(file_id, viewer)
        if file is None:
            raise NotFoundException()
        return file

    def _listing_filter(self, viewer: Viewer, everyone: bool) -> Any:
        if viewer.is_staff and everyone:
            return None
        if viewer.user is not None:
            return ModelFile.owner_id == viewer.user.id
        if viewer.visitor_key:
            return and_(ModelFile.owner_id.is_(None), ModelFile.visitor_key == viewer.visitor_key)
        return ModelFile.id.is_(None)  # nothing

    async def list_for(self, viewer: Viewer, page: int, per_page: int, everyone: bool = True) -> Page[ModelFile]:
        """The viewer's files, newest first (staff: everyone's, unless `everyone` is False)."""
        condition = self._listing_filter(viewer, everyone)
        filters: list[Any] = [condition] if condition is not None else []
        filters.append(ModelFile.is_demo.is_(False))
        items, total = await self.list_and_count(
            *filters, OrderBy(field_name="created_at", sort_order="desc"), limit_offset(page, per_page)
        )
        return Page(list(items), total, page, per_page)

    async def owner_emails(self, files: list[ModelFile]) -> dict[Any, str]:
        ids = {f.owner_id for f in files if f.owner_id is not None}
        if not ids:
            return {}
        rows = await self.repository.session.execute(select(User.id, User.email).where(User.id.in_(ids)))
        return dict(rows.all())

    async def demo_files(self) -> list[ModelFile]:
        return list(await self.list(ModelFile.is_demo.is_(True), OrderBy(field_name="name", sort_order="asc")))

    async def recently_quoted(self, limit: int) -> list[ModelFile]:
        """Files whose owners were last shown a price, the latest first: what staff compare a
        changed rate card against (the shared samples keep no one's choice)."""
        return list(await self.list(
            ModelFile.status == "ready", ModelFile.last_total.is_not(None),
            ModelFile.is_demo.is_(False),
            OrderBy(field_name="updated_at", sort_order="desc"), LimitOffset(limit=limit, offset=0),
        ))

    async def claim(self, visitor_key: str | None, user_id: Any) -> int:
        """The visitor logged in or registered: their anonymous uploads become the account's."""
        if not visitor_key:
            return 0
        result = await self.repository.session.execute(
            update(ModelFile)
            .where(ModelFile.owner_id.is_(None), ModelFile.visitor_key == visitor_key, ModelFile.is_demo.is_(False))
            .values(owner_id=user_id, visitor_key=None, expires_at=None)
        )
        return result.rowcount or 0

    # ----------------------------------------------------------------- changes

    async def rename(self, file: ModelFile, name: str) -> ModelFile:
        return await self.update({"name": clean_name(name)}, item_id=file.id)

    async def remember_quote(self, file: ModelFile, options: dict, total: Any, currency: str) -> None:
        """The options and price the owner last saw; a page that shows the remembered ones again
        writes nothing."""
        if file.quote_options == options and file.last_total == total and file.last_currency == currency:
            return
        await self.update(
            {"quote_options": options, "last_total": total, "last_currency": currency}, item_id=file.id
        )

    async def children(self, file: ModelFile) -> list[ModelFile]:
        """The files cut out of this one, one per distinct part, in the parent's order."""
        return list(await self.list(ModelFile.parent_id == file.id,
                                    OrderBy(field_name="part_index", sort_order="asc")))

    async def split(self, file: ModelFile) -> list[ModelFile]:
        """One file per distinct part of a file of several bodies, each waiting to be cut out of
        it (`extracting`, by the `extract_part` job) and then analysed like any upload; the part's
        count in the file is its first quantity. Splitting again gives the same files."""
        if file.split:
            return await self.children(file)
        parts = file.parts[:MAX_PARTS]
        stem = file.name.rsplit(".", 1)[0]
        children = [
            await self.create({
                "name": clean_name(f"{part.get('name') or stem + f' — {index + 1}'}"),
                "sha256": "",
                "size_bytes": 0,
                "status": "extracting",
                "owner_id": file.owner_id,
                "visitor_key": file.visitor_key,
                "expires_at": file.expires_at,
                "parent_id": file.id,
                "part_index": index,
                "units": file.units,
                "quote_options": {"quantity": str(int(part.get("count") or 1))},
            })
            for index, part in enumerate(parts)
        ]
        await self.update({"split": True, "whole": False}, item_id=file.id)
        return children

    async def price_whole(self, file: ModelFile, whole: bool) -> ModelFile:
        """The owner says the bodies are one welded or assembled item (or takes it back)."""
        return await self.update({"whole": whole}, item_id=file.id)

    async def extracted(self, file: ModelFile, sha256: str, size: int) -> ModelFile:
        """The part is cut out and stored under its own bytes: now it is analysed like an upload."""
        return await self.update({"sha256": sha256, "size_bytes": size, "status": "pending"}, item_id=file.id)

    async def set_units(self, file: ModelFile, units: str) -> ModelFile:
        return await self.update({"units": units}, item_id=file.id)

    async def remove(self, file: ModelFile, storage: Storage) -> None:
        """Delete the row; the stored bytes and previews go when no other row uses them."""
        sha256 = file.sha256
        await self.delete(file.id)
        others = await self.count(ModelFile.sha256 == sha256)
        if not others and sha256:  # a part not yet cut out of its file has no bytes of its own
            for kind in ("png", "glb", "thickness.glb", "features.glb"):
                await storage.delete(preview_key(sha256, kind))
            for key in (model_key(sha256),):
                await storage.delete(key)

    async def expired(self, now: datetime, limit: int = 200) -> list[ModelFile]:
        return list(
            await self.list(
                ModelFile.expires_at.is_not(None),
                ModelFile.expires_at <= now,
                ModelFile.owner_id.is_(None),
                LimitOffset(limit=limit, offset=0),
            )
        )

    async def failed_before(self, cutoff: datetime, limit: int = 500) -> list[ModelFile]:
        """Files (not the demo's) whose analysis failed before `cutoff`."""
        return list(
            await self.list(
                ModelFile.status == "failed",
                ModelFile.analysed_at < cutoff,
                ModelFile.is_demo.is_(False),
                LimitOffset(limit=limit, offset=0),
            )
        )

    async def owners(self, files: list[ModelFile]) -> dict[Any, User]:
        ids = {f.owner_id for f in files if f.owner_id is not None}
        if not ids:
            return {}
        users = await self.repository.session.scalars(select(User).where(User.id.in_(ids)))
        return {user.id: user for user in users}

    # ----------------------------------------------------------------- analysis

    async def take_for_analysis(self, file_id: Any, lease_seconds: int) -> ModelFile | None:
        """Mark the file `processing` for this worker, unless it is final or another live worker
        holds it. Atomic, so a job that runs twice analyses once."""
        now = datetime.now(UTC)
        session = self.repository.session
        result = await session.execute(
            update(ModelFile)
            .where(
                ModelFile.id == file_id,
                or_(
                    ModelFile.status == "pending",
                    and_(ModelFile.status == "processing", ModelFile.lease_until < now),
                ),
            )
            .values(
                status="processing",
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=ModelFile.attempts + 1,
            )
        )
        if not result.rowcount:
            return None
        await commit_now(session)  # the lease holds from now on, for every other worker to see
        return await self.get(file_id)

    async def finish(self, file: ModelFile, result: AnalysisResult) -> ModelFile:
        """Measured and checked: the file is ready and can be priced (pictures may follow)."""
        return await self.update(
            {
                "status": "ready",
                "format": result.format,
                "metrics": result.metrics,
                "findings": result.findings,
                "failure_code": None,
                "failure_message": None,
                "failure_params": None,
                "lease_until": None,
                "analysed_at": datetime.now(UTC),
            },
            item_id=file.id,
            auto_commit=True,
        )

    async def add_previews(self, file: ModelFile, result: AnalysisResult, storage: Storage) -> None:
        """The thumbnail, the viewer's GLB, the thickness and feature maps, for every file of these bytes
        (a second upload of them may have taken the analysis before the pictures were drawn).
        The thickness map also refines the thin-wall findings."""
        keys: dict[str, Any] = {}
        for kind, data, column in (
            ("png", result.png, "thumbnail_key"),
            ("glb", result.glb, "glb_key"),
            ("thickness.glb", result.thickness_glb, "thickness_key"),
            ("features.glb", result.features_glb, "features_key"),
        ):
            if data is not None:
                keys[column] = preview_key(file.sha256, kind)
                await storage.put_bytes(keys[column], data)
        await self.repository.session.execute(
            update(ModelFile)
            .where(ModelFile.sha256 == file.sha256, ModelFile.status == "ready")
            .values(**keys, thickness=result.thickness, features=result.features, findings=result.findings)
        )

    async def fail(self, file: ModelFile, code: str, message: str, params: dict | None = None) -> ModelFile:
        return await self.update(
            {
                "status": "failed",
                "failure_code": code,
                "failure_message": message,
                "failure_params": params or {},
                "lease_until": None,
                "analysed_at": datetime.now(UTC),
            },
            item_id=file.id,
            auto_commit=True,
        )

    async def release(self, file: ModelFile) -> None:
        """A transient failure: back to `pending` for the retry."""
        await self.update({"status": "pending", "lease_until": None}, item_id=file.id, auto_commit=True)

    async def stalled(self, now: datetime, pending_for: timedelta) -> list[ModelFile]:
        """Files a dead worker left `processing` (lease run out), or `pending` too long (a lost
        queue): they are enqueued again."""
        rows = await self.list(
            or_(
                and_(ModelFile.status == "processing", ModelFile.lease_until < now),
                and_(ModelFile.status == "pending", ModelFile.updated_at < now - pending_for),
            ),
            LimitOffset(limit=500, offset=0),
        )
        return list(rows)

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.repository.session.execute(
            select(ModelFile.status, func.count()).group_by(ModelFile.status)
        )
        return dict(rows.all())


def _results_of(twin: ModelFile) -> dict[str, Any]:
    return {
        "status": twin.status,
        "format": twin.format,
        "metrics": twin.metrics,
        "findings": twin.findings,
        "thumbnail_key": twin.thumbnail_key,
        "glb_key": twin.glb_key,
        "thickness_key": twin.thickness_key,
        "thickness": twin.thickness,
        "features_key": twin.features_key,
        "features": twin.features,
        "failure_code": twin.failure_code,
        "failure_message": twin.failure_message,
        "failure_params": twin.failure_params,
        "analysed_at": twin.analysed_at,
    }


async def claim_visitor_uploads(connection, user, db) -> None:
    """A sign-in step: uploads the visitor made before logging in or registering become theirs."""
    await ModelFileService(session=db).claim(viewer_of(connection).visitor_key, user.id)
