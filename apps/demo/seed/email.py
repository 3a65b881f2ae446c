"""Demo email history: 90 days of outbox rows with their attempts and provider events
(delivered, opened, clicked, deferred, bounced, complained), the suppressions the bounces and
complaints left, preferences, and a second version of two templates (for the diff)."""

import datetime as dt
import random

from apps.accounts.models import Organization, User
from apps.mail.defaults import sync_email_templates
from apps.mail.models import (
    DeliveryAttempt,
    EmailEvent,
    EmailPreference,
    EmailTemplate,
    OutboundEmail,
    Suppression,
)
from apps.mail.secrets import MASK
from apps.mail.services import render_for, template_save

DAYS = 90
PROVIDER = "postmark"
# template key -> emails over the 90 days (roughly what three small customers produce)
VOLUME = {
    "welcome": 30,
    "email_verification": 45,
    "password_reset": 40,
    "invoice": 60,
    "quota_alert_80": 12,
    "quota_alert_100": 6,
    "subscription_confirmed": 8,
    "subscription_cancelled": 2,
    "renewal_reminder": 18,
    "usage_report": 9,
    "daily_digest": 400,
    "payment_failed": 4,
    "subscription_ended": 1,
}
SECRET_KEYS = {"password_reset": ["reset_url"], "email_verification": ["verify_url"]}
TRANSIENT = "421 4.7.0 Try again later, closing connection."
# Bounces and complaints come from addresses that are gone (a former employee, a typo), as in
# life: the demo's customers, their login among them, stay reachable and can be resent to.
GONE = ["former.analyst@globex.example", "intern2025@acme.example", "bob@initech.exmaple"]
BOUNCE_SHARE = 0.025
INTERRUPTED = "the consumer stopped while this email was being handed to the provider"
FATAL = "550 5.1.1 The email account that you tried to reach does not exist."


def email_seed(*, now: dt.datetime, organizations: list[Organization], staff: list[User]) -> int:
    """The outbox's history; nothing is added when the demo emails are already there."""
    if OutboundEmail.objects.filter(dedupe_key__startswith="demo:").exists():
        return 0
    if not EmailTemplate.objects.exists():
        sync_email_templates()
    _second_versions(staff)
    templates = {t.key: t for t in EmailTemplate.objects.select_related("active_version")}
    people = list(User.objects.filter(memberships__organization__in=organizations).distinct())
    rng = random.Random(5)
    emails = [
        _email(rng, templates[key], rng.choice(people), now, n)
        for key, count in VOLUME.items()
        if key in templates
        for n in range(count)
    ]
    _interrupted(emails)
    OutboundEmail.objects.bulk_create(emails, batch_size=500)
    _attempts_and_events(rng, emails)
    _preferences(people)
    return len(emails)


def _email(rng, template: EmailTemplate, user: User, now: dt.datetime, n: int) -> OutboundEmail:
    created = now - dt.timedelta(seconds=rng.randint(600, DAYS * 86_400))
    secrets = SECRET_KEYS.get(template.key, [])
    context = {**template.sample_context, **dict.fromkeys(secrets, MASK)}
    if "name" in context:
        context["name"] = user.full_name.split()[0]
    if "organization_name" in context:  # the recipient's own organization, not the sample's
        membership = user.memberships.select_related("organization").first()
        context["organization_name"] = membership.organization.name if membership else ""
    outcome = rng.random()
    status = "sent" if outcome < 0.965 else "failed" if outcome < 0.985 else "suppressed"
    to = user.email
    if status == "suppressed" or (status == "sent" and rng.random() < BOUNCE_SHARE):
        to, user = rng.choice(GONE), None  # it bounces, is complained about, or was suppressed
    version = template.active_version
    subject = render_for(version=version, address=to, context=context).subject
    return OutboundEmail(
        template_key=template.key,
        version=version,
        to=to,
        user=user,
        category=template.category,
        subject=subject,
        context=context,
        secret_keys=secrets,
        status=status,
        provider=PROVIDER if status == "sent" else "",
        message_id=f"<demo-{template.key}-{n}@pm.summasaas.example>" if status == "sent" else "",
        attempts={"sent": 1, "failed": 6, "suppressed": 0}[status],
        last_error=TRANSIENT if status == "failed" else "",
        dedupe_key=f"demo:{template.key}:{n}",
        created_at=created,
        next_attempt_at=created,
        sent_at=created + dt.timedelta(seconds=rng.randint(1, 40)) if status == "sent" else None,
    )


def _attempts_and_events(rng, emails: list[OutboundEmail]) -> None:
    attempts, events, bounced = [], [], []
    for email in emails:
        if email.status == "unknown":  # handed over, then nothing: the consumer died
            attempts.append(_attempt(email, "unknown", 0, INTERRUPTED))
        elif email.status == "failed":  # six refusals, the delay doubling from 30 s
            attempts += [
                _attempt(email, "retry" if k < 6 else "failed", 30 * 2**k, TRANSIENT)
                for k in range(6)
            ]
        elif email.status == "sent":
            if rng.random() < 0.03:  # a transient refusal first, then delivered
                attempts.append(_attempt(email, "retry", 0, TRANSIENT))
            attempts.append(_attempt(email, "sent", 30))
            events += _events(rng, email, bounced)
    DeliveryAttempt.objects.bulk_create(_renumbered(attempts), batch_size=500)
    EmailEvent.objects.bulk_create(events, batch_size=500)
    _suppressions(bounced)


def _attempt(email, outcome: str, delay: int, error: str = "") -> DeliveryAttempt:
    started = email.created_at + dt.timedelta(seconds=delay)
    return DeliveryAttempt(
        email=email,
        number=0,
        outcome=outcome,
        started_at=started,
        error=error,
        finished_at=started + dt.timedelta(milliseconds=420),
    )


def _renumbered(attempts: list[DeliveryAttempt]) -> list[DeliveryAttempt]:
    """Number each email's attempts 1, 2, ... in the order they were made."""
    seen: dict[int, int] = {}
    for attempt in attempts:
        seen[attempt.email_id] = seen.get(attempt.email_id, 0) + 1
        attempt.number = seen[attempt.email_id]
    return attempts


def _interrupted(emails: list[OutboundEmail]) -> None:
    """The latest sent email to a customer was interrupted mid-send (its consumer was killed):
    `unknown`, for an operator to settle (Retry or Mark sent) as they would in production."""
    sent = [e for e in emails if e.status == "sent" and e.to not in GONE]
    email = max(sent, key=lambda e: e.created_at, default=None)
    if email is not None:
        email.status, email.sent_at, email.message_id = "unknown", None, ""
        email.last_error = INTERRUPTED


def _events(rng, email: OutboundEmail, bounced: list) -> list[EmailEvent]:
    roll, at = rng.random(), email.sent_at
    if email.to in GONE:
        kinds = [("bounced", 30)] if roll < 0.8 else [("delivered", 5), ("complained", 7_200)]
    else:
        kinds = [("delivered", 5)]
        if rng.random() < 0.04:
            kinds.insert(0, ("deferred", 2))
        if rng.random() < (0.55 if email.category == "transactional" else 0.3):
            kinds.append(("opened", rng.randint(60, 86_400)))
            if rng.random() < 0.25:
                kinds.append(("clicked", rng.randint(86_400, 90_000)))
    events = []
    for kind, delay in kinds:
        event = EmailEvent(
            email=email,
            esp_name="Postmark",
            event_type=kind,
            message_id=email.message_id,
            recipient=email.to,
            occurred_at=at + dt.timedelta(seconds=delay),
            received_at=at + dt.timedelta(seconds=delay + 1),
            event_id=f"demo-{email.dedupe_key}-{kind}",
            fingerprint=f"demo:{email.dedupe_key}:{kind}",
            reject_reason={"bounced": "bounced", "complained": "spam"}.get(kind, ""),
            mta_response=FATAL if kind == "bounced" else "",
            click_url="https://summasaas.example/account/usage" if kind == "clicked" else "",
        )
        events.append(event)
        if kind in ("bounced", "complained"):
            bounced.append(event)
    return events


def _suppressions(events: list[EmailEvent]) -> None:
    """What the webhooks do with a hard bounce or a complaint: the address is never emailed."""
    for event in events:
        reason = "bounce" if event.event_type == "bounced" else "complaint"
        Suppression.objects.get_or_create(
            address=event.recipient,
            defaults={"reason": reason, "source_event": event, "created_at": event.received_at},
        )


def _preferences(people: list[User]) -> None:
    """Half the customers said yes to the daily digest; one turned the reports off."""
    for n, user in enumerate(people):
        EmailPreference.objects.get_or_create(
            address=user.email, category="digest", defaults={"user": user, "subscribed": n % 2 == 0}
        )
    if people:
        EmailPreference.objects.get_or_create(
            address=people[-1].email,
            category="reports",
            defaults={"user": people[-1], "subscribed": False},
        )


def _second_versions(staff: list[User]) -> None:
    """Two templates edited once by the template editor, so their history has a diff."""
    editor = next((u for u in staff if "templates" in u.email), None)
    edits = {
        "welcome": ("Welcome aboard", "Welcome to SummaSaaS"),
        "invoice": ("Payment received", "Payment received, thank you"),
    }
    for key, (old, new) in edits.items():
        template = EmailTemplate.objects.filter(key=key).first()
        if (
            template is None
            or template.versions.filter(language="en").count() > 1
            or (old not in template.mjml)
        ):
            continue
        shipped = template.mjml
        template.mjml = template.mjml.replace(old, new, 1)
        template_save(template=template, author=editor)
        # ...and put back: the history has its diff, and the template matches its shipped file
        # (sync_email_templates would otherwise report staff edits nobody made).
        template.mjml = shipped
        template_save(template=template, author=editor)
