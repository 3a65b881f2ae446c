"""Celery with a Redis broker and a no-op task, as its docs set it up (no result backend).

celery -A tests.bench.peers.celery_app worker -P threads -c 4 -Q <queue>
"""

import os

import redis
from celery import Celery

QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "bench-celery")
DONE_KEY = "bench-celery-done:"

app = Celery("bench_peer", broker=os.environ["REDIS_URL"])
app.conf.update(
    task_default_queue=QUEUE,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
_redis: redis.Redis | None = None


@app.task(name="bench.noop")
def noop(token: str = "") -> None:
    """Does nothing; the last task of a batch marks its token done in Redis."""
    global _redis
    if token:
        if _redis is None:
            _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        _redis.set(DONE_KEY + token, 1)
