"""huey's Redis storage with an in-flight register per consumer (storage_local.py: the same
for SQLite and memory).

A consumer's register holds what it has taken and not finished, and what it has finished
whose outcome the task history has not written yet (`finish` moves an entry from the first
to the second; `release` drops it). `taken_by` lists both, each with its `finished` flag.

`take` returns (data, receipt, flagged): on Redis, `flagged` is the set of revoke keys
("r:<task id>", "rt:<task name>") huey had set when the task was taken, kept in an index
beside huey's flags so that a worker learns "nothing of this task is revoked" from its take
instead of asking huey's results hash once more per task; elsewhere None (ask huey). That
round trip is worth saving: a no-op drain runs 1.2-1.33x faster with the index than without
(tests/bench/test_bench_revoke_index.py, JOBS_REVOKE_INDEX switches it off for that).
"""

import time

from django.conf import settings
from huey.storage import RedisStorage, TimeoutError


class RedisInflightStorage(RedisStorage):
    """huey's Redis storage; a dequeue moves the task into its consumer's in-flight list."""

    # A lock's release by its holder only (jobs' locks hold their holder: adapter/locks.py).
    DELETE_IF = """
    if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then
        return redis.call('hdel', KEYS[1], ARGV[1])
    end
    return 0"""
    FINISH = """
    if redis.call('lrem', KEYS[1], -1, ARGV[1]) == 1 then
        redis.call('lpush', KEYS[2], ARGV[1])
    end"""
    # One command per task: register the consumer (again, if a reaper dropped it while it was
    # stalled or the broker restarted empty: a consumer holding entries is always registered),
    # settle the worker's previous task (its in-flight entry, its revoke flag), then move the
    # next one in.
    TAKE = """
    redis.call('hsetnx', KEYS[7], ARGV[4], ARGV[5])
    if ARGV[3] ~= '' and redis.call('hdel', KEYS[4], ARGV[3]) == 1 then
        if redis.call('srem', KEYS[5], ARGV[3]) == 1 then redis.call('incr', KEYS[6]) end
    end
    if ARGV[1] == 'finish' then
        if redis.call('lrem', KEYS[2], -1, ARGV[2]) == 1 then
            redis.call('lpush', KEYS[3], ARGV[2])
        end
    elseif ARGV[1] == 'release' then
        redis.call('lrem', KEYS[2], -1, ARGV[2])
    end
    local epoch = redis.call('get', KEYS[6]) or '0'
    return {redis.call('lmove', KEYS[1], KEYS[2], 'RIGHT', 'LEFT'), epoch}"""
    # huey's revoke flags live in its results hash; the index (a set of the flagged keys and an
    # epoch counting its changes) is written in the same step as each flag.
    FLAG = """
    if redis.call('sadd', KEYS[2], ARGV[1]) == 1 then redis.call('incr', KEYS[3]) end
    return redis.call('hset', KEYS[1], ARGV[1], ARGV[2])"""
    UNFLAG = """
    local deleted = redis.call('hdel', KEYS[1], ARGV[1])
    if redis.call('srem', KEYS[2], ARGV[1]) == 1 then redis.call('incr', KEYS[3]) end
    return deleted"""
    FLAGGED = """return {redis.call('get', KEYS[2]) or '0', redis.call('smembers', KEYS[1])}"""
    RESCUE = """
    if redis.call('lrem', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
    if ARGV[2] ~= '' then redis.call('rpush', KEYS[2], ARGV[2]) end
    return 1"""
    # Each receipt leaves the first list it is found in (a finished entry whose move rides on
    # its worker's next take is still in the in-flight list): one call per batch of receipts.
    RELEASE = """
    for i = 1, #ARGV do
        if redis.call('lrem', KEYS[1], -1, ARGV[i]) == 0 and KEYS[2] then
            redis.call('lrem', KEYS[2], -1, ARGV[i])
        end
    end"""
    FORGET = """
    if redis.call('exists', KEYS[2]) + redis.call('exists', KEYS[3]) == 0 then
        return redis.call('hdel', KEYS[1], ARGV[1])
    end
    return 0"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_key = f"huey.inflight.{self.name}"
        self._delete_if = self.conn.register_script(self.DELETE_IF)
        self._finish = self.conn.register_script(self.FINISH)
        self._take = self.conn.register_script(self.TAKE)
        self._rescue = self.conn.register_script(self.RESCUE)
        self._forget = self.conn.register_script(self.FORGET)
        self._release = self.conn.register_script(self.RELEASE)
        self._flag = self.conn.register_script(self.FLAG)
        self._unflag = self.conn.register_script(self.UNFLAG)
        self._read_flagged = self.conn.register_script(self.FLAGGED)
        self.revoked_key = f"huey.revoked.{self.name}"
        self._revoked_keys = [self.revoked_key, f"huey.revoked.{self.name}.epoch"]
        self._flagged: tuple[bytes | None, frozenset] = (None, frozenset())  # epoch, keys
        # JOBS_REVOKE_INDEX=False (the benchmark's switch) leaves revoke flags to huey alone:
        # every process on a queue must agree, or a worker reading the index misses a flag.
        self.revoke_index = getattr(settings, "JOBS_REVOKE_INDEX", True)

    def _list(self, consumer: str, finished: bool = False) -> str:
        return f"{self.register_key}.{consumer}" + (".finished" if finished else "")

    def take(self, consumer: str, *, finish=None, release=None, unflag=None):
        """Dequeue into `consumer`'s register; first (same round trip) mark `finish` finished
        or `release` it and delete the revoke flag `unflag`: what the previous task of this
        worker left to do."""
        action, receipt = ("finish", finish) if finish is not None else ("release", release)
        inflight = self._list(consumer)
        keys = [
            self.queue_key,
            inflight,
            self._list(consumer, True),
            self.result_key,
            *self._revoked_keys,
            self.register_key,
        ]
        args = [
            action if receipt is not None else "",
            receipt or "",
            unflag or "",
            consumer,
            time.time(),
        ]
        data, epoch = self._take(keys=keys, args=args)
        if data is None and self.blocking:  # the queue is empty: wait for the next task
            try:
                data = self.conn.blmove(
                    self.queue_key, inflight, self.read_timeout, "RIGHT", "LEFT"
                )
            except TimeoutError:
                return None
            epoch = None  # flags may have changed while it waited: read them again
        if data is None:
            return None
        return data, data, self._flagged_at(epoch) if self.revoke_index else None

    def _flagged_at(self, epoch) -> frozenset:
        """The revoke keys flagged at `epoch`, read again when the epoch moved or is unknown
        (None: no take returned it)."""
        if epoch is None or self._flagged[0] != epoch:
            epoch, members = self._read_flagged(keys=self._revoked_keys)
            self._flagged = (epoch, frozenset(m.decode() for m in members))
        return self._flagged[1]

    def put_data(self, key, value, is_result=False):
        if is_result or not self.revoke_index or not _is_revoke_key(key):
            return super().put_data(key, value, is_result)
        return self._flag(keys=[self.result_key, *self._revoked_keys], args=[key, value])

    def delete_data(self, key):
        if not self.revoke_index or not _is_revoke_key(key):
            return super().delete_data(key)
        return self._unflag(keys=[self.result_key, *self._revoked_keys], args=[key]) != 0

    def delete_if_equal(self, key: str, value: bytes) -> bool:
        return self._delete_if(keys=[self.result_key], args=[key, value]) == 1

    def flush_results(self):
        super().flush_results()
        self._forget_flags()

    def _forget_flags(self) -> None:
        # The epoch only ever grows: a worker's cached epoch can never match a later index.
        pipe = self.conn.pipeline()
        pipe.delete(self.revoked_key)
        pipe.incr(self._revoked_keys[1])
        pipe.execute()

    def finish(self, consumer: str, receipt) -> None:
        self._finish(keys=[self._list(consumer), self._list(consumer, True)], args=[receipt])

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        keys = (
            [self._list(consumer, True), self._list(consumer)]
            if finished
            else [self._list(consumer)]
        )
        for start in range(0, len(receipts), 500):  # the oldest entries sit at the tail
            self._release(keys=keys, args=receipts[start : start + 500])

    def registered(self) -> dict[str, float]:
        """Registered consumers with when each registered; a consumer whose in-flight list
        exists without a registration (it was dropped while the consumer held entries) is
        listed as registered at 0, so the reaper judges it by its heartbeat alone."""
        found = {k.decode(): float(v) for k, v in self.conn.hgetall(self.register_key).items()}
        prefix = f"{self.register_key}."
        for key in self.conn.scan_iter(match=f"{_glob_escape(prefix)}*", count=1000):
            consumer = key.decode()[len(prefix) :].removesuffix(".finished")
            found.setdefault(consumer, 0.0)
        return found

    def taken_by(self, consumer: str) -> list[tuple[bytes, bytes, bool]]:
        return [
            (data, data, finished)
            for finished in (False, True)
            for data in self.conn.lrange(self._list(consumer, finished), 0, -1)
        ]

    def rescue(self, consumer: str, receipt, data: bytes | None, *, finished: bool) -> bool:
        keys = [self._list(consumer, finished), self.queue_key]
        return bool(self._rescue(keys=keys, args=[receipt, data or b""]))

    def forget(self, consumer: str) -> None:
        keys = [self.register_key, self._list(consumer), self._list(consumer, True)]
        self._forget(keys=keys, args=[consumer])

    def flush_all(self):
        super().flush_all()
        consumers = list(self.registered())
        lists = [self._list(c, f) for c in consumers for f in (False, True)]
        self.conn.delete(self.register_key, *lists)
        self._forget_flags()

    def waiting(self, page: int = 1000):
        """Every task the broker holds, as serialized data, in pages: the schedule, then the
        queue, then each consumer's in-flight lists (a task moving between them, always
        forwards in this order or back into the queue, is seen at least once in two reads)."""
        yield from _pages(lambda a, b: self.conn.zrange(self.schedule_key, a, b), page)
        yield from _pages(lambda a, b: self.conn.lrange(self.queue_key, a, b), page)
        for consumer in self.registered():
            for finished in (False, True):
                key = self._list(consumer, finished)
                yield from _pages(lambda a, b, key=key: self.conn.lrange(key, a, b), page)

    def health(self) -> dict:
        """What the broker says of itself: whether it keeps an append-only file (without one
        a restart loses every queued task), and when it started."""
        info = self.conn.info()
        return {
            "persistent": bool(int(info.get("aof_enabled", 0))),
            "started": time.time() - float(info.get("uptime_in_seconds", 0)),
            "run_id": str(info.get("run_id", "")),
        }


def _pages(read, page: int):
    start = 0
    while True:
        items = read(start, start + page - 1)
        yield from items
        if len(items) < page:
            return
        start += page


def _glob_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def _is_revoke_key(key) -> bool:
    """huey's revoke flags: "r:<task id>" for one task, "rt:<task name>" for all of a kind."""
    return isinstance(key, str) and key.startswith(("r:", "rt:"))
