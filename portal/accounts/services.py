"""Accounts: registration, login, profile, passwords, and staff actions on users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import or_

from portal.accounts.passwords import MAX_LENGTH, Passwords
from portal.accounts.schemas import Form
from portal.accounts.throttle import LoginThrottle
from portal.core.i18n import N_
from portal.db.models import User

GENERIC_LOGIN_ERROR = N_("The e-mail or password is wrong, or too many attempts were made. "
                         "Please try again later.")


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None


class UserService(SQLAlchemyAsyncRepositoryService[User, UserRepository]):
    repository_type = UserRepository

    async def email_taken(self, email: str, except_id: Any = None) -> bool:
        existing = await self.get_one_or_none(email=email)
        return existing is not None and existing.id != except_id

    async def register(self, form: Form, password: str, passwords: Passwords) -> User | None:
        """Create the account, or put the reason on the form and return None."""
        if await self.email_taken(form.values["email"]):
            form.errors["email"] = N_("An account with this e-mail already exists.")
        if not form.ok:
            return None
        data = dict(form.values)
        data["password_hash"] = await passwords.hash(password)
        return await self.create(data)

    async def authenticate(
        self,
        email: str,
        password: str,
        address: str,
        passwords: Passwords,
        throttle: LoginThrottle,
    ) -> LoginOutcome:
        email = email.strip().lower()
        if not email or not password or len(password) > MAX_LENGTH or len(email) > 320:
            await passwords.burn_time(password[:MAX_LENGTH])
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        if await throttle.is_blocked(email, address):
            await passwords.burn_time(password)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        user = await self.get_one_or_none(email=email)
        if user is None:
            await passwords.burn_time(password)
            await throttle.record_failure(email, address)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        if not await passwords.verify(user.password_hash, password) or not user.is_active:
            await throttle.record_failure(email, address)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        await throttle.record_success(email)
        changes: dict[str, Any] = {"last_login_at": datetime.now(UTC)}
        if passwords.needs_rehash(user.password_hash):
            changes["password_hash"] = await passwords.hash(password)
        user = await self.update(changes, item_id=user.id, auto_commit=True)
        return LoginOutcome(user)

    async def update_profile(self, user: User, form: Form) -> User | None:
        if form.ok and await self.email_taken(form.values["email"], except_id=user.id):
            form.errors["email"] = N_("An account with this e-mail already exists.")
        if not form.ok:
            return None
        return await self.update(dict(form.values), item_id=user.id)

    async def change_password(
        self, user: User, current: str, new: str, form: Form, passwords: Passwords
    ) -> User | None:
        """On success every session of the user ends; the caller re-issues the current one."""
        if not await passwords.verify(user.password_hash, current[:MAX_LENGTH]):
            form.errors["current_password"] = N_("The current password is wrong.")
        if not form.ok:
            return None
        return await self.update(
            {"password_hash": await passwords.hash(new), "session_version": user.session_version + 1},
            item_id=user.id,
        )

    async def set_active(self, user_id: Any, active: bool, actor_id: Any) -> User | None:
        """None when staff act on themselves: nobody locks themselves out by one click."""
        if user_id == actor_id:
            return None
        user = await self.get(user_id)
        changes: dict[str, Any] = {"is_active": active}
        if not active:
            changes["session_version"] = user.session_version + 1
        return await self.update(changes, item_id=user.id)

    async def set_staff(self, user_id: Any, staff: bool, actor_id: Any) -> User | None:
        """A change of privilege ends the user's sessions: they log in again with the new rights.

        None when staff act on themselves.
        """
        if user_id == actor_id:
            return None
        user = await self.get(user_id)
        return await self.update(
            {"is_staff": staff, "session_version": user.session_version + 1}, item_id=user.id
        )

    async def search(self, query: str, page: int, per_page: int) -> tuple[list[User], int]:
        filters: list[Any] = [OrderBy(field_name="created_at", sort_order="desc")]
        filters.append(LimitOffset(limit=per_page, offset=(page - 1) * per_page))
        conditions = []
        if query:
            pattern = f"%{query.lower()}%"
            conditions.append(
                or_(
                    User.email.ilike(pattern),
                    User.full_name.ilike(pattern),
                    User.company_name.ilike(pattern),
                    User.inn.ilike(pattern),
                )
            )
        return await self.list_and_count(*conditions, *filters)
