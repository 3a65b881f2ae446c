"""Signed links in emails: the address and category travel inside the signature."""

from django.conf import settings
from django.core import signing

from apps import signed_links

from .exceptions import TokenError

UNSUBSCRIBE_SALT = "mail.unsubscribe"
PREFERENCES_SALT = "mail.preferences"


def make_unsubscribe_token(*, address: str, category: str) -> str:
    return signed_links.dumps({"a": address.lower(), "c": category}, salt=UNSUBSCRIBE_SALT)


def make_preferences_token(*, address: str) -> str:
    return signed_links.dumps({"a": address.lower()}, salt=PREFERENCES_SALT)


def read_token(token: str, *, salt: str) -> dict:
    """The signed payload; `TokenError` if the link was altered or is older than allowed."""
    try:
        return signing.loads(token, salt=salt, max_age=settings.MAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise TokenError("This link has expired.") from error
    except signing.BadSignature as error:
        raise TokenError("This link is not valid: it was changed or cut short.") from error


def read_address_token(token: str, *, salt: str) -> dict:
    """`read_token`, checked to hold an email address (and a category, if any) as text."""
    data = read_token(token, salt=salt)
    address = data.get("a") if isinstance(data, dict) else None
    category = data.get("c", "") if isinstance(data, dict) else None
    if not isinstance(address, str) or not isinstance(category, str) or not _is_address(address):
        raise TokenError("This link is not valid: it was changed or cut short.")
    return data


def _is_address(value: str) -> bool:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254 and "\x00" not in value
