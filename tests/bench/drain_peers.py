"""The task drain's peers (tests/bench/test_bench_drain.py): bare djhuey (run_huey in a Django
project with only djhuey), bare huey (huey_consumer, no Django) and Celery (no Django), each
measured the way tests/bench/drain_contenders.py measures ours."""

import os
import signal
import sys
import uuid
from pathlib import Path

import redis

from tests.bench.drain_contenders import BIN, WORKERS, Contender, peer_env
from tests.conftest import database_url


class BareHuey(Contender):
    """huey's own `huey_consumer` on a RedisHuey with a no-op task: no Django at all."""

    name = "bare huey"

    def __init__(self, kind: str, tmp_path: Path):
        super().__init__(kind, tmp_path)
        self.huey_name = f"bench-bare-huey-{os.getpid()}"
        os.environ["BENCH_BARE_HUEY_NAME"] = self.huey_name
        from tests.bench.peers import bare_huey

        assert bare_huey.huey.name == self.huey_name
        self.huey, self.noop = bare_huey.huey, bare_huey.noop

    def reset(self) -> None:
        self.huey.flush()

    def enqueue(self, count: int):
        for _ in range(count):
            self.noop()
        return self.noop(token=uuid.uuid4().hex)

    def command(self) -> list[str]:
        return [
            str(BIN / "huey_consumer"),
            "tests.bench.peers.bare_huey.huey",
            "-w",
            str(WORKERS),
            "-k",
            self.kind,
        ]

    def env(self) -> dict[str, str]:
        return peer_env(BENCH_BARE_HUEY_NAME=self.huey_name)

    def pending(self) -> int:
        return self.huey.pending_count()

    def done(self, sentinel) -> bool:
        return sentinel.get() is not None

    def check(self, count: int) -> None:
        assert self.huey.pending_count() == 0


class BareDjhuey(BareHuey):
    """`run_huey` in a Django project holding only djhuey and a no-op `db_task`: huey as a
    Django user runs it, without our jobs app."""

    name = "bare djhuey"

    def __init__(self, kind: str, tmp_path: Path):
        Contender.__init__(self, kind, tmp_path)
        from tests.bench.peers.producers import djhuey_noop

        self.huey_name = f"bench-djhuey-{os.getpid()}"
        self.huey, self.noop = djhuey_noop(self.huey_name)

    def command(self) -> list[str]:
        return self.run_huey("-m", "django")

    def env(self) -> dict[str, str]:
        return peer_env(
            DJANGO_SETTINGS_MODULE="tests.bench.peers.djhuey_settings",
            BENCH_DJHUEY_NAME=self.huey_name,
            DATABASE_URL=database_url(),
        )


class Celery(Contender):
    stop_signal = signal.SIGTERM

    def __init__(self, kind: str, tmp_path: Path):
        super().__init__(kind, tmp_path)
        self.pool = "threads" if kind == "thread" else "prefork"
        self.name = f"Celery {self.pool}"
        self.queue = f"bench-celery-{os.getpid()}"
        os.environ["BENCH_CELERY_QUEUE"] = self.queue
        from tests.bench.peers import celery_app

        self.module = celery_app
        assert self.queue == celery_app.QUEUE
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])

    def reset(self) -> None:
        self.redis.delete(self.queue)

    def enqueue(self, count: int):
        noop = self.module.noop
        for _ in range(count):
            noop.delay()
        token = uuid.uuid4().hex
        noop.delay(token)
        return token

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.bench.peers.celery_app",
            "worker",
            "-P",
            self.pool,
            "-c",
            str(WORKERS),
            "-Q",
            self.queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ]

    def env(self) -> dict[str, str]:
        return peer_env(BENCH_CELERY_QUEUE=self.queue)

    def pending(self) -> int:
        return self.redis.llen(self.queue)

    def done(self, token) -> bool:
        return bool(self.redis.exists(self.module.DONE_KEY + token))

    def check(self, count: int) -> None:
        assert self.redis.llen(self.queue) == 0
