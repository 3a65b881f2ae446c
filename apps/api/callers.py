"""Who calls the API: what every call needs to know about its key, read once, cached a second.

Every call needs the same facts about its key: its hash (to prove the key), its organization,
the user it acts for (still active and a member, verified or not) and the plan's code (the
rate limit). `selectors.api_caller_row` reads them in one query; they are kept in Django's
cache (Redis in production, the database cache embedded) under the key's prefix, so a call
costs one cache read and no query.

How a change reaches the callers within a second:

| change                                            | how                                      |
| ------------------------------------------------- | ---------------------------------------- |
| a key revoked, its holder deactivated, a member   | `invalidation.py`: the entries of the    |
| leaving, an organization's owner or subscription  | keys concerned are dropped at once, and  |
| (plan) changed, through the ORM (services, the    | again when the change commits            |
| console's forms, the shell)                       |                                          |
| anything else (a queryset `update()`, SQL, a plan | the entry's lifetime: CALLER_SECONDS     |
| edited by staff)                                  |                                          |

A call that read the old state just before a change may write it back just after the drop:
the lifetime bounds that too. Only working keys are cached: a stopped key is read again on
each call, so a key whose holder comes back works again at once.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction

from apps.accounts.models import Organization, User

from .models import ApiKey
from .selectors import api_caller_row

CALLER_SECONDS = 1
VERSION = 1  # in the cache key: a release that changes `Caller` never reads an older shape


@dataclass(frozen=True)
class Caller:
    """A working key as the API sees it on every call (plain values: the cached form)."""

    prefix: str
    key_id: int
    hashed_key: str
    last_used_at: dt.datetime | None
    organization_id: int
    organization_name: str
    owner_id: int
    created_by_id: int | None
    holder_email: str
    holder_verified_at: dt.datetime | None
    plan_code: str

    def api_key(self) -> ApiKey:
        """The key as a model instance with its organization and holder attached, as read:
        using them costs no query (a field not cached loads on first use)."""
        holder = _loaded(
            User,
            id=self.created_by_id or self.owner_id,
            email=self.holder_email,
            email_verified_at=self.holder_verified_at,
        )
        organization = _loaded(
            Organization,
            id=self.organization_id,
            name=self.organization_name,
            owner_id=self.owner_id,
        )
        api_key = _loaded(
            ApiKey,
            id=self.key_id,
            organization_id=self.organization_id,
            created_by_id=self.created_by_id,
            prefix=self.prefix,
            hashed_key=self.hashed_key,
            last_used_at=self.last_used_at,
            revoked_at=None,
        )
        api_key.organization = organization
        api_key.created_by = holder if self.created_by_id else None
        if not self.created_by_id:
            organization.owner = holder
        return api_key


def _loaded(model: type[models.Model], **values) -> models.Model:
    """An instance as if read from the database with only these fields (the rest deferred)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def _cache_key(prefix: str) -> str:
    return f"api-caller:{VERSION}:{prefix}"


def caller_for(*, prefix: str) -> Caller | None:
    """The working key with this prefix, from the cache or else the database (then cached)."""
    cached = cache.get(_cache_key(prefix))
    if cached is not None:
        return Caller(**cached)
    row = api_caller_row(prefix=prefix)
    if row is None:
        return None
    caller = Caller(**row)
    caller_remember(caller=caller)
    return caller


def caller_remember(*, caller: Caller) -> None:
    cache.set(_cache_key(caller.prefix), asdict(caller), CALLER_SECONDS)


def callers_forget(*, prefixes: Iterable[str]) -> None:
    """Drop these keys' cached callers now and, inside a transaction, again once it commits:
    a call reading the database meanwhile still sees the old state and may cache it."""
    keys = [_cache_key(prefix) for prefix in prefixes]
    if not keys:
        return
    cache.delete_many(keys)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))
