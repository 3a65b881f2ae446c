"""The console's Content-Security-Policy: Django's own, with the console's two exceptions.

Django's `ContentSecurityPolicyMiddleware` sends `SECURE_CSP` on every response. The console
(`/admin/`) runs django-unfold, whose Alpine.js needs `'unsafe-eval'` and whose layout and the
studio's email previews need inline styles (project/components.py says why, directive by directive):
this middleware gives console responses `SECURE_CSP_CONSOLE` instead, the way Django's
`csp_override` decorator does for one view, so that no public page carries those exceptions.
"""

from django.conf import settings
from django.urls import reverse


class ConsolePolicyMiddleware:
    """Console responses carry the console's policy (must sit inside Django's CSP middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if self.prefix is None:  # the URLconf is loaded by now
            self.prefix = reverse("admin:index")
        if request.path.startswith(self.prefix) and not hasattr(response, "_csp_config"):
            response._csp_config = settings.SECURE_CSP_CONSOLE  # what csp_override sets
        return response
