"""Old outbox rows of emails carrying one-time links: move the links out of sight.

Forward: for password-reset and verification emails written before secrets were kept apart,
the link in the context becomes `•••`; when the email is not yet delivered the link is kept
encrypted (so a retry still sends it), and the dedupe key is stored hashed like new ones.
Reverse: links still kept encrypted go back into the context in plain text; links of
delivered emails were not kept and stay `•••`, and dedupe keys stay hashed (a hash cannot be
undone; new rows after a rollback would simply not dedupe against these old ones).
"""

from django.db import migrations

from apps.mail.secrets import MASK, dedupe_digest, seal, unseal

# The only senders of secret links before this migration, and the context key of each.
SECRET_CONTEXT_KEYS = {"password_reset": "reset_url", "email_verification": "verify_url"}
DELIVERED = {"sent", "suppressed", "skipped"}


def hide_links(apps, schema_editor):
    OutboundEmail = apps.get_model("mail", "OutboundEmail")
    for template_key, name in SECRET_CONTEXT_KEYS.items():
        rows = OutboundEmail.objects.filter(template_key=template_key, secret_keys=[])
        for email in rows.iterator(chunk_size=500):
            value = email.context.get(name)
            if not isinstance(value, str) or value == MASK:
                continue
            email.context = {**email.context, name: MASK}
            email.secret_keys = [name]
            email.sealed_secrets = "" if email.status in DELIVERED else seal({name: value})
            if email.dedupe_key and not email.dedupe_key.startswith("sha256:"):
                email.dedupe_key = dedupe_digest(email.dedupe_key)
            email.save(update_fields=["context", "secret_keys", "sealed_secrets", "dedupe_key"])


def restore_links(apps, schema_editor):
    OutboundEmail = apps.get_model("mail", "OutboundEmail")
    rows = OutboundEmail.objects.filter(template_key__in=SECRET_CONTEXT_KEYS).exclude(
        sealed_secrets=""
    )
    for email in rows.iterator(chunk_size=500):
        email.context = {**email.context, **unseal(email.sealed_secrets)}
        email.secret_keys, email.sealed_secrets = [], ""
        email.save(update_fields=["context", "secret_keys", "sealed_secrets"])


class Migration(migrations.Migration):
    dependencies = [("mail", "0003_outbox_secrets")]

    operations = [migrations.RunPython(hide_links, restore_links)]
