"""huey's storages with an in-flight register per consumer (Redis, SQLite, memory).

A consumer's register holds what it has taken and not finished, and what it has finished
whose outcome the task history has not written yet (`finish` moves an entry from the first
to the second; `release` drops it). `taken_by` lists both, each with its `finished` flag.
"""

import time

from huey.storage import MemoryStorage, RedisStorage, SqliteStorage, TimeoutError


class RedisInflightStorage(RedisStorage):
    """huey's Redis storage; a dequeue moves the task into its consumer's in-flight list."""

    FINISH = """
    if redis.call('lrem', KEYS[1], -1, ARGV[1]) == 1 then
        redis.call('lpush', KEYS[2], ARGV[1])
    end"""
    # One command per task: settle the worker's previous task, then move the next one in.
    TAKE = """
    if ARGV[1] == 'finish' then
        if redis.call('lrem', KEYS[2], -1, ARGV[2]) == 1 then
            redis.call('lpush', KEYS[3], ARGV[2])
        end
    elseif ARGV[1] == 'release' then
        redis.call('lrem', KEYS[2], -1, ARGV[2])
    end
    return redis.call('lmove', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')"""
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
        self._finish = self.conn.register_script(self.FINISH)
        self._take = self.conn.register_script(self.TAKE)
        self._rescue = self.conn.register_script(self.RESCUE)
        self._forget = self.conn.register_script(self.FORGET)
        self._release = self.conn.register_script(self.RELEASE)
        self._registered: set[str] = set()

    def _list(self, consumer: str, finished: bool = False) -> str:
        return f"{self.register_key}.{consumer}" + (".finished" if finished else "")

    def take(self, consumer: str, *, finish=None, release=None):
        """Dequeue into `consumer`'s register; first (same round trip) mark `finish` finished
        or `release` it: what the previous task of this worker left to do."""
        if consumer not in self._registered:
            self.conn.hsetnx(self.register_key, consumer, time.time())
            self._registered.add(consumer)
        action, receipt = ("finish", finish) if finish is not None else ("release", release)
        inflight = self._list(consumer)
        keys = [self.queue_key, inflight, self._list(consumer, True)]
        data = self._take(keys=keys, args=[action if receipt is not None else "", receipt or ""])
        if data is None and self.blocking:  # the queue is empty: wait for the next task
            try:
                data = self.conn.blmove(self.queue_key, inflight, self.read_timeout, "RIGHT",
                                        "LEFT")  # fmt: skip
            except TimeoutError:
                return None
        return None if data is None else (data, data)

    def finish(self, consumer: str, receipt) -> None:
        self._finish(keys=[self._list(consumer), self._list(consumer, True)], args=[receipt])

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        keys = [self._list(consumer, True), self._list(consumer)] if finished else [
            self._list(consumer)]  # fmt: skip
        for start in range(0, len(receipts), 500):  # the oldest entries sit at the tail
            self._release(keys=keys, args=receipts[start : start + 500])

    def registered(self) -> dict[str, float]:
        return {k.decode(): float(v) for k, v in self.conn.hgetall(self.register_key).items()}

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
        self._registered.clear()


class SqliteInflightStorage(SqliteStorage):
    """huey's SQLite storage; a dequeue moves the task into the in-flight table, atomically."""

    ddl = [
        *SqliteStorage.ddl,
        "create table if not exists inflight (id integer not null primary key, "
        "queue text not null, consumer text not null, data blob not null, "
        "taken_at real not null, finished integer not null default 0)",
        "create index if not exists inflight_queue_consumer on inflight (queue, consumer)",
    ]

    def take(self, consumer: str, *, finish=None, release=None):
        """Dequeue into the register; the previous task's `finish` or `release` rides along in
        the same transaction."""
        empty = not self.sql("select 1 from task where queue = ? limit 1", (self.name,),
                             results=True)  # fmt: skip
        if empty:
            if finish is not None:
                self.finish(consumer, finish)
            if release is not None:
                self.release(consumer, [release], finished=False)
            return None
        with self.db(commit=True) as curs:
            if finish is not None:
                curs.execute("update inflight set finished = 1 where id = ?", (finish,))
            if release is not None:
                curs.execute("delete from inflight where id = ?", (release,))
            curs.execute(
                "select id, data from task where queue = ? order by priority desc, id limit 1",
                (self.name,),
            )
            row = curs.fetchone()
            if row is None:
                return None
            curs.execute("delete from task where id = ?", (row[0],))
            curs.execute(
                "insert into inflight (queue, consumer, data, taken_at) values (?, ?, ?, ?)",
                (self.name, consumer, self.to_blob(row[1]), time.time()),
            )
            return bytes(row[1]), curs.lastrowid

    def finish(self, consumer: str, receipt) -> None:
        self.sql("update inflight set finished = 1 where id = ?", (receipt,), commit=True)

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        for start in range(0, len(receipts), 500):
            chunk = receipts[start : start + 500]
            self.sql(
                f"delete from inflight where id in ({','.join('?' * len(chunk))})",
                chunk,
                commit=True,
            )

    def registered(self) -> dict[str, float]:
        rows = self.sql(
            "select consumer, min(taken_at) from inflight where queue = ? group by consumer",
            (self.name,),
            results=True,
        )
        return dict(rows)

    def taken_by(self, consumer: str) -> list[tuple[bytes, int, bool]]:
        rows = self.sql(
            "select data, id, finished from inflight where queue = ? and consumer = ? order by id",
            (self.name, consumer),
            results=True,
        )
        return [(bytes(data), receipt, bool(finished)) for data, receipt, finished in rows]

    def rescue(self, consumer: str, receipt, data: bytes | None, *, finished: bool) -> bool:
        with self.db(commit=True) as curs:
            curs.execute("delete from inflight where id = ? and consumer = ?", (receipt, consumer))
            if curs.rowcount != 1:
                return False
            if data is not None:  # first in line, as on Redis
                curs.execute(
                    "insert into task (queue, data, priority) select ?, ?, "
                    "coalesce(max(priority), 0) + 1 from task where queue = ?",
                    (self.name, self.to_blob(data), self.name),
                )
            return True

    def forget(self, consumer: str) -> None:
        """Registrations are the rows themselves: nothing to drop."""

    def flush_all(self):
        super().flush_all()
        self.sql("delete from inflight where queue = ?", (self.name,), commit=True)


class MemoryInflightStorage(MemoryStorage):
    """huey's in-memory storage (immediate mode) with the same in-flight register."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._inflight: dict[str, dict[int, list]] = {}  # receipt -> [data, finished]
        self._since: dict[str, float] = {}
        self._receipts = 0

    def take(self, consumer: str, *, finish=None, release=None):
        if finish is not None:
            self.finish(consumer, finish)
        if release is not None:
            self.release(consumer, [release], finished=False)
        data = self.dequeue()
        if data is None:
            return None
        with self._lock:
            self._receipts += 1
            self._since.setdefault(consumer, time.time())
            self._inflight.setdefault(consumer, {})[self._receipts] = [data, False]
            return data, self._receipts

    def finish(self, consumer: str, receipt) -> None:
        with self._lock:
            if receipt in self._inflight.get(consumer, {}):
                self._inflight[consumer][receipt][1] = True

    def release(self, consumer: str, receipts: list, *, finished: bool) -> None:
        with self._lock:
            for receipt in receipts:
                self._inflight.get(consumer, {}).pop(receipt, None)

    def registered(self) -> dict[str, float]:
        return dict(self._since)

    def taken_by(self, consumer: str) -> list[tuple[bytes, int, bool]]:
        items = self._inflight.get(consumer, {}).items()
        return [(data, receipt, finished) for receipt, (data, finished) in items]

    def rescue(self, consumer: str, receipt, data: bytes | None, *, finished: bool) -> bool:
        with self._lock:
            if self._inflight.get(consumer, {}).pop(receipt, None) is None:
                return False
            if data is not None:
                self.enqueue(data, priority=1_000_000)
            return True

    def forget(self, consumer: str) -> None:
        with self._lock:
            if not self._inflight.get(consumer):
                self._inflight.pop(consumer, None)
                self._since.pop(consumer, None)

    def flush_all(self):
        super().flush_all()
        self._inflight.clear()
        self._since.clear()
