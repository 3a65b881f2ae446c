import pytest
from django.core.management import call_command

from apps.accounts.models import Organization
from apps.billing.models import Invoice, UsageRecord
from apps.summaries.models import SummarizationRequest


@pytest.mark.embedded
@pytest.mark.django_db
def test_seed_demo_creates_the_demo_world_and_running_it_again_changes_nothing():
    call_command("seed_demo")
    call_command("seed_demo")
    organizations = Organization.objects.order_by("slug")
    assert [o.subscriptions.get().plan.code for o in organizations] == ["free", "pro", "business"]
    percents = {
        r.organization.slug: r.percent_used
        for r in UsageRecord.objects.filter(closed_at=None).select_related("organization")
    }
    assert percents == {"acme": 85.0, "globex": 100.0, "initech": 23.0}
    assert SummarizationRequest.objects.count() == 2_000
    assert {"paid", "open"} <= set(Invoice.objects.values_list("status", flat=True))
    span = SummarizationRequest.objects.order_by("created_at")
    assert (span.last().created_at - span.first().created_at).days >= 80
