import calendar
import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import Organization
from apps.mail.services import send_email

from .exceptions import InvoiceStateError, NoPlanError
from .models import Invoice, Plan, QuotaAlert, Subscription, UsageRecord

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
    for threshold in QuotaAlert.Threshold.values:
        if _crossed(record, threshold):
            quota_alert_raise(record=record, threshold=threshold)
    return record


def _crossed(record: UsageRecord, threshold: int) -> bool:
    line = threshold * record.characters_limit
    return record.previous_characters_used * 100 < line <= record.characters_used * 100


def quota_alert_raise(*, record: UsageRecord, threshold: int) -> QuotaAlert | None:
    """Record that a threshold was crossed and email the owner, once per org and month.

    Returns None when the alert already exists (it was sent before).
    """
    try:
        with transaction.atomic():
            alert = QuotaAlert.objects.create(
                organization=record.organization,
                period_start=record.period_start,
                threshold=threshold,
                characters_used=record.characters_used,
                characters_limit=record.characters_limit,
            )
    except IntegrityError:
        return None
    owner = record.organization.owner
    send_email(
        template_key=f"quota_alert_{threshold}",
        to=owner.email,
        context={
            "name": owner.get_short_name(),
            "organization_name": record.organization.name,
            "month": f"{record.period_start:%B %Y}",
            "used": f"{record.characters_used:,}",
            "limit": f"{record.characters_limit:,}",
            "remaining": f"{record.remaining:,}",
            "percent": f"{record.percent_used:g}",
            "upgrade_url": settings.UPGRADE_URL,
        },
        dedupe_key=f"quota_alert:{record.organization_id}:{record.period_start:%Y-%m}:{threshold}",
        user_id=owner.pk,
    )
    return alert


def _owner_email(organization: Organization, template_key: str, dedupe: str, **context) -> None:
    owner = organization.owner
    send_email(
        template_key=template_key,
        to=owner.email,
        context={"name": owner.get_short_name(), "organization_name": organization.name, **context},
        dedupe_key=dedupe,
        user_id=owner.pk,
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


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
    _owner_email(
        organization,
        "subscription_confirmed",
        f"subscription_confirmed:{subscription.pk}",
        plan_name=plan.name,
        price=_money(plan.price, plan.currency),
        monthly_characters=f"{plan.monthly_characters:,}",
        period_end=f"{subscription.current_period_end:%B %-d, %Y}",
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
    _owner_email(
        subscription.organization,
        "subscription_cancelled",
        f"subscription_cancelled:{subscription.pk}",
        plan_name=subscription.plan.name,
        access_until=f"{ends:%B %-d, %Y}",
    )
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
    _owner_email(
        invoice.organization,
        "invoice",
        f"invoice_paid:{invoice.pk}",
        invoice_number=invoice.number,
        amount=_money(invoice.amount, invoice.currency),
        issued_on=f"{invoice.issued_at:%B %-d, %Y}",
        paid_on=f"{invoice.paid_at:%B %-d, %Y}",
    )
    return invoice
