"""Accounts: registration, login, profile, passwords, and staff actions on users.

Every write to users goes through here: the web pages, `portal users create-admin` and the demo
data alike. A refusal a form shows is raised as `FieldError` (see portal/core/forms.py).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.exceptions import IntegrityError
from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, or_, select, update

from portal.accounts.passwords import MAX_LENGTH, Passwords
from portal.accounts.throttle import LoginThrottle
from portal.accounts.tokens import fingerprint
from portal.core.emails import normalise_email
from portal.core.forms import FieldError
from portal.core.i18n import N_
from portal.core.paging import Page, limit_offset
from portal.core.search import contains
from portal.crm.outbox import record_customer
from portal.db.models import KeyValueItem, LoginFailureCounter, User
from portal.db.unit_of_work import commit_now

EMAIL_TAKEN = N_("An account with this e-mail already exists.")
ONLY_SUPERUSERS = N_("Only a superuser may change staff accounts and staff rights.")
LAST_SUPERUSER = N_("This is the last superuser: make another staff member a superuser first.")
TOO_MANY_ATTEMPTS = N_("Too many attempts. Please try again later.")
GENERIC_LOGIN_ERROR = N_("The e-mail or password is wrong.")
LOCKED_OUT = N_("Too many failed attempts: logging in is locked for now.")
BUSY = N_("Many logins to this account or from this address are under way at once: please try again in a moment.")
DEACTIVATED = N_("This account is deactivated. If you think this is a mistake, please contact us.")


class UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None
    locked_for: int = 0  # seconds until the lockout ends, when locked out
    busy: bool = False  # not judged: enough attempts were under way; a moment later it will be


class UserService(SQLAlchemyAsyncRepositoryService[User, UserRepository]):
    repository_type = UserRepository

    async def _check_email_free(self, email: str, except_id: Any = None) -> None:
        existing = await self.get_one_or_none(email=email)
        if existing is not None and existing.id != except_id:
            raise FieldError("email", EMAIL_TAKEN)

    async def register(self, values: dict[str, Any], password: str, passwords: Passwords) -> User | None:
        """Create a customer account from cleaned profile values.

        None when the address already has an account: the visitor is not told so (the caller
        mails the address's owner instead), and the answer costs the same hash as a new account.
        """
        taken = await self.get_one_or_none(email=values["email"]) is not None
        await self._end_read()
        if taken:
            await passwords.burn_time(password)
            return None
        data = {**values, "password_hash": await passwords.hash(password)}
        try:
            user = await self.create(data)
        except IntegrityError:  # a simultaneous registration took the address first
            await self.repository.session.rollback()
            return None
        await record_customer(self.repository.session, user)  # Bitrix24, in the same transaction
        return user

    async def ensure_admin(self, email: str, password: str, name: str, passwords: Passwords) -> bool:
        """Create a superuser (the operator's own account, from the command line), or make an
        existing account one with this password.

        Its sessions end either way. True when the account was created now.
        """
        password_hash = await passwords.hash(password)
        user = await self.get_one_or_none(email=email)
        if user is None:
            await self.create({"email": email, "full_name": name, "password_hash": password_hash,
                               "is_staff": True, "is_superuser": True})
            return True
        await self.update(
            {"password_hash": password_hash, "is_staff": True, "is_superuser": True, "is_active": True,
             "session_version": user.session_version + 1},
            item_id=user.id,
        )
        return False

    async def authenticate(
        self,
        email: str,
        password: str,
        address: str,
        passwords: Passwords,
        throttle: LoginThrottle,
    ) -> LoginOutcome:
        email = normalise_email(email)
        if not email or not password or len(password) > MAX_LENGTH or len(email) > 320:
            await passwords.burn_time(password[:MAX_LENGTH])
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        turn = await throttle.take_turn(email, address)
        if turn.locked:
            # Unknown addresses lock the same way, so the lockout says nothing about who has an account.
            await passwords.burn_time(password)
            return LoginOutcome(None, LOCKED_OUT, turn.wait)
        if turn.wait:
            return LoginOutcome(None, BUSY, busy=True)
        try:
            user = await self.get_one_or_none(email=email)
            await self._end_read()
            if user is None:
                await passwords.burn_time(password)
                right = False
            else:
                right = await passwords.verify(user.password_hash, password)
        except Exception:
            await throttle.undecided(turn)
            raise
        if not right:
            await throttle.failed(turn)
            return LoginOutcome(None, GENERIC_LOGIN_ERROR)
        await throttle.succeeded(turn)
        if not user.is_active:  # only the right password learns this
            return LoginOutcome(None, DEACTIVATED)
        changes: dict[str, Any] = {"last_login_at": datetime.now(UTC)}
        if passwords.needs_rehash(user.password_hash):
            changes["password_hash"] = await passwords.hash(password)
        user = await self.update(changes, item_id=user.id)  # committed with the response
        return LoginOutcome(user)

    async def _end_read(self) -> None:
        """End the read transaction before a slow hash: its connection goes back to the pool
        instead of waiting with the request for a hash slot (objects stay loaded)."""
        await commit_now(self.repository.session)  # nothing written: this only gives the connection back

    async def update_profile(self, user: User, values: dict[str, Any]) -> User:
        await self._check_email_free(values["email"], except_id=user.id)
        try:
            user = await self.update(dict(values), item_id=user.id)
        except IntegrityError as error:
            raise FieldError("email", EMAIL_TAKEN) from error
        await record_customer(self.repository.session, user)  # Bitrix24, when what it holds changed
        return user

    async def change_password(
        self, user: User, current: str, new: str, passwords: Passwords, throttle: LoginThrottle, address: str
    ) -> User:
        """Every session of the user ends; the caller re-issues the current one.

        The current password is guessed no faster here than at the login.
        """
        turn = await throttle.take_turn(user.email, address)
        if turn.wait:
            raise FieldError("current_password", TOO_MANY_ATTEMPTS)
        try:
            await self._end_read()
            right = await passwords.verify(user.password_hash, current[:MAX_LENGTH])
        except Exception:
            await throttle.undecided(turn)
            raise
        if not right:
            await throttle.failed(turn)
            raise FieldError("current_password", N_("The current password is wrong."))
        await throttle.succeeded(turn)
        return await self.update(
            {"password_hash": await passwords.hash(new), "session_version": user.session_version + 1},
            item_id=user.id,
        )

    async def active_by_email(self, email: str) -> User | None:
        user = await self.get_one_or_none(email=normalise_email(email))
        return user if user is not None and user.is_active else None

    async def reset_target(self, user_id: UUID, marker: str) -> User | None:
        """The account a reset link was made for, while the link still matches it."""
        user = await self.get_one_or_none(id=user_id)
        if user is None or not user.is_active or not hmac.compare_digest(fingerprint(user), marker):
            return None
        return user

    async def reset_password(
        self, user_id: UUID, marker: str, new: str, passwords: Passwords
    ) -> User | None:
        """Set the password from a reset link, once; every session of the user ends.

        The update only applies while the account still has the state the link was made for, so
        two requests racing with one link cannot both succeed.
        """
        user = await self.reset_target(user_id, marker)
        if user is None:
            return None
        await self._end_read()
        changed = await self.repository.session.execute(
            update(User)
            .where(
                User.id == user.id,
                User.password_hash == user.password_hash,
                User.session_version == user.session_version,
            )
            .values(password_hash=await passwords.hash(new), session_version=user.session_version + 1)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            return None
        await self.repository.session.refresh(user)
        return user

    async def set_active(self, user_id: Any, active: bool, actor: User) -> User | None:
        """Deactivating ends every session of the user. Staff accounts are a superuser's to change.

        None when staff act on themselves: nobody locks themselves out by one click.
        """
        if user_id == actor.id:
            return None
        user = await self.get(user_id)
        if user.is_staff and not actor.is_superuser:
            raise FieldError("active", ONLY_SUPERUSERS)
        if active:
            return await self.update({"is_active": True}, item_id=user.id)
        changes = {"is_active": False, "session_version": user.session_version + 1}
        return await self._change_keeping_a_superuser(user, changes)

    async def set_quota(self, user_id: Any, quota_mb: int | None, quota_files: int | None) -> User:
        """What the account may keep stored (None: the settings' quota)."""
        return await self.update({"quota_mb": quota_mb, "quota_files": quota_files}, item_id=user_id)

    async def set_staff(self, user_id: Any, staff: bool, actor: User) -> User | None:
        """Only superusers grant and revoke staff. A change of privilege ends the user's sessions:
        they log in again with the new rights. None when staff act on themselves."""
        if user_id == actor.id:
            return None
        if not actor.is_superuser:
            raise FieldError("staff", ONLY_SUPERUSERS)
        user = await self.get(user_id)
        changes: dict[str, Any] = {"is_staff": staff, "session_version": user.session_version + 1}
        if staff:
            return await self.update(changes, item_id=user.id)
        return await self._change_keeping_a_superuser(user, {**changes, "is_superuser": False})

    async def set_superuser(self, user_id: Any, superuser: bool, actor: User) -> User | None:
        """A superuser is staff too. None when a superuser acts on themselves."""
        if user_id == actor.id:
            return None
        if not actor.is_superuser:
            raise FieldError("superuser", ONLY_SUPERUSERS)
        user = await self.get(user_id)
        changes: dict[str, Any] = {"is_superuser": superuser, "session_version": user.session_version + 1}
        if superuser:
            return await self.update({**changes, "is_staff": True}, item_id=user.id)
        return await self._change_keeping_a_superuser(user, changes)

    async def _change_keeping_a_superuser(self, user: User, changes: dict[str, Any]) -> User:
        """Apply a change that may take a superuser away, unless no other active one would remain.

        The check is part of the UPDATE itself (atomic on SQLite, whose writers take turns); on
        PostgreSQL the superusers' rows are locked first, so that two superusers removing each
        other at the same moment are answered one after the other, and the second is refused.
        """
        if not (user.is_superuser and user.is_active):
            return await self.update(changes, item_id=user.id)
        db = self.repository.session
        await db.execute(select(User.id).where(User.is_superuser, User.is_active).with_for_update())
        others = (
            select(func.count())
            .select_from(User)
            .where(User.is_superuser, User.is_active, User.id != user.id)
            .scalar_subquery()
        )
        changed = await db.execute(
            update(User)
            .where(User.id == user.id, others >= 1)
            .values(**changes, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            raise FieldError("superuser", LAST_SUPERUSER)
        await db.refresh(user)
        return user

    async def sharing_inn(self, user: User, limit: int = 50) -> list[User]:
        """Other accounts with the user's INN (colleagues of one company, or a second sign-up)."""
        if not user.inn:
            return []
        others = await self.list(
            User.inn == user.inn, User.id != user.id, OrderBy(field_name="created_at", sort_order="asc"),
            LimitOffset(limit=limit, offset=0),
        )
        return list(others)

    async def search(self, query: str, page: int, per_page: int) -> Page[User]:
        conditions = []
        if query:
            conditions.append(
                or_(contains(User.email, query), contains(User.full_name, query), contains(User.company_name, query),
                    contains(User.inn, query))
            )
        items, total = await self.list_and_count(
            *conditions, OrderBy(field_name="created_at", sort_order="desc"), limit_offset(page, per_page)
        )
        return Page(items=list(items), total=total, number=page, per_page=per_page)


class SessionRepository(SQLAlchemyAsyncRepository[KeyValueItem]):
    model_type = KeyValueItem


class SessionService(SQLAlchemyAsyncRepositoryService[KeyValueItem, SessionRepository]):
    """Stored sessions (the embedded default keeps them in the database) and login counters."""

    repository_type = SessionRepository

    async def purge_expired(self) -> int:
        """Remove what has expired; returns how many rows went."""
        now = datetime.now(UTC)
        db = self.repository.session
        sessions = await db.execute(delete(KeyValueItem).where(KeyValueItem.expires_at <= now))
        counters = await db.execute(delete(LoginFailureCounter).where(LoginFailureCounter.window_ends_at <= now))
        return (sessions.rowcount or 0) + (counters.rowcount or 0)
