"""The studio's own pages: live preview, version diff, delivery by template."""

import datetime as dt
import re
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from apps.mail.exceptions import Problem, TemplateInvalidError, folded
from apps.mail.models import (
    EmailLayout,
    EmailTemplate,
    EmailTemplateTranslation,
    EmailTemplateVersion,
)
from apps.mail.selectors import template_delivery_stats
from apps.mail.services import render_for, system_context, template_preview

from .checks import run_checks
from .diff import version_diff
from .forms import parse_json, unix_newlines
from .preview import forced_dark, light, own_dark, sandboxed

PREVIEW_ADDRESS = "ada@example.com"
_SLUG = re.compile(r"[-\w]{1,50}", re.ASCII)
TEXT_FIELDS = ["key", "name", "category", "subject", "preheader", "mjml", "text_body"]


def template_from_post(data, template: EmailTemplate) -> tuple[EmailTemplate, list[Problem]]:
    """The template as edited in the form (unsaved), and the problems found reading it."""
    problems: list[Problem] = []
    for name in TEXT_FIELDS:
        if name in data:
            setattr(template, name, unix_newlines(data[name]))
    if data.get("layout"):
        layout_id = data["layout"]
        numeric = layout_id.isascii() and layout_id.isdigit()
        template.layout = EmailLayout.objects.filter(pk=layout_id).first() if numeric else None
    for name, kind in (("variables", list), ("sample_context", dict)):
        if name in data:
            try:
                setattr(template, name, parse_json(name, data[name], kind))
            except TemplateInvalidError as error:
                problems += error.problems
    return template, problems


def preview_payload(template: EmailTemplate) -> dict:
    """Everything the preview pane shows, or the problems that stop it."""
    rendered = template_preview(template=template, address=PREVIEW_ADDRESS)
    return rendered_payload(rendered, category=template.category)


def rendered_payload(rendered, *, category: str) -> dict:
    system = system_context(address=PREVIEW_ADDRESS, category=category)
    checks = run_checks(
        html=rendered.html, category=category, unsubscribe_url=system["unsubscribe_url"]
    )
    sender_name, sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return {
        "ok": True,
        "problems": [],
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "sender": sender_name or sender_address,
        "html": {
            "light": sandboxed(light(rendered.html)),
            "dark": sandboxed(own_dark(rendered.html)),
            "forced": sandboxed(forced_dark(rendered.html)),
        },
        "text": rendered.text,
        "size": len(rendered.html.encode()),
        "checks": [check.as_dict() for check in checks],
    }


def saved_payload(template) -> dict | None:
    """The saved, active version's preview (of a template or a translation): what a page that
    has rendered nothing shows while the edit has problems (after a refused save), so the
    status can say what is on screen."""
    version = template.active_version if template.pk else None
    if version is None:
        return None
    rendered = render_for(version=version, address=PREVIEW_ADDRESS,
                          context=version.sample_context)  # fmt: skip
    return {**rendered_payload(rendered, category=version.category), "version": version.number}


def problem_dicts(problems: list[Problem]) -> list[dict]:
    """Causes first, each followed by the problems it causes (marked with `cause`)."""

    def one(p: Problem, cause: Problem | None = None) -> dict:
        where = [cause.line, cause.column] if cause else None
        return {"field": p.field, "line": p.line, "column": p.column, "message": p.message,
                "cause": where}  # fmt: skip

    return [
        item
        for cause, consequences in folded(problems)
        for item in [one(cause), *(one(p, cause) for p in consequences)]
    ]


def _numeric(object_id: str) -> int:
    """An id from the URL, or 404 (as Django's own admin views answer odd ids)."""
    if not (object_id.isascii() and object_id.isdigit()) or len(object_id) > 18:
        raise Http404("No such object.")
    return int(object_id)


@require_POST
def template_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """Validate and render the edited template without saving it (JSON for the preview pane)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    template = EmailTemplate()
    if object_id:
        template = get_object_or_404(EmailTemplate, pk=_numeric(object_id))
    saved = EmailTemplate.objects.filter(pk=template.pk).first() if template.pk else None
    template, problems = template_from_post(request.POST, template)
    if not problems:
        try:
            return JsonResponse(preview_payload(template))
        except TemplateInvalidError as error:
            problems = error.problems
    answer = {"ok": False, "problems": problem_dicts(problems), "fallback": None}
    if request.POST.get("rendered") != "1" and saved is not None:
        answer["fallback"] = saved_payload(saved)
    return JsonResponse(answer)


TRANSLATION_FIELDS = ["language", "subject", "preheader", "mjml", "text_body"]


@require_POST
def translation_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """A translation as edited, in its template's layout with its sample data, beside the
    template's own (default-language) text: JSON for the preview pane, nothing saved."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    translation = EmailTemplateTranslation()
    if object_id:
        translation = get_object_or_404(EmailTemplateTranslation, pk=_numeric(object_id))
    saved = EmailTemplateTranslation.objects.filter(pk=translation.pk).first()
    template_id = request.POST.get("template") or ""
    if template_id.isascii() and template_id.isdigit():
        translation.template = EmailTemplate.objects.filter(pk=template_id).first()
    if translation.template_id is None or translation.template is None:
        return JsonResponse({"ok": False, "fallback": None, "problems": problem_dicts(
            [Problem("template", 1, 1, "choose the template this translates")])})  # fmt: skip
    for name in TRANSLATION_FIELDS:
        if name in request.POST:
            setattr(translation, name, unix_newlines(request.POST[name]))
    try:
        payload = preview_payload(translation)
    except TemplateInvalidError as error:
        answer = {"ok": False, "problems": problem_dicts(error.problems), "fallback": None}
        if request.POST.get("rendered") != "1" and saved is not None:
            answer["fallback"] = saved_payload(saved)
        return JsonResponse(answer)
    reference = saved_payload(translation.template)
    payload["reference"] = reference["html"]["light"] if reference else ""
    return JsonResponse(payload)


@require_POST
def layout_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """Render one template in the edited layout, without saving (JSON for the preview pane)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    layout = EmailLayout()
    if object_id:
        layout = get_object_or_404(EmailLayout, pk=_numeric(object_id))
    for name in ("key", "name", "mjml"):
        if name in request.POST:
            setattr(layout, name, unix_newlines(request.POST[name]))
    templates = EmailTemplate.objects.order_by("key")
    key = request.POST.get("preview_template") or ""
    template = templates.filter(key=key).first() if _SLUG.fullmatch(key) else None
    template = template or templates.first()
    if template is None:
        return JsonResponse({"ok": False, "problems": []})
    template.layout = layout
    try:
        return JsonResponse(preview_payload(template))
    except TemplateInvalidError as error:
        # The layout's own problems belong in its editor; a template's are named after it.
        problems = [
            Problem("mjml" if p.field == "layout" else f"{template.key} {p.field}",
                    p.line, p.column, p.message)
            for p in error.problems
        ]  # fmt: skip
        return JsonResponse({"ok": False, "problems": problem_dicts(problems)})


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
