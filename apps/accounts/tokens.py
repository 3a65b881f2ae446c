"""The signed link that proves a user reads the mailbox they signed up with."""

from django.core import signing

from apps import signed_links

VERIFY_SALT = "accounts.verify-email"
VERIFY_MAX_AGE = 7 * 24 * 3600
VERIFY_DAYS = VERIFY_MAX_AGE // (24 * 3600)


def make_verification_token(*, user_id: int, email: str) -> str:
    return signed_links.dumps({"u": user_id, "e": email.lower()}, salt=VERIFY_SALT)


def read_verification_token(token: str) -> dict:
    """The payload; raises `signing.BadSignature` (or `SignatureExpired`) for a bad link."""
    return signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
