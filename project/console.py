"""Small callbacks that unfold's settings point at."""

from django.conf import settings


def environment_badge(request) -> list[str] | None:
    """Label the console so nobody mistakes a laptop for production."""
    if settings.DEBUG:
        return ["Development", "warning"]
    return None


def active_page(url_name: str, *, except_names: tuple[str, ...] = ()):
    """A sidebar item lit on its own pages, not on the pages of items nested under its URL
    (unfold lights every item whose link starts the current path)."""
    from django.urls import reverse

    def active(request) -> bool:
        path = request.path
        if not path.startswith(reverse(url_name)):
            return False
        return not any(path.startswith(reverse(name)) for name in except_names)

    return active


def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon: the console's."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("console/favicon.svg"))
