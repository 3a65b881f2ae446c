"""A Django `@task` (django.tasks), as a developer writes one: it runs on huey's consumers."""

from django.core.cache import cache
from django.tasks import task


@task
def add_up(numbers: list[int], label: str = "", api_key: str = "") -> dict:
    """Adds the numbers; fails until `label` is marked fixed in the cache (for the retry)."""
    if label and cache.get(f"djtask:{label}") != "fixed":
        raise ValueError(f"{label} is not fixed yet")
    return {"label": label, "total": sum(numbers)}


@task
def issue_token(user: str) -> dict:
    """Returns a secret: the console shows its result redacted, like arguments."""
    return {"user": user, "token": "tok-9f8e7d"}
