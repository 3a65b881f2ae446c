"""The studio's preview endpoints: live preview of templates, translations and layouts (with
the email QA's checks), and the spam score the checks panel waits for."""

import logging
import re
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.mail.exceptions import Problem, TemplateInvalidError, folded
from apps.mail.models import (
    EmailLayout,
    EmailTemplate,
    EmailTemplateTranslation,
)
from apps.mail.qa.background import spam_request, spam_status
from apps.mail.qa.check import BACKGROUND, check_email
from apps.mail.qa.emails import email_from_rendered
from apps.mail.qa.tasks import spam_score_task
from apps.mail.services import default_language, layout_default, render_for, template_preview

from .checks import area_panel, panel
from .forms import parse_json, unix_newlines
from .preview import forced_dark, light, own_dark, sandboxed

logger = logging.getLogger(__name__)
PREVIEW_ADDRESS = "ada@example.com"
_SLUG = re.compile(r"[-\w]{1,50}", re.ASCII)
TEXT_FIELDS = ["key", "name", "category", "subject", "preheader", "mjml", "text_body"]


def _set_text_fields(obj, data, names) -> None:
    """The posted text fields on the (unsaved) object, with the newlines the editor saves."""
    for name in names:
        if name in data:
            setattr(obj, name, unix_newlines(data[name]))


def template_from_post(data, template: EmailTemplate) -> tuple[EmailTemplate, list[Problem]]:
    """The template as edited in the form (unsaved), and the problems found reading it."""
    problems: list[Problem] = []
    _set_text_fields(template, data, TEXT_FIELDS)
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


def preview_payload(template) -> dict:
    """Everything the preview pane shows, or the problems that stop it (a template or a
    translation, as edited)."""
    rendered = template_preview(template=template, address=PREVIEW_ADDRESS)
    layout = template.layout or layout_default()
    key = template.template.key if isinstance(template, EmailTemplateTranslation) else template.key
    language = getattr(template, "language", "") or default_language()
    return rendered_payload(
        rendered,
        key=key or "draft",
        category=template.category,
        language=language,
        sources=(layout.mjml, template.mjml),
    )


def rendered_payload(rendered, *, key: str, category: str, language: str, sources) -> dict:
    """The preview of one rendered email, with every QA check but the spam score, which a
    consumer computes while the panel waits (`spam_status_view`)."""
    email = email_from_rendered(
        rendered, key=key, language=language, category=category, sources=tuple(sources)
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
        "checks": _checks(email),
    }


def _checks(email) -> list[dict]:
    """The checks panel; a check that breaks on an odd email says so instead of the preview
    failing (and the error is logged with its traceback for us to fix)."""
    try:
        qa = check_email(email, spam_score=BACKGROUND)
        spam_url = reverse("admin:mail_emailtemplate_spam", args=[spam_request(email.cleaned())])
    except Exception as error:
        logger.exception("email QA failed on %s (%s)", email.key, email.language)
        summary = f"The checks could not run on this email: {type(error).__name__}"
        return [
            {"key": "qa", "title": "Checks", "status": "fail", "summary": summary, "findings": []}
        ]
    return panel(qa.areas, spam_url=spam_url)


def saved_payload(template) -> dict | None:
    """The saved, active version's preview (of a template or a translation): what a page that
    has rendered nothing shows while the edit has problems (after a refused save), so the
    status can say what is on screen."""
    version = template.active_version if template.pk else None
    if version is None:
        return None
    rendered = render_for(version=version, address=PREVIEW_ADDRESS, context=version.sample_context)
    payload = rendered_payload(
        rendered,
        key=version.template.key,
        category=version.category,
        language=version.language,
        sources=(version.layout_mjml, version.mjml),
    )
    return {**payload, "version": version.number}


_DIGEST = re.compile(r"[0-9a-f]{64}")


def spam_status_view(request: HttpRequest, model_admin, digest: str):
    """The spam score of a preview: pending (the first ask enqueues it), done, or gone."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if not _DIGEST.fullmatch(digest):
        raise Http404("No such preview.")
    state, result = spam_status(digest=digest, enqueue=spam_score_task)
    answer = {"state": state}
    if result is not None:
        answer["check"] = area_panel(result)
    return JsonResponse(answer)


def problem_dicts(problems: list[Problem]) -> list[dict]:
    """Causes first, each followed by the problems it causes (marked with `cause`)."""

    def one(p: Problem, cause: Problem | None = None) -> dict:
        where = [cause.line, cause.column] if cause else None
        return {
            "field": p.field,
            "line": p.line,
            "column": p.column,
            "message": p.message,
            "cause": where,
        }

    return [
        item
        for cause, consequences in folded(problems)
        for item in [one(cause), *(one(p, cause) for p in consequences)]
    ]


# --- the preview views: each answers a POST of its editor's form with JSON, saving nothing ---


def _numeric(object_id: str) -> int:
    """An id from the URL, or 404 (as Django's own admin views answer odd ids)."""
    if not (object_id.isascii() and object_id.isdigit()) or len(object_id) > 18:
        raise Http404("No such object.")
    return int(object_id)


def _edited_object(request: HttpRequest, model_admin, model, object_id: str | None):
    """The object the editor shows (a new one on an add page), for a viewer of the model;
    the caller applies the edits to it, and saves nothing."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if object_id:
        return get_object_or_404(model, pk=_numeric(object_id))
    return model()


def _saved_copy(obj):
    """The object as stored, apart from the copy being edited (None for a new one)."""
    return type(obj).objects.filter(pk=obj.pk).first() if obj.pk else None


def _refused(request: HttpRequest, problems: list[Problem], saved) -> JsonResponse:
    """The problems that stop the preview and, unless the page already shows a preview, the
    saved version's (`saved_payload`) to show meanwhile."""
    answer = {"ok": False, "problems": problem_dicts(problems), "fallback": None}
    if request.POST.get("rendered") != "1" and saved is not None:
        answer["fallback"] = saved_payload(saved)
    return JsonResponse(answer)


@require_POST
def template_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """Validate and render the edited template without saving it (JSON for the preview pane)."""
    template = _edited_object(request, model_admin, EmailTemplate, object_id)
    saved = _saved_copy(template)
    template, problems = template_from_post(request.POST, template)
    if not problems:
        try:
            return JsonResponse(preview_payload(template))
        except TemplateInvalidError as error:
            problems = error.problems
    return _refused(request, problems, saved)


TRANSLATION_FIELDS = ["language", "subject", "preheader", "mjml", "text_body"]


@require_POST
def translation_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """A translation as edited, in its template's layout with its sample data, beside the
    template's own (default-language) text: JSON for the preview pane, nothing saved."""
    translation = _edited_object(request, model_admin, EmailTemplateTranslation, object_id)
    saved = _saved_copy(translation)
    template_id = request.POST.get("template") or ""
    if template_id.isascii() and template_id.isdigit():
        translation.template = EmailTemplate.objects.filter(pk=template_id).first()
    if translation.template_id is None or translation.template is None:
        chosen = Problem("template", 1, 1, "choose the template this translates")
        return _refused(request, [chosen], saved=None)
    _set_text_fields(translation, request.POST, TRANSLATION_FIELDS)
    try:
        payload = preview_payload(translation)
    except TemplateInvalidError as error:
        return _refused(request, error.problems, saved)
    reference = saved_payload(translation.template)
    payload["reference"] = reference["html"]["light"] if reference else ""
    return JsonResponse(payload)


@require_POST
def layout_preview_view(request: HttpRequest, model_admin, object_id: str | None = None):
    """Render one template in the edited layout, without saving (JSON for the preview pane)."""
    layout = _edited_object(request, model_admin, EmailLayout, object_id)
    _set_text_fields(layout, request.POST, ("key", "name", "mjml"))
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
            Problem(
                "mjml" if p.field == "layout" else f"{template.key} {p.field}",
                p.line,
                p.column,
                p.message,
            )
            for p in error.problems
        ]
        return JsonResponse({"ok": False, "problems": problem_dicts(problems)})
