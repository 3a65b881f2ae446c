"""Template tags of the console's own pages."""

from django import template
from django.conf import settings
from django.utils.html import format_html
from unfold.paginator import InfinitePaginator

register = template.Library()


@register.simple_tag(takes_context=True)
def live_region(context, name: str) -> str:
    """Attributes that make an element refresh itself in place (see console/live.js)."""
    return format_html(
        'data-live-region="{name}" hx-get="{url}" hx-trigger="every {seconds}s [consoleLive()]" '
        'hx-select=\'[data-live-region="{name}"]\' hx-swap="outerHTML show:none" '
        'hx-disinherit="*"',  # its buttons and polls inside keep their own targets
        name=name,
        url=context["request"].get_full_path(),
        seconds=settings.CONSOLE_LIVE_SECONDS,
    )


@register.filter
def uncounted(changelist) -> bool:
    """Whether a change list never counts its rows (unfold's InfinitePaginator)."""
    return isinstance(getattr(changelist, "paginator", None), InfinitePaginator)


ONE_AT_A_TIME = {"mail.emailtemplate", "mail.emailtemplatetranslation", "mail.emaillayout"}


@register.filter
def add_another_fits(shown: bool, opts) -> bool:
    """Whether "Save and add another" belongs on this form (not on versioned email content)."""
    return bool(shown) and getattr(opts, "label_lower", "") not in ONE_AT_A_TIME


@register.inclusion_tag("console/live.html")
def live_controls() -> dict:
    """The switch that pauses and resumes the page's live updates."""
    return {"live_seconds": settings.CONSOLE_LIVE_SECONDS}
