"""A version rendered for one recipient: their context plus the values every layout may use."""

from functools import lru_cache

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ..exceptions import TokenError
from ..models import ESSENTIAL_CATEGORIES, EmailTemplateTranslation, EmailTemplateVersion
from ..rendering import Rendered, render
from ..selectors import languages_of, template_active_version
from ..tokens import (
    UNSUBSCRIBE_SALT,
    make_preferences_token,
    make_unsubscribe_token,
    read_address_token,
)
from .outbox import plain_data


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


def default_language() -> str:
    """The language of a template itself (its translations are in the others)."""
    return settings.LANGUAGE_CODE.split("-")[0]


def recipient_language(*, address: str, user_id: int | None = None) -> str:
    """The language the recipient chose (their account's), else the default."""
    by_user, by_address = languages_of(user_ids=[user_id], addresses=[address.lower()])
    return supported_language(by_user.get(user_id) or by_address.get(address.lower()))


def supported_language(language: str | None) -> str:
    """`language` when the site offers it, else the default language."""
    return language if language in dict(settings.LANGUAGES) else default_language()


def localized(
    *, version: EmailTemplateVersion, language: str, cache: dict | None = None
) -> EmailTemplateVersion:
    """The template's active version in `language`, or `version` (the default language's)
    when it has no translation in it. `cache` keeps the answers across a batch."""
    if language == version.language:
        return version
    key = (version.template_id, language)
    if cache is None or key not in cache:
        translated = (
            EmailTemplateTranslation.objects.filter(
                template_id=version.template_id, language=language, active_version__isnull=False
            )
            .select_related("active_version")
            .first()
        )
        found = translated.active_version if translated else None
        if cache is None:
            return found or version
        cache[key] = found
    return cache[key] or version


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


def unsubscribe_link_owner(url: str) -> tuple[str, str] | None:
    """The (address, category) an unsubscribe link of ours signs, or None for any other URL.
    Two links made a second apart differ (the signature carries its time), so a link is
    compared by whom it unsubscribes, never by its text."""
    base = _url("mail:unsubscribe")
    if not url.startswith(base):
        return None
    try:
        data = read_address_token(url[len(base) :].rstrip("/"), salt=UNSUBSCRIBE_SALT)
    except TokenError:
        return None
    return data["a"], data.get("c", "")
