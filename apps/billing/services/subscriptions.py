"""Subscriptions: start, cancel (now or at period end)."""

import calendar
import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Organization

from ..models import Plan, Subscription, UsageRecord
from .notify import day, money, owner_email


def add_month(moment: dt.datetime) -> dt.datetime:
    """The same day and time one calendar month later (the 31st becomes the month's last day)."""
    return add_months(moment, 1)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months later, clamped to the month's last day."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    return moment.replace(
        year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
    )


@transaction.atomic
def subscription_start(
    *, organization: Organization, plan: Plan, start: dt.datetime | None = None
) -> Subscription:
    """Put an organization on a plan, replacing any live subscription, for one month."""
    start = start or timezone.now()
    live = Subscription.objects.select_for_update().filter(organization=organization)
    live.exclude(status=Subscription.Status.CANCELED).update(
        status=Subscription.Status.CANCELED, canceled_at=start
    )
    subscription = Subscription.objects.create(
        organization=organization,
        plan=plan,
        status=Subscription.Status.ACTIVE,
        current_period_start=start,
        current_period_end=add_month(start),
        anchor_day=start.day,
    )
    UsageRecord.objects.filter(
        organization=organization, period_start=UsageRecord.month_of(start)
    ).update(characters_limit=plan.monthly_characters)
    owner_email(
        organization=organization,
        template_key="subscription_confirmed",
        dedupe_key=f"subscription_confirmed:{subscription.pk}",
        plan_name=plan.name,
        price=money(plan.price, plan.currency),
        monthly_characters=plan.monthly_characters,
        period_end=day(subscription.current_period_end),
    )
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, at_period_end: bool = True) -> Subscription:
    """Cancel now, or let the subscription run to the end of the period it was paid for."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == Subscription.Status.CANCELED:
        return subscription
    if at_period_end:
        subscription.cancel_at_period_end = True
    else:
        subscription.status = Subscription.Status.CANCELED
        subscription.canceled_at = timezone.now()
    subscription.save(update_fields=["cancel_at_period_end", "status", "canceled_at"])
    ends = subscription.current_period_end if at_period_end else subscription.canceled_at
    owner_email(
        organization=subscription.organization,
        template_key="subscription_cancelled",
        dedupe_key=f"subscription_cancelled:{subscription.pk}",
        plan_name=subscription.plan.name,
        access_until=day(ends),
    )
    return subscription
