"""What the studio's admin pages share: badge colours, sandboxed frames, confirmation
dialogs, and the editors' live-preview URLs."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.enums import ActionVariant

from ...objects import ObjectUrlsMixin, admin_path
from ..preview import light, sandboxed

STATUS_COLOURS = {
    "queued": "info",
    "sending": "warning",
    "sent": "success",
    "failed": "danger",
    "suppressed": "danger",
    "skipped": "warning",
    "unknown": "danger",
    "bounced": "danger",
    "complained": "danger",
    "rejected": "danger",
}
PROBLEMS = ["bounced", "complained", "rejected"]  # events that undo a "sent"
CATEGORY_COLOURS = {"transactional": "info", "alerts": "warning", "reports": "success"}
REASON_COLOURS = {"bounce": "danger", "complaint": "danger", "unsubscribe": "warning"}
EVENT_TYPES = [
    "delivered",
    "opened",
    "clicked",
    "bounced",
    "deferred",
    "rejected",
    "failed",
    "complained",
    "unsubscribed",
    "queued",
    "sent",
    "unknown",
]
EVENT_COLOURS = {
    "delivered": "success",
    "opened": "info",
    "clicked": "info",
    "bounced": "danger",
    "rejected": "danger",
    "complained": "danger",
    "unsubscribed": "warning",
    "deferred": "warning",
}


def hx_redirect(url: str) -> HttpResponse:
    """Where a dialog action goes once done (unfold's dialogs post through htmx)."""
    return HttpResponse(headers={"HX-Redirect": url})


def hx_redirect_to(obj) -> HttpResponse:
    """A dialog action done: on to the object's own page."""
    opts = obj._meta
    return hx_redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))


def dialog_action(
    *,
    description,
    icon: str,
    permission: str,
    title,
    explanation,
    submit=None,
    form_class=None,
    variant: ActionVariant = ActionVariant.DEFAULT,
):
    """unfold's detail action that asks first: a dialog titled `title` says what will happen
    (`explanation`); its button reads `submit`, the action's own name unless given. The
    action runs (with the dialog's form) once the dialog is submitted."""
    dialog = {"title": title, "description": explanation, "form_submit_text": submit or description}
    if form_class is not None:
        dialog["form_class"] = form_class
    return action(
        description=description,
        icon=icon,
        permissions=[permission],
        variant=variant,
        dialog=dialog,
    )


def sandboxed_iframe(html: str, *, height: int = 640, title: str = "Email") -> str:
    """The email in an iframe that can run nothing and reach nothing (see preview.py)."""
    return format_html(
        '<iframe sandbox="" class="studio-frame" referrerpolicy="no-referrer" title="{}" '
        'style="height:{}px" srcdoc="{}"></iframe>',
        title,
        height,
        sandboxed(light(html)),
    )


class StudioAdmin(ObjectUrlsMixin, ModelAdmin):
    """unfold's ModelAdmin with the studio's stylesheet (timeline, diff, preview frames); its
    custom object URLs answer 404 to unknown ids."""

    class Media:
        css = {"all": ["console/studio.css"]}


class EditorAdmin(StudioAdmin):
    """A code editor beside a live preview: `preview_view` answers at preview/ (a new object)
    and <id>/preview/ (as edited), and the change form is told which of the two to post to."""

    change_form_template = "console/studio/template_change_form.html"
    preview_view = None  # a view taking (request, model_admin, object_id=None)

    def get_extra_urls(self):
        view, name = self.preview_view, self._preview_url_name()
        return [
            admin_path(self, "preview/", view, name, model_admin=self),
            admin_path(self, "<path:object_id>/preview/", view, f"{name}_object", model_admin=self),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        obj = kwargs.get("obj")
        name = self._preview_url_name()
        context.update(
            preview_url=reverse(f"admin:{name}_object", args=[obj.pk])
            if obj
            else reverse(f"admin:{name}")
        )
        return super().render_change_form(request, context, *args, **kwargs)

    def _preview_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_preview"
