"""The billing lifecycle run by its periodic job across period boundaries (travelling clock)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from apps.billing.models import Invoice, Subscription, UsageRecord
from apps.billing.services import subscription_cancel, subscription_start, usage_reserve
from apps.billing.services.lifecycle import period_end_after
from apps.jobs.models import PeriodicRun
from apps.jobs.periodic import job_spec
from apps.mail.models import OutboundEmail
from tests.factories import make_organization, make_plan

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def trigger(name: str, moment: dt.datetime) -> dict:
    """Fire the job at `moment` twice, as two consumers' schedulers would; the run's result."""
    with time_machine.travel(moment, tick=False):
        job_spec(name).task()
        job_spec(name).task()
    return PeriodicRun.objects.filter(job=name).order_by("-started_at").first().result


def pro_customer(start: dt.datetime):
    with time_machine.travel(start, tick=False):
        organization = make_organization(plan=make_plan("free", 10_000))
        subscription_start(organization=organization, plan=make_plan("pro", 1_000_000, "49"))
    return organization, organization.subscriptions.get(status="active")


def sent(template_key: str):
    return OutboundEmail.objects.filter(template_key=template_key).order_by("created_at")


@pytest.mark.embedded
def test_renewal_advances_the_period_invoices_it_and_reminds_before_every_renewal(templates):
    organization, subscription = pro_customer(at(2026, 11, 8, 15))
    assert trigger("renewal_reminders", at(2026, 12, 1, 7)) == {"reminders": 1}
    assert trigger("subscription_renewals", at(2026, 12, 8, 14, 15)) == {"renewed": 0, "ended": 0}
    assert trigger("subscription_renewals", at(2026, 12, 8, 15, 15)) == {"renewed": 1, "ended": 0}
    subscription.refresh_from_db()
    assert (subscription.current_period_start, subscription.current_period_end) == (
        at(2026, 12, 8, 15),
        at(2027, 1, 8, 15),
    )
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.amount, invoice.status, invoice.issued_at) == (
        Decimal("49"),
        "open",
        at(2026, 12, 8, 15),
    )
    assert (invoice.period_start, invoice.period_end) == (at(2026, 12, 8, 15), at(2027, 1, 8, 15))
    december = UsageRecord.objects.get(organization=organization, period_start="2026-12-01")
    assert december.characters_limit == 1_000_000
    assert trigger("renewal_reminders", at(2027, 1, 1, 7)) == {"reminders": 1}  # the 2nd renewal
    assert trigger("renewal_reminders", at(2027, 1, 2, 7)) == {"reminders": 0}
    assert trigger("subscription_renewals", at(2027, 1, 8, 15, 15)) == {"renewed": 1, "ended": 0}
    assert Invoice.objects.filter(subscription=subscription).count() == 2
    reminders = sent("renewal_reminder")
    assert [r.context["renews_on"] for r in reminders] == ["2026-12-08", "2027-01-08"]


@pytest.mark.embedded
def test_cancelling_at_period_end_moves_the_organization_to_free_at_the_boundary(templates):
    organization, subscription = pro_customer(at(2026, 11, 8, 15))
    with time_machine.travel(at(2026, 11, 20), tick=False):
        subscription_cancel(subscription=subscription)
        usage_reserve(organization=organization, characters=5_000)
    assert trigger("renewal_reminders", at(2026, 12, 1, 7)) == {"reminders": 0}  # not renewing
    assert trigger("subscription_renewals", at(2026, 12, 8, 15, 15)) == {"renewed": 0, "ended": 1}
    subscription.refresh_from_db()
    assert subscription.status == "canceled" and subscription.canceled_at == at(2026, 12, 8, 15)
    live = Subscription.objects.get(organization=organization, status="active")
    assert live.plan.code == "free" and live.current_period_end == at(2027, 1, 8, 15)
    assert not Invoice.objects.filter(organization=organization).exists()
    ended = sent("subscription_ended").get()
    assert ended.context["plan_name"] == "Pro" and ended.context["ended_on"] == "2026-12-08"
    assert "set to end" in ended.context["reason"]
    assert sent("subscription_cancelled").count() == 1  # the one when cancelling
    december = UsageRecord.objects.get(organization=organization, period_start="2026-12-01")
    assert december.characters_limit == 10_000
    assert trigger("subscription_renewals", at(2026, 12, 8, 16, 15)) == {"renewed": 0, "ended": 0}


def test_a_subscription_still_past_due_at_period_end_ends_naming_the_unpaid_invoice(templates):
    organization, subscription = pro_customer(at(2026, 11, 8, 15))
    trigger("subscription_renewals", at(2026, 12, 8, 15, 15))
    invoice = Invoice.objects.get(subscription=subscription)
    Subscription.objects.filter(pk=subscription.pk).update(status="past_due")
    assert trigger("subscription_renewals", at(2027, 1, 8, 15, 15)) == {"renewed": 0, "ended": 1}
    assert invoice.number in sent("subscription_ended").get().context["reason"]
    assert Subscription.objects.get(organization=organization, status="active").plan.code == "free"


def test_a_job_that_was_down_catches_up_period_by_period_each_invoiced(templates):
    _, subscription = pro_customer(at(2026, 9, 8, 15))
    assert trigger("subscription_renewals", at(2026, 12, 9, 0, 15)) == {"renewed": 3, "ended": 0}
    periods = Invoice.objects.filter(subscription=subscription).order_by("period_start")
    assert [i.period_start.month for i in periods] == [10, 11, 12]
    subscription.refresh_from_db()
    assert subscription.current_period_end == at(2027, 1, 8, 15)


def test_free_subscriptions_renew_without_an_invoice_or_a_reminder(templates):
    with time_machine.travel(at(2026, 11, 8, 15), tick=False):
        organization = make_organization(plan=make_plan("free", 10_000))
    assert trigger("renewal_reminders", at(2026, 12, 1, 7)) == {"reminders": 0}
    assert trigger("subscription_renewals", at(2026, 12, 8, 15, 15)) == {"renewed": 1, "ended": 0}
    assert not Invoice.objects.filter(organization=organization).exists()


def test_periods_anchored_on_the_31st_do_not_drift():
    end = period_end_after(start=at(2027, 1, 31, 9), anchor_day=31)
    assert end == at(2027, 2, 28, 9)
    assert period_end_after(start=end, anchor_day=31) == at(2027, 3, 31, 9)
    assert period_end_after(start=at(2027, 12, 15), anchor_day=15) == at(2028, 1, 15)
