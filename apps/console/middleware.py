"""Query strings the console can always answer."""

from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from .timezones import time_zone_activate


class AdminQueryMiddleware:
    """The console's requests: query strings it can always answer, in the staff member's zone.

    PostgreSQL refuses NUL in any text it is given, so `?job=%00` or `?q=a%00b` turned every
    list filter and search into a 500. No key or value of ours can contain one: remove them,
    and the filter or search then reads what is left (an empty value is no filter at all).
    Times are shown (and date filters read) in the staff member's time zone (timezones.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_admin_root()):
            return self.get_response(request)
        if _has_nul(request.GET):
            pairs = [
                (key.replace("\x00", ""), value.replace("\x00", ""))
                for key, values in request.GET.lists()
                for value in values
            ]
            request.GET = QueryDict(urlencode(pairs))
        time_zone_activate(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _has_nul(query: QueryDict) -> bool:
    return any("\x00" in key or "\x00" in "".join(values) for key, values in query.lists())


def _admin_root() -> str:
    return reverse("admin:index")
