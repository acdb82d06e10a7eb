"""Every job function, by the name the queue uses."""

from __future__ import annotations

from jobs.mail import send_mail
from jobs.maintenance import purge_expired

JOBS = {
    "purge_expired": purge_expired,
    "send_mail": send_mail,
}
