"""Bare huey: a RedisHuey and a no-op task, drained by huey's own `huey_consumer`.

huey_consumer tests.bench.peers.bare_huey.huey -w 4 -k thread
"""

import os

from huey import RedisHuey

huey = RedisHuey(
    os.environ.get("BENCH_BARE_HUEY_NAME", "bench-bare-huey"), url=os.environ["REDIS_URL"]
)


@huey.task()
def noop(token: str = "") -> str | None:
    """Does nothing; the last task of a batch returns its token (stored as its result)."""
    return token or None
