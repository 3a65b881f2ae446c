"""The cache degrades to the database while Redis is down, and comes back without stale copies.

A private redis-server is really stopped (SIGKILL) and started again on the same port.
"""

import logging

import pytest
import redis

from project.cache import FallbackCache
from tests.conftest import PrivateRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache(private_redis: PrivateRedis) -> FallbackCache:
    cache = FallbackCache(
        private_redis.url, {"KEY_PREFIX": "t", "OPTIONS": {"fallback": "database"}}
    )
    cache.retry_seconds = 0.0  # try Redis again at once: the test decides when it is back
    return cache


def test_a_stopped_redis_makes_the_cache_use_the_database_with_one_warning(
    cache, private_redis, caplog
):
    cache.set("before", 1)
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="project.cache"):
        assert cache.get("before") is None  # Redis's copy is out of reach, not an error
        cache.set("during", "kept")
        assert cache.get("during") == "kept"
        assert cache.add("counter", 0) and cache.incr("counter") == 1
        assert cache.incr("counter") == 2  # a rate limit keeps counting in the database
        assert cache.get_many(["during", "nothing"]) == {"during": "kept"}
        cache.delete("during")
        assert not cache.has_key("during")
    warnings = [r for r in caplog.records if "does not answer" in r.getMessage()]
    assert len(warnings) == 1
    assert f"127.0.0.1:{private_redis.port}" in warnings[0].getMessage()


def test_once_redis_is_back_no_copy_older_than_the_outage_is_served(cache, private_redis):
    cache.set("session:a", {"user": 1})  # a session, cached before the outage
    cache.set("other", "old")
    private_redis.stop()
    cache.delete("session:a")  # logged out while Redis was down: the database forgot it
    private_redis.start()  # Redis comes back empty here; a partition would keep the old copies
    raw = redis.Redis.from_url(private_redis.url)
    raw.set(cache._redis.make_key("session:a"), b"stale")  # ... so put one back by hand
    raw.set("huey.redis.queue", b"task")  # and something of huey's, on the same server
    assert cache.get("session:a") is None  # reconciled before the first read
    assert raw.get("huey.redis.queue") == b"task"  # only the cache's own keys were cleared
    cache.set("after", 2)
    assert cache.get("after") == 2 and raw.exists(cache._redis.make_key("after"))


def test_a_process_that_never_saw_the_outage_still_clears_the_old_copies(private_redis):
    settings = {"KEY_PREFIX": "t2", "OPTIONS": {"fallback": "database"}}
    witness = FallbackCache(private_redis.url, settings)
    witness.set("k", "old")
    private_redis.stop()
    witness.set("k", "new")  # written to the database during the outage
    private_redis.start()
    redis.Redis.from_url(private_redis.url).set(witness._redis.make_key("k"), b"junk")
    from project import cache as module

    module._HEALTH.pop(private_redis.url)  # a freshly started process knows nothing
    newcomer = FallbackCache(private_redis.url, settings)
    assert newcomer.get("k") is None  # the stale Redis copy is gone; the database has "new"
