"""`seed_demo`: a first `make run` shows 90 days of history of every kind; a second adds none."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import Organization
from apps.analytics.models import DailyRollup, HourlyRollup, InteractionLog
from apps.billing.models import Invoice, UsageRecord
from apps.console.models import AuditEntry
from apps.jobs.models import PeriodicRun, TaskAttempt, TaskRun, WorkerHeartbeat
from apps.mail.models import DeliveryAttempt, EmailEvent, OutboundEmail, Suppression
from apps.summaries.models import Document, SummarizationRequest, SummaryArchive
from tests.console.admin_walk import changelist_url

# Lists that stay empty on a first start on purpose (written only by later events).
EMPTY_BY_DESIGN = {"billing.stripeevent"}


def counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed}


# The world a first `make run` seeds (`seed_demo`), once for this module (tests/demo/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group("demo-seed"),
    pytest.mark.usefixtures("demo_world"),
]


@pytest.mark.embedded
def test_seed_demo_creates_the_demo_world_and_running_it_again_changes_nothing():
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    organizations = Organization.objects.order_by("slug")
    assert [o.subscriptions.get().plan.code for o in organizations] == ["free", "pro", "business"]
    percents = {
        r.organization.slug: r.percent_used
        for r in UsageRecord.objects.filter(closed_at=None).select_related("organization")
    }
    assert percents == {"acme": 85.0, "globex": 100.0, "initech": 23.0}
    assert SummarizationRequest.objects.count() == 2_000
    assert {"paid", "open"} <= set(Invoice.objects.values_list("status", flat=True))


def _days(queryset, field: str) -> int:
    span = queryset.order_by(field).values_list(field, flat=True)
    return (span.last() - span.first()).days


def test_the_history_spans_90_days_with_every_outcome_and_fills_every_list(admin_client):
    assert _days(SummarizationRequest.objects, "created_at") >= 85
    assert _days(InteractionLog.objects, "created_at") >= 85
    assert _days(OutboundEmail.objects, "created_at") >= 85
    assert _days(DailyRollup.objects, "period_start") >= 85 and HourlyRollup.objects.exists()
    statuses = set(OutboundEmail.objects.values_list("status", flat=True))
    assert {"sent", "failed", "suppressed"} <= statuses
    events = set(EmailEvent.objects.values_list("event_type", flat=True))
    assert {"delivered", "opened", "clicked", "bounced", "complained", "deferred"} <= events
    assert Suppression.objects.filter(source_event__isnull=False).exists()
    assert DeliveryAttempt.objects.filter(outcome="retry").exists()
    states = set(TaskRun.objects.values_list("state", flat=True))
    assert {"complete", "error", "lost", "revoked"} <= states
    assert TaskRun.objects.exclude(retry_of="").filter(requested_by__contains="@").exists()
    assert TaskAttempt.objects.exclude(traceback="").exists()
    assert TaskAttempt.objects.filter(state="lost").count() == 2
    assert {"succeeded", "failed"} <= set(PeriodicRun.objects.values_list("status", flat=True))
    assert {"reaper", "analytics_hourly", "usage_reports"} <= set(
        PeriodicRun.objects.values_list("job", flat=True)
    )
    now = timezone.now()
    assert TaskRun.objects.filter(created_at__gte=now - dt.timedelta(hours=24)).count() > 100
    assert WorkerHeartbeat.objects.filter(stopped_at__isnull=True).exists()  # a dead consumer
    assert AuditEntry.objects.filter(action="task.retry").exists()
    assert Document.objects.exists() and SummaryArchive.objects.exists()
    for archive in SummaryArchive.objects.all()[:2]:
        assert archive.file.open("rb").read(2) == b"\x1f\x8b"  # gzip, downloadable
    empty = [
        model._meta.label_lower
        for model in admin.site._registry
        if model._meta.label_lower not in EMPTY_BY_DESIGN and not model.objects.exists()
    ]
    assert empty == []
    for model in admin.site._registry:
        assert admin_client.get(changelist_url(model)).status_code == 200, model
