"""The requeue sweep: charged requests whose task is nowhere are queued again, or ended.

A request's row is the truth, as an outbox row is for its email. Its task can go missing: the
web process died between the commit and the enqueue, or the broker lost it (a restart without
persistence) beyond what the reconciliation re-enqueues, or a consumer died more often than
the reaper re-runs. Every five minutes this pass takes the unfinished requests queued (or
claimed) longer ago than SUMMARY_REQUEUE_AFTER_SECONDS and asks the task history whether a
task that may still run holds each one (`apps.jobs.live`):

| row     | a live task in the history                 | what this pass does                  |
| ------- | ------------------------------------------ | ------------------------------------ |
| pending | one whose first argument is the row's id   | nothing: it waits its turn           |
| pending | none, queued again fewer than 3 times      | enqueues a new task, counts it       |
| pending | none, already queued again 3 times         | failed, characters given back        |
| pending | (no text kept: queued by an older release) | failed, characters given back        |
| running | the task id that claimed it                | nothing: it runs, or is re-run       |
| running | none (its task died for good)              | failed, characters given back        |

Two copies of one task run the request once (the claim decides), so enqueueing one too many
is harmless; failing is a conditional UPDATE that refunds at most once. While the broker does
not answer, the pass stops and the next one tries again.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from apps.jobs.live import live_first_arguments, live_task_ids

from .lifecycle import TEXT_LOST, summarization_request_fail
from .models import SummarizationRequest

logger = logging.getLogger(__name__)

Status = SummarizationRequest.Status
MAX_REQUEUES = 3
BATCH = 500
GAVE_UP = "The summary could not be run: its task was lost {n} times. It was not charged."
DIED = "The summary's task stopped before it finished; it was not charged. Send it again."


def summarization_requests_requeue(*, now: dt.datetime | None = None) -> dict:
    """Queue again the stale pending requests no live task holds; fail (and refund) those
    that cannot go on. Returns how many were requeued and failed."""
    from .tasks import summarization_request_process_task  # tasks.py imports this module

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.SUMMARY_REQUEUE_AFTER_SECONDS)
    stale = Q(status=Status.PENDING, queued_at__lt=cutoff)
    stale |= Q(status=Status.PENDING, queued_at__isnull=True, created_at__lt=cutoff)
    stale |= Q(status=Status.RUNNING, started_at__lt=cutoff)
    rows = list(
        SummarizationRequest.objects.filter(stale)
        .select_related("organization")
        .defer("input_text", "summary")
        .annotate(text_length=Length("input_text"))
        .order_by("pk")[:BATCH]
    )
    counts = {"requeued": 0, "failed": 0}
    if not rows:
        return counts
    task = summarization_request_process_task
    held = {int(i) for i in live_first_arguments(task=task, among=[r.pk for r in rows])}
    running = live_task_ids(task=task, among={r.task_id for r in rows if r.task_id})
    for row in rows:
        if row.status == Status.RUNNING:
            if row.task_id not in running:
                counts["failed"] += summarization_request_fail(request=row, reason=DIED)
        elif row.pk in held:
            continue
        elif not row.text_length:
            counts["failed"] += summarization_request_fail(request=row, reason=TEXT_LOST)
        elif row.requeues >= MAX_REQUEUES:
            reason = GAVE_UP.format(n=row.requeues + 1)
            counts["failed"] += summarization_request_fail(request=row, reason=reason)
        else:
            # Counted before it is queued (a task may finish before this line would run).
            mine = SummarizationRequest.objects.filter(
                pk=row.pk, status=Status.PENDING, requeues=row.requeues
            )
            if not mine.update(requeues=F("requeues") + 1, queued_at=now):
                continue  # claimed or counted meanwhile
            try:
                summarization_request_process_task(row.pk)
            except Exception as error:  # the broker does not answer: the next pass retries
                SummarizationRequest.objects.filter(pk=row.pk, status=Status.PENDING).update(
                    requeues=row.requeues, queued_at=row.queued_at
                )
                logger.warning("summaries requeue stopped: %s: %s", type(error).__name__, error)
                break
            counts["requeued"] += 1
    if counts["requeued"] or counts["failed"]:
        logger.warning(
            "summaries requeue: %(requeued)s queued again, %(failed)s failed and refunded",
            counts,
        )
    return counts
