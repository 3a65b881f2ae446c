"""Read-only questions about the mail app's data, for the console."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import OutboundEmail

OUTCOMES = ("delivered", "bounced", "opened", "clicked", "complained")


@dataclass(frozen=True)
class TemplateDeliveryStats:
    """How one template's emails fared over a period: counts of distinct emails."""

    template_key: str
    total: int
    sent: int
    delivered: int
    bounced: int
    opened: int
    clicked: int
    complained: int

    def share(self, outcome: str) -> float:
        """Percentage of the sent emails with at least one event of this outcome."""
        return round(100 * getattr(self, outcome) / self.sent, 1) if self.sent else 0.0


def template_delivery_stats(
    *, since: dt.datetime, until: dt.datetime, template_key: str | None = None
) -> list[TemplateDeliveryStats]:
    """Per template, the emails created in [since, until) and how many reached each outcome.

    Test sends are left out. One grouped query; events are counted once per email.
    """
    emails = OutboundEmail.objects.filter(
        created_at__gte=since, created_at__lt=until, is_test=False
    )
    if template_key:
        emails = emails.filter(template_key=template_key)
    counts = {
        outcome: Count("pk", filter=Q(events__event_type=outcome), distinct=True)
        for outcome in OUTCOMES
    }
    rows = (
        emails.values("template_key")
        .annotate(
            total=Count("pk", distinct=True),
            sent=Count("pk", filter=Q(status=OutboundEmail.Status.SENT), distinct=True),
            **counts,
        )
        .order_by("template_key")
    )
    return [TemplateDeliveryStats(**row) for row in rows]
