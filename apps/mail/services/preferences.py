"""What each address wants to receive, set from the preferences and unsubscribe pages."""

from ..models import ESSENTIAL_CATEGORIES, Category, EmailPreference


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
