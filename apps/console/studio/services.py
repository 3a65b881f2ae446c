"""The studio's actions: each checks the console's rule, calls the mail app and audits.

The mail app owns what a save, restore or resend means; this module adds who may do it, how
often, and the audit trail entry.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from apps.console.services import audit_record
from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateVersion, OutboundEmail
from apps.mail.services import (
    default_language,
    email_mark_sent,
    email_resend,
    email_retry,
    layout_save,
    localized,
    send_email,
    suppression_add,
    suppression_remove,
    template_active_version,
    template_save,
    template_version_restore,
    translation_save,
)


class SendRefusedError(ValueError):
    """A test send was refused: the address is not allowed or the hourly limit is reached."""


def _snapshot(version: EmailTemplateVersion | None) -> dict | None:
    if version is None:
        return None
    return {
        "version": version.number,
        "category": version.category,
        "subject": version.subject,
        "preheader": version.preheader,
        "variables": version.variables,
        "mjml": version.mjml,
    }


def _audited_save[T](
    *,
    actor,
    action: str,
    target,
    before: dict | None,
    save: Callable[[], T],
    after: Callable[[T], dict | None],
    note: Callable[[T], str] = lambda saved: "",
) -> T:
    """Run `save`, then record it in the audit trail: `before` was taken by the caller ahead
    of the save, `after` and `note` are read from what the save returned."""
    saved = save()
    audit_record(
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after(saved),
        note=note(saved),
    )
    return saved


def studio_template_save(*, actor, template: EmailTemplate) -> EmailTemplateVersion:
    """Save a template as a new active version and record the change."""
    previous = EmailTemplate.objects.filter(pk=template.pk).first() if template.pk else None
    return _audited_save(
        actor=actor,
        action="email_template.save",
        target=template,
        before=_snapshot(previous.active_version) if previous else None,
        save=lambda: template_save(template=template, author=actor),
        after=_snapshot,
    )


def studio_translation_save(*, actor, translation) -> EmailTemplateVersion:
    """Save a translation as a new active version in its language, and record it."""
    return _audited_save(
        actor=actor,
        action="email_template.translate",
        target=translation.template,
        before=_snapshot(translation.active_version) if translation.pk else None,
        save=lambda: translation_save(translation=translation, author=actor),
        after=lambda version: {**_snapshot(version), "language": version.language},
    )


def studio_version_restore(*, actor, version: EmailTemplateVersion) -> EmailTemplateVersion:
    """Restore an old version's content as a new version, and record it."""
    return _audited_save(
        actor=actor,
        action="email_template.restore",
        target=version.template,
        before=_snapshot(version.template.active_version),
        save=lambda: template_version_restore(version=version, author=actor),
        after=_snapshot,
        note=lambda restored: f"restored v{version.number} as v{restored.number}",
    )


def studio_layout_save(*, actor, layout: EmailLayout) -> list[EmailTemplateVersion]:
    """Save a layout, re-versioning the templates placed in it, and record it."""
    return _audited_save(
        actor=actor,
        action="email_layout.save",
        target=layout,
        before=EmailLayout.objects.filter(pk=layout.pk).values("name", "mjml").first(),
        save=lambda: layout_save(layout=layout, author=actor),
        after=lambda versions: {"name": layout.name, "mjml": layout.mjml},
        note=lambda versions: f"{len(versions)} template(s) re-versioned",
    )


# --- test sends ---------------------------------------------------------------------------


def test_recipients(*, user) -> list[str]:
    """Where this user may send tests: their own address, then the staff allow-list."""
    addresses = [user.email.lower()] if getattr(user, "email", "") else []
    for address in settings.MAIL_TEST_RECIPIENTS:
        if address.lower() not in addresses:
            addresses.append(address.lower())
    return addresses


def _rate_limit_take(*, user) -> None:
    limit = settings.MAIL_TEST_SENDS_PER_HOUR
    key = f"studio:test-sends:{user.pk}:{int(time.time() // 3600)}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > limit:
        raise SendRefusedError(
            f"You have sent {limit} test emails this hour, the limit; try again next hour."
        )


def test_languages(*, template: EmailTemplate | None) -> list[tuple[str, str]]:
    """The languages a test of this template can be sent in: its own, then each translation
    with an active version."""
    names = dict(settings.LANGUAGES)
    codes = [default_language()]
    if template is not None:
        translated = template.translations.filter(active_version__isnull=False)
        codes += sorted(translated.values_list("language", flat=True))
    return [(code, str(names.get(code, code))) for code in codes]


def _version_in(template: EmailTemplate, language: str) -> EmailTemplateVersion:
    version = template_active_version(key=template.key)
    if language in ("", default_language()):
        return version
    translated = localized(version=version, language=language)
    if translated.language != language:
        raise SendRefusedError(f"{template.key} has no active {language!r} translation to test.")
    return translated


def studio_test_send(
    *, actor, template: EmailTemplate, to: str, context: dict | None = None, language: str = ""
) -> OutboundEmail:
    """Send the template's active version (or its translation in `language`) as a test,
    logged in the outbox and the audit trail.

    Only to the actor's own address or the allow-list, and at most
    `MAIL_TEST_SENDS_PER_HOUR` per user per hour. `context` defaults to the sample data.
    """
    to = to.strip().lower()
    if to not in test_recipients(user=actor):
        raise SendRefusedError(
            f"{to} is not an allowed test recipient: use your own address or one in "
            "MAIL_TEST_RECIPIENTS."
        )
    version = _version_in(template, language)
    _rate_limit_take(user=actor)
    with transaction.atomic():
        email = send_email(
            template_key=template.key,
            to=to,
            context=version.sample_context if context is None else context,
            user_id=actor.pk,
            is_test=True,
        )
        # The version chosen, not the tester's own language: delivery sends a row's version.
        OutboundEmail.objects.filter(pk=email.pk).update(version=version)
        email.version = version
        audit_record(
            actor=actor,
            action="email.test_send",
            target=template,
            after={
                "to": to,
                "outbox_id": email.pk,
                "version": version.number,
                "language": version.language,
            },
        )
    return email


# --- the send log -------------------------------------------------------------------------


def studio_email_resend(*, actor, email: OutboundEmail) -> OutboundEmail:
    copy = email_resend(email=email)
    audit_record(
        actor=actor,
        action="email.resend",
        target=email,
        after={"outbox_id": copy.pk, "status": copy.status},
    )
    return copy


def _email_settle(actor, email: OutboundEmail, settle, action: str, status) -> bool:
    """An operator's retry or mark sent: `settle(email=...)` answers whether the email's status
    allowed it; only a change is audited, from the status (and error) it had to `status`."""
    before = {"status": email.status, "last_error": email.last_error}
    settled = settle(email=email)
    if settled:
        audit_record(
            actor=actor, action=action, target=email, before=before, after={"status": status}
        )
    return settled


def studio_email_retry(*, actor, email: OutboundEmail) -> bool:
    """Queue a failed or interrupted email for another attempt, audited."""
    return _email_settle(actor, email, email_retry, "email.retry", OutboundEmail.Status.QUEUED)


def studio_email_mark_sent(*, actor, email: OutboundEmail) -> bool:
    """An operator settles an interrupted (unknown) email as sent, audited."""
    return _email_settle(
        actor, email, email_mark_sent, "email.mark_sent", OutboundEmail.Status.SENT
    )


def studio_suppression_add(*, actor, address: str, note: str = ""):
    from apps.mail.models import Suppression

    suppression = suppression_add(address=address, reason=Suppression.Reason.MANUAL, note=note)
    audit_record(
        actor=actor,
        action="suppression.add",
        target=suppression,
        after={"address": suppression.address, "reason": suppression.reason, "note": note},
    )
    return suppression


def studio_suppression_remove(*, actor, suppression) -> bool:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="suppression.remove",
            target=suppression,
            before={"address": suppression.address, "reason": suppression.reason},
        )
        return suppression_remove(address=suppression.address)
