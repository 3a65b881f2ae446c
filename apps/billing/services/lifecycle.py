"""The billing lifecycle at period end, and the reminder before it.

Each live subscription whose period has ended is either renewed (the period advances, a paid
plan's invoice is issued, this month's usage record follows the plan) or ended (cancelled at
period end, or still past due: cancelled, moved to Free, one email). Each subscription is
handled in its own transaction under a row lock, so a crash mid-way or a second run renews
nothing twice; the unique (subscription, period_start) invoice is the last line of defence.
"""

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Organization
from apps.mail.services import send_email_many

from ..models import Invoice, Plan, Subscription, UsageRecord
from .invoices import invoice_create
from .notify import day, money, owner_email, owner_recipient
from .subscriptions import add_months
from .usage import FREE_PLAN_CODE, usage_record_for_month

Status = Subscription.Status
LIVE = [Status.ACTIVE, Status.TRIALING, Status.PAST_DUE]


def period_end_after(*, start: dt.datetime, anchor_day: int) -> dt.datetime:
    """The end of a monthly period starting at `start`: next month on the anchor day, clamped
    to that month's length (anchored on the 31st: Jan 31 -> Feb 28 -> Mar 31, no drift)."""
    following = add_months(start.replace(day=1), 1)
    last = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(anchor_day, last))


def subscriptions_renew(
    *, now: dt.datetime | None = None, batch_size: int = 200, progress: Callable | None = None
) -> dict:
    """Renew or end every live subscription whose period ended by `now`.

    One period per pass: a subscription several periods behind (the job was down) is caught
    up period by period, each with its invoice. Returns how many were renewed and ended.
    """
    now = now or timezone.now()
    counts: Counter = Counter()
    due = Subscription.objects.filter(status__in=LIVE, current_period_end__lte=now)
    while ids := list(due.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        for subscription_id in ids:
            counts[subscription_period_close(subscription_id=subscription_id, now=now)] += 1
        if progress:
            progress(counts["renewed"] + counts["ended"])
    return {"renewed": counts["renewed"], "ended": counts["ended"]}


@transaction.atomic
def subscription_period_close(*, subscription_id: int, now: dt.datetime) -> str:
    """Close one ended period: 'renewed', 'ended', or 'skipped' (not, or no longer, due)."""
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "organization__owner")
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None or subscription.status not in LIVE:
        return "skipped"
    if subscription.current_period_end > now:
        return "skipped"
    if subscription.cancel_at_period_end or subscription.status == Status.PAST_DUE:
        _end(subscription, now)
        return "ended"
    _renew(subscription, now)
    return "renewed"


def _anchor(subscription: Subscription) -> int:
    return subscription.anchor_day or subscription.current_period_start.day


def _renew(subscription: Subscription, now: dt.datetime) -> None:
    start, plan = subscription.current_period_end, subscription.plan
    subscription.anchor_day = _anchor(subscription)
    subscription.current_period_start = start
    subscription.current_period_end = period_end_after(
        start=start, anchor_day=subscription.anchor_day
    )
    subscription.status = Status.ACTIVE  # a trial ends into a paid period
    subscription.save(
        update_fields=["anchor_day", "current_period_start", "current_period_end", "status"]
    )
    if plan.price > 0:
        invoice_create(
            organization=subscription.organization,
            amount=plan.price,
            currency=plan.currency,
            subscription=subscription,
            issued_at=start,
            period=(start, subscription.current_period_end),
        )
    _usage_month_follow(subscription.organization, now, plan.monthly_characters)


def _end(subscription: Subscription, now: dt.datetime) -> None:
    ended_on, plan = subscription.current_period_end, subscription.plan
    reason = _end_reason(subscription)
    subscription.status, subscription.canceled_at = Status.CANCELED, ended_on
    subscription.save(update_fields=["status", "canceled_at"])
    free = Plan.objects.filter(code=FREE_PLAN_CODE).first()
    if plan.code == FREE_PLAN_CODE or free is None:
        return  # nothing to move to: the organization falls back to Free by itself
    anchor = _anchor(subscription)
    Subscription.objects.create(
        organization=subscription.organization,
        plan=free,
        status=Status.ACTIVE,
        current_period_start=ended_on,
        current_period_end=period_end_after(start=ended_on, anchor_day=anchor),
        anchor_day=anchor,
    )
    _usage_month_follow(subscription.organization, now, free.monthly_characters)
    owner_email(
        organization=subscription.organization,
        template_key="subscription_ended",
        dedupe_key=f"subscription_ended:{subscription.pk}",
        plan_name=plan.name,
        ended_on=day(ended_on),
        reason=reason,
        cancelled=subscription.cancel_at_period_end,  # else unpaid: a translation's words
        free_characters=free.monthly_characters,
        upgrade_url=settings.UPGRADE_URL,
    )


def _end_reason(subscription: Subscription) -> str:
    if subscription.cancel_at_period_end:
        return "it was set to end with the billing period"
    unpaid = subscription.invoices.filter(status=Invoice.Status.OPEN).order_by("-issued_at").first()
    if unpaid is None:
        return "its payment did not go through"
    return f"the payment for invoice {unpaid.number} did not go through"


def _usage_month_follow(organization: Organization, now: dt.datetime, limit: int) -> None:
    """Open this month's usage record if needed, at the plan's allowance from now on."""
    record = usage_record_for_month(organization=organization, month=now)
    UsageRecord.objects.filter(pk=record.pk, closed_at__isnull=True).exclude(
        characters_limit=limit
    ).update(characters_limit=limit, updated_at=now)


def renewal_reminders_send(*, day_start: dt.date, days_ahead: int = 7) -> dict:
    """Remind owners of paid subscriptions renewing within `days_ahead` days, once per renewal.

    Every renewal gets its reminder (the period end it was about is kept on the subscription),
    and a day the job did not run is caught up on the next.
    """
    start = dt.datetime.combine(day_start, dt.time(), tzinfo=dt.UTC)
    due = Subscription.objects.filter(
        status__in=[Status.ACTIVE, Status.TRIALING],
        cancel_at_period_end=False,
        plan__price__gt=0,
        current_period_end__gte=start,
        current_period_end__lt=start + dt.timedelta(days=days_ahead + 1),
    ).exclude(renewal_reminded_for=F("current_period_end"))
    sent, last = 0, 0
    while ids := list(due.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:500]):
        with transaction.atomic():  # one bulk enqueue per batch (mail sends them in batches)
            recipients = [r for pk in ids if (r := _renewal_reminder(subscription_id=pk))]
            sent += send_email_many(template_key="renewal_reminder", recipients=recipients)
        last = ids[-1]
    return {"reminders": sent}


@transaction.atomic
def renewal_reminder_send(*, subscription_id: int) -> bool:
    """Email the owner about the coming renewal unless already reminded for it."""
    recipient = _renewal_reminder(subscription_id=subscription_id)
    if recipient is not None:
        send_email_many(template_key="renewal_reminder", recipients=[recipient])
    return recipient is not None


def _renewal_reminder(*, subscription_id: int) -> dict | None:
    """Mark the subscription reminded for its coming renewal; the owner to email, or None."""
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan", "organization__owner")
        .get(pk=subscription_id)
    )
    renews = subscription.current_period_end
    Subscription.objects.filter(pk=subscription.pk).update(renewal_reminded_for=renews)
    if subscription.renewal_reminded_for == renews:
        return None
    return owner_recipient(
        organization=subscription.organization,
        dedupe_key=f"renewal_reminder:{subscription.pk}:{renews:%Y-%m-%d}",
        plan_name=subscription.plan.name,
        renews_on=day(renews),
        amount=money(subscription.plan.price, subscription.plan.currency),
        manage_url=settings.UPGRADE_URL,
    )
