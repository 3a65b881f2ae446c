"""Small callbacks that unfold's settings point at."""

from django.conf import settings


def environment_badge(request) -> list[str] | None:
    """Label the console so nobody mistakes a laptop for production."""
    if settings.DEBUG:
        return ["Development", "warning"]
    return None
