"""Every job function by the name the queue uses, and the jobs that run on a schedule."""

from __future__ import annotations

from dataclasses import dataclass

from jobs import accounts, files, mail

JOBS = {
    "purge_expired": accounts.purge_expired,
    "send_mail": mail.send_mail,
    "analyze_model": files.analyze_model,
    "requeue_stalled_files": files.requeue_stalled_files,
    "purge_unclaimed_files": files.purge_unclaimed_files,
}


@dataclass(frozen=True)
class Periodic:
    name: str
    every_minutes: int  # a divisor of 60: the worker's cron runs at these minutes of each hour


SCHEDULE = [
    Periodic("purge_expired", every_minutes=30),
    Periodic("purge_unclaimed_files", every_minutes=30),
    Periodic("requeue_stalled_files", every_minutes=1),
]
