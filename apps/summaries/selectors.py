"""Reads of the summaries app that other apps' reports fold in."""

import datetime as dt

from django.db.models import Count, Sum

from .models import SummarizationRequest


def usage_by_mode(*, organization_ids: list[int], month: dt.date) -> dict[int, list[dict]]:
    """Each organization's requests and characters in `month` by mode, modes in code order:
    {"mode", "name" (its label), "requests", "characters"} (billing's `ModeFigures`)."""
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(
        (month + dt.timedelta(days=32)).replace(day=1), dt.time(), tzinfo=dt.UTC
    )
    rows = (
        SummarizationRequest.objects.filter(
            organization_id__in=organization_ids, created_at__gte=start, created_at__lt=end
        )
        .values("organization_id", "mode")
        .annotate(requests=Count("id"), characters=Sum("input_characters"))
        .order_by("organization_id", "mode")
    )
    labels = dict(SummarizationRequest.Mode.choices)
    figures: dict[int, list[dict]] = {}
    for row in rows:
        row["name"] = str(labels.get(row["mode"], row["mode"]))
        figures.setdefault(row["organization_id"], []).append(row)
    return figures
