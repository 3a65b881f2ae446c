from django.db import transaction
from django.utils.text import slugify

from .exceptions import EmailTakenError
from .models import Membership, Organization, User


@transaction.atomic
def user_register(*, email: str, password: str | None, full_name: str = "") -> User:
    """Create a customer login; the address must be new."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTakenError(f"{email} already has an account; log in or reset the password.")
    return User.objects.create_user(email=email, password=password, full_name=full_name)


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


def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Make sure a superuser with this email exists and logs in with this password."""
    user, created = User.objects.get_or_create(
        email=User.objects.normalize_email(email).lower(),
        defaults={"is_staff": True, "is_superuser": True, "full_name": "Console Admin"},
    )
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return user, created
