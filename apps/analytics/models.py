from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization


class InteractionLog(models.Model):
    """One API call: who, which mode, how many characters, how fast, and whether it worked."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="interaction_logs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    endpoint = models.CharField(max_length=80, blank=True, default="")
    status_code = models.PositiveSmallIntegerField(default=200)
    mode = models.CharField(max_length=20)
    input_characters = models.PositiveIntegerField(default=0)
    output_characters = models.PositiveIntegerField(default=0)
    response_ms = models.PositiveIntegerField()
    success = models.BooleanField(default=True)
    error_kind = models.CharField(max_length=50, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.mode} {self.response_ms} ms"


class Rollup(models.Model):
    """Figures for one organization and mode over one period."""

    period_start = models.DateTimeField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=20)
    count = models.PositiveIntegerField()
    success_count = models.PositiveIntegerField()
    p50_ms = models.PositiveIntegerField(help_text=_("median response time"))
    p95_ms = models.PositiveIntegerField(help_text=_("95th percentile response time"))
    input_characters = models.PositiveBigIntegerField()
    output_characters = models.PositiveBigIntegerField()

    class Meta:
        abstract = True
        ordering = ["-period_start", "organization", "mode"]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d %H:00} {self.organization_id} {self.mode}"

    @property
    def success_rate(self) -> float:
        return round(100 * self.success_count / self.count, 1) if self.count else 0.0


class HourlyRollup(Rollup):
    """Interaction figures per organization, mode and hour."""

    class Meta(Rollup.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "organization", "mode"], name="one_hourly_rollup"
            )
        ]


class DailyRollup(Rollup):
    """Interaction figures per organization, mode and day."""

    class Meta(Rollup.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "organization", "mode"], name="one_daily_rollup"
            )
        ]
