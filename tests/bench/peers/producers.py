"""Producers for peers whose consumers run in another Django project (the benchmark process
has ours configured): a plain RedisHuey enqueueing the same task name the peer registers."""

import os

from huey import RedisHuey


def djhuey_noop(name: str):
    """(huey, noop) enqueueing `tests.bench.peers.djhuey_app.tasks.noop` on queue `name`."""
    huey = RedisHuey(name, url=os.environ["REDIS_URL"])

    def noop(token: str = "") -> str | None:
        return token or None

    noop.__module__ = "tests.bench.peers.djhuey_app.tasks"
    return huey, huey.task()(noop)
