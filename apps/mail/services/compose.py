"""Deciding and composing one claimed email: suppression, template version and language,
preferences, secrets, render and the message itself (sending is the delivery loop's)."""

from dataclasses import dataclass

from ..exceptions import PermanentDeliveryError
from ..models import ESSENTIAL_CATEGORIES, DeliveryAttempt, OutboundEmail
from ..secrets import SecretsUnreadableError, unseal
from ..selectors import languages_of, preferences_for_many, suppressed_among, versions_for
from .personalize import localized, render_for, supported_language
from .transport import Transport, build_message

Status = OutboundEmail.Status
Outcome = DeliveryAttempt.Outcome


class Stop(Exception):
    """Delivery ends without sending, for a reason that is not an error."""

    def __init__(self, status: str, outcome: str, reason: str):
        self.status, self.outcome, self.reason = status, outcome, reason
        super().__init__(reason)


@dataclass
class Chunk:
    """What one chunk of claimed rows reads once for all of them."""

    suppressed: set[str]
    preferences: dict[str, dict[str, bool]]
    versions: dict
    languages: tuple[dict[int, str], dict[str, str]]  # chosen language by user id, by address
    translations: dict  # (template id, language) -> active translated version, per batch

    def language(self, email: OutboundEmail) -> str:
        by_user, by_address = self.languages
        return supported_language(by_user.get(email.user_id) or by_address.get(email.to))


def chunk_read(rows: list[OutboundEmail], *, versions: dict, translations: dict) -> Chunk:
    """Read what the rows' decisions need, once: suppressions, preferences, languages and
    the active versions not read yet in this batch."""
    addresses = [row.to for row in rows]
    first = [row for row in rows if not row.version_id]  # version and language chosen now
    versions.update(versions_for(template_keys={r.template_key for r in first} - versions.keys()))
    return Chunk(
        suppressed=suppressed_among(addresses=addresses),
        preferences=preferences_for_many(addresses=addresses),
        versions=versions,
        languages=_languages(first),
        translations=translations,
    )


def message_for(email: OutboundEmail, chunk: Chunk, transport: Transport):
    """The message to send for one claimed row, its fields set (version, language, subject);
    `Stop` or `PermanentDeliveryError` when it is not to be sent."""
    if email.to in chunk.suppressed:
        raise Stop(Status.SUPPRESSED, Outcome.SUPPRESSED, f"{email.to} is on the suppression list")
    version = email.version or chunk.versions.get(email.template_key)
    if version is None:
        raise PermanentDeliveryError(
            f"No active email template {email.template_key!r}; run "
            "`manage.py sync_email_templates` or create it in the console."
        )
    if email.version is None:  # first delivery: the recipient's language, else the default
        version = localized(
            version=version, language=chunk.language(email), cache=chunk.translations
        )
    email.version, email.category, email.language = version, version.category, version.language
    if _unsubscribed(chunk.preferences.get(email.to, {}), version.category):
        reason = f"{email.to} unsubscribed from {version.category} emails"
        raise Stop(Status.SKIPPED, Outcome.SKIPPED, reason)
    context = {**email.context, **_secret_values(email)}
    rendered = render_for(version=version, address=email.to, context=context)
    email.subject = rendered.subject[:255]
    email.provider = transport.provider
    return build_message(
        email=email, rendered=rendered, category=version.category, anymail=transport.is_anymail
    )


def _languages(rows) -> tuple[dict[int, str], dict[str, str]]:
    if not rows:
        return {}, {}
    return languages_of(user_ids=[r.user_id for r in rows], addresses=[r.to for r in rows])


def _secret_values(email: OutboundEmail) -> dict[str, str]:
    if email.secret_keys and not email.sealed_secrets:
        raise PermanentDeliveryError(
            "its one-time link expired before it could be sent: the user must ask for a new one"
        )
    try:
        return unseal(email.sealed_secrets)
    except SecretsUnreadableError as error:
        raise PermanentDeliveryError(str(error)) from error


def _unsubscribed(preferences: dict[str, bool], category: str) -> bool:
    return category not in ESSENTIAL_CATEGORIES and preferences.get(category) is False
