"""Weekly archival: old summarization requests leave the hot table for gzip JSON-lines files."""

import datetime as dt
import gzip
import json
import tempfile
from collections.abc import Callable

from django.core.files import File
from django.db import connection
from django.db.models import Max, Q

from .models import SummarizationRequest, SummaryArchive

# created_at and completed_at stay last: _WeekFile.add reads them from the end.
FIELDS = (
    "id",
    "organization_id",
    "user_id",
    "mode",
    "input_characters",
    "output_characters",
    "status",
    "summary",
    "summary_file",
    "created_at",
    "completed_at",
)
_encode = json.JSONEncoder(separators=(",", ":")).encode


def _week(moment: dt.datetime) -> tuple[str, dt.datetime]:
    year, week, weekday = moment.isocalendar()
    start = (moment - dt.timedelta(days=weekday - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return f"{year}-W{week:02d}", start


class _WeekFile:
    """One organization's requests of one ISO week, streamed through gzip to a temporary file."""

    def __init__(self, organization_id: int, week: str, start: dt.datetime):
        self.organization_id, self.week, self.start = organization_id, week, start
        self.end = start + dt.timedelta(weeks=1)
        self.tmp = tempfile.TemporaryFile()  # noqa: SIM115 (closed in save())
        self.gz = gzip.GzipFile(fileobj=self.tmp, mode="wb", compresslevel=6)
        self.lines: list[bytes] = []
        self.rows = 0
        self.first = self.last = None

    def covers(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def add(self, row: tuple) -> None:
        """Buffer one request (a FIELDS tuple) as a JSON line; written once per batch."""
        *head, created, completed = row
        self.first = self.first or created
        self.last = created
        values = (*head, created.isoformat(), completed.isoformat() if completed else None)
        self.lines.append(_encode(dict(zip(FIELDS, values, strict=True))).encode())
        self.rows += 1

    def write(self) -> None:
        if self.lines:
            self.gz.write(b"\n".join(self.lines) + b"\n")
            self.lines = []

    def save(self, part: int) -> SummaryArchive:
        """Store the file; returns its archive row, not yet saved."""
        self.write()
        self.gz.close()
        size = self.tmp.tell()
        self.tmp.seek(0)
        archive = SummaryArchive(
            organization_id=self.organization_id,
            week=self.week,
            part=part,
            rows=self.rows,
            size=size,
            first_created_at=self.first,
            last_created_at=self.last,
        )
        suffix = "" if part == 1 else f"-part{part}"
        archive.file.save(f"{self.week}{suffix}.jsonl.gz", File(self.tmp), save=False)
        self.tmp.close()
        return archive


def summarization_requests_archive(
    *,
    before: dt.datetime,
    batch_size: int = 5000,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict:
    """Move requests created before `before` into one archive per organization and ISO week.

    Reads each organization's rows in (created_at, id) order, `batch_size` at a time, and
    streams them through gzip into temporary files: memory stays flat whatever the volume.
    Rows are deleted only after their organization's files and archive rows are stored; a run
    that crashed in between leaves them in place, and the re-run writes them as a new part.
    """
    old = SummarizationRequest.objects.filter(created_at__lt=before)
    organizations = list(
        old.order_by("organization_id").values_list("organization_id", flat=True).distinct()
    )
    rows = archives = 0
    for organization_id in organizations:
        count, stored = _archive_organization(
            old.filter(organization_id=organization_id), organization_id, batch_size
        )
        rows += count
        archives += stored
        if progress:
            progress(rows, None)
    return {"archived": rows, "archives": archives}


def _archive_organization(old, organization_id: int, batch_size: int) -> tuple[int, int]:
    parts = dict(
        SummaryArchive.objects.filter(organization_id=organization_id)
        .values("week")
        .annotate(top=Max("part"))
        .values_list("week", "top")
    )
    archives: list[SummaryArchive] = []
    cuts: list[dt.datetime] = []  # created_at of every batch's last row: the delete ranges
    week_file, last, rows = None, None, 0
    while True:
        page = old
        if last:
            page = old.filter(Q(created_at__gt=last[0]) | Q(created_at=last[0], id__gt=last[1]))
        batch = list(page.order_by("created_at", "id").values_list(*FIELDS)[:batch_size])
        if not batch:
            break
        for row in batch:
            if week_file is None or not week_file.covers(row[-2]):
                if week_file:
                    archives.append(week_file.save(parts.get(week_file.week, 0) + 1))
                week_file = _WeekFile(organization_id, *_week(row[-2]))
            week_file.add(row)
        week_file.write()
        rows += len(batch)
        last = (batch[-1][-2], batch[-1][0])
        cuts.append(last[0])
    if week_file:
        archives.append(week_file.save(parts.get(week_file.week, 0) + 1))
    SummaryArchive.objects.bulk_create(archives)
    _delete_archived(organization_id, cuts)
    return rows, len(archives)


def _delete_archived(organization_id: int, cuts: list[dt.datetime]) -> None:
    """Delete the archived rows: one range DELETE per read batch, each committing on its own.

    Keyset ranges (previous cut, cut] along the (organization, created_at) index: no chunk
    rescans rows deleted before it, and no row passes through Python. Every cut is the
    created_at of a row already read, so all rows up to it were archived; `before` bounds
    them all.
    """
    table = connection.ops.quote_name(SummarizationRequest._meta.db_table)
    field = SummarizationRequest._meta.get_field("created_at")
    since = None
    for cut in cuts:
        where, params = "organization_id = %s AND created_at <= %s", [organization_id, cut]
        if since is not None:
            where += " AND created_at > %s"
            params.append(since)
        params[1:] = [field.get_db_prep_value(value, connection) for value in params[1:]]
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        since = cut
