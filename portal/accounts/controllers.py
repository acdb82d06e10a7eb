"""Register, log in, log out, profile and password pages."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import notices
from portal.accounts.password_policy import rate_password
from portal.accounts.passwords import Passwords
from portal.accounts.schemas import (
    PROFILE_FIELDS,
    check_new_password,
    clean_profile,
    clean_registration,
    typed_values,
)
from portal.accounts.services import UserService
from portal.accounts.sessions import end_user_session, start_user_session
from portal.accounts.throttle import AccountLimits, LoginThrottle
from portal.config import Settings
from portal.core.emails import normalise_email
from portal.core.flash import flash
from portal.core.forms import FieldError, Form, FormData, choice, field_value, secret_value
from portal.core.guards import requires_login
from portal.core.i18n import N_
from portal.core.logging import auth_log, log_event
from portal.core.mail import Mail
from portal.core.security import client_address, safe_next
from portal.core.sign_in import SignInSteps
from portal.core.templates import redirect_to, render
from portal.db.models import ACCOUNT_TYPES, User


def landing(request: HTMXRequest, user: User) -> str:
    """Where a person goes after logging in when no page asked for it: staff to their work."""
    return request.app.route_reverse("users" if user.is_staff else "account")


def profile_form(user: User) -> Form:
    return Form(values={name: getattr(user, name) or "" for name in PROFILE_FIELDS})


def type_form(account_type: str | None) -> Form:
    return Form(values={"account_type": choice(account_type, ACCOUNT_TYPES, "individual")})


class AccountController(Controller):
    @get("/register", name="register")
    async def register_page(self, request: HTMXRequest, account_type: str = "individual") -> Template | Redirect:
        if (user := request.scope.get("user")) is not None:  # already has an account and is in it
            return Redirect(path=landing(request, user), status_code=303)
        return render(request, "accounts/register.html", form=type_form(account_type))

    @post("/register")
    async def register(
        self,
        request: HTMXRequest, db_session: AsyncSession,
        data: FormData,
        users: UserService,
        passwords: Passwords,
        sign_in_steps: SignInSteps,
        limits: AccountLimits,
        mail: Mail,
        settings: Settings,
    ) -> Template | Redirect:
        form, password = clean_registration(data)
        if data.get("action") == "switch_type":
            return render(request, "accounts/register.html", form=Form(values=typed_values(data)))
        if not form.ok:
            return render(request, "accounts/register.html", status_code=422, form=form)
        address = client_address(request, settings.server.trusted_proxies)
        if wait := await limits.registrations.wait_seconds(address):
            return render(request, "accounts/register.html", status_code=429, form=form, wait=wait)
        user = await users.register(form.values, password, passwords)
        if user is None:  # the address has an account: its owner hears of it, the visitor does not
            email = form.values["email"]
            if not await limits.registration_notices.wait_seconds(email):
                await mail.send(notices.registration_attempt(request, mail, email))
            log_event(auth_log, "register_existing", address=address)
            return redirect_to(request, "register_sent")
        await sign_in_steps.run(request, user, db_session)  # what was done before registering
        start_user_session(request, str(user.id), user.session_version)
        log_event(auth_log, "register", user_id=str(user.id), address=address)
        flash(request, N_("Welcome! Your account is ready."), "success")
        return redirect_to(request, "account")

    @get("/register/sent", name="register_sent")
    async def register_sent_page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/check_email.html", reason="register")

    @get("/account/company-fields", name="company_fields")
    async def company_fields(self, request: HTMXRequest) -> Template:
        """The business fields for the chosen account type, with what was typed in them so far."""
        typed = typed_values(request.query_params.dict())
        return render(request, "accounts/_company_fields.html", form=Form(values=typed))

    @get("/login", name="login")
    async def login_page(self, request: HTMXRequest, next: str | None = None) -> Template | Redirect:  # noqa: A002
        if (user := request.scope.get("user")) is not None:  # logged in already: on to where it was going
            return Redirect(path=safe_next(next) or landing(request, user), status_code=303)
        return render(request, "accounts/login.html", form=Form(), next_url=safe_next(next), error=None)

    @post("/login")
    async def login(
        self,
        request: HTMXRequest, db_session: AsyncSession,
        data: FormData,
        users: UserService,
        passwords: Passwords,
        throttle: LoginThrottle,
        settings: Settings,
        sign_in_steps: SignInSteps,
    ) -> Template | Redirect:
        typed = Form.read(data, ["email"])
        email = typed.values["email"][:320]
        next_url = safe_next(field_value(data, "next"))
        if not typed.ok:  # never looked up: a NUL is no address (and PostgreSQL cannot take it)
            return render(request, "accounts/login.html", status_code=422, form=typed, next_url=next_url, error=None)
        address = client_address(request, settings.server.trusted_proxies)
        outcome = await users.authenticate(email, secret_value(data, "password"), address, passwords, throttle)
        if outcome.user is None:
            log_event(auth_log, "login_failed", email=email, address=address, locked=bool(outcome.locked_for))
            return render(
                request, "accounts/login.html", status_code=429 if outcome.locked_for or outcome.busy else 422,
                form=Form(values={"email": email}), next_url=next_url, error=outcome.error,
                wait=outcome.locked_for,
            )
        await sign_in_steps.run(request, outcome.user, db_session)  # what was done before
        start_user_session(request, str(outcome.user.id), outcome.user.session_version)
        log_event(auth_log, "login", user_id=str(outcome.user.id), address=address)
        return Redirect(path=next_url or landing(request, outcome.user), status_code=303)

    @post("/logout", name="logout")
    async def logout(self, request: HTMXRequest) -> Redirect:
        """Nobody logged in: nothing to end and nothing to store."""
        user = request.scope.get("user")
        if user is not None:
            log_event(auth_log, "logout", user_id=str(user.id))
            flash(request, N_("You have logged out."))
            end_user_session(request)
        return redirect_to(request, "home")

    @get("/account", guards=[requires_login], name="account")
    async def profile_page(self, request: HTMXRequest, account_type: str | None = None) -> Template:
        form = profile_form(request.user)
        if account_type in ACCOUNT_TYPES:
            form.values["account_type"] = account_type
        return render(request, "accounts/profile.html", form=form)

    @post("/account", guards=[requires_login])
    async def save_profile(self, request: HTMXRequest, data: FormData, users: UserService) -> Template | Redirect:
        form = clean_profile(data)
        if data.get("action") == "switch_type":
            return render(request, "accounts/profile.html", form=Form(values=typed_values(data)))
        if form.ok:
            try:
                await users.update_profile(request.user, form.values)
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return render(request, "accounts/profile.html", status_code=422, form=form)
        flash(request, N_("Your profile is saved."), "success")
        return redirect_to(request, "account")

    @post("/password-strength", name="password_strength")
    async def password_strength(self, request: HTMXRequest, data: FormData) -> Template:
        """The strength hint under a new-password field, while it is typed (htmx)."""
        user = request.scope.get("user")
        email = user.email if user is not None else normalise_email(field_value(data, "email"))
        rating = rate_password(secret_value(data, "password"), email)
        return render(request, "accounts/_password_strength.html", rating=rating)

    @get("/account/password", guards=[requires_login], name="password")
    async def password_page(self, request: HTMXRequest) -> Template:
        return render(request, "accounts/password.html", form=Form())

    @post("/account/password", guards=[requires_login])
    async def change_password(
        self,
        request: HTMXRequest,
        data: FormData,
        users: UserService,
        passwords: Passwords,
        throttle: LoginThrottle,
        settings: Settings,
    ) -> Template | Redirect:
        form = Form()
        new_password = check_new_password(data, form, request.user.email)
        if form.ok:
            try:
                user = await users.change_password(
                    request.user, secret_value(data, "current_password"), new_password, passwords,
                    throttle, client_address(request, settings.server.trusted_proxies),
                )
            except FieldError as error:
                form.add(error)
        if not form.ok:
            return render(request, "accounts/password.html", status_code=422, form=form)
        start_user_session(request, str(user.id), user.session_version)
        log_event(auth_log, "password_changed", user_id=str(user.id))
        flash(request, N_("Your password is changed. Your other sessions have ended."), "success")
        return redirect_to(request, "account")
