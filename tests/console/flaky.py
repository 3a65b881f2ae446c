"""A test-only task that fails until its token is marked fixed (then succeeds)."""

from django.core.cache import cache
from huey.contrib.djhuey import db_task


def fix(token: str) -> None:
    cache.set(f"flaky:{token}", "fixed", 600)


@db_task()
def flaky_task(token: str, api_key: str = "") -> str:
    if cache.get(f"flaky:{token}") != "fixed":
        raise RuntimeError(f"flaky {token} is not fixed yet")
    return "ok"
