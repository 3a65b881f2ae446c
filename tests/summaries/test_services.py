import pytest
from django.db import connection

from apps.billing.exceptions import QuotaExceededError
from apps.billing.models import UsageRecord
from apps.mail.models import OutboundEmail
from apps.summaries.models import SummarizationRequest
from apps.summaries.services import (
    summarization_request_create,
    summarization_request_process,
    summary_request,
)
from apps.summaries.tasks import summarization_request_process_task
from tests.factories import make_organization, make_plan
from tests.threads import run_together

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


# --- a short text: summarized, then its row and its charge in one transaction -------------


def alerts_sent(organization) -> list[str]:
    emails = OutboundEmail.objects.filter(template_key__startswith="quota_alert").order_by("id")
    return list(emails.values_list("template_key", flat=True))


@pytest.mark.embedded
def test_a_short_text_is_stored_completed_with_its_summary_and_charged():
    organization = make_organization(plan=make_plan(characters=1_000))
    request = summary_request(organization=organization, user=None, mode="brief", text=TEXT)
    stored = SummarizationRequest.objects.get()
    assert (stored.pk, stored.status, stored.summary) == (request.pk, "completed", request.summary)
    assert stored.started_at and stored.completed_at and stored.task_id == ""
    assert stored.output_characters == len(stored.summary) > 0
    assert UsageRecord.objects.get(organization=organization).characters_used == len(TEXT)


@pytest.mark.embedded
@pytest.mark.parametrize("stored_files", ["local"], indirect=True)
def test_a_refused_short_text_leaves_no_row_no_charge_and_no_stored_summary(
    stored_files, settings, templates
):
    settings.SUMMARY_INLINE_MAX_CHARS = 10  # its summary goes to storage before the charge
    organization = make_organization(plan=make_plan(characters=len(TEXT) + 5))
    kept = summary_request(organization=organization, user=None, mode="detailed", text=TEXT)
    assert kept.summary_file and stored_files.names() == {kept.summary_file.name}
    for _ in range(2):  # a client retrying the refused request
        with pytest.raises(QuotaExceededError, match="not enough characters left"):
            summary_request(organization=organization, user=None, mode="detailed", text=TEXT)
    assert SummarizationRequest.objects.get() == kept
    assert stored_files.names() == {kept.summary_file.name}  # the refused ones' files deleted
    assert UsageRecord.objects.get(organization=organization).characters_used == len(TEXT)
    # 80 % crossed by the first; 100 % once, at the first refusal.
    assert alerts_sent(organization) == ["quota_alert_80", "quota_alert_100"]


@pytest.mark.embedded
def test_short_texts_send_the_80_and_100_percent_alerts_once_each(templates):
    organization = make_organization(plan=make_plan(characters=len(TEXT) * 10))
    sent = []
    for _ in range(10):
        summary_request(organization=organization, user=None, mode="brief", text=TEXT)
        sent.append(len(alerts_sent(organization)))
    # 80 % at the 8th text, 100 % at the 10th, each once; then a refusal sends nothing more.
    assert sent == [0] * 7 + [1, 1, 2]
    with pytest.raises(QuotaExceededError):
        summary_request(organization=organization, user=None, mode="brief", text=TEXT)
    assert alerts_sent(organization) == ["quota_alert_80", "quota_alert_100"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_short_texts_never_overshoot_the_quota_and_each_charge_has_its_row(templates):
    """Eight threads, each with its own connection, summarize until refused."""
    organization = make_organization(plan=make_plan(characters=len(TEXT) * 50 + 7))
    refused = []

    def summarize_until_refused():
        for _ in range(10):
            try:
                summary_request(organization=organization, user=None, mode="brief", text=TEXT)
            except QuotaExceededError:
                refused.append(1)

    run_together(8, summarize_until_refused)
    rows = SummarizationRequest.objects.filter(organization=organization)
    assert rows.filter(status="completed").count() == 50 == rows.count() == 80 - len(refused)
    assert UsageRecord.objects.get(organization=organization).characters_used == 50 * len(TEXT)
    assert sorted(alerts_sent(organization)) == ["quota_alert_100", "quota_alert_80"]
    assert connection.vendor == "postgresql"  # the production path: real row locking
