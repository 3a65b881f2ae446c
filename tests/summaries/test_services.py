import pytest

from apps.billing.exceptions import QuotaExceededError
from apps.billing.models import UsageRecord
from apps.summaries.models import SummarizationRequest
from apps.summaries.services import (
    summarization_request_create,
    summarization_request_process,
)
from apps.summaries.tasks import summarization_request_process_task
from tests.factories import make_organization, make_plan

pytestmark = pytest.mark.django_db

TEXT = "Huey runs the jobs. Anymail sends the mail. Unfold draws the console. Redis brokers."


def test_a_request_charges_its_characters_to_the_quota():
    organization = make_organization(plan=make_plan(characters=1_000))
    request = summarization_request_create(
        organization=organization, user=None, mode="brief", text=TEXT
    )
    assert request.input_characters == len(TEXT)
    assert UsageRecord.objects.get(organization=organization).characters_used == len(TEXT)


def test_a_request_over_the_remaining_quota_is_refused_and_nothing_is_charged():
    organization = make_organization(plan=make_plan(characters=10))
    with pytest.raises(QuotaExceededError, match="not enough characters left"):
        summarization_request_create(organization=organization, user=None, mode="brief", text=TEXT)
    assert not SummarizationRequest.objects.exists()
    assert not UsageRecord.objects.filter(characters_used__gt=0).exists()


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        summarization_request_create(
            organization=make_organization(), user=None, mode="haiku", text=TEXT
        )


def test_processing_completes_the_request_once_and_keeps_the_summary():
    request = summarization_request_create(
        organization=make_organization(), user=None, mode="bullet_points", text=TEXT
    )
    assert summarization_request_process_task(request.pk, TEXT)()["status"] == "completed"
    request.refresh_from_db()
    assert request.status == "completed" and request.summary.startswith("• ")
    assert request.output_characters == len(request.summary)
    assert summarization_request_process(request=request, text=TEXT) == ""
