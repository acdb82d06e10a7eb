"""The accounts domain's mail: what it says, in the language of the page that caused it."""

from __future__ import annotations

from email.message import EmailMessage

from litestar.connection import ASGIConnection

from portal.accounts.tokens import RESET_LINK_SECONDS
from portal.core.i18n import N_, gettext
from portal.core.mail import Mail, render_text
from portal.db.models import User


def password_reset(connection: ASGIConnection, mail: Mail, user: User, token: str) -> EmailMessage:
    link = mail.link(connection, "password_reset_confirm", token=token)
    body = render_text("mail/password_reset.txt", user=user, link=link, minutes=RESET_LINK_SECONDS // 60)
    return mail.compose(user.email, gettext(N_("Set a new password")), body)


def registration_attempt(connection: ASGIConnection, mail: Mail, email: str) -> EmailMessage:
    """To the owner of an address someone tried to register again."""
    body = render_text(
        "mail/registration_attempt.txt",
        login_link=mail.link(connection, "login"),
        reset_link=mail.link(connection, "password_reset"),
    )
    return mail.compose(email, gettext(N_("Someone tried to register with your e-mail address")), body)
