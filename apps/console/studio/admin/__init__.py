"""The email studio in the console: these admins replace the mail app's basic ones.

Templates and layouts get a code editor and a live, sandboxed preview; versions a diff and a
restore; the outbox filters that stay fast at a million rows, the rendered email, a timeline of
its events and resend/retry. Every changing action checks its permission on the server.
"""

from django.contrib import admin

from apps.mail.models import (
    EmailEvent,
    EmailLayout,
    EmailTemplate,
    EmailTemplateVersion,
    OutboundEmail,
    Suppression,
)

for model in (EmailTemplate, EmailLayout, EmailTemplateVersion, OutboundEmail, EmailEvent,
              Suppression):  # fmt: skip
    if admin.site.is_registered(model):
        admin.site.unregister(model)

from . import sendlog, templates  # noqa: E402, F401  (they register the studio's admins)
