"""What the email commands share: loading outbox rows by id, refusing unknown ids."""

from django.core.management.base import CommandError

from apps.mail.models import OutboundEmail


def outbox_rows(ids: list[str]) -> list[OutboundEmail]:
    if not all(i.isdigit() for i in ids):
        raise CommandError("Email ids are the outbox's numbers, e.g. 1234.")
    rows = {email.pk: email for email in OutboundEmail.objects.filter(pk__in=map(int, ids))}
    missing = [i for i in ids if int(i) not in rows]
    if missing:
        raise CommandError(f"No email {', '.join(missing)} in the outbox.")
    return [rows[int(i)] for i in ids]
