"""Signed links in emails: the address and category travel inside the signature."""

from django.conf import settings
from django.core import signing

from .exceptions import TokenError

UNSUBSCRIBE_SALT = "mail.unsubscribe"
PREFERENCES_SALT = "mail.preferences"


def make_unsubscribe_token(*, address: str, category: str) -> str:
    return signing.dumps({"a": address.lower(), "c": category}, salt=UNSUBSCRIBE_SALT)


def make_preferences_token(*, address: str) -> str:
    return signing.dumps({"a": address.lower()}, salt=PREFERENCES_SALT)


def read_token(token: str, *, salt: str) -> dict:
    """The signed payload; `TokenError` if the link was altered or is older than allowed."""
    try:
        return signing.loads(token, salt=salt, max_age=settings.MAIL_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise TokenError("This link has expired.") from error
    except signing.BadSignature as error:
        raise TokenError("This link is not valid: it was changed or cut short.") from error
