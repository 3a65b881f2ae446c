"""The email studio in the console: the admins of the mail app's models.

Templates and layouts get a code editor and a live, sandboxed preview; versions a diff and a
restore; the outbox filters that stay fast at a million rows, the rendered email, a timeline of
its events and resend/retry. Every changing action checks its permission on the server.
"""

# Importing them registers the admins.
from . import events, outbox, suppressions, templates, translations, versions  # noqa: F401
