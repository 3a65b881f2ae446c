"""Pages reached from links in emails: one-click unsubscribe and email preferences.

The signed token in the URL is the credential: it names the address (and category), so a
link cannot be turned against another address, and a bad or stale one shows a clear page.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .exceptions import TokenError
from .models import Category
from .tokens import (
    PREFERENCES_SALT,
    UNSUBSCRIBE_SALT,
    make_preferences_token,
    read_address_token,
)


def _invalid(request: HttpRequest, error: TokenError) -> HttpResponse:
    return render(request, "mail/link_invalid.html", {"reason": str(error)}, status=400)


# Mail clients POST here without a CSRF token (RFC 8058 one-click); the signature protects it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = read_address_token(token, salt=UNSUBSCRIBE_SALT)
    except TokenError as error:
        return _invalid(request, error)
    address, category = data["a"], data.get("c", "")
    if category not in Category.values:  # a category that no longer exists
        return _invalid(request, TokenError("This link is for emails we no longer send."))
    page = {
        "address": address,
        "category": Category(category).label,
        "preferences_token": make_preferences_token(address=address),
    }
    if request.method == "GET":
        return render(request, "mail/unsubscribe.html", page)
    services.preference_set(address=address, category=category, subscribed=False)
    return render(request, "mail/unsubscribe_done.html", page)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = read_address_token(token, salt=PREFERENCES_SALT)["a"]
    except TokenError as error:
        return _invalid(request, error)
    saved = request.method == "POST"
    if saved:
        for category in Category.values:
            services.preference_set(
                address=address, category=category, subscribed=category in request.POST
            )
    current = services.preferences_for(address=address)
    rows = [
        {
            "value": c.value,
            "label": c.label,
            "on": current[c.value],
            "locked": c.value == Category.TRANSACTIONAL,
        }
        for c in Category
    ]
    return render(
        request, "mail/preferences.html", {"address": address, "rows": rows, "saved": saved}
    )
