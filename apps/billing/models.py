import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization


class Plan(models.Model):
    """What a subscription buys: a monthly character allowance at a price."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    monthly_characters = models.PositiveBigIntegerField()
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["monthly_characters"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """An organization's plan and billing period."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trialing")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Canceled")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    anchor_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Day of the month periods end on (the 31st ends February on the 28th)."),
    )
    renewal_reminded_for = models.DateTimeField(
        null=True, blank=True, help_text=_("The period end the last renewal reminder was about.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "current_period_end"])]
        constraints = [
            # At most one live subscription per organization; canceled ones stay as history.
            models.UniqueConstraint(
                fields=["organization"],
                condition=~models.Q(status="canceled"),
                name="one_live_subscription_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} on {self.plan}"


class Invoice(models.Model):
    """A bill sent to an organization."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invoices"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    number = models.CharField(max_length=30, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["status", "issued_at"])]
        constraints = [
            # A renewal issues one invoice per subscription and period, however often it runs.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(period_start__isnull=False),
                name="one_invoice_per_subscription_period",
            )
        ]

    def __str__(self) -> str:
        return self.number


class UsageRecord(models.Model):
    """Characters an organization used in one calendar month (UTC), against its limit."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="usage_records"
    )
    period_start = models.DateField(help_text=_("First day of the month this record covers."))
    characters_used = models.PositiveBigIntegerField(default=0)
    characters_limit = models.PositiveBigIntegerField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_start"], name="one_usage_record_per_org_month"
            )
        ]
        indexes = [models.Index(fields=["period_start", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.organization} {self.period_start:%Y-%m}"

    @property
    def remaining(self) -> int:
        return max(self.characters_limit - self.characters_used, 0)

    @property
    def percent_used(self) -> float:
        if not self.characters_limit:
            return 100.0
        return round(100 * self.characters_used / self.characters_limit, 1)

    @staticmethod
    def month_of(moment: dt.datetime | dt.date) -> dt.date:
        return dt.date(moment.year, moment.month, 1)


class QuotaAlert(models.Model):
    """That an organization crossed a share of its monthly quota: one per org, month, threshold."""

    class Threshold(models.IntegerChoices):
        WARNING = 80, _("80 %")
        EXHAUSTED = 100, _("100 %")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="quota_alerts"
    )
    period_start = models.DateField()
    threshold = models.PositiveSmallIntegerField(choices=Threshold.choices)
    characters_used = models.PositiveBigIntegerField()
    characters_limit = models.PositiveBigIntegerField()
    emailed = models.BooleanField(
        default=True,
        help_text=_("False when a higher alert covered it (79 % -> 100 % emails only the 100 %)."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period_start", "threshold"],
                name="one_quota_alert_per_org_month_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.period_start:%Y-%m} {self.threshold} %"


class StripeEvent(models.Model):
    """A payment webhook from Stripe, kept once per event id: a replay finds it and does nothing."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="stripe_events"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(null=True, blank=True, help_text=_("When Stripe created it."))
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["-received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
