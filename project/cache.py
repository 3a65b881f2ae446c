"""The cache: Redis, and the database cache while Redis does not answer.

Django's RedisCache raises on a Redis ConnectionError, and so do `cached_db` sessions and the
rate limits built on it: staff login gave 500s while Redis was down. FallbackCache sends each
call to Redis and, when Redis does not answer, to the database cache (the alias named by the
`fallback` option; shared by every process, so rate limits keep counting), logging a warning
once per outage. Redis is tried again `retry_seconds` after it failed.

What was written meanwhile went to the database only, so Redis's copies are older: before a
process reads Redis again it clears the cache's own keys there (huey's queue is not among them)
unless another process already did so for this outage. A session ended during the outage
therefore cannot come back from a stale copy.

This module is the one place that knows Django's RedisCache client (`_cache.get_client`).
"""

import logging
import threading
import time
import uuid
from urllib.parse import urlsplit

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
OUTAGE_KEY = "cache-fallback:outage"  # in the database cache: the last outage's token
CLEARED_KEY = "cache-fallback:cleared"  # in Redis: the outage whose writes were reconciled


class _Health:
    """One Redis server as this process sees it (cache objects are per thread; this is not)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0  # time.monotonic() before which Redis is not tried
        self.down = False  # Redis failed and has not answered since (warned once)
        self.outage_noted = False  # this outage's token is in the database cache
        self.reconciled = False  # Redis holds nothing older than the database cache


_HEALTH: dict[str, _Health] = {}


class FallbackCache(BaseCache):
    """RedisCache that degrades to a database cache alias while Redis is unreachable."""

    retry_seconds = 5.0

    def __init__(self, server: str, params: dict):
        super().__init__(params)
        options = dict(params.get("OPTIONS", {}))
        self._fallback_alias = options.pop("fallback", "database")
        self._redis = RedisCache(server, {**params, "OPTIONS": options})
        self._where = _host(server)
        self._health = _HEALTH.setdefault(server, _Health())

    @property
    def _fallback(self) -> BaseCache:
        return caches[self._fallback_alias]

    # -- routing -----------------------------------------------------------------------------
    def _call(self, name: str, *args, write: bool = False, **kwargs):
        health = self._health
        if time.monotonic() >= health.down_until:
            try:
                if not health.reconciled:
                    self._reconcile()
                return getattr(self._redis, name)(*args, **kwargs)
            except UNREACHABLE as error:
                self._mark_down(error)
        if write:
            self._note_outage()
        return getattr(self._fallback, name)(*args, **kwargs)

    def _mark_down(self, error: Exception) -> None:
        health = self._health
        with health.lock:
            first, health.down = not health.down, True
            health.down_until = time.monotonic() + self.retry_seconds
            health.reconciled = False
        if first:
            logger.warning(
                "Redis at %s does not answer (%s): the cache, sessions and rate limits use the "
                "database until it does (tried again every %s s).",
                self._where,
                error,
                self.retry_seconds,
            )

    def _note_outage(self) -> None:
        health = self._health
        if not health.outage_noted:
            self._fallback.set(OUTAGE_KEY, uuid.uuid4().hex, timeout=None)
            health.outage_noted = True

    def _reconcile(self) -> None:
        """Before reading Redis again: drop what an outage made stale, in Redis and the database.

        An outage (this process's or another's, found by its token) wrote to the database only:
        Redis's copies are older, and the database's would be stale by the next outage.
        """
        cleared_for = self._redis.get(CLEARED_KEY)  # first, so Redis must really answer
        outage = self._outage_token()
        if (outage is not None and cleared_for != outage) or self._health.outage_noted:
            cleared = self._clear_own_keys()
            self._fallback.clear()
            if outage is not None:
                self._redis.set(CLEARED_KEY, outage, timeout=None)
            logger.info(
                "Redis at %s answers again: %s cache entries older than the outage cleared.",
                self._where,
                cleared,
            )
        with self._health.lock:
            self._health.reconciled = True
            self._health.down = self._health.outage_noted = False

    def _outage_token(self) -> str | None:
        try:
            return self._fallback.get(OUTAGE_KEY)
        except Exception:  # the database is only a witness here: without it, assume no outage
            logger.debug("No outage token readable from the database cache.", exc_info=True)
            return None

    def _clear_own_keys(self) -> int:
        client = self._redis._cache.get_client(write=True)
        cleared, batch = 0, []
        for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) == 500:
                cleared += client.unlink(*batch)
                batch = []
        if batch:
            cleared += client.unlink(*batch)
        return cleared

    # -- the cache API -----------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version, write=True)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version, write=True)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version, write=True)

    def delete(self, key, version=None):
        return self._call("delete", key, version, write=True)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version, write=True)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version, write=True)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version, write=True)

    def clear(self):
        return self._call("clear", write=True)

    def close(self, **kwargs):
        self._redis.close(**kwargs)


def _host(url: str) -> str:
    """Where Redis is, without the password a URL may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"
