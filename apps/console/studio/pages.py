"""The studio's own pages besides the editors: version diff, delivery by template."""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.mail.models import EmailTemplate, EmailTemplateVersion
from apps.mail.selectors import template_delivery_stats

from .diff import version_diff


class VersionDiffView(UnfoldModelAdminViewMixin, TemplateView):
    """Two versions of a template side by side, field by field."""

    title = _("Compare versions")
    permission_required = ("mail.view_emailtemplateversion",)
    template_name = "console/studio/version_diff.html"

    def get_context_data(self, **kwargs):
        new = get_object_or_404(
            EmailTemplateVersion.objects.select_related("template", "author"),
            pk=self.kwargs["object_id"],
        )
        versions = list(  # a version is compared within its own language's history
            new.template.versions.filter(language=new.language)
            .select_related("author")
            .order_by("-number")
        )
        old_id = self.request.GET.get("against")
        old = next((v for v in versions if str(v.pk) == old_id), None)
        if old is None:
            old = next((v for v in versions if v.number < new.number), new)
        diffs = version_diff(old=old, new=new)
        return super().get_context_data(
            **kwargs,
            new=new,
            old=old,
            versions=versions,
            diffs=diffs,
            changed=[d for d in diffs if d.changed],
            unchanged=[d for d in diffs if not d.changed],
            template=new.template,
        )


PERIODS = [(1, _("24 hours")), (7, _("7 days")), (30, _("30 days")), (90, _("90 days"))]


class DeliveryView(UnfoldModelAdminViewMixin, TemplateView):
    """Per template, the share of emails delivered, bounced, opened and clicked."""

    title = _("Delivery by template")
    permission_required = ("mail.view_outboundemail",)
    template_name = "console/studio/delivery.html"

    def get_context_data(self, **kwargs):
        days = self.request.GET.get("days", "7")
        days = int(days) if days in {str(d) for d, _label in PERIODS} else 7
        until = timezone.now()
        since = until - dt.timedelta(days=days)
        chosen = _day(self.request.GET.get("since")), _day(self.request.GET.get("until"))
        if chosen[0]:  # a chosen range of whole days (UTC), the end day included
            since, until, days = chosen[0], (chosen[1] or chosen[0]) + dt.timedelta(days=1), None
        template_key = self.request.GET.get("template") or None
        stats = template_delivery_stats(since=since, until=until, template_key=template_key)
        rows = [
            {
                "stats": s,
                "shares": [
                    (label, getattr(s, outcome), s.share(outcome), colour)
                    for outcome, label, colour in OUTCOME_COLUMNS
                ],
            }
            for s in stats
        ]
        return super().get_context_data(
            **kwargs,
            rows=rows,
            periods=PERIODS,
            days=days,
            since=since,
            until=until,
            last_day=until - dt.timedelta(days=1),
            template_key=template_key,
            columns=[label for _o, label, _c in OUTCOME_COLUMNS],
            template_keys=list(EmailTemplate.objects.values_list("key", flat=True)),
        )


def _day(value: str | None) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    if day == dt.date.max:  # a range ends the day after its last day: there is none
        return None
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


OUTCOME_COLUMNS = [
    ("delivered", _("Delivered"), "green"),
    ("bounced", _("Bounced"), "red"),
    ("opened", _("Opened"), "blue"),
    ("clicked", _("Clicked"), "primary"),
]
