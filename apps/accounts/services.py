from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apps.mail.services import send_email

from .exceptions import EmailTakenError, VerificationError
from .models import Membership, Organization, User
from .tokens import VERIFY_DAYS, make_verification_token


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str | None = None,
    full_name: str = "",
    language: str = "en",
    password_hash: str | None = None,
) -> User:
    """Create a customer login; the address must be new. The password is given as typed, or
    already hashed (`password_hash`, as a queued signup carries it)."""
    email = User.objects.normalize_email(email).lower()
    taken = EmailTakenError(f"{email} already has an account; log in or reset the password.")
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    fields = {"email": email, "full_name": full_name, "language": language}
    try:
        with transaction.atomic():
            if password_hash is None:
                user = User.objects.create_user(password=password, **fields)
            else:
                user = User.objects.create(password=password_hash, **fields)
    except IntegrityError as error:  # the same address signed up at the same moment
        raise taken from error
    _send_signup_emails(user)
    return user


@transaction.atomic
def customer_signup(
    *,
    email: str,
    organization_name: str,
    password: str | None = None,
    password_hash: str | None = None,
    language: str = "en",
) -> User:
    """A new customer: the login, and an organization they own (on the Free plan until they
    subscribe); the welcome and verification emails leave once this commits."""
    user = user_register(
        email=email, password=password, password_hash=password_hash, language=language
    )
    organization_create(name=organization_name.strip(), owner=user)
    return user


def verification_email_resend(*, email: str, request_id: str = "") -> bool:
    """Send a fresh verification link to an unverified account; False when there is none.

    Callers answer the same either way, so the form does not tell who has an account (the
    form queues this: apps/accounts/anonymous.py).
    """
    user = User.objects.filter(
        email__iexact=email.strip(), is_active=True, email_verified_at__isnull=True
    ).first()
    if user is None:
        return False
    # A new dedupe key per request: the outbox sends each request once, even from a task run
    # twice (the form is rate-limited).
    attempt = request_id or timezone.now().strftime("%Y%m%dT%H%M%S.%f")
    _send_verification_email(user, attempt=attempt)
    return True


def user_language_set(*, user: User, language: str) -> User:
    """Change the language the user's emails are written in."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of {', '.join(dict(settings.LANGUAGES))}.")
    user.language = language
    user.save(update_fields=["language"])
    return user


def _send_signup_emails(user: User) -> None:
    # Written in this transaction: the emails exist exactly when the user does.
    name = user.get_short_name()
    send_email(
        template_key="welcome",
        to=user.email,
        context={"name": name, "dashboard_url": settings.SITE_URL + reverse("account")},
        dedupe_key=f"welcome:{user.pk}",
        user_id=user.pk,
    )
    _send_verification_email(user)


def _send_verification_email(user: User, attempt: str = "") -> None:
    token = make_verification_token(user_id=user.pk, email=user.email)
    send_email(
        template_key="email_verification",
        to=user.email,
        context={"name": user.get_short_name(), "expires_in_days": str(VERIFY_DAYS)},
        # Kept encrypted apart from the context: no staff member may read a verification link.
        secrets={"verify_url": settings.SITE_URL + reverse("email_verify", args=[token])},
        dedupe_key=f"email_verification:{user.pk}:{user.email}{':' if attempt else ''}{attempt}",
        user_id=user.pk,
    )


def user_email_verify(*, user_id: int, email: str) -> User:
    """Mark the address verified, if the link is for the user's current address."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() != email.lower():
        raise VerificationError(
            "This verification link is for an address that is no longer on the account; "
            "sign in and ask for a new link."
        )
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def organization_create(*, name: str, owner: User, slug: str = "") -> Organization:
    """Create an organization with its owner as the first member."""
    organization = Organization.objects.create(
        name=name, slug=slug or _unique_slug(name), owner=owner
    )
    Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
    return organization


def membership_add(
    *, organization: Organization, user: User, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add a user to an organization, or change the role of one already in it."""
    membership, _ = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def admin_ensure(*, email: str, password: str, keep_password: bool = False) -> tuple[User, bool]:
    """Make sure a superuser with this email exists and logs in with this password.

    The password is written only when the account is created or the password differs (a new
    hash would log every session of the account out); with `keep_password`, only on creation
    (a password changed in the console is kept).
    """
    user, created = User.objects.get_or_create(
        email=User.objects.normalize_email(email).lower(),
        defaults={"is_staff": True, "is_superuser": True, "full_name": "Console Admin"},
    )
    changed = created or not (user.is_staff and user.is_superuser and user.is_active)
    user.is_staff = user.is_superuser = user.is_active = True
    if created or not (keep_password or check_password(password, user.password)):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    return user, created
