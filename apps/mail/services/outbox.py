"""The outbox: queue emails in the caller's transaction, sweep, resend and retry them."""

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.text_input import is_poisoned, poison_message, scrub, scrub_text

from ..exceptions import ContextError, SecretsGoneError
from ..models import EmailTemplate, OutboundEmail
from ..secrets import dedupe_digest, masked, seal, unseal
from ..selectors import template_active_version

logger = logging.getLogger(__name__)
Status = OutboundEmail.Status


def plain_data(value, path: str = "context"):
    """Check that a context holds only JSON-like plain data that can be stored, and return it.

    A NUL or a lone surrogate (which `json.loads` accepts) is refused here, by its path:
    PostgreSQL would refuse the row's JSON, and the caller's transaction with it.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ContextError(f"{path} has a non-string key {key!r}.")
            if is_poisoned(key):
                raise ContextError(poison_message(scrub_text(f"{path}.{key}")))
            plain_data(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            plain_data(item, f"{path}[{index}]")
    elif isinstance(value, str) and is_poisoned(value):
        raise ContextError(poison_message(path))
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
    secrets: dict[str, str] | None = None,
) -> OutboundEmail:
    """Queue an email in the caller's transaction and deliver it once that commits.

    A second call with the same `dedupe_key` returns the first row and sends nothing.
    `secrets` are context values no one may read in the console (a password-reset link):
    they are stored encrypted apart from the context, shown as `•••`, and wiped once the
    email is delivered; the dedupe key of such an email is stored hashed.
    """
    category = template_category(template_key)
    email = new_row(
        template_key=template_key,
        to=to,
        context=context,
        dedupe_key=dedupe_key,
        user_id=user_id,
        is_test=is_test,
        secrets=secrets,
        category=category,
    )
    try:
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:
        if email.dedupe_key is None:
            raise
        return OutboundEmail.objects.get(dedupe_key=email.dedupe_key)
    if email.status == Status.QUEUED:
        transaction.on_commit(partial(enqueue_delivery, [email.pk]), robust=True)
    return email


def template_category(template_key: str) -> str | None:
    return EmailTemplate.objects.filter(key=template_key).values_list("category", flat=True).first()


def new_row(**fields) -> OutboundEmail:
    """An unsaved outbox row, its input checked (`row_fields`' arguments); `ContextError` says
    what is wrong."""
    return OutboundEmail(**row_fields(**fields))


def row_fields(
    *,
    template_key: str,
    to: str,
    context: dict,
    dedupe_key: str | None,
    user_id: int | None,
    is_test: bool = False,
    secrets: dict[str, str] | None = None,
    category: str | None,
    bulk: bool = False,
) -> dict:
    """The checked field values of a new outbox row (the context as it will be stored)."""
    plain_data(context)
    secrets = _checked_secrets(secrets or {})
    if isinstance(dedupe_key, str) and is_poisoned(dedupe_key):
        raise ContextError(poison_message("dedupe_key"))
    if secrets and dedupe_key is not None:
        dedupe_key = dedupe_digest(dedupe_key)
    if not isinstance(to, str) or is_poisoned(to):
        raise ContextError(f"{scrub(to)!r} is not an email address.")
    try:
        validate_email(to)
    except ValidationError as error:
        raise ContextError(f"{to!r} is not an email address.") from error
    return dict(
        template_key=template_key,
        to=to.strip().lower(),
        context=masked(context, secrets),  # a new dict; stored (serialized) within this call
        secret_keys=sorted(secrets),
        sealed_secrets=seal(secrets),
        dedupe_key=dedupe_key,
        user_id=user_id,
        is_test=is_test,
        bulk=bulk,
        category=category or "",
        **({} if category else _missing_template(template_key)),
    )


def _checked_secrets(secrets: dict) -> dict[str, str]:
    for key, value in secrets.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ContextError(f"secrets[{scrub(key)!r}] must be a string named by a string.")
        if is_poisoned(key) or is_poisoned(value):
            raise ContextError(poison_message(scrub_text(f"secrets.{key}")))
    return dict(secrets)


def _missing_template(key: str) -> dict:
    # Logged and kept as a failed row rather than breaking the caller's flow (a signup, a
    # payment): the email cannot be rendered, and the console shows why.
    error = f"No email template {key!r}; run `manage.py sync_email_templates`."
    logger.error("not sending: %s", error)
    return {"status": Status.FAILED, "last_error": error}


def enqueue_delivery(email_ids: list[int]) -> None:
    """Enqueue one delivery task per batch of ids (MAIL_BATCH_SIZE each)."""
    from ..tasks import email_deliver_task

    size = settings.MAIL_BATCH_SIZE
    for start in range(0, len(email_ids), size):
        email_deliver_task(email_ids[start : start + size])


def outbox_sweep(*, older_than_seconds: int = 120) -> int:
    """Re-enqueue rows still `queued` well after they were due (e.g. the broker was down)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stuck = list(
        OutboundEmail.objects.filter(status=Status.QUEUED, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    # Pushed forward so the next sweep does not enqueue them again while these wait.
    OutboundEmail.objects.filter(pk__in=stuck, status=Status.QUEUED).update(
        next_attempt_at=timezone.now()
    )
    enqueue_delivery(stuck)
    if stuck:
        logger.info("outbox sweep re-enqueued %d email(s)", len(stuck))
    return len(stuck)


def secrets_expire() -> int:
    """Wipe secret values older than MAIL_SECRETS_MAX_AGE_HOURS (their links have expired)."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.MAIL_SECRETS_MAX_AGE_HOURS)
    wiped = (
        OutboundEmail.objects.filter(created_at__lt=cutoff)
        .exclude(sealed_secrets="")
        .update(sealed_secrets="")
    )
    if wiped:
        logger.info("wiped the expired secret values of %d email(s)", wiped)
    return wiped


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


def email_resend(*, email: OutboundEmail) -> OutboundEmail:
    """Queue a copy of an email (recipient, context and the exact version) as a new row.

    An email whose secret values are gone (delivered or expired) cannot be copied: its link
    would be `•••`; `SecretsGoneError` says the user must ask for a new one.
    """
    secrets = _secrets_for_copy(email)
    with transaction.atomic():
        copy = send_email(
            template_key=email.template_key,
            to=email.to,
            context={k: v for k, v in email.context.items() if k not in secrets},
            user_id=email.user_id,
            is_test=email.is_test,
            secrets=secrets,
        )
        if email.version_id and copy.status == Status.QUEUED:
            OutboundEmail.objects.filter(pk=copy.pk).update(version=email.version_id)
            copy.version_id = email.version_id
    return copy


def _secrets_for_copy(email: OutboundEmail) -> dict[str, str]:
    if not email.secret_keys:
        return {}
    if not email.sealed_secrets:
        raise SecretsGoneError(
            f"Email #{email.pk} carried a one-time link ({', '.join(email.secret_keys)}) that is "
            "no longer kept (delivered or expired): the user must ask for a new one."
        )
    return unseal(email.sealed_secrets)


def email_retry(*, email: OutboundEmail) -> bool:
    """Queue a failed (or unknown) email for another attempt; False when it was neither."""
    if email.secret_keys and not email.sealed_secrets:
        raise SecretsGoneError(
            f"Email #{email.pk} carried a one-time link that has expired: the user must ask for "
            "a new one."
        )
    now = timezone.now()
    retryable = [Status.FAILED, Status.UNKNOWN]  # unknown: the operator chose to send again
    queued = OutboundEmail.objects.filter(pk=email.pk, status__in=retryable).update(
        status=Status.QUEUED, next_attempt_at=now, updated_at=now
    )
    if queued:
        transaction.on_commit(partial(enqueue_delivery, [email.pk]), robust=True)
    return bool(queued)
