"""The superuser's page for our own company's details (the supplier on every document)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.company.guards import requires_superuser
from portal.company.schemas import FIELDS, MAX_LOGO_BYTES, check_logo, clean_company
from portal.company.services import CompanyService
from portal.core.flash import flash
from portal.core.forms import Form, field_value
from portal.core.i18n import N_
from portal.core.templates import redirect_to, render

MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
BODY_LIMIT = MAX_LOGO_BYTES * 5  # the form and a logo a little too large, answered with a message


class CompanyController(Controller):
    path = "/admin/company"
    guards = [requires_superuser]

    @get("/", name="company_details")
    async def show(self, request: HTMXRequest, company: CompanyService) -> Template:
        details = await company.current()
        values = {name: getattr(details, name) for name in (*FIELDS, "vat_mode")} if details else {}
        return render(request, "company/admin_details.html", form=Form(values=values), details=details)

    @post("/", name="company_details_save", request_max_body_size=BODY_LIMIT)
    async def save(self, request: HTMXRequest, company: CompanyService, data: MultipartData) -> Template | Redirect:
        form = clean_company(data)
        upload = data.get("logo")
        if isinstance(upload, UploadFile):
            check_logo(form, await upload.read(MAX_LOGO_BYTES + 1))
        if not form.ok:
            details = await company.current()
            return render(request, "company/admin_details.html", status_code=422, form=form, details=details)
        await company.save(form.values)
        if field_value(data, "remove_logo") and "logo" not in form.values:
            await company.remove_logo()
        flash(request, N_("The company details are saved."), "success")
        return redirect_to(request, "company_details")

    @get("/logo", name="company_logo")
    async def logo(self, company: CompanyService) -> Response:
        details = await company.current(with_logo=True)
        if details is None or not details.logo:
            raise NotFoundException()
        return Response(details.logo, media_type=details.logo_type,
                        headers={"x-content-type-options": "nosniff", "cache-control": "private, no-store"})
