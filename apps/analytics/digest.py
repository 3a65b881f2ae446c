"""The daily digest: yesterday's requests and usage, to members who want the digest."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractHour
from django.urls import reverse

from apps.accounts.models import Membership
from apps.billing.models import UsageRecord
from apps.mail.services import send_email_many
from apps.summaries.models import SummarizationRequest

from .models import InteractionLog


def daily_digests_send(*, day: dt.date, batch_size: int = 200) -> dict:
    """Email each member of every organization active on `day` its figures (once per day)."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    requests = SummarizationRequest.objects.filter(
        created_at__gte=start, created_at__lt=start + dt.timedelta(days=1)
    )
    active = (
        requests.values("organization_id")
        .annotate(n=Count("id"), characters=Sum("input_characters"))
        .order_by("organization_id")
    )
    sent = last = 0
    while True:
        batch = list(active.filter(organization_id__gt=last)[:batch_size])
        if not batch:
            return {"digests": sent}
        recipients = [r for figures in batch for r in _digest_one(figures, requests, day)]
        # The digest is opt-in: the mail app leaves out the members who did not ask for it.
        sent += send_email_many(
            template_key="daily_digest", recipients=recipients, subscribed_only=True
        )
        last = batch[-1]["organization_id"]


def _digest_one(figures: dict, requests, day: dt.date) -> list[dict]:
    org_requests = requests.filter(organization_id=figures["organization_id"])
    record = UsageRecord.objects.filter(
        organization_id=figures["organization_id"], period_start=day.replace(day=1)
    ).first()
    # Plain data: the email shows dates and numbers in each recipient's language.
    context = {
        "date": day.isoformat(),
        "requests": figures["n"],
        "characters": figures["characters"] or 0,
        "remaining": record.remaining if record else None,
        **_highlights(org_requests),
        "api_calls": _api_calls(figures["organization_id"], day),
        "dashboard_url": settings.SITE_URL + reverse("account"),
    }
    recipients = []
    members = Membership.objects.filter(
        organization_id=figures["organization_id"], user__is_active=True
    ).select_related("user", "organization")
    for membership in members:
        user = membership.user
        recipients.append(
            dict(
                to=user.email,
                context={
                    **context,
                    "name": user.get_short_name(),
                    "organization_name": membership.organization.name,
                },
                dedupe_key=f"daily_digest:{user.pk}:{membership.organization_id}:{day:%Y-%m-%d}",
                user_id=user.pk,
            )
        )
    return recipients


def _api_calls(organization_id: int, day: dt.date) -> dict | None:
    """The day's API calls from the interaction log: how many, and the share that succeeded."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    calls = InteractionLog.objects.filter(
        organization_id=organization_id,
        created_at__gte=start,
        created_at__lt=start + dt.timedelta(days=1),
    ).aggregate(n=Count("id"), ok=Count("id", filter=Q(success=True)))
    if not calls["n"]:
        return None
    return {"calls": calls["n"], "succeeded": round(100 * calls["ok"] / calls["n"], 1)}


def _highlights(requests) -> dict:
    """The busiest hour (UTC) and the favourite mode of the day, or None for each."""
    labels = dict(SummarizationRequest.Mode.choices)
    busiest = (
        requests.annotate(hour=ExtractHour("created_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("-n", "hour")
        .first()
    )
    favourite = requests.values("mode").annotate(n=Count("id")).order_by("-n", "mode").first()
    hour = busiest["hour"] if busiest else 0
    return {
        "busiest_hour": busiest
        and {
            "start": f"{hour:02d}:00",
            "end": f"{(hour + 1) % 24:02d}:00",
            "summaries": busiest["n"],
        },
        "favourite_mode": favourite
        and {
            "mode": favourite["mode"],
            "name": str(labels.get(favourite["mode"], favourite["mode"])),
            "summaries": favourite["n"],
        },
    }
