"""Weekly archival: old summarization requests leave the hot table for gzip JSON-lines files."""

import datetime as dt
import gzip
import json
import tempfile
from collections.abc import Callable

from django.core.files import File
from django.db.models import Max, Q

from apps.jobs.services import delete_in_batches

from .models import SummarizationRequest, SummaryArchive

FIELDS = (
    "id", "organization_id", "user_id", "mode", "input_characters", "output_characters",
    "status", "created_at", "completed_at",
)  # fmt: skip


def _week(moment: dt.datetime) -> tuple[str, dt.datetime]:
    year, week, weekday = moment.isocalendar()
    start = (moment - dt.timedelta(days=weekday - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return f"{year}-W{week:02d}", start


class _WeekFile:
    """One organization's requests of one ISO week, gzipped into a temporary file."""

    def __init__(self, organization_id: int, week: str, start: dt.datetime):
        self.organization_id, self.week, self.start = organization_id, week, start
        self.tmp = tempfile.TemporaryFile()  # noqa: SIM115 (closed in store())
        self.gz = gzip.GzipFile(fileobj=self.tmp, mode="wb", compresslevel=6)
        self.rows = 0
        self.first = self.last = None

    def add(self, row: dict) -> None:
        self.first = self.first or row["created_at"]
        self.last = row["created_at"]
        line = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
        self.gz.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
        self.rows += 1

    def store(self, before: dt.datetime, batch_size: int) -> SummaryArchive:
        """Save the file and its archive row, then delete the archived rows in batches."""
        self.gz.close()
        size = self.tmp.tell()
        self.tmp.seek(0)
        existing = SummaryArchive.objects.filter(
            organization_id=self.organization_id, week=self.week
        )
        part = (existing.aggregate(n=Max("part"))["n"] or 0) + 1
        archive = SummaryArchive(
            organization_id=self.organization_id, week=self.week, part=part, rows=self.rows,
            size=size, first_created_at=self.first, last_created_at=self.last,
        )  # fmt: skip
        suffix = "" if part == 1 else f"-part{part}"
        archive.file.save(f"{self.week}{suffix}.jsonl.gz", File(self.tmp), save=False)
        archive.save()
        self.tmp.close()
        archived = SummarizationRequest.objects.filter(
            organization_id=self.organization_id,
            created_at__gte=self.start,
            created_at__lt=min(self.start + dt.timedelta(weeks=1), before),
        )
        delete_in_batches(archived, batch_size=batch_size)
        return archive


def summarization_requests_archive(
    *,
    before: dt.datetime,
    batch_size: int = 5000,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict:
    """Move requests created before `before` into one archive per organization and ISO week.

    Reads each organization's rows in (created_at, id) order, `batch_size` at a time, and
    streams them through gzip into a temporary file: memory stays flat whatever the volume.
    """
    old = SummarizationRequest.objects.filter(created_at__lt=before)
    organizations = list(
        old.order_by("organization_id").values_list("organization_id", flat=True).distinct()
    )
    rows = archives = 0
    for organization_id in organizations:
        week_file = None
        last: dict | None = None
        while True:
            page = old.filter(organization_id=organization_id)
            if last:
                page = page.filter(
                    Q(created_at__gt=last["created_at"])
                    | Q(created_at=last["created_at"], id__gt=last["id"])
                )
            batch = list(page.order_by("created_at", "id").values(*FIELDS)[:batch_size])
            if not batch:
                break
            for row in batch:
                week, start = _week(row["created_at"])
                if week_file is None or week_file.week != week:
                    if week_file:
                        week_file.store(before, batch_size)
                        archives += 1
                    week_file = _WeekFile(organization_id, week, start)
                week_file.add(row)
            rows += len(batch)
            last = batch[-1]
            if progress:
                progress(rows, None)
        if week_file:
            week_file.store(before, batch_size)
            archives += 1
    return {"archived": rows, "archives": archives}
