"""The mail app's actions: versions, the outbox, delivery, events, suppressions, preferences.

Other apps call `send_email` (inside their transaction: the row commits with their data and
delivery is enqueued on commit) and nothing else; the jobs engine schedules `outbox_sweep`.
"""

import datetime as dt
import hashlib
import json
import logging
import smtplib
from functools import lru_cache, partial

from anymail.exceptions import AnymailAPIError, AnymailError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone
from requests import RequestException

from .exceptions import (
    ContextError,
    PermanentDeliveryError,
    Problem,
    TemplateInvalidError,
    TemplateNotFoundError,
    TransientDeliveryError,
)
from .models import (
    ESSENTIAL_CATEGORIES,
    OPT_IN_CATEGORIES,
    Category,
    DeliveryAttempt,
    EmailEvent,
    EmailLayout,
    EmailPreference,
    EmailTemplate,
    EmailTemplateVersion,
    OutboundEmail,
    Suppression,
)
from .rendering import Rendered, Source, compile_version, render
from .tokens import make_preferences_token, make_unsubscribe_token

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status
Outcome = DeliveryAttempt.Outcome


# --- templates and versions ----------------------------------------------------------------


def layout_default() -> EmailLayout:
    layout = EmailLayout.objects.filter(is_default=True).first()
    if layout is None:
        raise TemplateNotFoundError(
            "There is no default email layout; run `manage.py sync_email_templates`."
        )
    return layout


def template_source(*, template: EmailTemplate, layout: EmailLayout) -> Source:
    return Source(
        layout_mjml=layout.mjml,
        subject=template.subject,
        preheader=template.preheader,
        mjml=template.mjml,
        text_body=template.text_body,
        variables=template.variables,
        sample_context=template.sample_context,
    )


def template_validate(*, template: EmailTemplate) -> None:
    """Raise `TemplateInvalidError` (with lines and columns) unless the template compiles."""
    layout = template.layout or layout_default()
    compile_version(template_source(template=template, layout=layout))


@transaction.atomic
def template_save(*, template: EmailTemplate, author=None) -> EmailTemplateVersion:
    """Validate, save and activate a new immutable version; nothing is saved if invalid."""
    layout = template.layout or layout_default()
    source = template_source(template=template, layout=layout)
    compiled = compile_version(source)
    template.updated_by = author
    template.save()
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = EmailTemplateVersion.objects.create(
        template=template,
        number=number,
        category=template.category,
        layout_mjml=source.layout_mjml,
        subject=source.subject,
        preheader=source.preheader,
        mjml=source.mjml,
        variables=source.variables,
        sample_context=source.sample_context,
        compiled_html=compiled.html,
        text_body=compiled.text,
        author=author,
    )
    EmailTemplate.objects.filter(pk=template.pk).update(active_version=version)
    template.active_version = version
    return version


@transaction.atomic
def layout_save(*, layout: EmailLayout, author=None) -> list[EmailTemplateVersion]:
    """Save a layout and give every template placed in it a new version; all or nothing."""
    layout.updated_by = author
    layout.save()
    using = EmailTemplate.objects.filter(Q(layout=layout) | Q(layout__isnull=True))
    if not layout.is_default:
        using = using.filter(layout=layout)
    versions, problems = [], []
    for template in using:
        try:
            versions.append(template_save(template=template, author=author))
        except TemplateInvalidError as error:
            problems += [
                Problem(p.field, p.line, p.column, f"[{template.key}] {p.message}")
                for p in error.problems
            ]
    if problems:
        raise TemplateInvalidError(problems)
    return versions


def template_active_version(*, key: str) -> EmailTemplateVersion:
    version = (
        EmailTemplateVersion.objects.filter(
            template__key=key, template__active_version__isnull=False
        )
        .filter(pk=F("template__active_version"))
        .select_related("template")
        .first()
    )
    if version is None:
        raise TemplateNotFoundError(
            f"No active email template {key!r}; run `manage.py sync_email_templates` or create "
            "it in the console."
        )
    return version


# --- the outbox ----------------------------------------------------------------------------


def plain_data(value, path: str = "context"):
    """Check that a context holds only JSON-like plain data, and return it."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ContextError(f"{path} has a non-string key {key!r}.")
            plain_data(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            plain_data(item, f"{path}.{index}")
    elif not (value is None or isinstance(value, str | int | float | bool)):
        raise ContextError(
            f"{path} is a {type(value).__name__}; email contexts take plain data only "
            "(strings, numbers, booleans, lists, dicts): format it as a string first."
        )
    return value


def send_email(
    *,
    template_key: str,
    to: str,
    context: dict,
    dedupe_key: str | None = None,
    user_id: int | None = None,
    is_test: bool = False,
) -> OutboundEmail:
    """Queue an email in the caller's transaction and deliver it once that commits.

    A second call with the same `dedupe_key` returns the first row and sends nothing.
    """
    plain_data(context)
    try:
        validate_email(to)
    except ValidationError as error:
        raise ContextError(f"{to!r} is not an email address.") from error
    category = (
        EmailTemplate.objects.filter(key=template_key).values_list("category", flat=True).first()
    )
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                template_key=template_key,
                to=to.strip().lower(),
                context=json.loads(json.dumps(context)),
                dedupe_key=dedupe_key,
                user_id=user_id,
                is_test=is_test,
                category=category or "",
                **({} if category else _missing_template(template_key)),
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return OutboundEmail.objects.get(dedupe_key=dedupe_key)
    if email.status == Status.QUEUED:
        transaction.on_commit(partial(_enqueue, email.pk), robust=True)
    return email


def _missing_template(key: str) -> dict:
    # Logged and kept as a failed row rather than breaking the caller's flow (a signup, a
    # payment): the email cannot be rendered, and the console shows why.
    error = f"No email template {key!r}; run `manage.py sync_email_templates`."
    logger.error("not sending: %s", error)
    return {"status": Status.FAILED, "last_error": error}


def _enqueue(email_id: int) -> None:
    from .tasks import email_deliver_task

    email_deliver_task(email_id)


def outbox_sweep(*, older_than_seconds: int = 120) -> int:
    """Re-enqueue rows still `queued` well after they were due (e.g. the broker was down)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stuck = list(
        OutboundEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for email_id in stuck:
        # Pushed forward so the next sweep does not enqueue it again while this one waits.
        OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED).update(
            next_attempt_at=timezone.now()
        )
        _enqueue(email_id)
    if stuck:
        logger.info("outbox sweep re-enqueued %d email(s)", len(stuck))
    return len(stuck)


# --- delivery ------------------------------------------------------------------------------


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling each time."""
    return settings.MAIL_RETRY_DELAY * 2 ** (attempt - 1)


def email_deliver(*, email_id: int) -> OutboundEmail:
    """Send one outbox row if it is still queued; raise `TransientDeliveryError` to retry.

    The row is claimed with a conditional UPDATE (queued -> sending), so two workers running
    this for one row at once send it once: the loser's UPDATE matches nothing.
    """
    started = timezone.now()
    claimed = OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, updated_at=started
    )
    email = OutboundEmail.objects.get(pk=email_id)
    if not claimed:
        logger.info("email %s is %s; not sending it again", email_id, email.status)
        return email
    try:
        _deliver_claimed(email)
    except TransientDeliveryError as error:
        if email.attempts < settings.MAIL_MAX_ATTEMPTS:
            delay = retry_delay(email.attempts)
            _finish(email, started, Status.QUEUED, Outcome.RETRY, str(error),
                    next_attempt_at=timezone.now() + dt.timedelta(seconds=delay))  # fmt: skip
            raise
        _finish(email, started, Status.FAILED, Outcome.FAILED,
                f"gave up after {email.attempts} attempts: {error}")  # fmt: skip
    except PermanentDeliveryError as error:
        _finish(email, started, Status.FAILED, Outcome.FAILED, str(error))
    except _Stop as stop:
        _finish(email, started, stop.status, stop.outcome, stop.reason)
    except Exception as error:
        # A bug, not the provider: record it on the row instead of leaving it `sending`.
        logger.exception("email %s failed unexpectedly", email.pk)
        _finish(email, started, Status.FAILED, Outcome.FAILED, f"{type(error).__name__}: {error}")
    else:
        _finish(email, started, Status.SENT, Outcome.SENT, "", sent_at=timezone.now())
    return email


class _Stop(Exception):
    """Delivery ends without sending, for a reason that is not an error."""

    def __init__(self, status: str, outcome: str, reason: str):
        self.status, self.outcome, self.reason = status, outcome, reason
        super().__init__(reason)


def _finish(email, started, status, outcome, error, **fields) -> None:
    for name, value in {"status": status, "last_error": error, **fields}.items():
        setattr(email, name, value)
    email.save()
    DeliveryAttempt.objects.create(
        email=email, number=email.attempts, outcome=outcome, error=error, started_at=started
    )
    log = logger.warning if outcome in (Outcome.RETRY, Outcome.FAILED) else logger.info
    log("email %s (%s to %s) attempt %s: %s %s", email.pk, email.template_key, email.to,
        email.attempts, outcome, error)  # fmt: skip


def _deliver_claimed(email: OutboundEmail) -> None:
    if Suppression.objects.filter(address__iexact=email.to).exists():
        raise _Stop(Status.SUPPRESSED, Outcome.SUPPRESSED, f"{email.to} is on the suppression list")
    try:
        version = email.version or template_active_version(key=email.template_key)
    except TemplateNotFoundError as error:
        raise PermanentDeliveryError(str(error)) from error
    email.version, email.category = version, version.category
    if _unsubscribed(email.to, version.category):
        raise _Stop(Status.SKIPPED, Outcome.SKIPPED,
                    f"{email.to} unsubscribed from {version.category} emails")  # fmt: skip
    rendered = render_for(version=version, address=email.to, context=email.context)
    email.subject = rendered.subject[:255]
    message = _message(email, rendered, version.category)
    email.provider, email.message_id = _send(message)


def render_for(*, version: EmailTemplateVersion, address: str, context: dict) -> Rendered:
    """A version rendered for one recipient: their context plus the engine's values."""
    return render(
        version, {**system_context(address=address, category=version.category), **context}
    )


def render_for_preview(
    *, template_key: str, context: dict | None = None, address: str = "ada@example.com"
) -> Rendered:
    """The active version with the given context, or its sample data."""
    version = template_active_version(key=template_key)
    data = version.sample_context if context is None else plain_data(context)
    return render_for(version=version, address=address, context=data)


def _unsubscribed(address: str, category: str) -> bool:
    if category in ESSENTIAL_CATEGORIES:
        return False
    return preferences_for(address=address).get(category) is False


def system_context(*, address: str, category: str) -> dict:
    """The values every layout may use, computed for one recipient."""
    context = {
        "site_name": settings.MAIL_BRAND_NAME,
        "site_url": settings.SITE_URL,
        "recipient_email": address,
        "current_year": str(timezone.now().year),
        "preferences_url": _url("mail:preferences") + make_preferences_token(address=address) + "/",
        "unsubscribe_url": "",
    }
    if category not in ESSENTIAL_CATEGORIES:
        context["unsubscribe_url"] = unsubscribe_url(address=address, category=category)
    return context


@lru_cache(maxsize=8)
def _url(name: str) -> str:
    """The absolute URL of a token view without its token (reversed once per process)."""
    return settings.SITE_URL + reverse(name, args=["-"])[:-2]


def unsubscribe_url(*, address: str, category: str) -> str:
    return (
        _url("mail:unsubscribe") + make_unsubscribe_token(address=address, category=category) + "/"
    )


def _message(email: OutboundEmail, rendered, category: str) -> EmailMultiAlternatives:
    headers = {"X-Outbox-Id": str(email.pk)}
    if not _backend_path().startswith("anymail."):
        headers["Message-ID"] = make_msgid(
            domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1].strip(">")
        )
    if category not in ESSENTIAL_CATEGORIES:
        token = make_unsubscribe_token(address=email.to, category=category)
        https = unsubscribe_url(address=email.to, category=category)
        mailto = f"mailto:{settings.MAIL_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
        headers["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # anymail reads these; other backends ignore them
    message.metadata = {"outbox_id": str(email.pk)}
    message.tags = [email.template_key]
    return message


def _backend_path() -> str:
    return settings.MAILERS["default"].get("BACKEND", "")


def _send(message: EmailMultiAlternatives) -> tuple[str, str]:
    """Send through the default mailer; return (provider, message id) or raise typed errors."""
    backend = mailers.default
    provider = getattr(backend, "esp_name", None) or type(backend).__module__.split(".")[-1]
    try:
        backend.send_messages([message])
    except Exception as error:
        kind = TransientDeliveryError if is_transient(error) else PermanentDeliveryError
        raise kind(f"{provider}: {type(error).__name__}: {error}") from error
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return provider, str(status.message_id)
    return provider, message.extra_headers.get("Message-ID", "")


def is_transient(error: BaseException) -> bool:
    """Whether waiting and sending again could succeed."""
    if isinstance(error, AnymailAPIError):
        if error.status_code is None:
            return isinstance(error.__cause__, RequestException | OSError)
        return error.status_code >= 500 or error.status_code in (408, 429)
    if isinstance(error, AnymailError):
        return False  # invalid address, recipients refused, unsupported feature...
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(
        error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError | OSError
    )


def send_test_email(*, template_key: str, to: str, author_id: int | None = None) -> OutboundEmail:
    """Send a template with its sample data, marked as a test in the log."""
    version = template_active_version(key=template_key)
    with transaction.atomic():
        return send_email(
            template_key=template_key,
            to=to,
            context=version.sample_context,
            user_id=author_id,
            is_test=True,
        )


# --- suppressions, preferences, unsubscribes ------------------------------------------------


def suppression_add(
    *, address: str, reason: str, source_event: EmailEvent | None = None, note: str = ""
) -> Suppression:
    suppression, _ = Suppression.objects.get_or_create(
        address=address.strip().lower(),
        defaults={"reason": reason, "source_event": source_event, "note": note},
    )
    return suppression


def preferences_for(*, address: str) -> dict[str, bool]:
    """Each category and whether the address receives it.

    Transactional mail always goes out; opt-in categories (the digest) only after a yes;
    the others until the address says no.
    """
    chosen = dict(
        EmailPreference.objects.filter(address__iexact=address).values_list(
            "category", "subscribed"
        )
    )
    default = {c: c not in OPT_IN_CATEGORIES for c in Category.values}
    return {c: c in ESSENTIAL_CATEGORIES or chosen.get(c, default[c]) for c in Category.values}


def preference_set(*, address: str, category: str, subscribed: bool) -> EmailPreference | None:
    if category in ESSENTIAL_CATEGORIES:
        return None  # account and billing messages cannot be switched off
    if category not in Category.values:
        raise ValueError(f"{category!r} is not an email category")
    user_model = _user_model()
    user = user_model.objects.filter(email__iexact=address).first()
    preference, _ = EmailPreference.objects.update_or_create(
        address=address.lower(),
        category=category,
        defaults={"subscribed": subscribed, "user": user},
    )
    return preference


def _user_model():
    from django.contrib.auth import get_user_model

    return get_user_model()


# --- provider events -----------------------------------------------------------------------

HARD_BOUNCE_REASONS = {"bounced", "invalid", "blocked"}


def _fingerprint(event, esp_name: str) -> str:
    if event.event_id:
        basis = [esp_name, event.event_type, event.event_id]
    else:
        stamp = event.timestamp.isoformat() if event.timestamp else ""
        basis = [esp_name, event.event_type, event.message_id, event.recipient, stamp,
                 event.click_url]  # fmt: skip
    return hashlib.sha256(json.dumps(basis, default=str).encode()).hexdigest()


def _email_for(event) -> OutboundEmail | None:
    if event.message_id:
        email = OutboundEmail.objects.filter(message_id=str(event.message_id)).first()
        if email:
            return email
    outbox_id = (event.metadata or {}).get("outbox_id")
    if str(outbox_id or "").isdigit():
        return OutboundEmail.objects.filter(pk=int(outbox_id)).first()
    return None


def _is_hard_bounce(event, esp_name: str) -> bool:
    if event.event_type == "rejected":
        return event.reject_reason in {"invalid", "bounced"}
    if event.event_type != "bounced" or event.reject_reason not in HARD_BOUNCE_REASONS:
        return False
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    # Postmark reports soft bounces as bounces too; only its HardBounce is permanent.
    return esp_name != "Postmark" or payload.get("Type") in {"HardBounce", "BadEmailAddress"}


@transaction.atomic
def tracking_event_record(*, event, esp_name: str) -> EmailEvent | None:
    """Store one normalized anymail event once; suppress hard bounces and complaints.

    Returns None when the same event was stored before (providers redeliver webhooks).
    """
    payload = event.esp_event if isinstance(event.esp_event, dict) else {}
    try:
        with transaction.atomic():
            stored = EmailEvent.objects.create(
                email=_email_for(event),
                esp_name=esp_name,
                event_type=event.event_type or "unknown",
                event_id=event.event_id or "",
                message_id=str(event.message_id or ""),
                recipient=event.recipient or "",
                reject_reason=event.reject_reason or "",
                description=event.description or "",
                mta_response=event.mta_response or "",
                click_url=event.click_url or "",
                occurred_at=event.timestamp,
                payload=payload,
                fingerprint=_fingerprint(event, esp_name),
            )
    except IntegrityError:
        return None
    reason = None
    if _is_hard_bounce(event, esp_name):
        reason = Suppression.Reason.BOUNCE
    elif event.event_type == "complained":
        reason = Suppression.Reason.COMPLAINT
    elif event.event_type == "unsubscribed":
        reason = Suppression.Reason.UNSUBSCRIBE
    if reason and stored.recipient:
        suppression_add(address=stored.recipient, reason=reason, source_event=stored)
    return stored


# --- console operations: previews, restores, resends, retries --------------------------------


def template_preview(
    *, template: EmailTemplate, context: dict | None = None, address: str = "ada@example.com"
) -> Rendered:
    """Compile and render a template as edited, without saving it; raise `TemplateInvalidError`.

    Nothing is stored or cached (a preview changes with every keystroke); the context defaults
    to the template's sample data.
    """
    from django.template import Context

    from .rendering import HTML_ENGINE, TEXT_ENGINE

    layout = template.layout or layout_default()
    compiled = compile_version(template_source(template=template, layout=layout))
    data = template.sample_context if context is None else plain_data(context)
    values = {**system_context(address=address, category=template.category), **data}

    def fill(source: str, *, html: bool = False) -> str:
        engine = HTML_ENGINE if html else TEXT_ENGINE
        return engine.from_string(source).render(Context(values, autoescape=html))

    values["preheader"] = " ".join(fill(template.preheader).split())
    return Rendered(
        subject=" ".join(fill(template.subject).split()),
        html=fill(compiled.html, html=True),
        text=fill(compiled.text),
    )


@transaction.atomic
def template_version_restore(*, version: EmailTemplateVersion, author=None) -> EmailTemplateVersion:
    """Make an old version's content current again as a new version; history is kept.

    The template keeps its current layout: a version's layout snapshot is not restored.
    """
    from .rendering import html_to_text

    template = EmailTemplate.objects.select_for_update().get(pk=version.template_id)
    derived_text = version.text_body == html_to_text(version.compiled_html)
    template.category = version.category
    template.subject, template.preheader = version.subject, version.preheader
    template.mjml, template.variables = version.mjml, version.variables
    template.sample_context = version.sample_context
    template.text_body = "" if derived_text else version.text_body
    return template_save(template=template, author=author)


def email_resend(*, email: OutboundEmail) -> OutboundEmail:
    """Queue a copy of an email (recipient, context and the exact version) as a new row."""
    with transaction.atomic():
        copy = send_email(
            template_key=email.template_key,
            to=email.to,
            context=email.context,
            user_id=email.user_id,
            is_test=email.is_test,
        )
        if email.version_id and copy.status == Status.QUEUED:
            OutboundEmail.objects.filter(pk=copy.pk).update(version=email.version_id)
            copy.version_id = email.version_id
    return copy


def email_retry(*, email: OutboundEmail) -> bool:
    """Queue a failed email for another delivery attempt; False when it had not failed."""
    now = timezone.now()
    queued = OutboundEmail.objects.filter(pk=email.pk, status=Status.FAILED).update(
        status=Status.QUEUED, next_attempt_at=now, updated_at=now
    )
    if queued:
        transaction.on_commit(partial(_enqueue, email.pk), robust=True)
    return bool(queued)


def suppression_remove(*, address: str) -> bool:
    """Allow an address to be emailed again; False when it was not suppressed."""
    deleted, _ = Suppression.objects.filter(address__iexact=address.strip()).delete()
    return bool(deleted)
