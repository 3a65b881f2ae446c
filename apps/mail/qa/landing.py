"""Where one of this site's links lands, asked the way its recipient asks it.

The link's path goes through the project's URLconf and every middleware (sessions, CSRF, the
security headers, authentication), as a GET from the recipient signed out and signed in, and
redirects are followed on this site. Nothing it does is kept, or even written: the signed-in
recipient is a user held in memory, the visits run in a transaction rolled back at the end in
case a view writes, and the handler is called directly, so no request signal fires (the
caller's own request and its database connection are left alone).
"""

import logging
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.base import BaseHandler
from django.db import transaction
from django.http.request import validate_host
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse

MAX_REDIRECTS = 5
STAFF, CUSTOMER = "staff", "customer"


@dataclass(frozen=True)
class Visit:
    """Where a GET ended: its status, the path, the route's name and namespaces."""

    status: int
    path: str
    route: str = ""
    staff_only: bool = False  # the route belongs to the staff console
    off_site: str = ""  # a redirect left the site, to this URL
    error: str = ""  # the view raised

    @property
    def signed_link(self) -> bool:
        return self.route in SIGNED_ROUTES

    @property
    def sign_in_page(self) -> bool:
        """Whether it ended on a sign-in page (the customers' or the console's)."""
        return self.status == 200 and self.path in (reverse("login"), reverse("admin:login"))


# Routes whose link carries a signature the view checks (the token is the credential).
SIGNED_ROUTES = {
    "mail:unsubscribe",
    "mail:preferences",
    "email_verify",
    "password_reset_confirm",
    "usage_report_download",
    "api_file",
}
# Of those, the ones the check makes itself for the recipient (system_context): a refusal is
# a real fault. Other signed links in sample data carry a stand-in token.
OWN_SIGNED_ROUTES = {"mail:unsubscribe", "mail:preferences"}


class _Quiet(logging.Filter):
    """Keeps django.request from logging the check's own 4xx answers as the site's."""

    active = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.active, "on", False)


_QUIET = _Quiet()
logging.getLogger("django.request").addFilter(_QUIET)


class _Handler(BaseHandler):
    """Django's request handling with every middleware, without the WSGI layer's signals."""

    def __init__(self):
        super().__init__()
        self.load_middleware()


_handler: _Handler | None = None


def _get_handler() -> _Handler:
    global _handler
    if _handler is None:
        _handler = _Handler()
    return _handler


def _host() -> str:
    site = urlsplit(settings.SITE_URL).netloc
    allowed = settings.ALLOWED_HOSTS
    if validate_host(site.split(":")[0], allowed):
        return site
    return next((h for h in allowed if h and "*" not in h and not h.startswith(".")), "testserver")


def _route(path: str) -> tuple[str, bool]:
    """The route's name, and whether it belongs to the staff console (its login included)."""
    staff_only = path.startswith(reverse("admin:index"))
    try:
        match = resolve(path)
    except Resolver404:
        return "", staff_only
    return match.view_name or "", staff_only or "admin" in match.namespaces


def _get(path: str, query: str, user) -> tuple[int, str, str]:
    """(status, Location, error) of one GET as `user` (None: signed out)."""
    request = RequestFactory().get(
        path,
        data=None,
        QUERY_STRING=query,
        HTTP_HOST=_host(),
        secure=settings.SITE_URL.startswith("https://"),
    )
    if user is not None:
        request._cached_user = user  # what AuthenticationMiddleware would read from a session
    _QUIET.active.on = True
    try:
        response = _get_handler().get_response(request)
    except Exception as error:  # a view that raises is a broken landing, not a broken check
        return 500, "", f"{type(error).__name__}: {error}"
    finally:
        _QUIET.active.on = False
    # Not response.close(): it sends request_finished, whose receiver closes the database
    # connection the caller (and this check's transaction) is using.
    return response.status_code, response.get("Location", ""), ""


def visit(url: str, user=None) -> Visit:
    """Follow `url` on this site as `user` (None: signed out) to where it ends."""
    parts = urlsplit(url)
    path, query = parts.path or "/", parts.query
    for _hop in range(MAX_REDIRECTS + 1):
        status, location, error = _get(path, query, user)
        route, staff_only = _route(path)
        if status not in (301, 302, 303, 307, 308) or not location:
            return Visit(status, path, route, staff_only, error=error)
        target = urlsplit(location)
        if target.netloc and target.netloc != _host():
            return Visit(status, path, route, staff_only, off_site=location)
        path, query = target.path or "/", target.query
    return Visit(310, path, error="too many redirects")


def _recipient(kind: str):
    """The signed-in recipient: a user held in memory only (a primary key no row has), so a
    check made from a read-only page writes nothing; lookups through it find nothing of
    anyone's, as for a brand-new customer."""
    User = get_user_model()
    user = User(pk=0, email=f"qa-{uuid.uuid4().hex}@example.invalid", is_active=True)
    user.set_unusable_password()
    user.is_staff = user.is_superuser = kind == STAFF
    user._state.adding = False
    return user


class _Rollback(Exception):
    pass


def visits(urls: list[str], *, recipient: str = CUSTOMER) -> dict[str, tuple[Visit, Visit]]:
    """Each URL visited signed out and signed in (as a `recipient`), nothing kept."""
    found: dict[str, tuple[Visit, Visit]] = {}
    try:
        with transaction.atomic():
            user = _recipient(recipient)
            for url in urls:
                found[url] = (visit(url), visit(url, user))
            raise _Rollback
    except _Rollback:
        pass
    return found
