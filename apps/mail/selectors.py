"""Read-only questions about the mail app's data: active versions, preferences, delivery stats."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q

from .exceptions import TemplateNotFoundError
from .models import (
    ESSENTIAL_CATEGORIES,
    OPT_IN_CATEGORIES,
    Category,
    EmailPreference,
    EmailTemplateVersion,
    OutboundEmail,
    Suppression,
)

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


def template_active_version(*, key: str) -> EmailTemplateVersion:
    version = (
        EmailTemplateVersion.objects.filter(
            template__key=key, template__active_version__isnull=False
        )
        .filter(pk=F("template__active_version"))
        .select_related("template")
        .first()
    )
    if version is None:
        raise TemplateNotFoundError(
            f"No active email template {key!r}; run `manage.py sync_email_templates` or create "
            "it in the console."
        )
    return version


def versions_for(*, template_keys) -> dict[str, EmailTemplateVersion]:
    """The active version of each template key (one query); keys without one are left out."""
    if not template_keys:
        return {}
    versions = EmailTemplateVersion.objects.filter(
        template__key__in=template_keys, pk=F("template__active_version")
    ).select_related("template")
    return {version.template.key: version for version in versions}


def suppressed_among(*, addresses) -> set[str]:
    """The addresses (lower case, as stored) that are on the suppression list."""
    return set(
        Suppression.objects.filter(address__in=set(addresses)).values_list("address", flat=True)
    )


def preferences_for_many(*, addresses) -> dict[str, dict[str, bool]]:
    """`preferences_for` of each address (lower case, as stored), in one query."""
    chosen: dict[str, dict[str, bool]] = {}
    rows = EmailPreference.objects.filter(address__in=set(addresses)).values_list(
        "address", "category", "subscribed"
    )
    for address, category, subscribed in rows:
        chosen.setdefault(address, {})[category] = subscribed
    return {address: _preferences(chosen.get(address, {})) for address in addresses}


def _preferences(chosen: dict[str, bool]) -> dict[str, bool]:
    default = {c: c not in OPT_IN_CATEGORIES for c in Category.values}
    return {c: c in ESSENTIAL_CATEGORIES or chosen.get(c, default[c]) for c in Category.values}


def preferences_for(*, address: str) -> dict[str, bool]:
    """Each category and whether the address receives it.

    Transactional mail always goes out; opt-in categories (the digest) only after a yes;
    the others until the address says no.
    """
    chosen = dict(
        EmailPreference.objects.filter(address__iexact=address).values_list(
            "category", "subscribed"
        )
    )
    return _preferences(chosen)


def emails_unknown(*, since: dt.datetime | None = None):
    """Emails whose delivery was interrupted mid-send, newest first (for alerts and the console).

    Each needs an operator: resend it, or mark it sent.
    """
    emails = OutboundEmail.objects.filter(status=OutboundEmail.Status.UNKNOWN)
    if since is not None:
        emails = emails.filter(updated_at__gte=since)
    return emails.order_by("-updated_at").only("pk", "to", "template_key", "updated_at")


def emails_failed(*, since: dt.datetime | None = None):
    """Emails that gave up for good (no retry left, or a permanent error), newest first."""
    emails = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED)
    if since is not None:
        emails = emails.filter(updated_at__gte=since)
    return emails.order_by("-updated_at").only(
        "pk", "to", "template_key", "last_error", "updated_at"
    )


def languages_of(*, user_ids, addresses) -> tuple[dict[int, str], dict[str, str]]:
    """The language each user chose, by user id and by address (one query for a chunk)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        Q(pk__in={pk for pk in user_ids if pk}) | Q(email__in=set(addresses))
    )
    by_user, by_address = {}, {}
    for pk, email, language in users.values_list("pk", "email", "language"):
        by_user[pk] = by_address[email.lower()] = language
    return by_user, by_address
