"""The one way billing emails an organization's owner (through the mail outbox)."""

from decimal import Decimal

from apps.accounts.models import Organization
from apps.mail.services import send_email


def owner_email(
    *, organization: Organization, template_key: str, dedupe_key: str, **context: str
) -> None:
    """Queue an email to the owner in the caller's transaction; a dedupe key sends it once."""
    send_email(
        template_key=template_key,
        **owner_recipient(organization=organization, dedupe_key=dedupe_key, **context),
    )


def owner_recipient(*, organization: Organization, dedupe_key: str, **context: str) -> dict:
    """The owner as one recipient of `send_email_many` (or `send_email`'s arguments)."""
    owner = organization.owner
    return {
        "to": owner.email,
        "context": {
            "name": owner.get_short_name(),
            "organization_name": organization.name,
            **context,
        },
        "dedupe_key": dedupe_key,
        "user_id": owner.pk,
    }


# Plain data that the email shows in the recipient's language (apps/mail/localize.py).
def money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def day(moment) -> str:
    return moment.date().isoformat()
