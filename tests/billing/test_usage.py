import datetime as dt

import pytest
from django.db import connection

from apps.accounts.services import organization_create
from apps.billing.exceptions import NoPlanError
from apps.billing.models import Plan, UsageRecord
from apps.billing.services import usage_record, usage_record_for_month
from tests.factories import make_organization, make_plan, make_user
from tests.threads import run_together


@pytest.mark.django_db
def test_usage_accumulates_in_this_months_record_with_remaining_and_percent():
    organization = make_organization(plan=make_plan(characters=10_000))
    usage_record(organization=organization, characters=6_000)
    record = usage_record(organization=organization, characters=2_500)
    assert record.characters_used == 8_500
    assert record.previous_characters_used == 6_000
    assert (record.remaining, record.percent_used) == (1_500, 85.0)
    assert UsageRecord.objects.filter(organization=organization).count() == 1


@pytest.mark.django_db
def test_each_month_has_its_own_record(time_machine):
    organization = make_organization()
    time_machine.move_to(dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC))
    usage_record(organization=organization, characters=100)
    time_machine.move_to(dt.datetime(2026, 2, 1, 0, 1, tzinfo=dt.UTC))
    usage_record(organization=organization, characters=7)
    used = dict(UsageRecord.objects.values_list("period_start", "characters_used"))
    assert used == {dt.date(2026, 1, 1): 100, dt.date(2026, 2, 1): 7}


@pytest.mark.django_db
def test_an_organization_without_subscription_falls_back_to_the_free_plan_or_says_what_is_missing():
    organization = organization_create(name="Lonely", owner=make_user())
    Plan.objects.all().delete()  # staff deleted the starting plans the migration made
    with pytest.raises(NoPlanError, match="no 'free' plan exists"):
        usage_record_for_month(organization=organization)
    make_plan("free", characters=10_000)
    assert usage_record_for_month(organization=organization).characters_limit == 10_000


@pytest.mark.django_db
def test_negative_usage_is_refused():
    with pytest.raises(ValueError, match="zero or more"):
        usage_record(organization=make_organization(), characters=-1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_lose_no_update():
    """Eight threads, each with its own database connection, add usage at the same time."""
    organization = make_organization(plan=make_plan(characters=10**9))
    threads_n, calls, chars = 8, 25, 7

    def add_usage():
        for _ in range(calls):
            usage_record(organization=organization, characters=chars)

    run_together(threads_n, add_usage)
    record = UsageRecord.objects.get(organization=organization)
    assert record.characters_used == threads_n * calls * chars
    assert connection.vendor == "postgresql"  # the production path: real row locking
