"""The monthly quota reset as set-based SQL in keyset chunks, on PostgreSQL and SQLite."""

import datetime as dt

import pytest

from apps.billing.models import Subscription, UsageRecord
from apps.billing.quota_reset import usage_month_open
from apps.billing.services import usage_record_for_month
from tests.factories import make_organization, make_plan

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def test_every_chunk_closes_the_old_month_and_opens_the_new_one_with_each_plans_allowance():
    free, pro = make_plan("free", 10_000), make_plan("pro", 500_000, "49")
    organizations = [make_organization(plan=pro if i % 2 else free) for i in range(7)]
    lapsed = organizations[0]
    Subscription.objects.filter(organization=lapsed).update(status="canceled")  # falls to Free
    for organization in organizations[:5]:
        usage_record_for_month(organization=organization, month=NOV)
    UsageRecord.objects.filter(period_start=NOV).update(characters_used=1_234)
    kept = usage_record_for_month(organization=organizations[6], month=DEC)  # already opened
    UsageRecord.objects.filter(pk=kept.pk).update(characters_used=99)
    reported = []

    result = usage_month_open(month=DEC, chunk_size=2, progress=reported.append)

    assert result == {"closed": 5, "opened": 6, "previous": "2026-11"}
    assert reported == [2, 4, 6, 6]  # after each chunk of two organizations, then the rest
    november = UsageRecord.objects.filter(period_start=NOV)
    assert all(r.closed_at and r.characters_used == 1_234 for r in november)
    december = {r.organization_id: r for r in UsageRecord.objects.filter(period_start=DEC)}
    assert len(december) == 7 and december[kept.organization_id].characters_used == 99
    assert {r.organization_id for r in december.values() if r.characters_limit == 500_000} == {
        o.pk for i, o in enumerate(organizations) if i % 2
    }
    assert december[lapsed.pk].characters_limit == 10_000
    assert all(r.closed_at is None for r in december.values())
    assert usage_month_open(month=DEC, chunk_size=3) == {
        "closed": 0,
        "opened": 0,
        "previous": "2026-11",
    }


def test_with_no_organizations_the_reset_does_nothing():
    assert usage_month_open(month=DEC) == {"closed": 0, "opened": 0, "previous": "2026-11"}
