"""Forgotten passwords: ask for a link by e-mail, follow it once within 30 minutes, set a new one.

The answer to "send me a link" is the same whether or not an account uses the address.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from portal.accounts import notices
from portal.accounts.passwords import Passwords
from portal.accounts.schemas import check_new_password, clean_email
from portal.accounts.services import UserService
from portal.accounts.sessions import start_user_session
from portal.accounts.throttle import AccountLimits, LoginThrottle
from portal.accounts.tokens import ResetTokens
from portal.config import Settings
from portal.core.flash import flash
from portal.core.forms import Form, FormData
from portal.core.i18n import N_
from portal.core.logging import auth_log, log_event
from portal.core.mail import Mail
from portal.core.security import client_address
from portal.core.templates import redirect_to, render

NO_STORE = CacheControlHeader(no_store=True)  # the token is in the address


def link_invalid(request: HTMXRequest) -> Template:
    return render(request, "accounts/reset_link_invalid.html", status_code=400)


class PasswordResetController(Controller):
    @get("/password-reset", name="password_reset")
    async def request_page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/password_reset.html", form=Form())

    @post("/password-reset")
    async def request_link(
        self,
        request: HTMXRequest,
        data: FormData,
        users: UserService,
        settings: Settings,
        mail: Mail,
        limits: AccountLimits,
        reset_tokens: ResetTokens,
    ) -> Template | Redirect:
        form = clean_email(data)
        if not form.ok:
            return render(request, "accounts/password_reset.html", status_code=422, form=form)
        address = client_address(request, settings.server.trusted_proxies)
        wait = await limits.reset_requests.wait_seconds(address)
        if wait:
            return render(request, "accounts/password_reset.html", status_code=429, form=form, wait=wait)
        user = await users.active_by_email(form.values["email"])
        # Unknown addresses and accounts that had their share of mail this hour get the same answer.
        if user is not None and not await limits.reset_mails.wait_seconds(user.email):
            await mail.send(notices.password_reset(request, mail, user, reset_tokens.make(user)))
            log_event(auth_log, "password_reset_sent", user_id=str(user.id), address=address)
        return redirect_to(request, "password_reset_sent")

    @get("/password-reset/sent", name="password_reset_sent")
    async def sent_page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/check_email.html", reason="password_reset")

    @get("/password-reset/{token:str}", name="password_reset_confirm", cache_control=NO_STORE)
    async def new_password_page(
        self, request: HTMXRequest, token: str, users: UserService, reset_tokens: ResetTokens
    ) -> Template:
        read = reset_tokens.read(token)
        if read is None or await users.reset_target(*read) is None:
            return link_invalid(request)
        return render(request, "accounts/new_password.html", form=Form(), token=token)

    @post("/password-reset/{token:str}", cache_control=NO_STORE)
    async def set_new_password(
        self,
        request: HTMXRequest,
        token: str,
        data: FormData,
        users: UserService,
        passwords: Passwords,
        throttle: LoginThrottle,
        reset_tokens: ResetTokens,
    ) -> Template | Redirect:
        read = reset_tokens.read(token)
        if read is None:
            return link_invalid(request)
        owner = await users.reset_target(*read)
        if owner is None:
            return link_invalid(request)
        form = Form()
        new_password = check_new_password(data, form, owner.email)
        if not form.ok:
            return render(request, "accounts/new_password.html", status_code=422, form=form, token=token)
        await throttle.unlock(owner.email)  # whoever holds the mailbox may log in again at once
        user = await users.reset_password(*read, new_password, passwords)
        if user is None:  # another request used the link a moment ago
            return link_invalid(request)
        start_user_session(request, str(user.id), user.session_version)
        log_event(auth_log, "password_reset", user_id=str(user.id))
        flash(request, N_("Your new password is set. Your other sessions have ended."), "success")
        return redirect_to(request, "account")
