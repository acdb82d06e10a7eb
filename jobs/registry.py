"""Every job function by the name the queue uses, and the jobs that run on a schedule."""

from __future__ import annotations

from dataclasses import dataclass

from jobs import accounts, crm, files, mail, orders, printing

JOBS = {
    "purge_expired": accounts.purge_expired,
    "send_mail": mail.send_mail,
    "resend_unsent": mail.resend_unsent,
    "analyze_model": files.analyze_model,
    "extract_part": files.extract_part,
    "requeue_stalled_files": files.requeue_stalled_files,
    "purge_unclaimed_files": files.purge_unclaimed_files,
    "purge_failed_files": files.purge_failed_files,
    "sweep_working_files": files.sweep_working_files,
    "slice_model": printing.slice_model,
    "bitrix_sync": crm.bitrix_sync,
    "bitrix_relay": crm.bitrix_relay,
    "bitrix_purge": crm.bitrix_purge,
    "refund_card_payments": orders.refund_card_payments,
}

# What a job that the in-process runner drops at shutdown (while it waits to try again) leaves
# behind, called with the job's context and arguments; jobs whose state is in our tables need none.
ON_SHUTDOWN = {"send_mail": mail.keep_at_shutdown}

# Jobs that count their own attempts in our tables: their id may run again as soon as the last run
# ended (arq keeps no result for them), and the queue retries them whenever they raise Retry.
SELF_COUNTING = {"bitrix_sync"}
SELF_COUNTING_MAX_TRIES = 10_000


@dataclass(frozen=True)
class Periodic:
    name: str
    every_minutes: int  # a divisor of 60: the worker's cron runs at these minutes of each hour
    every_seconds: int | None = None  # a divisor of 60: instead, at these seconds of every minute

    @property
    def period(self) -> int:
        return self.every_seconds or self.every_minutes * 60


SCHEDULE = [
    Periodic("purge_expired", every_minutes=30),
    Periodic("purge_unclaimed_files", every_minutes=30),
    Periodic("purge_failed_files", every_minutes=30),
    Periodic("sweep_working_files", every_minutes=15),  # and at start (both modes run the schedule then)
    Periodic("requeue_stalled_files", every_minutes=1),
    Periodic("bitrix_relay", every_minutes=1, every_seconds=10),
    Periodic("bitrix_purge", every_minutes=30),
    Periodic("resend_unsent", every_minutes=30),
]
