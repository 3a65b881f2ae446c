"""The spam score of an email being edited, computed by a consumer and kept in the cache.

SpamAssassin needs about a second, too long for the studio's preview request. The preview
stores what the message is made of under a digest of it (`spam_request`); the panel asks for
the result (`spam_status`), and the first ask enqueues the task (`spam_score_task`), so a
preview nobody waits for costs nothing. The same content has the same digest: an unchanged
edit is scored once.
"""

import dataclasses
import hashlib
import json

from django.core.cache import cache

from .check import Email, spam_result
from .findings import AreaResult, Finding

TTL_SECONDS = 3600
PENDING, DONE, GONE = "pending", "done", "gone"


def _key(kind: str, digest: str) -> str:
    return f"mail-qa:{kind}:{digest}"


def spam_request(email: Email) -> str:
    """Keep `email` for a background spam score; its digest names it."""
    fields = dataclasses.asdict(email)
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    cache.set(_key("email", digest), fields, timeout=TTL_SECONDS)
    return digest


def spam_status(*, digest: str, enqueue) -> tuple[str, AreaResult | None]:
    """(pending|done|gone, the spam area when done); enqueues the scoring (through
    `enqueue(digest)`) the first time it is asked for."""
    found = cache.get(_key("result", digest))
    if found is not None:
        return DONE, AreaResult("spam", [Finding(**f) for f in found])
    if cache.get(_key("email", digest)) is None:
        return GONE, None
    if cache.add(_key("queued", digest), 1, timeout=TTL_SECONDS):
        enqueue(digest)
        found = cache.get(_key("result", digest))  # an immediate queue has run it already
        if found is not None:
            return spam_status(digest=digest, enqueue=enqueue)
    return PENDING, None


def spam_score_store(*, digest: str) -> bool:
    """Score the kept email with SpamAssassin and keep the findings; False when it is gone."""
    fields = cache.get(_key("email", digest))
    if fields is None:
        return False
    email = Email(**{**fields, "sources": tuple(fields.get("sources") or ())})
    findings = spam_result(email.message())
    cache.set(_key("result", digest), [f.as_dict() for f in findings], timeout=TTL_SECONDS)
    return True
