"""Demo activity: summarization requests, uploaded documents, weekly archives, API calls and
their roll-ups, spread over the last 90 days."""

import datetime as dt
import gzip
import json
import random

from django.core.files.base import ContentFile
from django.db.models import Model

from apps.accounts.models import Organization, User
from apps.analytics.models import DailyRollup, HourlyRollup, InteractionLog
from apps.analytics.services import interactions_roll_up
from apps.summaries.models import Document, SummarizationRequest, SummaryArchive

DAYS = 90
REQUESTS = 2_000
API_CALLS_PER_DAY = 120  # on average, across the three organizations
HOURLY_ROLLUP_DAYS = 7  # the hourly job keeps the last week fine-grained; days before are daily
ERRORS = [("timeout", 504, 0.4), ("rate_limited", 429, 0.3), ("model_error", 502, 0.3)]
DOCUMENTS = [
    ("Quarterly board memo.pdf", "application/pdf", b"%PDF-1.4\n% board memo\n"),
    (
        "Contract renewal draft.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04 docx",
    ),
    ("Research notes.md", "text/markdown", b"# Notes\n\nThree findings, one open question.\n"),
    ("Press release.txt", "text/plain", b"SummaSaaS summarizes long text in four modes.\n"),
]


def _members(organizations: list[Organization]) -> dict[int, list[User]]:
    return {
        org.pk: list(User.objects.filter(memberships__organization=org).order_by("pk"))
        for org in organizations
    }


def requests_seed(*, now: dt.datetime, organizations: list[Organization]) -> int:
    """Top the demo's summarization requests up to REQUESTS; returns how many were added."""
    existing = SummarizationRequest.objects.filter(organization__in=organizations).count()
    missing = REQUESTS - existing
    if missing <= 0:
        return 0
    rng = random.Random(42 + existing)
    members = _members(organizations)
    modes = list(SummarizationRequest.Mode.values)
    rows = []
    for _ in range(missing):
        org = rng.choice(organizations)
        created = now - dt.timedelta(seconds=rng.randint(0, DAYS * 86_400))
        failed = rng.random() < 0.04
        characters = rng.randint(200, 6_000)
        rows.append(
            SummarizationRequest(
                organization=org,
                user=rng.choice(members[org.pk]),
                mode=rng.choice(modes),
                input_characters=characters,
                output_characters=0 if failed else characters // rng.randint(4, 12),
                status="failed" if failed else "completed",
                error="The model did not answer in time." if failed else "",
                created_at=created,
                completed_at=created + dt.timedelta(milliseconds=rng.randint(300, 9_000)),
            )
        )
    SummarizationRequest.objects.bulk_create(rows, batch_size=500)
    return missing


def documents_seed(*, now: dt.datetime, organizations: list[Organization]) -> int:
    """A few uploaded documents per organization (small files in the configured storage)."""
    if _seeded(Document, organizations):
        return 0
    rng = random.Random(7)
    members, documents = _members(organizations), []
    for org in organizations:
        for name, content_type, body in rng.sample(DOCUMENTS, 3):
            document = Document(
                organization=org,
                owner=rng.choice(members[org.pk]),
                original_name=name,
                size=len(body),
                content_type=content_type,
                created_at=now - dt.timedelta(days=rng.randint(1, DAYS - 1)),
            )
            documents.append((document, f"demo-{org.slug}-{len(documents)}", body))
    return _saved_with_files(documents)


def archives_seed(*, now: dt.datetime, organizations: list[Organization]) -> int:
    """Weekly archive files, as the archival job leaves them for requests past 90 days."""
    if _seeded(SummaryArchive, organizations):
        return 0
    archives = []
    for org in organizations:
        for weeks_back in (16, 15, 14):
            start = now - dt.timedelta(weeks=weeks_back)
            year, week, _ = start.isocalendar()
            lines = [
                json.dumps(
                    {
                        "id": 100_000 + weeks_back * 100 + n,
                        "organization_id": org.pk,
                        "mode": "brief",
                        "status": "completed",
                        "created_at": (start + dt.timedelta(hours=n)).isoformat(),
                    }
                )
                for n in range(40)
            ]
            body = gzip.compress("\n".join(lines).encode() + b"\n")
            archive = SummaryArchive(
                organization=org,
                week=f"{year}-W{week:02d}",
                rows=len(lines),
                size=len(body),
                first_created_at=start,
                last_created_at=start + dt.timedelta(hours=39),
                created_at=start + dt.timedelta(weeks=13),
            )
            archives.append((archive, f"{archive.week}.jsonl.gz", body))
    return _saved_with_files(archives)


def _seeded(model: type[Model], organizations: list[Organization]) -> bool:
    """Whether the demo's organizations already have rows of `model` (each part seeds once)."""
    return model.objects.filter(organization__in=organizations).exists()


def _saved_with_files(rows: list[tuple[Model, str, bytes]]) -> int:
    """Save each row with its file (name, content) in the configured storage; how many."""
    for row, name, body in rows:
        row.file.save(name, ContentFile(body), save=False)
        row.save()
    return len(rows)


def interactions_seed(*, now: dt.datetime, organizations: list[Organization]) -> int:
    """API calls over 90 days (busier on weekdays and by day), then their roll-ups."""
    if _seeded(InteractionLog, organizations):
        return 0
    rng = random.Random(11)
    members = _members(organizations)
    weights = [1, 3, 6]  # Free, Pro, Business
    modes = list(SummarizationRequest.Mode.values)
    rows = []
    start = (now - dt.timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    for hour in range(DAYS * 24):
        moment = start + dt.timedelta(hours=hour)
        busy = (0.3 if moment.weekday() >= 5 else 1.0) * (1.6 if 8 <= moment.hour < 19 else 0.4)
        for _ in range(_poisson(rng, API_CALLS_PER_DAY / 24 * busy)):
            org = rng.choices(organizations, weights)[0]
            rows.append(_interaction(rng, org, rng.choice(members[org.pk]), moment, modes))
    InteractionLog.objects.bulk_create(rows, batch_size=1000)
    _roll_up(now)
    return len(rows)


def _interaction(rng, org, user, moment: dt.datetime, modes) -> InteractionLog:
    error = None
    if rng.random() < 0.025:
        error = rng.choices(ERRORS, [e[2] for e in ERRORS])[0]
    characters = rng.randint(300, 8_000)
    return InteractionLog(
        organization=org,
        user=user,
        endpoint="/api/v1/summaries",
        mode=rng.choice(modes),
        status_code=error[1] if error else 200,
        input_characters=characters,
        output_characters=0 if error else characters // rng.randint(4, 12),
        response_ms=int(rng.lognormvariate(6.6, 0.45)) + (9_000 if error == ERRORS[0] else 0),
        success=error is None,
        error_kind=error[0] if error else "",
        created_at=moment + dt.timedelta(seconds=rng.randint(0, 3_599)),
    )


def _roll_up(now: dt.datetime) -> None:
    """The roll-ups the analytics jobs would have written, through their own service."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=back)
        interactions_roll_up(model=DailyRollup, start=day, end=day + dt.timedelta(days=1))
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    for back in range(HOURLY_ROLLUP_DAYS * 24, 0, -1):
        hour = this_hour - dt.timedelta(hours=back)
        interactions_roll_up(model=HourlyRollup, start=hour, end=hour + dt.timedelta(hours=1))


def _poisson(rng: random.Random, mean: float) -> int:
    """Calls in one hour: Knuth's method (means here are small)."""
    limit, k, p = 2.718281828459045**-mean, 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1
