"""The quota as the API meets it: usage_reserve counts atomically, refuses past the limit and
alerts once (issue 11, point 7)."""

import pytest
from django.db import connection, transaction

from apps.billing.exceptions import QuotaExceededError
from apps.billing.models import QuotaAlert, UsageRecord
from apps.billing.services import usage_release, usage_reserve
from apps.mail.models import OutboundEmail
from tests.factories import make_organization, make_plan
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def used(organization) -> int:
    return UsageRecord.objects.get(organization=organization).characters_used


def alert_subjects(provider) -> list[str]:
    return [m.subject for m in provider if "characters" in m.subject]


@pytest.mark.embedded
def test_jumping_from_79_to_100_percent_sends_only_the_100_percent_email(
    templates, provider, django_capture_on_commit_callbacks
):
    organization = make_organization(plan=make_plan(characters=10_000))
    with django_capture_on_commit_callbacks(execute=True):
        usage_reserve(organization=organization, characters=7_900)
        record = usage_reserve(organization=organization, characters=2_100)
    assert (record.previous_characters_used, record.characters_used) == (7_900, 10_000)
    assert alert_subjects(provider) == [
        f"{organization.name} has used all of this month's characters"
    ]
    alerts = dict(QuotaAlert.objects.values_list("threshold", "emailed"))
    assert alerts == {80: False, 100: True}  # 80 % recorded as passed, not emailed


@pytest.mark.embedded
def test_the_request_that_would_cross_the_limit_is_refused_and_sends_the_100_alert_once(
    templates, provider, django_capture_on_commit_callbacks
):
    organization = make_organization(plan=make_plan(characters=10_000))
    with django_capture_on_commit_callbacks(execute=True):
        usage_reserve(organization=organization, characters=9_500)  # 95 %: the 80 % alert
        for _ in range(3):  # a client retrying the same too-big request
            with pytest.raises(QuotaExceededError, match="not enough characters left") as caught:
                usage_reserve(organization=organization, characters=600)
    assert used(organization) == 9_500  # nothing of the refused requests counted
    error = caught.value
    assert isinstance(error, PermissionError)
    assert (error.requested, error.remaining, error.limit) == (600, 500, 10_000)
    assert alert_subjects(provider) == [
        f"{organization.name} has used 95 % of this month's characters",
        f"{organization.name} has used all of this month's characters",
    ]
    full = provider[-1]
    assert "Remaining 500" in " ".join(full.body.split())
    assert OutboundEmail.objects.filter(template_key="quota_alert_100").count() == 1


def test_after_the_100_alert_reaching_80_percent_is_recorded_without_an_email(templates):
    organization = make_organization(plan=make_plan(characters=10_000))
    usage_reserve(organization=organization, characters=7_900)
    with pytest.raises(QuotaExceededError):
        usage_reserve(organization=organization, characters=4_000)  # refused: 100 % alert
    usage_reserve(organization=organization, characters=200)  # 81 %
    assert dict(QuotaAlert.objects.values_list("threshold", "emailed")) == {80: False, 100: True}
    alerts = OutboundEmail.objects.filter(template_key__startswith="quota_alert")
    assert list(alerts.values_list("template_key", flat=True)) == ["quota_alert_100"]


def test_a_request_that_fits_exactly_is_counted_and_the_next_character_is_refused(templates):
    organization = make_organization(plan=make_plan(characters=1_000))
    assert usage_reserve(organization=organization, characters=1_000).remaining == 0
    with pytest.raises(QuotaExceededError):
        usage_reserve(organization=organization, characters=1)
    assert used(organization) == 1_000
    assert OutboundEmail.objects.filter(template_key="quota_alert_100").count() == 1


def test_the_reservation_is_its_own_transaction_so_a_caller_cannot_roll_back_the_alert():
    organization = make_organization()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        usage_reserve(organization=organization, characters=1)


@pytest.mark.parametrize("characters", [-1, 1.5, "10", True, None])
def test_characters_must_be_a_whole_number_zero_or_more(characters):
    with pytest.raises(ValueError, match="zero or more"):
        usage_reserve(organization=make_organization(), characters=characters)


def test_released_characters_come_back_but_never_below_zero():
    organization = make_organization(plan=make_plan(characters=1_000))
    record = usage_reserve(organization=organization, characters=300)
    usage_release(organization=organization, characters=100, month=record.period_start)
    assert used(organization) == 200
    usage_release(organization=organization, characters=5_000, month=record.period_start)
    assert used(organization) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_overshoot_the_limit_and_alert_once(templates):
    """Eight threads, each with its own connection, reserve until refused."""
    organization = make_organization(plan=make_plan(characters=10_000))
    counted, refused = [], []

    def reserve_until_refused():
        for _ in range(30):
            try:
                counted.append(usage_reserve(organization=organization, characters=70))
            except QuotaExceededError:
                refused.append(1)

    run_together(8, reserve_until_refused)
    assert used(organization) == len(counted) * 70 == 10_000 // 70 * 70  # 142 fit, none more
    assert len(refused) == 8 * 30 - len(counted)
    assert OutboundEmail.objects.filter(template_key="quota_alert_100").count() == 1
    assert OutboundEmail.objects.filter(template_key="quota_alert_80").count() == 1
    assert connection.vendor == "postgresql"  # the production path: real row locking
