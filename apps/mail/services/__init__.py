"""The mail app's actions, one module per concern; other apps import them from here.

Other apps call `send_email` (inside their transaction: the row commits with their data and
delivery is enqueued on commit) and nothing else; the jobs engine schedules `outbox_sweep`.
"""

from ..selectors import preferences_for, template_active_version
from .bulk import send_email_many
from .delivery import email_deliver, emails_deliver
from .events import suppression_add, suppression_remove, tracking_event_record
from .interrupted import email_mark_sent, emails_interrupted, emails_stale_sending_settle
from .outbox import (
    email_resend,
    email_retry,
    outbox_sweep,
    plain_data,
    secrets_expire,
    send_email,
    send_test_email,
)
from .personalize import (
    default_language,
    localized,
    recipient_language,
    render_for,
    render_for_preview,
    system_context,
    unsubscribe_url,
)
from .preferences import preference_set
from .redaction import context_as_stored, email_as_sent
from .retries import is_last_try
from .templates import (
    layout_default,
    layout_save,
    template_preview,
    template_save,
    template_source,
    template_validate,
    template_version_restore,
    translation_save,
    translations_missing,
)
from .transport import is_transient

__all__ = [
    "context_as_stored",
    "default_language",
    "email_as_sent",
    "email_deliver",
    "email_mark_sent",
    "email_resend",
    "email_retry",
    "emails_deliver",
    "emails_interrupted",
    "emails_stale_sending_settle",
    "is_last_try",
    "is_transient",
    "layout_default",
    "layout_save",
    "localized",
    "outbox_sweep",
    "plain_data",
    "preference_set",
    "preferences_for",
    "recipient_language",
    "render_for",
    "render_for_preview",
    "secrets_expire",
    "send_email",
    "send_email_many",
    "send_test_email",
    "suppression_add",
    "suppression_remove",
    "system_context",
    "template_active_version",
    "template_preview",
    "template_save",
    "template_source",
    "template_validate",
    "template_version_restore",
    "tracking_event_record",
    "translation_save",
    "translations_missing",
    "unsubscribe_url",
]
