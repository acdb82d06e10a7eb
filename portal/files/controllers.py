"""The upload page, a file's page and its status fragment, previews, downloads, the list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Stream, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.config import Settings
from portal.core.flash import flash
from portal.core.forms import FormData, field_value
from portal.core.i18n import N_, gettext
from portal.core.paging import PageNumber
from portal.core.queue import JobQueue
from portal.core.security import client_address
from portal.core.templates import redirect_to, render, wants_fragment
from portal.db.unit_of_work import AfterCommit
from portal.files.guards import Viewer, can_change, ensure_visitor_key, viewer_of
from portal.files.ports import QuotePanels
from portal.files.quota import Quota, QuotaExceeded, over_quota_text, usage_text
from portal.files.services import ModelFileService, analysis_job_id, extraction_job_id
from portal.files.status_watch import StatusWatch
from portal.files.storage import Storage, model_key
from portal.files.throttle import UploadThrottle
from portal.files.uploads import UploadRefused, received_files

PER_PAGE = 20
FORM_OVERHEAD = 1024 * 1024  # the form's other fields and the multipart framing
MB = 1024 * 1024


def _content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name."""
    from urllib.parse import quote

    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


TOO_MANY_UPLOADS = N_("Too many uploads from here: please wait a while or log in.")
TOO_MANY_ACCOUNT_UPLOADS = N_("Too many uploads from this account in the last hour: please wait a while.")

# A status poll waits this long for news before it answers "still analysing"; the page asks
# again as soon as it has the answer, so it asks about once a second and sees news at once.
POLL_WAIT_SECONDS = 1.0


class FileController(Controller):
    @get("/", name="home")
    async def upload_page(
        self, request: HTMXRequest,
        db_session: AsyncSession, files: ModelFileService, file_quotes: QuotePanels, settings: Settings
    ) -> Template:
        viewer = viewer_of(request)
        recent = (await files.list_for(viewer, 1, 5, everyone=False)).items
        return render(
            request,
            "files/upload.html",
            offer=await file_quotes.offer(db_session),
            demos=await files.demo_files(),
            recent=recent,
            limits=settings.uploads,
            # A new visitor's first upload gives their session its key: the page's script sends
            # that one alone, or files sent at once would each start a session of their own.
            first_alone=viewer.user is None and viewer.visitor_key is None,
        )

    @post("/files", name="file_upload", request_max_body_size=20 * 100 * MB + FORM_OVERHEAD)
    async def upload(
        self,
        request: HTMXRequest,
        files: ModelFileService,
        storage: Storage,
        upload_throttle: UploadThrottle,
        settings: Settings,
        queue: JobQueue,
        after_commit: AfterCommit,
    ) -> Response:
        """Several files from the plain form (no JavaScript), or one file per request from the
        page's script (which shows a progress bar per file). Answers a redirect to the file page
        (one file) or to the list (several), or JSON to the script."""
        limits = settings.uploads
        viewer = viewer_of(request)
        scripted = request.headers.get("accept", "").startswith("application/json")
        address = client_address(request, settings.server.trusted_proxies)
        visitor_key = ensure_visitor_key(request) if viewer.user is None else None
        try:
            await _admit(upload_throttle, viewer, address, visitor_key)
            async with received_files(request, storage.temp_dir(), limits.max_file_bytes, limits.max_files) as received:
                if len(received) > 1:
                    await _admit(upload_throttle, viewer, address, visitor_key, len(received) - 1)
                created = await files.add_uploads(
                    received,
                    viewer=viewer,
                    visitor_key=visitor_key,
                    storage=storage,
                    anonymous_days=limits.anonymous_days,
                    quota=Quota.of(viewer.user, limits) if viewer.user is not None else None,
                )
        except UploadRefused as refused:
            message = gettext(refused.message) % refused.args_ if refused.args_ else gettext(refused.message)
            return _refusal(request, scripted, refused.status, message)
        except QuotaExceeded as over:
            return _refusal(request, scripted, 413, over_quota_text(over.usage, over.quota), files_link=True)
        for file in created:
            if file.status == "pending":  # analysed once the files are saved, never before
                after_commit.add(lambda file_id=file.id: queue.enqueue(
                    "analyze_model", str(file_id), job_id=analysis_job_id(file_id, 0)))
        if scripted:
            body = [
                {"id": str(f.id), "name": f.name, "url": request.app.route_reverse("file", file_id=f.id),
                 "status": f.status}
                for f in created
            ]
            return Response({"files": body}, status_code=201, media_type=MediaType.JSON)
        if len(created) == 1:
            return redirect_to(request, "file", file_id=created[0].id)
        return redirect_to(request, "files")

    @get("/files", name="files")
    async def list_files(
        self, request: HTMXRequest,
        db_session: AsyncSession, files: ModelFileService, settings: Settings, file_quotes: QuotePanels,
        page: PageNumber = 1,
    ) -> Template:
        viewer = viewer_of(request)
        listing = await files.list_for(viewer, page, PER_PAGE)
        usage = None
        if viewer.user is not None:
            usage = usage_text(await files.usage_of(viewer.user.id), Quota.of(viewer.user, settings.uploads))
        # the price last seen, or for a ready file never opened the price it opens with
        prices = {file.id: (file.last_total, file.last_currency or "RUB") if file.last_total is not None
                  else await file_quotes.first_price(file, db_session)
                  for file in listing.items if file.status == "ready"}
        return render(
            request, "files/list.html", files=listing, owners=await files.owner_emails(listing.items), usage=usage,
            prices=prices,
        )

    @get("/files/{file_id:uuid}", name="file")
    async def detail(
        self,
        request: HTMXRequest, db_session: AsyncSession,
        files: ModelFileService,
        file_quotes: QuotePanels,
        file_id: UUID,
    ) -> Template:
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        quote_html = None
        if file.status == "ready":
            quote_html = await file_quotes.panel_html(request, file, dict(request.query_params),
                                                      db_session)
        return render(
            request, "files/detail.html", file=file, quote_html=quote_html, can_change=can_change(file, viewer),
            view=request.query_params.get("view"),
        )

    @get("/files/{file_id:uuid}/status", name="file_status")
    async def status(
        self,
        request: HTMXRequest, db_session: AsyncSession,
        files: ModelFileService,
        file_quotes: QuotePanels,
        status_watch: StatusWatch,
        file_id: UUID,
    ) -> Template:
        """Polled while the file is analysed (each poll waits up to a second for news, so the price
        shows as soon as the file is ready); the final state has no trigger."""
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        if not file.is_final and wants_fragment(request):
            file = await files.next_state(file, status_watch, POLL_WAIT_SECONDS)
        quote_html = None
        if file.status == "ready":
            quote_html = await file_quotes.panel_html(request, file, None, db_session)
        template = "files/_analysis.html" if wants_fragment(request) else "files/detail.html"
        return render(request, template, file=file, quote_html=quote_html, can_change=can_change(file, viewer))

    @get("/files/{file_id:uuid}/viewer", name="file_viewer")
    async def viewer(self, request: HTMXRequest, files: ModelFileService, file_id: UUID) -> Template:
        """The 3D view's fragment, polled every second while the pictures are drawn; the finished
        view has no trigger. (Without JavaScript the page's "Check again" link reloads the page.)"""
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        return render(request, "files/_viewer.html", file=file, view=request.query_params.get("view"))

    @get("/files/{file_id:uuid}/thumbnail.png", name="file_thumbnail")
    async def thumbnail(self, request: Request, files: ModelFileService, storage: Storage, file_id: UUID) -> Response:
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        return await _stored(storage, file.thumbnail_key, "image/png", cache=True)

    @get("/files/{file_id:uuid}/model.glb", name="file_glb")
    async def glb(self, request: Request, files: ModelFileService, storage: Storage, file_id: UUID) -> Response:
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        return await _stored(storage, file.glb_key, "model/gltf-binary", cache=True)

    @get("/files/{file_id:uuid}/thickness.glb", name="file_thickness")
    async def thickness_glb(
        self, request: Request, files: ModelFileService, storage: Storage, file_id: UUID
    ) -> Response:
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        return await _stored(storage, file.thickness_key, "model/gltf-binary", cache=True)

    @get("/files/{file_id:uuid}/features.glb", name="file_features")
    async def features_glb(
        self, request: Request, files: ModelFileService, storage: Storage, file_id: UUID
    ) -> Response:
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        return await _stored(storage, file.features_key, "model/gltf-binary", cache=True)

    @get("/files/{file_id:uuid}/original", name="file_original")
    async def original(self, request: Request, files: ModelFileService, storage: Storage, file_id: UUID) -> Response:
        file = await files.get_visible_or_404(file_id, viewer_of(request))
        response = await _stored(storage, model_key(file.sha256), "application/octet-stream", cache=False)
        response.headers["content-disposition"] = _content_disposition(file.name)
        return response

    @post("/files/{file_id:uuid}/rename", name="file_rename")
    async def rename(self, request: HTMXRequest, files: ModelFileService, file_id: UUID) -> Template | Redirect:
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        if not can_change(file, viewer):
            raise NotFoundException()
        form = await request.form()
        name = str(form.get("name", "")).strip()
        if name:
            file = await files.rename(file, name)
        if wants_fragment(request):
            return render(request, "files/_name.html", file=file, can_change=True)
        back = form.get("next")
        return Redirect(path=back, status_code=303) if _local(back) else redirect_to(request, "file", file_id=file.id)

    @post("/files/{file_id:uuid}/split", name="file_split")
    async def split(self, request: HTMXRequest, files: ModelFileService, queue: JobQueue, file_id: UUID,
                    after_commit: AfterCommit) -> Redirect:
        """Quote each distinct part of a file of several bodies on its own: a file per part, cut
        out of this one and analysed like an upload."""
        file = await _own_assembly(request, files, file_id)
        children = await files.split(file)
        for child in children:
            if child.status == "extracting":  # once committed, so that the job finds the row
                after_commit.add(lambda child_id=child.id: queue.enqueue(
                    "extract_part", str(child_id), job_id=extraction_job_id(child_id)))
        flash(request, N_("Each part is now a file of its own: they are priced as soon as they are ready."),
              "success")
        return redirect_to(request, "file", file_id=file.id)

    @post("/files/{file_id:uuid}/whole", name="file_whole")
    async def price_whole(
        self, request: HTMXRequest, files: ModelFileService, file_id: UUID, data: FormData
    ) -> Redirect:
        """The owner says the bodies are one welded or assembled item (or takes it back)."""
        file = await _own_assembly(request, files, file_id)
        await files.price_whole(file, field_value(data, "whole") == "1")
        return redirect_to(request, "file", file_id=file.id)

    @post("/files/{file_id:uuid}/delete", name="file_delete")
    async def delete(
        self, request: HTMXRequest, files: ModelFileService, storage: Storage, file_id: UUID
    ) -> Redirect:
        viewer = viewer_of(request)
        file = await files.get_visible_or_404(file_id, viewer)
        if not can_change(file, viewer):
            raise NotFoundException()
        await files.remove(file, storage)
        flash(request, N_("The file is deleted."), "success")
        return redirect_to(request, "files")


async def _own_assembly(request: HTMXRequest, files: ModelFileService, file_id: UUID):
    """A ready file of several bodies that the viewer may change; 404 for anyone else."""
    viewer = viewer_of(request)
    file = await files.get_visible_or_404(file_id, viewer)
    if not can_change(file, viewer) or file.status != "ready" or not file.is_assembly:
        raise NotFoundException()
    return file


async def _admit(
    throttle: UploadThrottle, viewer: Viewer, address: str, visitor_key: str | None, files: int = 1
) -> None:
    """Count the upload (or its further files): per account, or per address and visitor session."""
    if viewer.user is not None:
        if not await throttle.admit_account(viewer.user.id, files):
            raise UploadRefused(429, TOO_MANY_ACCOUNT_UPLOADS)
    elif visitor_key is not None and not await throttle.admit(address, visitor_key, files):
        raise UploadRefused(429, TOO_MANY_UPLOADS)


def _refusal(request: HTMXRequest, scripted: bool, status: int, message: str, files_link: bool = False) -> Response:
    """The page's script gets the message as JSON (and where to go), the plain form a page."""
    if scripted:
        body: dict[str, Any] = {"error": message}
        if files_link:
            body["link"] = {"url": request.app.route_reverse("files"), "text": gettext(N_("Open the Files page"))}
        return Response(body, status_code=status, media_type=MediaType.JSON)
    return render(request, "files/upload_error.html", status_code=status, message=message, files_link=files_link)


def _local(url: Any) -> bool:
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//") and "\\" not in url


async def _stored(storage: Storage, key: str | None, media_type: str, cache: bool) -> Response:
    if not key:
        raise NotFoundException()
    headers = {"cache-control": "private, max-age=86400" if cache else "private, no-store"}
    path = storage.local_path(key)
    if path is not None:
        return File(path=path, media_type=media_type, headers=headers, content_disposition_type="inline")
    if not await storage.exists(key):
        raise NotFoundException()
    return Stream(storage.stream(key), media_type=media_type, headers=headers)
