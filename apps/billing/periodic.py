"""Services the billing periodic jobs call: usage reports and the quota-alert backstop (the
month rollover: quota_reset.py; renewals and reminders: services/lifecycle.py). Each is
idempotent and works in bounded batches.

A usage report breaks the month down by summary mode. Those figures are the summaries app's
(its requests), and billing imports no app above it: the job is declared in summaries' tasks,
which hands `usage_reports_send` its own `ModeFigures`.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Exists, F, OuterRef
from django.urls import reverse

from apps import signed_links
from apps.accounts.models import Organization
from apps.mail.services import send_email_many

from .models import QuotaAlert, UsageRecord
from .services import quota_alert_raise

Progress = Callable[[int], None] | None
REPORT_SALT = "billing.usage-report"


class ModeFigures(Protocol):
    """Each organization's month by summary mode: one row per mode used, in report order, as
    {"mode", "name" (its label), "requests", "characters"}."""

    def __call__(self, *, organization_ids: list[int], month: dt.date) -> dict[int, list[dict]]: ...


def _batches(queryset, size: int):
    """Primary keys of a queryset in ascending batches (keyset pagination: flat memory)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def report_path(*, organization: Organization, month: dt.date) -> str:
    return f"reports/usage/{month:%Y-%m}/{organization.slug}-{organization.pk}.csv"


def report_link(*, path: str) -> str:
    """A signed link to download a report, valid for REPORT_LINK_MAX_AGE_SECONDS."""
    token = signed_links.dumps({"path": path}, salt=REPORT_SALT)
    return settings.SITE_URL + reverse("usage_report_download", args=[token])


def report_path_from_token(token: str) -> str:
    """The report path a link names; BadSignature/SignatureExpired when forged or stale."""
    data = signing.loads(token, salt=REPORT_SALT, max_age=settings.REPORT_LINK_MAX_AGE_SECONDS)
    path = data.get("path") if isinstance(data, dict) else None
    if not isinstance(path, str):  # signed with our key, but not a report link
        raise signing.BadSignature("This is not a report link.")
    return path


def usage_reports_send(
    *,
    month: dt.date,
    mode_figures: ModeFigures,
    batch_size: int = 500,
    progress: Progress = None,
) -> dict:
    """Write each organization's usage CSV for a month to storage and email the owner a link;
    `mode_figures` gives the per-mode lines of a batch of organizations."""
    records = UsageRecord.objects.filter(period_start=month)
    sent = 0
    for ids in _batches(records, batch_size):
        batch = list(records.filter(pk__in=ids).select_related("organization__owner"))
        modes = mode_figures(organization_ids=[r.organization_id for r in batch], month=month)
        # One bulk enqueue per batch (the mail app sends them in batches).
        send_email_many(
            template_key="usage_report",
            recipients=[
                _report_one(record, modes.get(record.organization_id, []), month)
                for record in batch
            ],
        )
        sent += len(batch)
        if progress:
            progress(sent)
    return {"reports": sent}


def _report_one(record: UsageRecord, modes: list[dict], month: dt.date) -> dict:
    organization = record.organization
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["organization", "month", "mode", "requests", "characters"])
    for row in modes:
        writer.writerow(
            [organization.name, f"{month:%Y-%m}", row["mode"], row["requests"], row["characters"]]
        )
    writer.writerow([organization.name, f"{month:%Y-%m}", "total used", "", record.characters_used])
    writer.writerow([organization.name, f"{month:%Y-%m}", "limit", "", record.characters_limit])
    path = report_path(organization=organization, month=month)
    if default_storage.exists(path):  # a re-run replaces the report, same name
        default_storage.delete(path)
    default_storage.save(path, ContentFile(buffer.getvalue().encode()))
    owner = organization.owner
    return dict(
        to=owner.email,
        context={
            "name": owner.get_short_name(),
            "organization_name": organization.name,
            "month": f"{month:%Y-%m}",  # plain data: the email localizes it
            "used": record.characters_used,
            "limit": record.characters_limit,
            "percent": record.percent_used,
            "requests": sum(r["requests"] for r in modes),
            "modes": [
                {
                    "mode": r["mode"],
                    "name": r["name"],
                    "requests": r["requests"],
                    "characters": r["characters"] or 0,
                }
                for r in modes
            ],
        },
        # A signed download link: whoever reads it gets the report, so staff never see it.
        secrets={"report_url": report_link(path=path)},
        dedupe_key=f"usage_report:{organization.pk}:{month:%Y-%m}",
        user_id=owner.pk,
    )


def quota_alerts_sweep(*, month: dt.date, batch_size: int = 500) -> dict:
    """Raise any 80 % / 100 % alert the inline path missed for the month (a backstop)."""
    raised = 0
    # Highest first: raising 100 % records 80 % as covered, so a jump sends one email.
    for threshold in sorted(QuotaAlert.Threshold.values, reverse=True):
        alerted = QuotaAlert.objects.filter(
            organization=OuterRef("organization"),
            period_start=OuterRef("period_start"),
            threshold=threshold,
        )
        missed = (
            UsageRecord.objects.filter(period_start=month, characters_limit__gt=0)
            .alias(already=Exists(alerted), share=F("characters_used") * 100)
            .filter(already=False, share__gte=F("characters_limit") * threshold)
        )
        for ids in _batches(missed, batch_size):
            for record in UsageRecord.objects.filter(pk__in=ids).select_related(
                "organization__owner"
            ):
                raised += quota_alert_raise(record=record, threshold=threshold) is not None
    return {"alerts": raised}
