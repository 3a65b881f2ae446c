"""What an anonymous visitor may ask about an address: sign up with it, reset its password,
have its verification link sent again.

The answer must not tell whether the address has an account, by its words or by its time: the
request only checks the form and enqueues a task (signup also hashes the password, which costs
the same for every address); the task, in a consumer, looks the address up and sends what
fits. Signing up with an address that has an account creates nothing and emails its owner
"you already have an account" with a sign-in and a reset link; resetting an address with no
account, or resending to one without an account waiting for verification, sends nothing.
Each task may run twice (a lost run is enqueued again) and still sends each email once.
"""

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.mail.services import send_email

from .exceptions import EmailTakenError, QueueUnavailableError
from .models import User
from .services import customer_signup

logger = logging.getLogger(__name__)
RESET_DAYS = settings.PASSWORD_RESET_TIMEOUT // 86400


def _enqueue(task, **kwargs) -> None:
    try:
        task(**kwargs)
    except Exception as error:  # any failure to enqueue means nothing will do the work
        logger.warning("%s not queued: %s: %s", task.name, type(error).__name__, error)
        raise QueueUnavailableError(
            "We cannot take this request for a moment; please try again in a minute."
        ) from error


# --- password reset ---------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Queue a reset for `email`; nothing here depends on whether it has an account."""
    from .tasks import password_reset_send_task

    _enqueue(password_reset_send_task, email=email, request_id=uuid.uuid4().hex)


def password_reset_send(*, email: str, request_id: str) -> int:
    """Email a reset link to each active account of `email` with a password; how many."""
    users = [
        user
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True)
        if user.has_usable_password()
    ]
    for user in users:
        send_email(
            template_key="password_reset",
            to=user.email,
            context={"name": user.get_short_name(), "expires_in_days": str(RESET_DAYS)},
            # Kept encrypted apart from the context: no staff member may read a reset link.
            secrets={"reset_url": reset_url(user)},
            dedupe_key=f"password_reset:{request_id}:{user.pk}",  # once, even if run twice
            user_id=user.pk,
        )
    return len(users)


def reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])


def verification_resend_request(*, email: str) -> None:
    """Queue a new verification link for `email`, if it has an account waiting for one."""
    from .tasks import verification_email_resend_task

    _enqueue(verification_email_resend_task, email=email, request_id=uuid.uuid4().hex)


# --- signup -----------------------------------------------------------------------------------


def signup_request(*, email: str, password: str, organization_name: str, language: str) -> None:
    """Queue a signup; the password travels hashed (hashing costs the same for any address)."""
    from .tasks import signup_process_task

    _enqueue(
        signup_process_task,
        email=email,
        password_hash=make_password(password),
        organization_name=organization_name,
        language=language,
    )


def signup_process(*, email: str, password_hash: str, organization_name: str, language: str) -> str:
    """A signup, in the consumer: "created" (login, organization, welcome and verification
    emails), "exists" (the owner is told), "repeated" (this same signup ran before: its salted
    hash is the account's) or "inactive" (a closed account: nothing is sent)."""
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            customer_signup(
                email=email,
                password_hash=password_hash,
                organization_name=organization_name,
                language=language,
            )
            return "created"
        except EmailTakenError:  # the same address signed up at the same moment
            existing = User.objects.get(email__iexact=email)
    if existing.password == password_hash:
        return "repeated"
    if not existing.is_active:
        return "inactive"
    account_exists_email_send(user=existing)
    return "exists"


def account_exists_email_send(*, user: User) -> None:
    """Tell an account's owner that someone tried to sign up with their address: at most one
    such email an hour per account (the form is rate-limited per address, too)."""
    hour = timezone.now().astimezone(dt.UTC).strftime("%Y%m%d%H")
    send_email(
        template_key="account_exists",
        to=user.email,
        context={
            "name": user.get_short_name(),
            "login_url": settings.SITE_URL + reverse("login"),
            "expires_in_days": str(RESET_DAYS),
        },
        secrets={"reset_url": reset_url(user)},
        dedupe_key=f"account_exists:{user.pk}:{hour}",
        user_id=user.pk,
    )
