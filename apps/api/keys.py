"""API keys: made, shown once, kept as a hash, found by prefix (cached), revoked."""

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Organization, User

from .callers import Caller, caller_for, caller_remember
from .models import ApiKey

KEY_PREFIX = "ss_"
# ss_<prefix>_<secret>: hex prefix, URL-safe secret. Anything else (a NUL, a space, 10 KB) is no
# key, and never reaches a query.
KEY_SHAPE = re.compile(r"ss_([0-9a-f]{1,16})_[A-Za-z0-9_-]{1,80}")
LAST_USE_PRECISION = dt.timedelta(minutes=1)  # at most one write a minute per key
MAX_KEYS_PER_ORGANIZATION = 20


class ApiKeyError(ValueError):
    """A key cannot be made (too many, bad name)."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(
    *, organization: Organization, name: str, user: User | None
) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the full key, which is never shown again."""
    name = " ".join(name.replace("\x00", "").split())[:100] or "API key"
    if organization.api_keys.filter(revoked_at__isnull=True).count() >= MAX_KEYS_PER_ORGANIZATION:
        raise ApiKeyError(
            f"{organization} already has {MAX_KEYS_PER_ORGANIZATION} active keys; revoke one first."
        )
    for _ in range(5):  # a prefix collision is astronomically rare: try again
        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        key = f"{KEY_PREFIX}{prefix}_{secret}"
        try:
            with transaction.atomic():
                row = ApiKey.objects.create(
                    organization=organization,
                    created_by=user,
                    name=name,
                    prefix=prefix,
                    hashed_key=_hash(key),
                )
            return row, key
        except IntegrityError:
            continue
    raise ApiKeyError("Could not make a unique key; try again.")


def api_key_authenticate(*, key: str) -> Caller | None:
    """The working key this string is, as its caller, or None; notes its last use (once a
    minute at most).

    A key works only while the user it acts for (its creator; the organization's owner for a
    key made by no one) is active and still a member of the key's organization: deactivating
    a user or removing them from the organization stops their keys, with no revoking step to
    forget. The check is part of the one query that finds the key, whose answer is cached a
    second and dropped when any of it changes (`callers.py`).
    """
    shape = KEY_SHAPE.fullmatch(key)
    if shape is None:
        return None
    caller = caller_for(prefix=shape.group(1))
    if caller is None or not hmac.compare_digest(caller.hashed_key, _hash(key)):
        return None
    now = timezone.now()
    if caller.last_used_at is None or now - caller.last_used_at > LAST_USE_PRECISION:
        ApiKey.objects.filter(pk=caller.key_id).update(last_used_at=now)
        caller = replace(caller, last_used_at=now)
        caller_remember(caller=caller)  # the minute's other calls see it: no write each
    return caller


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Stop a key from working, at once and for good."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
