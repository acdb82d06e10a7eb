"""How an account's owner hears that files whose analysis failed were deleted (jobs/files.py)."""

from __future__ import annotations

from portal.core.i18n import N_, gettext
from portal.core.mail import Mail, render_text
from portal.db.models import User

SUBJECT = N_("Files that could not be analysed were deleted")
FILES_PATH = "/files"  # the `files` route, for links made outside a request (a job)


async def tell_failed_deleted(mail: Mail, owner: User, names: list[str], site: str, days: int) -> None:
    """Called once the deletion is committed; delivered by the send_mail job."""
    body = render_text(
        "mail/failed_files_deleted.txt", user=owner, names=sorted(names), days=days, link=site + FILES_PATH
    )
    await mail.send(mail.compose(owner.email, gettext(SUBJECT), body))
