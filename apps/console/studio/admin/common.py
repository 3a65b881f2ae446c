"""What the studio's admin pages share: badge colours, sandboxed frames, dialog redirects."""

from django.http import HttpResponse
from django.utils.html import format_html
from unfold.admin import ModelAdmin

from ...objects import ObjectUrlsMixin
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
EVENT_TYPES = ["delivered", "opened", "clicked", "bounced", "deferred", "rejected", "failed",
               "complained", "unsubscribed", "queued", "sent", "unknown"]  # fmt: skip
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
