import calendar
import datetime as dt
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Organization

from .exceptions import InvoiceStateError, NoPlanError
from .models import Invoice, Plan, Subscription, UsageRecord

FREE_PLAN_CODE = "free"


def add_month(moment: dt.datetime) -> dt.datetime:
    """The same day and time one calendar month later (the 31st becomes the month's last day)."""
    year, month = divmod(moment.month, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def organization_plan(*, organization: Organization) -> Plan:
    """The plan whose allowance applies now: the live subscription's, else Free."""
    subscription = (
        Subscription.objects.filter(organization=organization)
        .exclude(status=Subscription.Status.CANCELED)
        .select_related("plan")
        .first()
    )
    if subscription:
        return subscription.plan
    plan = Plan.objects.filter(code=FREE_PLAN_CODE).first()
    if plan is None:
        raise NoPlanError(
            f"{organization} has no live subscription and no '{FREE_PLAN_CODE}' plan exists; "
            "create the plans (manage.py seed_demo creates them)."
        )
    return plan


def usage_record_for_month(
    *, organization: Organization, month: dt.date | None = None
) -> UsageRecord:
    """The organization's record for a month (this month by default), created at zero if new."""
    period_start = UsageRecord.month_of(month or timezone.now())
    try:
        return UsageRecord.objects.get(organization=organization, period_start=period_start)
    except UsageRecord.DoesNotExist:
        limit = organization_plan(organization=organization).monthly_characters
    try:
        with transaction.atomic():
            return UsageRecord.objects.create(
                organization=organization, period_start=period_start, characters_limit=limit
            )
    except IntegrityError:  # another request created it between our read and our insert
        return UsageRecord.objects.get(organization=organization, period_start=period_start)


@transaction.atomic
def usage_record(*, organization: Organization, characters: int) -> UsageRecord:
    """Add characters to this month's usage, atomically.

    The increment is a single `UPDATE ... SET used = used + n`, so concurrent calls never lose
    an update. The returned record carries `previous_characters_used`, the value just before
    this call's increment (exact: the row stays locked by our transaction until commit).
    """
    if characters < 0:
        raise ValueError("characters must be zero or more")
    record = usage_record_for_month(organization=organization)
    UsageRecord.objects.filter(pk=record.pk).update(
        characters_used=F("characters_used") + characters, updated_at=timezone.now()
    )
    record.refresh_from_db()
    record.previous_characters_used = record.characters_used - characters
    return record


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
    )
    UsageRecord.objects.filter(
        organization=organization, period_start=UsageRecord.month_of(start)
    ).update(characters_limit=plan.monthly_characters)
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
    return subscription


def invoice_create(
    *,
    organization: Organization,
    amount: Decimal,
    currency: str = "USD",
    subscription: Subscription | None = None,
    issued_at: dt.datetime | None = None,
) -> Invoice:
    """Issue an open invoice with a fresh number."""
    issued_at = issued_at or timezone.now()
    return Invoice.objects.create(
        organization=organization,
        subscription=subscription,
        number=f"INV-{issued_at:%Y%m}-{secrets.token_hex(4).upper()}",
        amount=amount,
        currency=currency,
        status=Invoice.Status.OPEN,
        issued_at=issued_at,
        due_at=issued_at + dt.timedelta(days=14),
    )


@transaction.atomic
def invoice_mark_paid(*, invoice: Invoice, paid_at: dt.datetime | None = None) -> Invoice:
    """Record payment of an open invoice; paying a paid invoice again changes nothing."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == Invoice.Status.PAID:
        return invoice
    if invoice.status != Invoice.Status.OPEN:
        raise InvoiceStateError(
            f"Invoice {invoice.number} is {invoice.get_status_display().lower()}; "
            "only open invoices can be paid."
        )
    invoice.status = Invoice.Status.PAID
    invoice.paid_at = paid_at or timezone.now()
    invoice.save(update_fields=["status", "paid_at"])
    return invoice
