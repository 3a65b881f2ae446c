"""The time zone the console shows times in: each staff member's own (issue 19.11).

It is a per-staff setting (StaffSettings.time_zone), chosen on the schedules page, where the
browser's own zone is offered (read by the page's script: the server never guesses). Crontabs
stay in UTC; the console converts what it shows, so a daily 03:30 UTC job reads 04:30 in
Paris in winter and 05:30 in summer, and each page says which zone it uses. Unset: UTC.
The zone is kept in the session at sign-in and activated for each console request.
"""

import zoneinfo
from functools import cache

from django.utils import timezone

from .models import StaffSettings

SESSION_KEY = "console_time_zone"


@cache
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_of(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone named `name`, or None for a name that is no IANA zone."""
    if name not in zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


def staff_time_zone(request) -> str:
    """The zone this staff member chose ("" for none): kept in the session when they sign in
    (or pick one), read from their settings for a session older than that."""
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        return session[SESSION_KEY]
    return _chosen(request.user.pk)


def _chosen(user_id) -> str:
    chosen = StaffSettings.objects.filter(user_id=user_id).values_list("time_zone", flat=True)
    return chosen.first() or ""


def on_login(sender, request, user, **kwargs) -> None:
    """Django's user_logged_in: keep the staff member's zone in their new session."""
    if getattr(user, "is_staff", False) and getattr(request, "session", None) is not None:
        request.session[SESSION_KEY] = _chosen(user.pk)


def time_zone_activate(request) -> None:
    """Show times in the staff member's zone for the rest of this request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return
    zone = zone_of(staff_time_zone(request))
    if zone is not None:
        timezone.activate(zone)
